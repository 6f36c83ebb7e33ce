"""The catalog: lookups with suggestions, and reloads that never drop valid metrics."""

from __future__ import annotations

from pathlib import Path

import pytest

from pilothouse.metrics.definitions import (
    Catalog,
    InvalidFilter,
    UnknownDimension,
    UnknownMetric,
    adhoc_dimension,
    filter_from_mapping,
    load_catalog,
    parse_where,
    reload_catalog,
)
from pilothouse.metrics.definitions.formula import FormulaError, parse_formula, references

SIGNUPS = """\
metrics:
  - name: signups
    description: {description}
    owner: pm@example.com
    product_area: growth
    type: count
    event: Signed Up
"""
RATIO = """\
metrics:
  - name: signup_share
    description: Sign-ups per visitor.
    owner: pm@example.com
    product_area: growth
    type: ratio
    numerator: signups
    denominator: {denominator}
  - name: visitors
    description: Visitors.
    owner: pm@example.com
    product_area: growth
    type: distinct
    include_anonymous: true
"""


def test_lookups_suggest_close_names(catalog: Catalog) -> None:
    with pytest.raises(
        UnknownMetric, match=r"unknown metric 'page_veiws'; did you mean 'page_views'\?"
    ):
        catalog.get("page_veiws")
    with pytest.raises(UnknownDimension, match="unknown dimension 'plans'; did you mean 'plan'"):
        catalog.dimension("plans")
    assert UnknownMetric.status == 404


def test_search_filters_and_dependencies(catalog: Catalog) -> None:
    certified = [m.name for m in catalog.search(certified=True)]
    assert certified == ["active_users", "page_views", "revenue_cents", "signup_to_export"]
    assert [m.name for m in catalog.search("order", product_area="revenue")][:2] == [
        "average_order_cents",
        "largest_order_cents",
    ]
    assert [m.name for m in catalog.search(owner="FINANCE@example.com", tag=None)][
        0
    ] == "average_order_cents"
    assert [m.name for m in catalog.search(tag="traffic")] == ["page_views"]
    assert catalog.dependencies("revenue_per_buyer") == ("revenue_cents", "buyers")
    assert catalog.dependencies("net_engagement") == ("page_views", "exporters", "buyers")
    assert [d.name for d in catalog.dimensions_for("activation_funnel")] == [
        "plan",
        "platform",
        "country",
    ]
    assert len(catalog.dimensions_for("page_views")) == len(catalog.dimensions)
    assert "page_views" in catalog and len(catalog) == len(list(catalog))


def test_reload_keeps_previous_version_of_an_invalid_file() -> None:
    first = reload_catalog(
        None,
        {
            "a.yaml": SIGNUPS.format(description="Old."),
            "b.yaml": RATIO.format(denominator="visitors"),
        },
    )
    assert first.complete and set(first.catalog.metrics) == {"signups", "signup_share", "visitors"}
    broken = {
        "a.yaml": SIGNUPS.format(description="New.").replace("type: count", "type: nope"),
        "b.yaml": RATIO.format(denominator="visitors"),
    }
    second = reload_catalog(first.catalog, broken)
    assert not second.complete and second.kept == ("a.yaml",)
    assert second.catalog.get("signups").description == "Old."
    assert any(p.file == "a.yaml" and p.line == 6 for p in second.problems)


def test_reload_takes_valid_edits_alongside_a_kept_file() -> None:
    first = reload_catalog(
        None,
        {
            "a.yaml": SIGNUPS.format(description="Old."),
            "b.yaml": RATIO.format(denominator="visitors"),
        },
    )
    edited = {
        "a.yaml": SIGNUPS.format(description="New."),
        "b.yaml": RATIO.format(denominator="visitors").replace(
            "owner: pm@example.com", "owner: nobody", 1
        ),
    }
    result = reload_catalog(first.catalog, edited)
    assert result.kept == ("b.yaml",)
    assert result.catalog.get("signups").description == "New."
    assert result.catalog.get("signup_share").owner == "pm@example.com"


