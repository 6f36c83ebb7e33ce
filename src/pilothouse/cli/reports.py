"""``pilothouse reports ...``: built-in reports printed at the shell."""

from __future__ import annotations

import enum
import json
from typing import Annotated

import typer

from pilothouse.cli.common import cli_errors, open_runtime

__all__ = ["app"]

app = typer.Typer(
    help="Reports: the weekly product review and the leadership digest.", no_args_is_help=True
)


class ReviewFormat(enum.StrEnum):
    markdown = "markdown"
    html = "html"
    json = "json"


@app.command("weekly-review")
@cli_errors
def weekly_review_command(
    week: Annotated[
        str | None,
        typer.Option("--week", help="ISO week such as 2026-W48 (default: last complete week)."),
    ] = None,
    fmt: Annotated[
        ReviewFormat, typer.Option("--format", help="markdown, html (the e-mail's) or json.")
    ] = ReviewFormat.markdown,
) -> None:
    """Print the weekly product review of one week."""
    from pilothouse.reports.render import to_email_html, to_markdown
    from pilothouse.reports.review import assemble, to_dict
    from pilothouse.reports.weeks import parse_week

    with open_runtime() as runtime, runtime.database.session() as session:
        review = assemble(runtime, session, parse_week(week, runtime.settings.timezone))
    base = runtime.settings.effective_public_url
    if fmt is ReviewFormat.json:
        typer.echo(json.dumps(to_dict(review), indent=2))
    elif fmt is ReviewFormat.html:
        typer.echo(to_email_html(review, base))
    else:
        typer.echo(to_markdown(review, base), nl=False)


@app.command("leadership-digest")
@cli_errors
def leadership_digest_command(
    week: Annotated[
        str | None,
        typer.Option("--week", help="ISO week such as 2026-W48 (default: last complete week)."),
    ] = None,
    fmt: Annotated[
        ReviewFormat, typer.Option("--format", help="markdown, html (the e-mail's) or json.")
    ] = ReviewFormat.markdown,
) -> None:
    """Print the leadership digest of one week: objectives and key results, roadmap
    changes, launches."""
    from pilothouse.reports.leadership import assemble_digest, digest_to_dict
    from pilothouse.reports.leadership_render import digest_to_email_html, digest_to_markdown
    from pilothouse.reports.weeks import parse_week

    with open_runtime() as runtime, runtime.database.session() as session:
        digest = assemble_digest(runtime, session, parse_week(week, runtime.settings.timezone))
    base = runtime.settings.effective_public_url
    if fmt is ReviewFormat.json:
        typer.echo(json.dumps(digest_to_dict(digest), indent=2))
    elif fmt is ReviewFormat.html:
        typer.echo(digest_to_email_html(digest, base))
    else:
        typer.echo(digest_to_markdown(digest, base), nl=False)
