"""The tracking-call limit counts only the last minute, whether or not old rows are gone.

Admitting a call is one conditional insert; rows that left the window are deleted only
now and then (issue 14.3), so these tests leave old rows in place and check that they
never count, and that the tidy-up still happens.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from pilothouse.core import ratelimit
from pilothouse.core.db import utcnow
from pilothouse.core.errors import TooManyRequests
from pilothouse.core.models import LoginAttempt
from pilothouse.core.runtime import Runtime


def _old_rows(runtime: Runtime, subject: str, count: int) -> None:
    with runtime.database.session() as session:
        for _ in range(count):
            at = utcnow() - timedelta(minutes=2)
            session.add(
                LoginAttempt(email=subject, client_address="-", succeeded=True, attempted_at=at)
            )


def _rows(runtime: Runtime, subject: str) -> int:
    with runtime.database.session(reading=True) as session:
        query = select(func.count()).where(LoginAttempt.email == subject)
        return int(session.scalar(query) or 0)


@pytest.fixture
def limited(runtime: Runtime) -> Runtime:
    update = {"ingest_max_requests_per_minute": 3, "api_token_max_failures_per_ip": 2}
    runtime.settings = runtime.settings.model_copy(update=update)
    return runtime


def test_rows_older_than_a_minute_never_count(limited: Runtime) -> None:
    digest = uuid.uuid4().hex
    subject = ratelimit.INGEST_PREFIX + digest[:32]
    _old_rows(limited, subject, 5)
    for _ in range(3):
        ratelimit.admit_ingest_call(limited, digest, "10.0.0.1")
    assert _rows(limited, subject) == 3  # the first call of this process tidied up
    with pytest.raises(TooManyRequests) as refused:
        ratelimit.admit_ingest_call(limited, digest, "10.0.0.1")
    assert 0 < refused.value.retry_after_seconds <= 61
    assert _rows(limited, subject) == 3  # a refused call is not counted


def test_old_rows_are_deleted_at_most_once_a_minute(limited: Runtime) -> None:
    digest = uuid.uuid4().hex
    subject = ratelimit.INGEST_PREFIX + digest[:32]
    ratelimit.admit_ingest_call(limited, digest, "10.0.0.2")
    _old_rows(limited, subject, 4)
    ratelimit.admit_ingest_call(limited, digest, "10.0.0.2")
    assert _rows(limited, subject) == 6  # kept until the next tidy-up, but not counted
    ratelimit.admit_ingest_call(limited, digest, "10.0.0.2")
    with pytest.raises(TooManyRequests):
        ratelimit.admit_ingest_call(limited, digest, "10.0.0.2")


def test_bad_keys_from_the_address_are_refused_first(limited: Runtime) -> None:
    digest, address = uuid.uuid4().hex, f"10.1.{uuid.uuid4().int % 250}.9"
    with limited.database.session() as session:
        for _ in range(2):
            ratelimit.token_failure_record(address)(session)
    with pytest.raises(TooManyRequests) as refused:
        ratelimit.admit_ingest_call(limited, digest, address)
    assert "invalid API token or write key" in refused.value.detail
    assert _rows(limited, ratelimit.INGEST_PREFIX + digest[:32]) == 0
    ratelimit.admit_ingest_call(limited, digest, "10.0.0.3")  # another address is admitted
