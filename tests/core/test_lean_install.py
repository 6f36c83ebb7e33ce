"""A lean install works: optional extras are imported only where they are used.

scikit-learn (``pilothouse[training]``) and psycopg (``pilothouse[postgresql]``)
are extras. Each test runs a fresh interpreter in which a meta-path finder makes
the extra's modules fail to import, exactly as when the package is not installed,
and checks what a team without the extra gets: the app starts and feedback
synthesis runs without scikit-learn; a PostgreSQL URL without psycopg fails with
one message that names the extra to install.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

#: Makes the top-level packages named in the first argument uninstallable.
HIDE = """
import importlib.abc, sys

class Hide(importlib.abc.MetaPathFinder):
    def __init__(self, names):
        self.names = names

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return None

sys.meta_path.insert(0, Hide(set(sys.argv[1].split(","))))
del sys.argv[1]
"""


def run_hidden(hidden: str, script: str, tmp_path: Path, **settings: str) -> dict:
    """Run ``script`` with ``hidden`` packages uninstallable; it prints one JSON object.

    ``settings`` become ``PILOTHOUSE_<NAME>`` variables of the child.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTHOUSE_")}
    env["PILOTHOUSE_HOME"] = str(tmp_path / "home")
    env.update({f"PILOTHOUSE_{name.upper()}": value for name, value in settings.items()})
    done = subprocess.run(
        [sys.executable, "-c", HIDE + textwrap.dedent(script), hidden],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_hiding_works(tmp_path: Path) -> None:
    """The finder really makes the package fail to import (else the tests below prove nothing)."""
    script = """
    import json
    try:
        import sklearn  # noqa: F401
        print(json.dumps({"imported": True}))
    except ModuleNotFoundError as exc:
        print(json.dumps({"imported": False, "name": exc.name}))
    """
    assert run_hidden("sklearn", script, tmp_path) == {"imported": False, "name": "sklearn"}


@pytest.mark.slow
def test_app_and_feedback_synthesis_run_without_scikit_learn(tmp_path: Path) -> None:
    script = """
    import json, sys
    from fastapi.testclient import TestClient
    from pilothouse.web.app import create_app
    from pilothouse.feedback.synthesis import (
        ModelUnavailableError, SynthesisConfig, TfidfEmbedder, load_embedder, synthesize,
    )

    with TestClient(create_app()) as client:  # migrates, starts the job threads
        health = client.get("/healthz").status_code

    topics = {
        "card": "My new card has not arrived yet, when will the card be delivered?",
        "refund": "I was charged twice and want a refund of the duplicate payment.",
        "login": "I forgot my password and cannot log in to the app anymore.",
    }
    texts = [f"{text} ({n})" for text in topics.values() for n in range(12)]
    embedder = load_embedder()
    result = synthesize(texts, embedder.embed(texts), SynthesisConfig(), phrases=embedder)
    try:
        TfidfEmbedder().embed(["one text", "another text"])
        tfidf = "worked"
    except ModelUnavailableError as exc:
        tfidf = str(exc)
    print(json.dumps({
        "health": health,
        "embedder": embedder.model_id,
        "themes": [theme.label for theme in result.themes],
        "sizes": [len(theme.items) for theme in result.themes],
        "tfidf": tfidf,
        "sklearn_loaded": any(m.split(".")[0] == "sklearn" for m in sys.modules),
    }))
    """
    out = run_hidden("sklearn", script, tmp_path)
    assert out["health"] == 200
    assert out["sizes"] == [12, 12, 12], out
    assert all(label.strip() for label in out["themes"]), out
    assert "pip install 'pilothouse[training]'" in out["tfidf"]
    assert out["sklearn_loaded"] is False


def test_postgresql_without_psycopg_names_the_extra(tmp_path: Path) -> None:
    script = """
    import json
    from pilothouse.core.db import Database
    from pilothouse.metrics.warehouses import UnsupportedError, create_adapter

    try:
        Database("postgresql+psycopg://app@127.0.0.1:1/pilothouse")
        app_db = "opened"
    except ModuleNotFoundError as exc:
        app_db = str(exc)
    adapter = create_adapter("postgresql", "dwh", "postgresql://app@127.0.0.1:1/dwh")
    try:
        adapter.execute("SELECT 1", 5)
        warehouse = "ran"
    except UnsupportedError as exc:
        warehouse = str(exc)
    print(json.dumps({"app_db": app_db, "warehouse": warehouse}))
    """
    out = run_hidden("psycopg,psycopg_binary", script, tmp_path)
    assert out["app_db"] == (
        "the database URL (postgresql+psycopg://...) needs the psycopg driver, which is not "
        "installed: pip install 'pilothouse[postgresql]'"
    )
    assert out["warehouse"] == (
        "warehouse kind 'postgresql' needs the psycopg driver, which is not installed: "
        "pip install 'pilothouse[postgresql]'"
    )


def test_the_command_line_prints_the_missing_driver_on_one_line(tmp_path: Path) -> None:
    script = """
    import json
    from typer.testing import CliRunner
    from pilothouse.cli.main import app

    result = CliRunner().invoke(app, ["db", "current"], prog_name="pilothouse")
    print(json.dumps({"code": result.exit_code, "output": result.output}))
    """
    url = "postgresql://app@127.0.0.1:1/pilothouse"
    out = run_hidden("psycopg,psycopg_binary", script, tmp_path, database_url=url)
    assert out["code"] == 1
    assert "Traceback" not in out["output"]
    assert "pip install 'pilothouse[postgresql]'" in out["output"]
