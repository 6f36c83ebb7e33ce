"""YAML validation: every problem is found, with its file, line and field.

The invalid fixtures in ``fixtures/invalid/`` end with ``# expect: LINE FIELD :: text``
comments; each file must produce exactly those problems (sqlglot-style fixture files).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pilothouse.core.errors import ValidationFailed
from pilothouse.metrics.definitions import (
    AggregateSpec,
    ErrorLevel,
    FilterOp,
    FunnelSpec,
    MetricDefinitionError,
    MetricType,
    RetentionMode,
    RetentionSpec,
    Unit,
    ValueType,
    load_catalog,
    validate_folder,
    validate_sources,
)
from tests.metrics.conftest import CATALOG_DIR, FIXTURES

INVALID = sorted((FIXTURES / "invalid").glob("*.yaml"))
EXPECT = re.compile(r"^# expect: (\d+) (\S+) :: (.+)$")

VALID = """\
metrics:
  - name: signups
    description: Sign-ups.
    owner: pm@example.com
    product_area: growth
    type: count
    event: Signed Up
"""


def expectations(path: Path) -> list[tuple[int, str, str]]:
    found = []
    for line in path.read_text().splitlines():
        match = EXPECT.match(line)
        if match:
            found.append((int(match.group(1)), match.group(2), match.group(3)))
    return found


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_file_reports_exactly_the_expected_problems(path: Path) -> None:
    report = validate_sources({path.name: path.read_text()})
    assert report.catalog is None
    expected = expectations(path)
    assert expected, f"{path.name} declares no expectation"
    remaining = list(report.problems)
    for line, field, text in expected:
        match = next(
            (p for p in remaining if p.line == line and p.field == field and text in p.message),
            None,
        )
        assert match is not None, (line, field, text, [str(p) for p in remaining])
        remaining.remove(match)
        assert match.file == path.name
    assert not remaining, [str(p) for p in remaining]


def test_fixture_catalog_is_valid_and_covers_every_metric_type() -> None:
    report = validate_folder(CATALOG_DIR)
    assert report.ok, [str(p) for p in report.problems]
    assert report.catalog is not None
    assert {m.type for m in report.catalog} == set(MetricType)


def test_problem_string_names_file_line_field_and_metric() -> None:
    report = validate_sources({"growth/a.yaml": VALID.replace("type: count", "type: cont")})
    (problem,) = report.problems
    assert str(problem) == (
        "growth/a.yaml:6: metrics[0].type: 'type' must be one of 'count', 'sum', 'average', "
        "'min', 'max', 'distinct', 'ratio', 'conversion', 'funnel', 'retention', 'rolling', "
        "'cumulative', 'formula', got 'cont'; did you mean 'count'? (metric 'signups')"
    )


def test_duplicate_names_across_files_point_at_both() -> None:
    report = validate_sources({"a.yaml": VALID, "b.yaml": "\n\n" + VALID})
    (problem,) = report.problems
    assert (problem.file, problem.line, problem.field) == ("b.yaml", 4, "metrics[0].name")
    assert "already defined at a.yaml:2" in problem.message


def test_error_levels_collect_raise_and_fail_fast() -> None:
    sources = {
        "a.yaml": VALID.replace("pm@example.com", "nobody"),
        "b.yaml": VALID.replace("signups", "other").replace("growth", "Growth"),
    }
    collected = validate_sources(sources, ErrorLevel.COLLECT)
    assert len(collected.problems) == 2
    with pytest.raises(MetricDefinitionError) as raised:
        validate_sources(sources, ErrorLevel.RAISE)
    assert len(raised.value.problems) == 2
    assert isinstance(raised.value, ValidationFailed) and raised.value.status == 422
    assert [e.field for e in raised.value.errors] == ["metrics[0].owner", "metrics[0].product_area"]
    assert raised.value.errors[0].message.startswith("a.yaml:4: ")
    with pytest.raises(MetricDefinitionError) as immediate:
        validate_sources(sources, ErrorLevel.IMMEDIATE)
    assert len(immediate.value.problems) == 1


def test_missing_folder_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    report = validate_folder(tmp_path / "absent")
    assert not report.ok and "does not exist" in report.problems[0].message
    with pytest.raises(MetricDefinitionError):
        load_catalog(tmp_path / "absent")
    with pytest.raises(ValueError, match="validate_folder"):
        load_catalog(tmp_path, ErrorLevel.COLLECT)


def test_folder_reads_nested_yaml_and_skips_hidden(tmp_path: Path) -> None:
    (tmp_path / "team").mkdir()
    (tmp_path / ".git").mkdir()
    (tmp_path / "team" / "growth.yml").write_text(VALID)
    (tmp_path / ".git" / "junk.yaml").write_text("not: [valid")
    (tmp_path / "notes.txt").write_text("ignored")
    catalog = load_catalog(tmp_path)
    assert list(catalog.metrics) == ["signups"]
    assert catalog.get("signups").location is not None
    assert str(catalog.get("signups").location) == "team/growth.yml:2"


def test_alias_bomb_is_refused() -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 8):
        refs = ",".join([f"*{chr(96 + i)}"] * 10)
        lines.append(f"{chr(97 + i)}: &{chr(97 + i)} [{refs}]")
    report = validate_sources({"bomb.yaml": "\n".join(lines)})
    assert "alias bomb" in report.problems[0].message


def test_empty_file_and_non_mapping_root() -> None:
    assert validate_sources({"empty.yaml": ""}).ok
    report = validate_sources({"list.yaml": "- 1\n- 2\n"})
    assert "must be a mapping" in report.problems[0].message


def test_typed_model_of_each_kind_of_metric(catalog) -> None:  # type: ignore[no-untyped-def]
    revenue = catalog.get("revenue_cents")
    assert revenue.certified and revenue.owner == "finance@example.com"
    assert isinstance(revenue.spec, AggregateSpec)
    assert revenue.spec.value_type is ValueType.INTEGER
    big = catalog.get("big_exports").spec.selection.filters
    assert [f.op for f in big] == [FilterOp.GT, FilterOp.NOT_IN, FilterOp.IS_SET]
    assert big[0].field.value_type is ValueType.NUMBER and big[1].value == ("pdf",)
    conversion = catalog.get("view_to_order_in_2h")
    assert isinstance(conversion.spec, FunnelSpec) and conversion.unit is Unit.ACCOUNT
    assert conversion.spec.within_seconds == 7200
    assert conversion.spec.steps[0].filters[0].value == "web"
    retention = catalog.get("day_three_plus_retention").spec
    assert isinstance(retention, RetentionSpec) and retention.mode is RetentionMode.ON_OR_AFTER
    assert catalog.get("revenue_per_buyer").references == ("revenue_cents", "buyers")
    assert catalog.get("page_views").label == "Page views"
    assert catalog.get("web_page_views").label == "Web page views"
