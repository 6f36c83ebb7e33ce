"""Benchmark: how long the command line and the server take to start.

Run from the repository root::

    .venv/bin/python benchmarks/server_start.py [--runs 5]

In a fresh data folder (SQLite + DuckDB, the embedded default) migrated once
beforehand, it times, each as fresh processes:

- ``python -c pass``: the interpreter alone, the floor every command pays;
- ``pilothouse --help``;
- ``pilothouse stats analyze --help``;
- ``pilothouse serve``: from process start until ``GET /healthz`` answers 200;
- the same, then ``GET /login``: the first page after the API's routes, which
  pays FastAPI's analysis of those routes (made when first used, not at start).

Each line shows the median and best wall-clock seconds and the median and best CPU
seconds (user + system, of the process and its children, until it is stopped). The
machine is shared, so wall times move with the load average printed at the end;
CPU time moves much less.

Python's bytecode cache is on, in a temporary ``PYTHONPYCACHEPREFIX`` (so nothing
is written into the source tree), and each command runs once before it is timed:
an installed package has its ``.pyc`` files, while this tree's environment sets
``PYTHONDONTWRITEBYTECODE`` and would otherwise compile every module on every start.

``--lean`` runs every command as on a default install without extras: the
packages of the extras (psycopg, redis, scikit-learn, the warehouse clients) are
made unimportable in the measured process, as in ``tests/core/test_lean_install.py``
(huey, for one, imports redis and psycopg when they are there).
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

BIN = Path(sys.executable).parent
HEALTH_TIMEOUT_S = 120.0
#: Top-level packages that only the extras install.
EXTRAS_PACKAGES = "psycopg,psycopg_binary,psycopg_c,redis,sklearn,clickhouse_connect,pyspark,chdb"
#: ``python -c`` program: hide EXTRAS_PACKAGES, then run the command line.
LEAN = f"""
import importlib.abc, sys

class Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in {set(EXTRAS_PACKAGES.split(","))!r}:
            raise ModuleNotFoundError(f"No module named {{fullname!r}}", name=fullname)
        return None

sys.meta_path.insert(0, Hide())
from pilothouse.cli.main import app
app(prog_name="pilothouse")
"""
lean = False


def pilothouse() -> list[str]:
    if lean:
        return [sys.executable, "-c", LEAN]
    script = BIN / "pilothouse"
    return [str(script)] if script.exists() else [sys.executable, "-m", "pilothouse"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(command: list[str], env: dict[str, str]) -> float:
    """Seconds until the command exits (successfully)."""
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def serve_once(env: dict[str, str], then: str | None = None) -> float:
    """Seconds from starting ``pilothouse serve`` to the first 200 from ``/healthz``
    (and then from ``then``, when given)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/healthz"
    start = time.perf_counter()
    process = subprocess.Popen(
        [*pilothouse(), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.perf_counter() - start < HEALTH_TIMEOUT_S:
            if process.poll() is not None:
                raise SystemExit(f"pilothouse serve exited with {process.returncode}")
            try:
                with urllib.request.urlopen(url, timeout=1) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.02)
        else:
            raise SystemExit(f"no answer from {url} within {HEALTH_TIMEOUT_S:.0f} s")
        if then is not None:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{then}", timeout=60) as response:
                if response.status != 200:
                    raise SystemExit(f"{then} answered {response.status}")
        return time.perf_counter() - start
    finally:
        process.terminate()
        process.wait(timeout=30)


def measure(label: str, once: Callable[[], float], runs: int) -> None:
    once()  # warm-up: fills the bytecode cache
    walls, cpus = [], []
    for _ in range(runs):
        before = children_cpu()
        walls.append(once())
        cpus.append(children_cpu() - before)
    figures = [statistics.median(walls), min(walls), statistics.median(cpus), min(cpus)]
    print(f"{label:<34}" + "".join(f"{x:>8.2f}" for x in figures), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--lean", action="store_true", help="hide the extras' packages")
    args = parser.parse_args()
    global lean
    lean = args.lean
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTHOUSE_")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(Path(home) / "pycache")
        env.update({"PILOTHOUSE_HOME": home, "PILOTHOUSE_LOG_LEVEL": "WARNING"})
        subprocess.run([*pilothouse(), "db", "upgrade"], env=env, check=True, capture_output=True)
        kind = "default install (extras hidden)" if lean else "this environment"
        print(f"start-up, {kind}, {args.runs} fresh processes each (s)")
        print(f"{'':<34}{'wall':>16}{'cpu':>16}")
        print(f"{'':<34}" + f"{'median':>8}{'best':>8}" * 2)
        runs = args.runs
        measure("python -c pass", lambda: run_once([sys.executable, "-c", "pass"], env), runs)
        measure("pilothouse --help", lambda: run_once([*pilothouse(), "--help"], env), runs)
        stats_help = [*pilothouse(), "stats", "analyze", "--help"]
        measure("pilothouse stats analyze --help", lambda: run_once(stats_help, env), runs)
        measure("pilothouse serve → /healthz 200", lambda: serve_once(env), runs)
        measure("  then GET /login 200", lambda: serve_once(env, then="/login"), runs)
    print(f"load average (1, 5, 15 min): {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
