"""A served process runs BLAS on one thread; other uses of the app keep the default.

See :mod:`pilothouse.web.blas` for why: OpenBLAS's spinning threads took a core from
the request threads under ``benchmarks/load.py``.
"""

from __future__ import annotations

import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from pilothouse.core.runtime import Runtime
from pilothouse.web.app import create_app


def _blas_threads() -> list[int]:
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def test_the_serve_factory_runs_blas_on_one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    from pilothouse.web import app as app_module

    monkeypatch.setattr(app_module, "create_app", lambda **_kw: "app")
    with threadpool_limits(limits=2, user_api="blas"):  # the limits are restored after
        assert _blas_threads() and max(_blas_threads()) == 2
        assert app_module.create_app_from_env() == "app"
        assert _blas_threads() and set(_blas_threads()) == {1}


def test_an_app_built_without_serving_leaves_blas_alone(runtime: Runtime) -> None:
    with threadpool_limits(limits=2, user_api="blas"):
        create_app(runtime=runtime, migrate=False)
        assert set(_blas_threads()) == {2}
