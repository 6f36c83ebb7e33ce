"""Running ``pilothouse serve`` in a child process, for tests over real HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from pilothouse.core.config import Settings
from pilothouse.core.db import Database
from pilothouse.core.runtime import Runtime


@dataclass
class ServedApp:
    base_url: str
    runtime: Runtime  # the same database and secret key as the server
    log_path: Path
    pid: int = 0  # of the serve process


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(
    home: Path,
    database_url: str,
    extra_env: dict[str, str] | None = None,
    options: tuple[str, ...] = (),
) -> Iterator[ServedApp]:
    """Serve on a free port; ``extra_env`` adds to (or overrides) the child's environment,
    ``options`` go to ``pilothouse serve``."""
    port = free_port()
    env = {
        **os.environ,
        "PILOTHOUSE_HOME": str(home),
        "PILOTHOUSE_DATABASE_URL": database_url,
        "PILOTHOUSE_ARGON2_TIME_COST": "1",
        "PILOTHOUSE_ARGON2_MEMORY_KIB": "8192",
        "PILOTHOUSE_LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }
    log_path = home / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pilothouse",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                *options,
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base_url, process, log_path)
        settings = Settings(
            home=home, database_url=database_url, argon2_time_cost=1, argon2_memory_kib=8192
        )
        runtime = Runtime(settings=settings, database=Database(settings.effective_database_url))
        yield ServedApp(base_url, runtime, log_path, process.pid)
        runtime.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_healthy(base_url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    """Poll ``/healthz`` until it answers 200.

    One client for the whole wait: ``httpx.get`` builds a client and its TLS context on
    every call (about 20 ms of CPU), which at this rate took a fifth of a core from the
    server that was starting up next to it.
    """
    deadline = time.monotonic() + 120  # generous: a loaded 2-core CI machine starts slowly
    with httpx.Client(timeout=1) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{log_path.read_text()}")
            try:
                if client.get(f"{base_url}/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    raise RuntimeError(f"server did not become healthy:\n{log_path.read_text()}")
