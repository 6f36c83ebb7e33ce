"""Page templates are compiled once per process unless reloading is asked for."""

from __future__ import annotations

import os
from pathlib import Path

from starlette.requests import Request

from pilothouse.core.config import Settings
from pilothouse.web.templating import make_templates


def _page(directory: Path, reload_templates: bool) -> list[str]:
    """What a template renders before and after its file is rewritten."""
    template = directory / "greeting.html"
    template.write_text("<p>{{ name }}, before</p>")
    templates = make_templates([directory], reload_templates=reload_templates)
    request = Request({"type": "http", "method": "GET", "path": "/", "headers": []})
    first = templates.get_template("greeting.html").render(name="<Ada>", request=request)
    template.write_text("<p>{{ name }}, after</p>")
    later = os.stat(template).st_mtime + 5  # a later modification time, whatever the clock
    os.utime(template, (later, later))
    second = templates.get_template("greeting.html").render(name="<Ada>", request=request)
    return [first, second]


def test_a_template_is_read_once_by_default(tmp_path: Path) -> None:
    assert _page(tmp_path, reload_templates=False) == [
        "<p>&lt;Ada&gt;, before</p>",
        "<p>&lt;Ada&gt;, before</p>",
    ]


def test_reloading_templates_reads_a_changed_file_again(tmp_path: Path) -> None:
    assert _page(tmp_path, reload_templates=True) == [
        "<p>&lt;Ada&gt;, before</p>",
        "<p>&lt;Ada&gt;, after</p>",
    ]


def test_the_setting_is_off_unless_asked_for(monkeypatch) -> None:
    monkeypatch.delenv("PILOTHOUSE_RELOAD_TEMPLATES", raising=False)
    assert Settings().reload_templates is False
    monkeypatch.setenv("PILOTHOUSE_RELOAD_TEMPLATES", "true")
    assert Settings().reload_templates is True
