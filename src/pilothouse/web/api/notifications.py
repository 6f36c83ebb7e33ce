"""Notifications, comments and watching in the JSON API.

Everyone reads and marks only their own notifications; watching is one's own
subscription; comments follow the service's rules (editors write, authors edit,
authors or admins delete).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from pilothouse.core.links import ObjectRef
from pilothouse.core.notifications import comments, service, watching
from pilothouse.web.deps import EditorWrite, OwnWrite, PageParams, RuntimeDep, SessionDep, Viewer

__all__ = [
    "CommentCreate",
    "CommentList",
    "CommentRead",
    "CommentUpdate",
    "NotificationList",
    "NotificationRead",
    "WatchRead",
    "router",
]

router = APIRouter(tags=["notifications"])


class NotificationRead(BaseModel):
    """A notification; ``object`` is the resolved reference (label and page) when it has one."""

    id: int
    kind: str
    title: str
    body_markdown: str
    url: str | None
    object: dict[str, Any] | None
    created_at: datetime
    read_at: datetime | None

    @classmethod
    def of(cls, view: service.NotificationView) -> NotificationRead:
        ref = view.reference.as_dict() if view.reference is not None else None
        return cls(
            id=view.id,
            kind=view.kind,
            title=view.title,
            body_markdown=view.body,
            url=view.url,
            object=ref,
            created_at=view.created_at,
            read_at=view.read_at,
        )


class NotificationList(BaseModel):
    """One page, newest first; ``unread_count`` counts all unread ones, not just this page."""

    items: list[NotificationRead]
    next_cursor: str | None = None
    unread_count: int


class MarkedRead(BaseModel):
    marked: int


@router.get(
    "/notifications", response_model=NotificationList, summary="Your notifications, newest first"
)
def list_notifications(
    principal: Viewer,
    session: SessionDep,
    runtime: RuntimeDep,
    page: PageParams,
    unread: Annotated[bool | None, Query(description="Only unread (true) or read (false).")] = None,
) -> NotificationList:
    user_id = principal.user.id
    result = service.list_notifications(session, user_id, page, unread=unread)
    views = service.present(session, result.items, runtime)
    return NotificationList(
        items=[NotificationRead.of(v) for v in views],
        next_cursor=result.next_cursor,
        unread_count=service.unread_count(session, user_id),
    )


@router.post("/notifications/read-all", response_model=MarkedRead, summary="Mark all read")
def mark_all_read(principal: OwnWrite, session: SessionDep) -> MarkedRead:
    return MarkedRead(marked=service.mark_all_read(session, principal.user.id))


@router.post(
    "/notifications/{notification_id}/read",
    response_model=NotificationRead,
    summary="Mark one notification read",
)
def mark_read(
    notification_id: int, principal: OwnWrite, session: SessionDep, runtime: RuntimeDep
) -> NotificationRead:
    row = service.mark_read(session, principal.user.id, notification_id)
    return NotificationRead.of(service.present(session, [row], runtime)[0])


# --- watching ------------------------------------------------------------------------------


class WatchRead(BaseModel):
    object_type: str
    object_id: str
    watching: bool
    watchers: int


def _watch_state(session: Any, user_id: int, ref: ObjectRef) -> WatchRead:
    return WatchRead(
        object_type=ref.type,
        object_id=ref.id,
        watching=watching.is_watching(session, user_id, ref),
        watchers=len(watching.watchers_of(session, ref)),
    )


@router.get("/watches/{object_type}/{object_id}", response_model=WatchRead, summary="Watch state")
def get_watch(
    object_type: str, object_id: str, principal: Viewer, session: SessionDep
) -> WatchRead:
    ref = watching.check_watchable(ObjectRef(object_type, object_id))
    return _watch_state(session, principal.user.id, ref)


@router.put("/watches/{object_type}/{object_id}", response_model=WatchRead, summary="Watch")
def create_watch(
    object_type: str, object_id: str, principal: OwnWrite, session: SessionDep
) -> WatchRead:
    ref = watching.check_watchable(ObjectRef(object_type, object_id))
    watching.watch(session, principal.user.id, ref)
    return _watch_state(session, principal.user.id, ref)


@router.delete("/watches/{object_type}/{object_id}", response_model=WatchRead, summary="Unwatch")
def delete_watch(
    object_type: str, object_id: str, principal: OwnWrite, session: SessionDep
) -> WatchRead:
    ref = watching.check_watchable(ObjectRef(object_type, object_id))
    watching.unwatch(session, principal.user.id, ref)
    return _watch_state(session, principal.user.id, ref)


# --- comments ------------------------------------------------------------------------------


class CommentRead(BaseModel):
    """A comment; ``html`` is its Markdown rendered safely (no raw HTML, safe links only)."""

    id: int
    author_id: int | None
    author_name: str
    body_markdown: str
    html: str
    created_at: datetime
    edited_at: datetime | None
    revisions: int

    @classmethod
    def of(cls, view: comments.CommentView) -> CommentRead:
        return cls(
            id=view.id,
            author_id=view.author_id,
            author_name=view.author_name,
            body_markdown=view.body,
            html=str(view.html),
            created_at=view.created_at,
            edited_at=view.edited_at,
            revisions=view.revisions,
        )


class CommentList(BaseModel):
    items: list[CommentRead]


class CommentCreate(BaseModel):
    object_type: str = Field(
        description="roadmap_item, feedback_theme, launch, experiment or decision"
    )
    object_id: str
    body_markdown: str = Field(max_length=comments.MAX_COMMENT_CHARS)


class CommentUpdate(BaseModel):
    body_markdown: str = Field(max_length=comments.MAX_COMMENT_CHARS)


def _read(session: Any, ref: ObjectRef, comment_id: int) -> CommentRead:
    views = comments.list_comments(session, ref)
    return CommentRead.of(next(v for v in views if v.id == comment_id))


@router.get("/comments", response_model=CommentList, summary="Comments on an object, oldest first")
def list_comments(
    object_type: str, object_id: str, _principal: Viewer, session: SessionDep
) -> CommentList:
    ref = watching.check_watchable(ObjectRef(object_type, object_id))
    return CommentList(items=[CommentRead.of(v) for v in comments.list_comments(session, ref)])


@router.post("/comments", response_model=CommentRead, status_code=201, summary="Comment")
def create_comment(body: CommentCreate, principal: EditorWrite, session: SessionDep) -> CommentRead:
    ref = ObjectRef(body.object_type, body.object_id)
    comment = comments.add_comment(session, principal.actor, ref, body.body_markdown)
    return _read(session, ObjectRef(comment.object_type, comment.object_id), comment.id)


@router.patch("/comments/{comment_id}", response_model=CommentRead, summary="Edit a comment")
def update_comment(
    comment_id: int, body: CommentUpdate, principal: EditorWrite, session: SessionDep
) -> CommentRead:
    comment = comments.edit_comment(session, principal.actor, comment_id, body.body_markdown)
    return _read(session, ObjectRef(comment.object_type, comment.object_id), comment.id)


@router.delete("/comments/{comment_id}", status_code=204, summary="Delete a comment")
def delete_comment(comment_id: int, principal: EditorWrite, session: SessionDep) -> None:
    comments.delete_comment(session, principal.actor, comment_id)
