"""10,000 feedback items imported and synthesised end to end, through the real CLI.

Target (issue 5): on this 2-core machine, 10,000 items imported and synthesised
end to end in under 60 seconds. The script makes a fresh data folder (SQLite app
database), writes 10,000 texts to a CSV, and times what a user would run:

    pilothouse init ...                      (not timed: set-up)
    pilothouse feedback import FILE ...      (timed: parse, check, store)
    pilothouse feedback synthesize           (timed: embed, sentiment, duplicates, themes)

Wall-clock time includes each command's Python start-up. It prints each step, the
total, the ratio to the 60 s target (above 1.0 meets it), the process CPU time and
the load average, because on a shared machine the wall clock says as much about
the neighbours as about Pilothouse.

    .venv/bin/python benchmarks/feedback_end_to_end.py [--data banking77|it_tickets] [--items 10000]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 60.0
DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "feedback"


def texts(name: str, count: int) -> list[str]:
    """The first ``count`` texts of a public labelled set."""
    if name == "banking77":
        path, column = DATA / "banking77" / "train.csv", "text"
    else:
        path, column = DATA / "it_tickets.csv", "Document"
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [row[column] for row in csv.DictReader(handle) if row[column].strip()]
    if len(rows) < count:
        raise SystemExit(f"{path} has only {len(rows)} texts")
    return rows[:count]


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> float:
    """Run ``pilothouse ARGS`` and return its wall-clock seconds."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pilothouse", *args],
        env=env,
        input=stdin,
        text=True,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def phases(home: Path) -> str:
    """The phase durations the synthesis run recorded (embedding, duplicates, themes)."""
    database = next(home.glob("*.db"))
    with sqlite3.connect(database) as connection:
        row = connection.execute(
            "SELECT durations FROM feedback_synthesis_runs ORDER BY id DESC LIMIT 1"
        ).fetchone()
    return ", ".join(f"{k} {v:.1f}" for k, v in json.loads(row[0]).items())


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=["banking77", "it_tickets"], default="banking77")
    parser.add_argument("--items", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pilothouse-bench-") as folder:
        home = Path(folder)
        env = {
            **os.environ,
            "PILOTHOUSE_HOME": str(home),
            "PILOTHOUSE_JOBS_MODE": "immediate",
            "PILOTHOUSE_LOG_LEVEL": "WARNING",
        }
        env.pop("PILOTHOUSE_DATABASE_URL", None)
        source = home / "feedback.csv"
        with source.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "text"])
            writer.writerows(
                (f"b-{n}", text) for n, text in enumerate(texts(args.data, args.items))
            )
        run(env, "init", "--email", "bench@example.com", "--name", "Bench", "--password-stdin",
            stdin="a long benchmark password\n")  # fmt: skip
        cpu_before = children_cpu()
        imported = run(env, "feedback", "import", str(source), "--format", "csv",
                       "--text-column", "text", "--source", "bench")  # fmt: skip
        synthesized = run(env, "feedback", "synthesize")
        cpu = children_cpu() - cpu_before
        total = imported + synthesized
        print(f"{args.items:,} {args.data} items, fresh SQLite workspace, through the CLI")
        print(f"import      {imported:6.1f} s")
        print(f"synthesize  {synthesized:6.1f} s")
        print(f"total       {total:6.1f} s  (target {TARGET_SECONDS:.0f} s)")
        print(f"ratio to target {TARGET_SECONDS / total:.2f}x (above 1 meets it)")
        print(f"CPU of the commands {cpu:.1f} s; load average {os.getloadavg()[0]:.1f}")
        print(f"synthesis phases (s): {phases(home)}")


if __name__ == "__main__":
    main()
