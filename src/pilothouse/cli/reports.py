"""``pilothouse reports ...``: built-in reports printed at the shell."""

from __future__ import annotations

import enum
import json
from typing import Annotated

import typer

from pilothouse.cli.common import cli_errors, open_runtime

__all__ = ["app"]

app = typer.Typer(help="Reports: the weekly product review.", no_args_is_help=True)


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
