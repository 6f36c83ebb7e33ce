"""A backup sent as it is archived, and the audit entry every backup leaves.

``POST /api/v1/backup`` used to write the whole tar to a temporary file before the
first byte went out, one more full copy of the data on the server's disk.
:func:`stream_backup` stages the members (the database dump and event store export
must exist before their checksums go into the manifest), then produces the tar
itself, header by header and in 1 MiB blocks read from the staged files, so nothing
is held in memory and no archive file is written. Its size is known in advance (the
headers are built first), so the response has a ``Content-Length`` and the audit
entry names the size before the download starts.

Every backup, from the command line or the API, is recorded as a ``backup.created``
audit event: who (the actor), when (the event's time), the size in bytes, tables,
rows and whether the secret key is in it.
"""

from __future__ import annotations

import json
import shutil
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change
from pilothouse.core.backup import BackupSummary, prepare_backup
from pilothouse.core.runtime import Runtime

__all__ = ["StreamedBackup", "record_backup", "stream_backup"]

BLOCK = tarfile.BLOCKSIZE
CHUNK = 1 << 20


@dataclass
class StreamedBackup:
    """A staged backup: its summary, exact archive size, and the bytes to send."""

    summary: BackupSummary
    size: int
    scratch: Path
    parts: list[tuple[bytes, Path | bytes]]

    def chunks(self) -> Iterator[bytes]:
        """The tar, as it is read from the staged files; the staging is removed at the end."""
        try:
            for header, content in self.parts:
                yield header
                if isinstance(content, bytes):
                    yield content + _padding(len(content))
                else:
                    yield from _file_blocks(content, _declared_size(header))
            yield b"\0" * (2 * BLOCK)
        finally:
            self.close()

    def close(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)


def _declared_size(header: bytes) -> int:
    return tarfile.TarInfo.frombuf(header[-BLOCK:], "utf-8", "surrogateescape").size


def _file_blocks(path: Path, size: int) -> Iterator[bytes]:
    """Exactly ``size`` bytes of ``path`` (the size its header promised) and the padding.

    A state file that changed since the header was made would otherwise break the tar;
    this way the archive stays readable and restore's checksum check names the file.
    """
    left = size
    with path.open("rb") as handle:
        while left > 0:
            block = handle.read(min(CHUNK, left))
            if not block:
                break
            left -= len(block)
            yield block
    if left:
        yield b"\0" * left
    yield _padding(size)


def _padding(size: int) -> bytes:
    return b"\0" * (-size % BLOCK)


def _header(name: str, size: int, mtime: float) -> bytes:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, int(mtime), 0o600
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


def stream_backup(runtime: Runtime, name: str) -> StreamedBackup:
    """Stage a backup (never the secret key) and plan its tar; call ``chunks()`` to send it."""
    scratch = Path(tempfile.mkdtemp(prefix="pilothouse-backup-stream-"))
    try:
        prepared = prepare_backup(runtime, scratch, Path(name))
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    manifest = json.dumps(prepared.manifest, indent=2, sort_keys=True).encode("utf-8")
    stamp = time.time()
    parts: list[tuple[bytes, Path | bytes]] = [
        (_header("manifest.json", len(manifest), stamp), manifest)
    ]
    for member, file in prepared.members.items():
        stat = file.stat()
        parts.append((_header(member, stat.st_size, stat.st_mtime), file))
    size = 2 * BLOCK + sum(len(h) + _size(c) + len(_padding(_size(c))) for h, c in parts)
    return StreamedBackup(prepared.summary, size, scratch, parts)


def _size(content: Path | bytes) -> int:
    return len(content) if isinstance(content, bytes) else content.stat().st_size


def record_backup(
    session: Session,
    actor: Actor,
    summary: BackupSummary,
    size: int,
    *,
    via: str,
    secrets_included: bool = False,
) -> None:
    """The audit entry of one backup: who and when (the event), how big, what is in it."""
    record_change(
        session,
        actor,
        object_type="backup",
        object_id=summary.path.name,
        action=Action.created,
        label=f"backup {summary.path.name}",
        after={
            "size_bytes": size,
            "via": via,
            "revision": summary.revision,
            "tables": len(summary.tables),
            "rows": sum(summary.tables.values()),
            "events": (summary.event_store or {}).get("events", 0),
            "secrets_included": secrets_included,
        },
    )
