"""The launch calendar's month range: previous/next stop a year beyond the first and last
due dates (and today), a month typed beyond shows the nearest month inside, and the seven
day columns share the width. Over HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import date

from fastapi.testclient import TestClient

from pilothouse.core.runtime import Runtime
from pilothouse.launches.calendar import MARGIN_MONTHS, browse_range
from pilothouse.launches.common import workspace_today
from tests.launches.helpers import Crew
from tests.support.accounts import Accounts, sign_in


def _month(today: date, shift: int) -> str:
    index = today.year * 12 + today.month - 1 + shift
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _nav(page: str, which: str) -> str:
    found = re.search(rf'<(a|span)[^>]*data-testid="calendar-{which}"[^>]*>', page)
    assert found, page
    return found.group(0)


def test_previous_and_next_stop_a_year_beyond_the_launches(
    client: TestClient, accounts: Accounts, runtime: Runtime
) -> None:
    today = workspace_today(runtime.settings.timezone)
    crew = Crew(client, accounts)
    crew.template()
    ga = date(today.year + 2, 6, 15)  # stage one ends 14 days before GA, in June too
    crew.launch(target_date=ga.isoformat(), name="Far launch")
    sign_in(client, crew.viewer_person)

    last = f"{ga.year + 1:04d}-06"  # twelve months after the latest due date
    at_end = client.get("/launches/calendar", params={"month": last}).text
    assert 'aria-disabled="true"' in _nav(at_end, "next")
    assert "month=" + f"{ga.year + 1:04d}-05" in _nav(at_end, "previous")

    first = _month(today, -MARGIN_MONTHS)  # today is earlier than every due date
    at_start = client.get("/launches/calendar", params={"month": first}).text
    assert 'aria-disabled="true"' in _nav(at_start, "previous")
    assert f"month={_month(today, -MARGIN_MONTHS + 1)}" in _nav(at_start, "next")
    assert 'data-testid="calendar-clamped"' not in at_start

    beyond = client.get("/launches/calendar", params={"month": f"{ga.year + 9}-01"})
    assert beyond.status_code == 200
    assert 'data-testid="calendar-clamped"' in beyond.text
    assert f'value="{last}"' in beyond.text and 'aria-disabled="true"' in _nav(beyond.text, "next")
    assert f'min="{first}"' in beyond.text and f'max="{last}"' in beyond.text

    june = client.get("/launches/calendar", params={"month": f"{ga.year}-06"}).text
    assert "Far launch: GA" in june and 'class="calendar-grid"' in june
    assert june.count('<th scope="col">') == 7


def test_an_empty_calendar_spans_a_year_either_side_of_today(runtime: Runtime) -> None:
    today = date(2026, 12, 6)
    with runtime.database.session() as session:
        assert browse_range(session, today) == (date(2025, 12, 1), date(2027, 12, 1))
