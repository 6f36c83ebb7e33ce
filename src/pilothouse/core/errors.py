"""The one error hierarchy that services raise and the web layer renders.

::

    PilothouseError (500)
    ├── BadRequest (400)
    │   └── ValidationFailed (422)   per-field problems
    ├── Unauthorized (401)
    ├── Forbidden (403)
    ├── NotFound (404)
    ├── Conflict (409)
    ├── PayloadTooLarge (413)
    └── TooManyRequests (429)

Services never raise HTTP exceptions; the web layer turns these into RFC 9457
``application/problem+json`` bodies for the API and into error pages for the UI.

A refusal can be a fact worth keeping (a launch gate that refused to open is in
the audit log). Services never commit to keep it: they pass ``record``, a
function that writes the record, and :meth:`pilothouse.core.db.Database.session`
calls it in a transaction of its own after the failed one has rolled back. The
failed request's other changes are gone, the record stays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = [
    "BadRequest",
    "Conflict",
    "FieldError",
    "Forbidden",
    "NotFound",
    "PayloadTooLarge",
    "PilothouseError",
    "TooManyRequests",
    "Unauthorized",
    "ValidationFailed",
]


@dataclass(frozen=True)
class FieldError:
    """One problem with one input field; ``field`` is a dotted path such as ``owner.email``."""

    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "message": self.message}


class PilothouseError(Exception):
    """Base of every error a service raises on purpose."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal error"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[FieldError] | None = None,
        record: Callable[[Session], None] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        #: Writes what must be kept although the work failed (see the module docstring).
        #: It runs after the rollback, when ORM objects of the failed work are expired:
        #: it should capture plain values, not those objects.
        self.record = record


class BadRequest(PilothouseError):
    status = 400
    code = "bad-request"
    title = "Bad request"


class ValidationFailed(BadRequest):
    status = 422
    code = "validation-error"
    title = "Invalid input"


class Unauthorized(PilothouseError):
    status = 401
    code = "unauthorized"
    title = "Authentication required"


class Forbidden(PilothouseError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


class NotFound(PilothouseError):
    status = 404
    code = "not-found"
    title = "Not found"


class Conflict(PilothouseError):
    status = 409
    code = "conflict"
    title = "Conflict"


class PayloadTooLarge(PilothouseError):
    status = 413
    code = "payload-too-large"
    title = "Request body too large"


class TooManyRequests(PilothouseError):
    status = 429
    code = "too-many-requests"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after_seconds: int) -> None:
        super().__init__(detail)
        self.retry_after_seconds = retry_after_seconds
