"""Reading Zendesk JSON exports: linear time with the streaming reader, quadratic before.

Issue 12.9: the JSON-list reader counted newlines from the start of the file for
every record, so 2,000 tickets took 1.7 s, 8,000 took 34 s and 16,000 did not
finish in 120 s. The reader now streams the list with ijson.

The script generates Zendesk API dumps (``{"tickets": [...], "users": [...]}``,
pretty-printed with two-space indents as the API and most tools save them;
about 580 bytes a ticket) and times ``parse_file(data, ImportFormat.zendesk)``:
decoding, the side-loaded users, every ticket turned into a row. It prints the
time per record and, between consecutive sizes, the ratio of times next to the
ratio of sizes (equal ratios: linear). The old reader (commit a6fc8d1, kept
below as the baseline) runs in the same process on the sizes where it finishes
in reasonable time.

    .venv/bin/python benchmarks/import_scaling.py [--sizes 10000 50000 100000]
        [--old-sizes 1000 2000 4000 8000] [--repeats 3]

Both wall-clock and CPU time are printed; the ratios use CPU time, which other
work on a shared machine disturbs less than the wall clock.

Storing is not timed: ``run_import`` refuses files above 50,000 rows (one
transaction), and its per-row work was measured in docs/benchmarks.md
("Feedback end to end").
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Iterator
from typing import Any

from pilothouse.feedback import importers
from pilothouse.feedback.importers import ImportFormat, ImportProblem, ParsedFile, parse_file


def zendesk_dump(count: int) -> bytes:
    """``count`` tickets with requesters and organisations, like a Zendesk API dump."""
    tickets = [
        {
            "url": f"https://acme.zendesk.com/api/v2/tickets/{n}.json",
            "id": n,
            "created_at": f"2026-01-{1 + n % 28:02d}T09:{n % 60:02d}:00Z",
            "subject": f"Export {n} stuck at 99%",
            "description": "The CSV export of the revenue report stops at 99% and never "
            f"finishes. Tried twice today (ticket {n}). Can you look?",
            "requester_id": 100 + n % 500,
            "organization_id": 10 + n % 50,
            "tags": ["export", "performance"],
            "status": "open",
            "custom_fields": [{"id": 27642, "value": str(n % 997)}],
        }
        for n in range(1, count + 1)
    ]
    users = [
        {"id": 100 + u, "email": f"user{u}@example.com", "name": f"User {u}"} for u in range(500)
    ]
    orgs = [{"id": 10 + o, "external_id": f"acct-{o:03d}", "name": f"Org {o}"} for o in range(50)]
    document = {"tickets": tickets, "users": users, "organizations": orgs, "count": count}
    return json.dumps(document, indent=2).encode()


def old_json_array_items(
    text: str, keys: tuple[str, ...], parsed: ParsedFile
) -> Iterator[tuple[int, Any]]:
    """The reader before issue 12.9 (commit a6fc8d1): ``text.count`` from 0 per record."""
    decoder = json.JSONDecoder()
    pos = _old_array_start(text, keys)
    if pos is None:
        parsed.problems.append(ImportProblem(0, None, f"no {' or '.join(keys)} list in the file"))
        return
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text):
            line = text.count("\n", 0, pos) + 1
            parsed.problems.append(ImportProblem(line, None, "the file ends inside the list"))
            return
        if text[pos] == "]":
            return
        line = text.count("\n", 0, pos) + 1
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            where = text.count("\n", 0, exc.pos) + 1
            parsed.problems.append(ImportProblem(where, None, f"malformed JSON ({exc.msg})"))
            return
        yield line, value


def _old_array_start(text: str, keys: tuple[str, ...]) -> int | None:
    stripped = len(text) - len(text.lstrip(" \t\r\n"))
    if text[stripped : stripped + 1] == "[":
        return stripped + 1
    for key in keys:
        match = re.search(rf'"{re.escape(key)}"\s*:\s*\[', text)
        if match:
            return match.end()
    return None


def _old_side_loaded(text: str, key: str) -> dict[Any, dict[str, Any]]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        return {}
    values = document.get(key) if isinstance(document, dict) else None
    return {v.get("id"): v for v in values or [] if isinstance(v, dict)}


def timed(data: bytes, old: bool) -> tuple[float, float, int]:
    """Wall and CPU seconds to parse ``data`` with the new (or old) reader, and the rows read."""
    saved = importers.json_array_items, importers._side_loaded
    if old:
        importers.json_array_items, importers._side_loaded = old_json_array_items, _old_side_loaded
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        parsed = parse_file(data, ImportFormat.zendesk)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        importers.json_array_items, importers._side_loaded = saved
    if parsed.problems:
        raise SystemExit(f"unexpected problems: {parsed.problems[:3]}")
    return wall, cpu, len(parsed.rows)


HEADER = "records     MB  wall s   CPU s  CPU µs/record  size ratio  CPU ratio"


def series(name: str, sizes: list[int], old: bool, repeats: int) -> None:
    """One line per size: the best of ``repeats`` runs (by CPU time)."""
    print(f"{name} (best of {repeats})")
    print(HEADER)
    previous: tuple[int, float] | None = None
    for size in sizes:
        data = zendesk_dump(size)
        runs = [timed(data, old) for _ in range(repeats)]
        wall, cpu, rows = min(runs, key=lambda run: run[1])
        assert rows == size, (rows, size)
        ratios = ""
        if previous is not None:
            ratios = f"{size / previous[0]:>11.1f} {cpu / previous[1]:>10.1f}"
        per = cpu / size * 1e6
        print(f"{size:>7,} {len(data) / 1e6:>6.1f} {wall:>7.2f} {cpu:>7.2f} {per:>14.1f} {ratios}")
        previous = (size, cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 100_000])
    parser.add_argument("--old-sizes", type=int, nargs="+", default=[1_000, 2_000, 4_000, 8_000])
    parser.add_argument("--repeats", type=int, default=3, help="runs per size of the new reader")
    args = parser.parse_args()
    series("old reader (text.count from the file start per record)", args.old_sizes, True, 1)
    series("new reader, same sizes", args.old_sizes, False, args.repeats)
    series("new reader (ijson streaming)", args.sizes, False, args.repeats)


if __name__ == "__main__":
    main()
