"""``POST /api/v1/backup``: the running server writes a backup and sends it back.

DuckDB lets no other process open the event store while the server holds it, so
``pilothouse backup`` cannot read it then. The server can: it exports the store
through its own connection in one DuckDB transaction. ``pilothouse backup FILE
--server URL --token-file PATH`` calls this route (docs/backup.md). The secret
key never leaves the server this way.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from pilothouse.core.backup import create_backup
from pilothouse.web.deps import AdminWrite, RuntimeDep, SessionDep

__all__ = ["router"]

log = logging.getLogger(__name__)
router = APIRouter(prefix="/backup", tags=["backup"])


@router.post(
    "",
    summary="Write a backup of this installation and download it (admins)",
    response_class=FileResponse,
    responses={200: {"content": {"application/x-tar": {}}}},
)
def make_backup(principal: AdminWrite, runtime: RuntimeDep, session: SessionDep) -> FileResponse:
    # End the transaction the token check opened: on SQLite it holds the write lock,
    # and writers must go on while the backup (which reads its own snapshot) runs.
    session.commit()
    folder = Path(tempfile.mkdtemp(prefix="pilothouse-backup-api-"))
    try:
        summary = create_backup(runtime, folder / "pilothouse-backup.tar")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    log.warning("backup of %d tables written for %s", len(summary.tables), principal.actor.label)
    return FileResponse(
        summary.path,
        media_type="application/x-tar",
        filename=f"pilothouse-{summary.revision}.tar",
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )
