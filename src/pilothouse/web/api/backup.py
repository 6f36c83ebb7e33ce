"""``POST /api/v1/backup``: the running server writes a backup and sends it back.

DuckDB lets no other process open the event store while the server holds it, so
``pilothouse backup`` cannot read it then. The server can: it exports the store
through its own connection in one DuckDB transaction, and streams the tar as it is
archived (core/backup_stream.py: no archive file, nothing held in memory), leaving an
audit entry with who, when and the size. ``pilothouse backup FILE
--server URL --token-file PATH`` calls this route (docs/backup.md). The secret
key never leaves the server this way.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from pilothouse.core.backup_stream import record_backup, stream_backup
from pilothouse.web.deps import AdminWrite, RuntimeDep, SessionDep

__all__ = ["router"]

log = logging.getLogger(__name__)
router = APIRouter(prefix="/backup", tags=["backup"])


@router.post(
    "",
    summary="Write a backup of this installation and download it (admins)",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-tar": {}}}},
)
def make_backup(
    principal: AdminWrite, runtime: RuntimeDep, session: SessionDep
) -> StreamingResponse:
    # End the transaction the token check opened: on SQLite it holds the write lock,
    # and writers must go on while the backup (which reads its own snapshot) runs.
    session.commit()
    streamed = stream_backup(runtime, "pilothouse-backup.tar")
    filename = f"pilothouse-{streamed.summary.revision}.tar"
    record_backup(session, principal.actor, streamed.summary, streamed.size, via="api")
    log.warning("backup of %d bytes streamed to %s", streamed.size, principal.actor.label)
    return StreamingResponse(
        streamed.chunks(),
        media_type="application/x-tar",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Content-Length": str(streamed.size),
        },
        background=BackgroundTask(streamed.close),
    )
