"""The voice-of-customer digest e-mail carries its chart inline: the week's top themes as
a PNG attached to the HTML part with the Content-ID the HTML shows, bars as long as the
counts, the spiking theme red. Read back from a real SMTP server; SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from io import BytesIO

from PIL import Image

from pilothouse.core.actor import Actor
from pilothouse.core.notifications.models import Delivery
from pilothouse.core.notifications.preferences import set_delivery
from pilothouse.core.runtime import Runtime
from pilothouse.feedback import service as feedback
from pilothouse.feedback import themes
from pilothouse.reports.subscription import VOC_KIND
from pilothouse.reports.voc_chart import CID, LABEL, ROW, SPIKE, STEADY, ThemeBar, png_themes
from pilothouse.reports.voc_digest import send_voc_digest
from pilothouse.reports.weeks import last_complete_week
from tests.support.accounts import Accounts
from tests.support.smtp import SmtpServer, smtp_server_fixture  # noqa: F401  (fixture)

CLI = Actor.command_line()


def test_the_png_bars_are_as_long_as_the_counts() -> None:
    rows = [ThemeBar("Cards", 10, 1.0, True, 0), ThemeBar("Fees", 5, 0.5, False, ROW)]
    image = Image.open(BytesIO(png_themes(rows, scale=1)))
    assert image.size == (560, 2 * ROW)
    middle = [r.y + 11 for r in rows]
    filled = [
        sum(image.getpixel((x, y)) != (255, 255, 255) for x in range(LABEL, 510)) for y in middle
    ]
    assert filled[0] == 2 * filled[1]
    assert image.getpixel((LABEL + 2, middle[0])) == SPIKE
    assert image.getpixel((LABEL + 2, middle[1])) == STEADY


def _themes(runtime: Runtime) -> None:
    week = last_complete_week(runtime.settings.timezone)
    when = datetime.combine(week.start + timedelta(days=2), time(12), UTC)
    with runtime.database.session() as session:
        for label, count in (("Card never arrives", 6), ("Fees unclear", 3)):
            ids = [
                feedback.create_feedback(
                    session,
                    CLI,
                    {"text": f"{label} ({n})", "source_name": "mail", "created_at": when},
                ).id
                for n in range(count)
            ]
            themes.move_items(session, CLI, ids, themes.create_theme(session, CLI, label=label))


def test_the_digest_mail_shows_the_top_themes_chart_inline(
    runtime: Runtime, accounts: Accounts, smtp_server: SmtpServer
) -> None:
    ann = accounts.person(email="ann@example.com")
    _themes(runtime)
    with runtime.database.session() as session:
        set_delivery(session, ann.id, VOC_KIND, Delivery.immediately)
    mail = Runtime(
        settings=runtime.settings.model_copy(update=smtp_server.settings()),
        database=runtime.database,
    )

    assert send_voc_digest(mail)["to"] == ["ann@example.com"]

    [message] = smtp_server.wait_for(1)
    html = message.get_body(("html",)).get_content()
    assert f'<img src="cid:{CID}"' in html and 'height="44"' in html  # two themes
    [png] = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert png["Content-ID"] == f"<{CID}>"
    image = Image.open(BytesIO(png.get_content()))
    assert image.size == (560 * 2, 2 * ROW * 2)
    middles = [(r * ROW + 11) * 2 for r in range(2)]
    colours = [image.getpixel((LABEL * 2 + 4, y)) for y in middles]
    assert colours == [SPIKE, STEADY]  # six items in a week after none: a spike
    lengths = [
        sum(image.getpixel((x, y)) in (SPIKE, STEADY) for x in range(image.width)) for y in middles
    ]
    assert lengths[0] == 2 * lengths[1] > 0  # 6 items against 3
