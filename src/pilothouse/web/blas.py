"""One BLAS thread in a served process.

NumPy and SciPy multiply matrices with OpenBLAS, which by default starts a thread per
core and keeps those threads spinning for a while after each call in case more work
comes. A request's matrices are small (a new feedback item against the stored
vectors, a theme index, an experiment's variations), so the second thread gains
nothing, and its spinning takes a core from the request threads: in
``benchmarks/request_cost.py`` a feedback creation used twice its wall time in CPU,
and under ``benchmarks/load.py`` at 40 requests/s the reads' p95 went from 35 ms to
25-30 ms with one thread. A served process gets its parallelism from concurrent
requests and ``--workers``. Commands and separate ``pilothouse jobs worker``
processes keep every BLAS thread; jobs the server runs itself (the default
``PILOTHOUSE_JOBS_MODE=inprocess``) share its one thread, a little slower for a large
synthesis run.
"""

from __future__ import annotations


def use_one_blas_thread() -> list[str]:
    """Limit every loaded BLAS library to one thread; returns the libraries limited.

    NumPy and SciPy are imported first so that their libraries are loaded: a library
    loaded after this call would start with its default pool.
    """
    import numpy  # noqa: F401 - loads NumPy's OpenBLAS
    import scipy.linalg  # noqa: F401 - loads SciPy's own OpenBLAS
    from threadpoolctl import threadpool_info, threadpool_limits

    threadpool_limits(limits=1, user_api="blas")
    return [str(lib.get("filepath")) for lib in threadpool_info() if lib["user_api"] == "blas"]
