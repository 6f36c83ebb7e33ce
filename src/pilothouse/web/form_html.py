"""Put typed values and error messages back into a rendered form (pure: HTML in, HTML out).

:mod:`pilothouse.web.forms` renders the form page again after a refused post; this
module edits that HTML so the person sees what they typed, each error beside its
field and a summary at the top of the form. It works on the page's own markup (no
template changes), so every form of every domain gets the same behaviour.

A field whose name differs from the service's field (``customer_email`` posted, the
error names ``author_email``) says so with ``data-error-for="author_email"``.

The parser is the standard library's :class:`html.parser.HTMLParser`, used only to
*locate* tags: edits are spliced into the original text by offset, so everything
outside the edited tags stays byte for byte as the template produced it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

from markupsafe import escape as _markup_escape

__all__ = ["FieldProblem", "patch_form"]


def escape(text: str) -> str:
    """HTML-escaped exactly as the templates escape (Jinja's ``&#39;`` for quotes)."""
    return str(_markup_escape(text))


#: Inputs whose value is never put back: secrets, files and fixed controls.
_SKIPPED_TYPES = frozenset({"hidden", "password", "file", "submit", "button", "image", "reset"})
_FIELD_TAGS = frozenset({"input", "select", "textarea"})


@dataclass(frozen=True)
class FieldProblem:
    """One error message for the input called ``field`` (a dotted service path works too)."""

    field: str
    message: str


@dataclass
class _Field:
    tag: str
    name: str
    attrs: list[tuple[str, str | None]]
    start: int
    end: int  # end of the start tag
    close: int | None = None  # end of the whole element (select, textarea)
    content_end: int = 0  # start of the end tag (select, textarea)
    options: list[_Option] = field(default_factory=list)
    label: str = ""


@dataclass
class _Option:
    attrs: list[tuple[str, str | None]]
    start: int
    end: int
    text: str = ""


def _attr(attrs: Sequence[tuple[str, str | None]], name: str) -> str | None:
    for key, value in attrs:
        if key == name:
            return value if value is not None else ""
    return None


def _with(attrs: list[tuple[str, str | None]], name: str, value: str | None) -> list:
    """``attrs`` with ``name`` set to ``value`` (``None`` removes it; ``""`` is a bare flag)."""
    kept = [(k, v) for k, v in attrs if k != name]
    return kept if value is None else [*kept, (name, value)]


def _tag(tag: str, attrs: Sequence[tuple[str, str | None]]) -> str:
    parts = [tag] + [
        k if v is None or v == "" and k in _FLAGS else f'{k}="{escape(v)}"' for k, v in attrs
    ]
    return "<" + " ".join(parts) + ">"


_FLAGS = frozenset({"checked", "selected", "required", "disabled", "multiple", "open", "readonly"})


class _Locator(HTMLParser):
    """Finds the target form, its fields and the ``<details>`` around it, by offset."""

    def __init__(self, text: str, action_path: str) -> None:
        super().__init__(convert_charrefs=True)
        self.text = text
        self.action_path = action_path
        self._lines = [0]
        newline = text.find("\n")
        while newline != -1:
            self._lines.append(newline + 1)
            newline = text.find("\n", newline + 1)
        self.form: tuple[int, int, list] | None = None
        self.form_done = False
        self.fields: list[_Field] = []
        self.details: list[tuple[int, int, list]] = []
        self.open_details: list[tuple[int, int, list]] = []
        self._in_form = False
        self._open: _Field | None = None
        self._option: _Option | None = None
        self._label: str | None = None
        self._label_for: str | None = None
        #: Text of ``<label for="id">`` elements by the id they name.
        self.labels_for: dict[str, str] = {}

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._lines[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        start = self._offset()
        raw = self.get_starttag_text() or ""
        end = start + len(raw)
        if tag == "details" and not self.form_done:
            self.details.append((start, end, attrs))
        elif tag == "form" and self.form is None and self._is_target(attrs):
            self.form = (start, end, attrs)
            self._in_form = True
            self.open_details = [d for d in self.details if _attr(d[2], "open") is None]
        elif self._in_form and tag == "label":
            self._label = ""
            self._label_for = _attr(attrs, "for")
        elif self._in_form and tag in _FIELD_TAGS:
            self._field(tag, attrs, start, end)
        elif self._in_form and tag == "option" and self._open is not None:
            self._option = _Option(attrs, start, end)
            self._open.options.append(self._option)

    def _is_target(self, attrs: list[tuple[str, str | None]]) -> bool:
        method = (_attr(attrs, "method") or "get").lower()
        action = urlsplit(_attr(attrs, "action") or "").path
        return method == "post" and action == self.action_path

    def _field(self, tag: str, attrs: list, start: int, end: int) -> None:
        name = _attr(attrs, "name")
        found = _Field(tag, name or "", attrs, start, end, label=(self._label or "").strip())
        if name:
            self.fields.append(found)
        if tag in ("select", "textarea"):
            self._open = found

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option.text += data
        elif self._label is not None and self._open is None:
            self._label += data

    def handle_endtag(self, tag: str) -> None:
        start = self._offset()
        if tag == "details" and not self.form_done and self.details:
            self.details.pop()
        if not self._in_form:
            return
        close = self.text.find(">", start) + 1
        if tag == "label":
            if self._label_for:
                self.labels_for[self._label_for] = (self._label or "").strip()
            self._label, self._label_for = None, None
        elif tag == "form":
            self._in_form = False
            self.form_done = True
        elif tag in ("select", "textarea") and self._open is not None:
            self._open.close = close
            self._open.content_end = start
            self._open = None
        elif tag == "option":
            self._option = None


def _matches(problem_field: str, name: str) -> bool:
    """Service paths (``owner_id``, ``fields.team``) against form names (``owner``)."""
    if not name:
        return False
    parts = problem_field.split(".")
    wanted = {problem_field, parts[-1]}
    if len(parts) == 2 and parts[1].isdigit():  # ``objectives.0``: the list field itself
        wanted.add(parts[0])
    wanted |= {w.removesuffix("_id") for w in wanted} | {w + "_id" for w in wanted}
    wanted |= {w.replace("-", "_") for w in wanted} | {w.replace(".", ":") for w in wanted}
    candidates = {name, name.removesuffix("[]"), name.replace("-", "_")}
    return bool(wanted & candidates)


class _Edits:
    def __init__(self) -> None:
        self.items: list[tuple[int, int, str]] = []

    def replace(self, start: int, end: int, text: str) -> None:
        self.items.append((start, end, text))

    def apply(self, text: str) -> str:
        for start, end, new in sorted(self.items, key=lambda e: (e[0], e[1]), reverse=True):
            text = text[:start] + new + text[end:]
        return text


def _field_id(item: _Field, index: int) -> str:
    return (
        _attr(item.attrs, "id") or f"field-{item.name.replace(':', '-').replace('.', '-')}-{index}"
    )


def _refill(item: _Field, values: Sequence[str], edits: _Edits) -> list:
    """The field's new start-tag attributes; options and textarea text go to ``edits``."""
    attrs = list(item.attrs)
    kind = (_attr(attrs, "type") or "text").lower()
    if item.tag == "input" and kind in ("checkbox", "radio"):
        value = _attr(attrs, "value") or "on"
        return _with(attrs, "checked", "" if value in values else None)
    if item.tag == "input":
        return _with(attrs, "value", values[-1] if values else "")
    if item.tag == "textarea" and item.close is not None:
        edits.replace(item.end, item.content_end, escape(values[-1] if values else ""))
    if item.tag == "select":
        for option in item.options:
            value = _attr(option.attrs, "value")
            chosen = (value if value is not None else option.text.strip()) in values
            edits.replace(
                option.start,
                option.end,
                _tag("option", _with(option.attrs, "selected", "" if chosen else None)),
            )
    return attrs


def _summary(detail: str, linked: list[tuple[str, str, str]], loose: list[FieldProblem]) -> str:
    rows = [
        f'<li><a href="#{escape(fid)}">{escape(label)}: {escape(msg)}</a></li>'
        for fid, label, msg in linked
    ]
    rows += [
        f"<li>{escape(p.field)}: {escape(p.message)}</li>"
        for p in loose
        if p.field not in ("", "body")
    ]
    listing = f"<ul>{''.join(rows)}</ul>" if rows else ""
    return (
        '<div class="form-errors" role="alert" id="form-errors" tabindex="-1"'
        f' data-testid="form-errors"><p><strong>Not saved.</strong> {escape(detail)}</p>'
        f"{listing}</div>"
    )


def _label(item: _Field) -> str:
    """What the person reads next to the field: its label text, else a readable name."""
    text = item.label or _attr(item.attrs, "aria-label") or item.name.replace("_", " ")
    return text[:1].upper() + text[1:]


def patch_form(
    page: str,
    action_path: str,
    values: Mapping[str, Sequence[str]],
    problems: Sequence[FieldProblem],
    detail: str,
) -> str | None:
    """``page`` with the post form for ``action_path`` refilled and annotated.

    None when the page has no such form, or the form has nothing to type in (a button
    with hidden values: the caller then redirects back with the reason as a message).

    Args:
        page: the HTML of the page that shows the form.
        action_path: the path the refused form posted to.
        values: the posted values by field name (several for multi-selects and checkboxes).
        problems: the errors, by field; errors naming no field of the form go in the summary.
        detail: the one-line reason shown at the top of the form.
    """
    found = _Locator(page, action_path)
    found.feed(page)
    found.close()
    if found.form is None or not any(_typed(item) for item in found.fields):
        return None  # a button-only form (advance, delete): nothing typed to keep
    for item in found.fields:
        item.label = item.label or found.labels_for.get(_attr(item.attrs, "id") or "", "")
    edits = _Edits()
    linked, used = _patch_fields(found.fields, values, problems, edits)
    _start, end, _attrs = found.form
    edits.replace(end, end, _summary(detail, linked, [p for p in problems if p not in used]))
    for d_start, d_end, d_attrs in found.open_details:
        edits.replace(d_start, d_end, _tag("details", _with(d_attrs, "open", "")))
    return edits.apply(page)


def _patch_fields(
    fields: Sequence[_Field],
    values: Mapping[str, Sequence[str]],
    problems: Sequence[FieldProblem],
    edits: _Edits,
) -> tuple[list[tuple[str, str, str]], set[FieldProblem]]:
    """Refill every field and mark the ones with errors; → (summary entries, errors used)."""
    linked: list[tuple[str, str, str]] = []
    used: set[FieldProblem] = set()
    for index, item in enumerate(fields):
        kind = (_attr(item.attrs, "type") or "text").lower()
        attrs = item.attrs
        if not (item.tag == "input" and kind in _SKIPPED_TYPES):
            attrs = _refill(item, values.get(item.name, ()), edits)
        aliases = (_attr(item.attrs, "data-error-for") or "").split()
        mine = [
            p
            for p in problems
            if p not in used and (p.field in aliases or _matches(p.field, item.name))
        ]
        if mine:
            used.update(mine)
            attrs = _annotate(item, _field_id(item, index), mine, attrs, edits, linked)
        edits.replace(item.start, item.end, _tag(item.tag, attrs))
    return linked, used


def _typed(item: _Field) -> bool:
    """A field a person fills in (not a hidden value or a button)."""
    kind = (_attr(item.attrs, "type") or "text").lower()
    return not (item.tag == "input" and kind in _SKIPPED_TYPES - {"password", "file"})


def _annotate(
    item: _Field,
    fid: str,
    mine: Sequence[FieldProblem],
    attrs: list,
    edits: _Edits,
    linked: list[tuple[str, str, str]],
) -> list:
    """Mark the field invalid, put the message right after it, list it for the summary."""
    message = "; ".join(p.message for p in mine)
    attrs = _with(_with(attrs, "id", fid), "aria-invalid", "true")
    hints = (_attr(attrs, "aria-describedby") or "").split()
    attrs = _with(attrs, "aria-describedby", " ".join([f"{fid}-error", *hints]))
    after = item.close if item.close is not None else item.end
    note = (
        f'<small class="field-error" id="{escape(fid)}-error" data-testid="field-error">'
        f"{escape(message)}</small>"
    )
    edits.replace(after, after, note)
    linked.append((fid, _label(item), message))
    return attrs