def test_reload_keeps_everything_when_the_mix_breaks_a_reference() -> None:
    first = reload_catalog(
        None,
        {
            "a.yaml": SIGNUPS.format(description="Old."),
            "b.yaml": RATIO.format(denominator="visitors"),
        },
    )
    # Valid on its own, but the ratio now names a metric that does not exist.
    result = reload_catalog(
        first.catalog,
        {
            "a.yaml": SIGNUPS.format(description="Old."),
            "b.yaml": RATIO.format(denominator="visits"),
        },
    )
    assert result.catalog is first.catalog
    assert any("unknown metric 'visits'" in p.message for p in result.problems)


def test_reload_from_nothing_with_invalid_files_gives_an_empty_catalog() -> None:
    result = reload_catalog(None, {"a.yaml": "metrics: [oops"})
    assert len(result.catalog) == 0 and result.problems


def test_reload_from_folder_drops_deleted_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(SIGNUPS.format(description="Old."))
    (tmp_path / "b.yaml").write_text(
        RATIO.format(denominator="visitors")
        .replace("signup_share", "x")
        .replace("numerator: signups", "numerator: visitors")
    )
    first = reload_catalog(None, tmp_path)
    assert set(first.catalog.metrics) == {"signups", "x", "visitors"}
    (tmp_path / "a.yaml").unlink()
    second = reload_catalog(first.catalog, tmp_path)
    assert second.complete and set(second.catalog.metrics) == {"x", "visitors"}
    assert load_catalog(tmp_path).metrics.keys() == second.catalog.metrics.keys()
    gone = reload_catalog(second.catalog, tmp_path / "unmounted")
    assert gone.catalog is second.catalog and gone.kept == ("b.yaml",)
    assert "does not exist" in gone.problems[0].message


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os')",
        "a.b",
        "a[0]",
        "a ** 2",
        "a if b else c",
        "lambda: 1",
        "a < b",
        "'text'",
        "True + a",
        "a; b",
        "-" * 60 + "a",
        "(" * 300 + "a" + ")" * 300,
        "a" * 1001,
    ],
)
def test_formula_refuses_anything_but_arithmetic(text: str) -> None:
    with pytest.raises(FormulaError):
        parse_formula(text)


def test_formula_keeps_precedence_and_references() -> None:
    tree = parse_formula("-(a - 2 * b) + c / 100")
    assert references(tree) == ("a", "b", "c")
    assert references(parse_formula("a / a + +b")) == ("a", "b")


@pytest.mark.parametrize(
    ("text", "source", "key", "op", "value"),
    [
        ("property.platform = web", "property", "platform", "=", "web"),
        ("user.role in admin, owner", "user_trait", "role", "in", ("admin", "owner")),
        ("account.arr_cents > 100000", "account_trait", "arr_cents", ">", 100000),
        ("property.coupon is not set", "property", "coupon", "is not set", None),
        ('property.zip = "01234"', "property", "zip", "=", "01234"),
        ("property.it's != x'); DROP", "property", "it's", "!=", "x'); DROP"),
        ("account.plan not in (free)", "account_trait", "plan", "not in", ("free",)),
    ],
)
def test_parse_where(text: str, source: str, key: str, op: str, value: object) -> None:
    flt = parse_where(text)
    assert (flt.field.source.value, flt.field.key, flt.op.value, flt.value) == (
        source,
        key,
        op,
        value,
    )


@pytest.mark.parametrize(
    "text", ["plan = pro", "team.plan = pro", "property.plan like x", "property.plan in"]
)
def test_parse_where_refuses_unclear_filters(text: str) -> None:
    with pytest.raises(InvalidFilter):
        parse_where(text)


def test_filter_from_mapping_and_adhoc_dimension() -> None:
    assert filter_from_mapping({"user_trait": "role", "value": "admin"}).op.value == "="
    with pytest.raises(InvalidFilter, match="op"):
        filter_from_mapping({"property": "a", "op": "between", "value": 1})
    dimension = adhoc_dimension("account.Billing Country")
    assert dimension.name == "account_billing_country" and dimension.field.key == "Billing Country"
    with pytest.raises(InvalidFilter):
        adhoc_dimension("plan")
