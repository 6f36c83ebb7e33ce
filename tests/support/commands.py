"""Run a ``pilothouse`` command in the test's process, configured like a child process.

A new ``python -m pilothouse`` pays 1-3 s of imports before it does anything; tests
whose subject is a process killed next to the command (a worker, a server, an
import) run the commands around that kill here instead, through the same CLI code.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from typer.testing import CliRunner, Result

from pilothouse.cli.main import app as cli_app

__all__ = ["run_command"]

PREFIX = "PILOTHOUSE_"


def run_command(env: Mapping[str, str], *args: str) -> Result:
    """``pilothouse <args>`` with the ``PILOTHOUSE_`` settings of ``env`` and no others.

    ``env`` is a child process's environment: its other variables are left as they
    are, and this process's own ``PILOTHOUSE_`` variables are hidden meanwhile, as a
    child built from ``env`` would not see them. Fails the test unless the command
    exits with 0.
    """
    settings: dict[str, str | None] = {k: None for k in os.environ if k.startswith(PREFIX)}
    settings.update({k: v for k, v in env.items() if k.startswith(PREFIX)})
    result = CliRunner().invoke(cli_app, list(args), env=settings, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result
