"""The vendored front-end assets match their manifest and fetch nothing from the network.

``scripts/refresh_assets.py`` writes ``src/pilothouse/web/static/vendor/`` and its
``manifest.json``; these tests re-verify it independently (no import of the script).

The "no remote fetch" check is lexical rather than a plain grep: URLs inside comments
(licence banners) are fine, except for ``sourceMappingURL``/``sourceURL`` directives;
URLs inside JavaScript string, template or regex literals are flagged (XML namespace
identifiers such as ``http://www.w3.org/2000/svg`` excepted, since they are never
fetched); in CSS, every string or ``url()`` value that is an absolute http(s) or
protocol-relative URL is flagged, while ``data:`` URIs (even those holding an SVG
``xmlns='http://...'``) are fine.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

STATIC_DIR = Path(__file__).resolve().parents[2] / "src" / "pilothouse" / "web" / "static"
VENDOR_DIR = STATIC_DIR / "vendor"
MANIFEST = VENDOR_DIR / "manifest.json"
UNLISTED_OK = {"manifest.json", "README.md"}
REQUIRED_KEYS = ("package", "version", "file", "dest", "sha256", "license", "integrity")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _load_manifest() -> list[dict[str, str]]:
    assert MANIFEST.is_file(), f"{MANIFEST} is missing; run scripts/refresh_assets.py"
    entries = json.loads(MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(entries, list) and entries, "manifest.json must be a non-empty list"
    return entries


# --------------------------------------------------------------------------- scanning


@dataclass
class Scan:
    comments: list[str] = field(default_factory=list)
    literals: list[str] = field(default_factory=list)


# After one of these tokens a "/" starts a regex literal, otherwise it is a division.
_REGEX_AFTER_PUNCT = set("(,=:[!&|?{};+-*%<>~^/")
_REGEX_AFTER_WORD = {
    "return",
    "typeof",
    "instanceof",
    "in",
    "of",
    "new",
    "delete",
    "void",
    "throw",
    "case",
    "do",
    "else",
    "yield",
    "await",
}
_WORD = re.compile(r"[A-Za-z0-9_$.\u0080-\uffff]+")


def _skip_js_quoted(src: str, start: int) -> int:
    """Index of the quote closing the string/template opened at ``start``."""
    quote, i, n = src[start], start + 1, len(src)
    while i < n:
        ch = src[i]
        if ch == "\\":
            i += 2
            continue
        if ch == quote:
            return i
        if quote != "`" and ch == "\n":
            break
        if quote == "`" and src.startswith("${", i):
            i = _skip_js_braces(src, i + 2)
        i += 1
    raise ValueError(f"unterminated {quote} literal at offset {start}")


def _skip_js_braces(src: str, i: int) -> int:
    """Index of the ``}`` closing a template ``${`` expression whose body starts at ``i``."""
    depth = 1
    while i < len(src):
        ch = src[i]
        if ch in "\"'`":
            i = _skip_js_quoted(src, i)
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ValueError("unterminated template expression")


def _skip_js_regex(src: str, start: int) -> int:
    """Index of the ``/`` closing the regex literal opened at ``start``."""
    i, in_class = start + 1, False
    while i < len(src):
        ch = src[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "\n":
            break
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "/":
            return i
        i += 1
    raise ValueError(f"unterminated regex literal at offset {start}")


def scan_js(src: str) -> Scan:
    """Split JavaScript into comments and literals (strings, templates, regexes)."""
    scan, i, n, prev = Scan(), 0, len(src), ""
    while i < n:
        ch = src[i]
        if ch.isspace():
            i += 1
        elif src.startswith("//", i):
            end = src.find("\n", i)
            end = n if end == -1 else end
            scan.comments.append(src[i:end])
            i = end
        elif src.startswith("/*", i):
            end = src.find("*/", i + 2)
            if end == -1:
                raise ValueError(f"unterminated comment at offset {i}")
            scan.comments.append(src[i : end + 2])
            i = end + 2
        elif ch in "\"'`" or (
            ch == "/" and (prev == "" or prev in _REGEX_AFTER_PUNCT or prev in _REGEX_AFTER_WORD)
        ):
            end = _skip_js_quoted(src, i) if ch != "/" else _skip_js_regex(src, i)
            scan.literals.append(src[i + 1 : end])
            i, prev = end + 1, "literal"
        elif match := _WORD.match(src, i):
            i, prev = match.end(), match.group()
        else:
            i, prev = i + 1, ch
    return scan


def scan_css(src: str) -> Scan:
    """Split CSS into comments and values (strings and unquoted ``url()`` arguments)."""
    scan, i, n = Scan(), 0, len(src)
    while i < n:
        ch = src[i]
        if src.startswith("/*", i):
            end = src.find("*/", i + 2)
            if end == -1:
                raise ValueError(f"unterminated comment at offset {i}")
            scan.comments.append(src[i : end + 2])
            i = end + 2
        elif ch in "\"'":
            end = i + 1
            while end < n and src[end] != ch:
                end += 2 if src[end] == "\\" else 1
            if end >= n:
                raise ValueError(f"unterminated string at offset {i}")
            scan.literals.append(src[i + 1 : end])
            i = end + 1
        elif src[i : i + 4].lower() == "url(":
            j = i + 4
            while j < n and src[j].isspace():
                j += 1
            if j < n and src[j] in "\"'":
                i = j  # quoted: the string branch takes it
                continue
            end = src.find(")", j)
            if end == -1:
                raise ValueError(f"unterminated url( at offset {i}")
            scan.literals.append(src[j:end].strip())
            i = end + 1
        else:
            i += 1
    return scan


_SOURCE_MAP = re.compile(r"[#@]\s*source(?:Mapping)?URL\s*=\s*(\S+)")
_ABSOLUTE = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*:|//)")
_HTTP_URL = re.compile(r"https?://[^\s\"'`<>()\\]+", re.IGNORECASE)
_PROTOCOL_RELATIVE = re.compile(r"^\s*//[A-Za-z0-9-]+\.[A-Za-z0-9.-]+")
# Namespace identifiers: strings that look like URLs but are never fetched.
_NAMESPACE = re.compile(
    r"^http://www\.w3\.org/(?:2000/svg|1999/xhtml|1999/xlink|1998/Math/MathML)$"
)


def _source_map_problems(comments: list[str]) -> list[str]:
    problems = []
    for comment in comments:
        for target in _SOURCE_MAP.findall(comment):
            target = target.removesuffix("*/")
            if _ABSOLUTE.match(target) and not target.lower().startswith("data:"):
                problems.append(f"source map fetched from {target}")
    return problems


def remote_references(src: str, kind: str) -> list[str]:
    """URLs in a JS or CSS source that a browser would fetch from another origin."""
    if kind == "js":
        scan = scan_js(src)
        problems = _source_map_problems(scan.comments)
        for literal in scan.literals:
            problems += [
                f"URL in a literal: {url}"
                for url in _HTTP_URL.findall(literal)
                if not _NAMESPACE.match(url)
            ]
            if _PROTOCOL_RELATIVE.match(literal):
                problems.append(f"protocol-relative URL in a literal: {literal[:80]}")
        return problems
    if kind == "css":
        scan = scan_css(src)
        problems = _source_map_problems(scan.comments)
        for value in scan.literals:
            if re.match(r"^\s*(?:https?:)?//", value, re.IGNORECASE):
                problems.append(f"remote url()/@import/string: {value[:80]}")
        return problems
    raise ValueError(kind)


# --------------------------------------------------------------------------- manifest


def test_manifest_is_well_formed() -> None:
    entries = _load_manifest()
    for entry in entries:
        missing = [key for key in REQUIRED_KEYS if not isinstance(entry.get(key), str)]
        assert not missing, f"manifest entry {entry} lacks {missing}"
        assert re.fullmatch(r"\d+\.\d+\.\d+", entry["version"]), entry  # exact pin, no range
        assert re.fullmatch(r"[0-9a-f]{64}", entry["sha256"]), entry
        assert entry["integrity"].startswith("sha512-"), entry
        assert "/" not in entry["dest"] and not entry["dest"].startswith("."), entry
    dests = [entry["dest"] for entry in entries]
    assert len(dests) == len(set(dests)), "duplicate dest in manifest.json"


def test_listed_files_exist_and_match_their_sha256() -> None:
    problems = []
    for entry in _load_manifest():
        files = [(entry["dest"], entry["sha256"])]
        if "license_file" in entry:
            files.append((entry["license_file"], entry.get("license_sha256")))
        for name, expected in files:
            path = VENDOR_DIR / name
            if not path.is_file():
                problems.append(f"{name}: missing")
            elif _sha256(path) != expected:
                problems.append(f"{name}: sha256 {_sha256(path)} != manifest {expected}")
    assert not problems, "run scripts/refresh_assets.py --check\n" + "\n".join(problems)


def test_every_vendored_file_is_listed() -> None:
    listed = {entry["dest"] for entry in _load_manifest()}
    unlisted = sorted(
        path.name
        for path in VENDOR_DIR.iterdir()
        if path.name not in listed
        and path.name not in UNLISTED_OK
        and not path.name.endswith(".LICENSE")
    )
    assert not unlisted, f"files in vendor/ not in manifest.json: {unlisted}"


def test_every_asset_ships_its_license() -> None:
    for entry in _load_manifest():
        stem = entry["dest"].split(".")[0]
        name = entry.get("license_file", f"{stem}.LICENSE")
        path = VENDOR_DIR / name
        assert path.is_file() and path.stat().st_size > 0, f"{entry['package']}: no {name}"


# --------------------------------------------------------------------------- no remote URLs


#: Swagger UI's bundle carries URLs in strings (JSON-schema ids, error-decoder links, the
#: validator we switch off with validatorUrl=null). It is loaded only by /api/v1/docs,
#: whose Content-Security-Policy (connect-src/img-src 'self') stops any of them being
#: fetched; tests/web/test_browser.py loads that page and asserts no request left the
#: machine. Remote source maps and CSS imports are still checked for it.
STRING_URLS_TOLERATED = frozenset({"swagger-ui-bundle.js"})


def _web_assets(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*") if p.suffix in {".js", ".css"})


@pytest.mark.parametrize(
    "path",
    _web_assets(VENDOR_DIR) + _web_assets(STATIC_DIR),
    ids=lambda p: str(p.relative_to(STATIC_DIR)),
)
def test_asset_fetches_nothing_remote(path: Path) -> None:
    kind = path.suffix.lstrip(".")
    problems = remote_references(path.read_text(encoding="utf-8"), kind)
    if path.name in STRING_URLS_TOLERATED:
        problems = [p for p in problems if not p.startswith("URL in a literal")]
    assert not problems, f"{path.name} would fetch from the network:\n" + "\n".join(problems)


def test_there_are_vendored_assets_to_check() -> None:
    names = {p.name for p in _web_assets(VENDOR_DIR)}
    assert {entry["dest"] for entry in _load_manifest()} <= names


@pytest.mark.parametrize(
    ("kind", "source", "flagged"),
    [
        ("js", "/*! lib v1 | https://example.com/license */var a=1;", False),
        ("js", "var a=1;\n//# sourceMappingURL=lib.min.js.map", False),
        ("js", "var a=1;\n//# sourceMappingURL=https://cdn.example.com/lib.js.map", True),
        ("js", "var a=1;\n//# sourceMappingURL=data:application/json;base64,e30=", False),
        ("js", 'var s="https://cdn.example.com/x.js";', True),
        ("js", "var s='//cdn.example.com/x.js';", True),
        ("js", 'import("https://cdn.example.com/m.js")', True),
        ("js", "x=`${y}https://cdn.example.com/${z}`", True),
        ("js", 'e=document.createElementNS("http://www.w3.org/2000/svg","svg")', False),
        ("js", "var r=/[\"'/]/g;/* see https://example.com */", False),
        ("js", 'var r=/"/g;s="https://cdn.example.com/a.js"', True),
        ("js", "a=b/2/* https://example.com */;c=d/e", False),
        ("js", 'if(x)return/^https?:\\/\\//.test(u);t="http:"', False),
        ("css", "/*! Pico | https://picocss.com */a{b:c}", False),
        ("css", "@import url(https://fonts.example.com/x.css);", True),
        ("css", '@import "https://fonts.example.com/x.css";', True),
        ("css", "a{background:url(//cdn.example.com/i.png)}", True),
        ("css", "a{background:url( 'HTTP://cdn.example.com/i.png' )}", True),
        ("css", "a{background:url(img/x.png)}", False),
        (
            "css",
            "a{--i:url(\"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'%3E\")}",
            False,
        ),
        ("css", "a{b:c}/*# sourceMappingURL=https://cdn.example.com/a.css.map */", True),
        ("css", "a{b:c}/*# sourceMappingURL=a.css.map */", False),
    ],
)
def test_remote_reference_detection(kind: str, source: str, flagged: bool) -> None:
    assert bool(remote_references(source, kind)) is flagged, remote_references(source, kind)
