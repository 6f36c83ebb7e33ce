"""``pilothouse stats``: run the stats engine offline on a JSON file.

A thin wrapper over ``pilothouse.experiments.stats.offline``: it reads the file (or
standard input for ``-``) and prints the results as JSON. When the request as a
whole is malformed (invalid JSON, bad settings) it prints ``error: message`` on one
line to stderr and exits with status 1, like the other commands; a malformed
metric is reported inside the results instead.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["analyze", "app", "stats"]

app = typer.Typer(
    help="Analyse experiment results from sufficient statistics, offline.",
    no_args_is_help=True,
)


@app.callback()
def stats() -> None:
    """Analyse experiment results from sufficient statistics, offline (see docs/stats.md)."""


def _read(file: str) -> str:
    if file == "-":
        return sys.stdin.read()
    path = Path(file)
    if not path.is_file():
        raise FileNotFoundError(f"cannot read {file}: no such file")
    return path.read_text(encoding="utf-8")


@app.command()
def analyze(
    file: Annotated[
        str, typer.Argument(help="Analysis request as JSON; '-' reads standard input.")
    ],
    indent: Annotated[
        int, typer.Option(help="Indentation of the JSON output (0 for one line).")
    ] = 2,
) -> None:
    """Print the results of FILE ({"settings": ..., "metrics": [...]}) as JSON."""
    # Imported here: SciPy takes a second to load, which every other command would pay.
    from pilothouse.experiments.stats.offline import RequestError, analyze_json

    try:
        result = analyze_json(_read(file))
    except (RequestError, FileNotFoundError, UnicodeDecodeError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from exc
    typer.echo(json.dumps(result, indent=indent or None, allow_nan=False))
