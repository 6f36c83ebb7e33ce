"""The JSON interface and the ``pilothouse stats analyze`` command."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from scipy import stats as sps
from typer.testing import CliRunner

from pilothouse.cli.stats import app
from pilothouse.experiments.stats import RequestError, analyze_json, analyze_request

CONTROL = {"name": "control", "users": 1000, "main_sum": 5000, "main_sum_squares": 40000}
TREATMENT = {"name": "treatment", "users": 1010, "main_sum": 5300, "main_sum_squares": 43000}


def _request(**settings: Any) -> dict[str, Any]:
    return copy.deepcopy(_literal_request(settings))


def _literal_request(settings: dict[str, Any]) -> dict[str, Any]:
    return {
        "settings": {"engine": "frequentist", "difference": "absolute", "alpha": 0.05, **settings},
        "metrics": [
            {"name": "revenue", "kind": "mean", "variations": [CONTROL, TREATMENT]},
            {
                "name": "signup",
                "kind": "proportion",
                "test": "greater",
                "variations": [
                    {"name": "control", "users": 1000, "main_sum": 100},
                    {"name": "treatment", "users": 1010, "main_sum": 125},
                ],
            },
        ],
    }


def test_frequentist_output_shape_and_values():
    output = analyze_request(_request(weights=[0.5, 0.5]))
    revenue, signup = output["metrics"]
    assert set(revenue) == {"name", "srm_p_value", "error", "message", "variations"}
    baseline, variation = revenue["variations"]
    assert baseline == {"name": "control", "users": 1000, "mean": 5}
    assert set(variation) == {"name", "users", "mean", "effect", "ci", "p_value", "error"}
    assert variation["effect"] == pytest.approx(5300 / 1010 - 5)
    assert revenue["srm_p_value"] == pytest.approx(sps.chisquare([1000, 1010]).pvalue, rel=1e-9)
    assert signup["variations"][1]["ci"][1] == "inf"
    assert isinstance(signup["variations"][1]["ci"][0], float)
    json.dumps(output, allow_nan=False)


def test_less_test_writes_minus_infinity():
    request = _request()
    request["metrics"][1]["test"] = "less"
    assert analyze_request(request)["metrics"][1]["variations"][1]["ci"][0] == "-inf"


def test_bayesian_output_shape():
    output = analyze_request(_request(engine="bayesian", prior={"mean": 0, "stddev": 0.2}))
    variation = output["metrics"][0]["variations"][1]
    assert set(variation) == {
        "name",
        "users",
        "mean",
        "effect",
        "ci",
        "chance_to_win",
        "risk",
        "error",
    }
    assert set(variation["risk"]) == {"control", "treatment"}
    assert 0 <= variation["chance_to_win"] <= 1


def test_correction_adds_adjusted_p_values():
    output = analyze_request(_request(correction="holm-bonferroni"))
    for metric in output["metrics"]:
        variation = metric["variations"][1]
        assert variation["adjusted_p_value"] >= variation["p_value"]


BAD_METRICS = [
    (
        lambda m: m["variations"][1].update(main_sum="lots"),
        "variation 'treatment': field 'main_sum'",
    ),
    (
        lambda m: m["variations"][0].pop("main_sum_squares"),
        "variation 'control': missing field 'main_sum_squares'",
    ),
    (
        lambda m: m["variations"][0].update(users=-5),
        "variation 'control': field 'users' must not be negative",
    ),
    (
        lambda m: m["variations"][0].update(main_summ=3),
        "variation 'control': unknown field 'main_summ'",
    ),
    (lambda m: m.update(kind="median"), "'kind' must be one of"),
    (lambda m: m.update(kind="quantile"), "'quantile_level'"),
    (lambda m: m.update(cuped="yes"), "'cuped' must be true or false"),
    (lambda m: m.update(variations=m["variations"][:1]), "at least one variation"),
    (lambda m: m["variations"][1].update(name="control"), "variation names must be unique"),
    (lambda m: m["variations"][1].pop("name"), "variations[1]: 'name'"),
    (lambda m: m.update(test="sideways"), "'test' must be one of"),
]


@pytest.mark.parametrize(("break_it", "message"), BAD_METRICS)
def test_a_malformed_metric_is_reported_and_the_others_computed(break_it, message):
    request = _request()
    break_it(request["metrics"][0])
    revenue, signup = analyze_request(request)["metrics"]
    assert revenue["error"] == "INVALID_INPUT"
    assert revenue["message"].startswith("metric 'revenue'")
    assert message in revenue["message"]
    assert revenue["variations"] == []
    assert signup["error"] is None and signup["variations"][1]["p_value"] is not None


def test_a_metric_that_is_not_an_object_is_reported_by_position():
    request = _request()
    request["metrics"].insert(0, "revenue")
    output = analyze_request(request)["metrics"]
    assert output[0]["name"] == "metrics[0]" and "must be an object" in output[0]["message"]
    assert output[1]["error"] is None


def test_proportion_above_its_units_is_rejected():
    request = _request()
    request["metrics"][1]["variations"][0]["main_sum"] = 2000
    signup = analyze_request(request)["metrics"][1]
    assert "between 0 and the units" in signup["message"]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"alpha": "0.05"}, "'alpha' must be a number"),
        ({"alpha": 0.9}, "alpha must be in (0, 0.5)"),
        ({"engine": "magic"}, "'engine' must be one of"),
        ({"alhpa": 0.05}, "unknown key 'alhpa'"),
        ({"prior": {"mean": 0, "sd": 1}}, '"prior" must be null'),
        ({"weights": [0.5, "half"]}, '"weights" must be null or a list of numbers'),
        ({"sequential": "no"}, "'sequential' must be true or false"),
        ({"correction": "bonferroni"}, '"correction" must be null'),
    ],
)
def test_bad_settings_fail_the_request_with_a_named_setting(settings, message):
    request = _request()
    request["settings"].update(settings)
    with pytest.raises(RequestError) as error:
        analyze_request(request)
    assert message in str(error.value)
    assert str(error.value).startswith("settings")


def test_invalid_json_names_line_and_column():
    with pytest.raises(RequestError, match="invalid JSON at line 2, column 1"):
        analyze_json('{"settings": {},\n}')


def test_document_shape_errors():
    with pytest.raises(RequestError, match="must be a JSON object"):
        analyze_request([1, 2])
    with pytest.raises(RequestError, match='"metrics" must be a list'):
        analyze_request({"settings": {}})


def test_dimensions_in_json():
    request = _request()
    metric = request["metrics"][0]
    slices = []
    for index, value in enumerate(["US", "UK", "DE"]):
        scaled = [dict(v, users=v["users"] // (index + 1)) for v in (CONTROL, TREATMENT)]
        slices.append({"value": value, "variations": copy.deepcopy(scaled)})
    metric["dimensions"] = slices
    request["settings"]["max_dimensions"] = 2
    output = analyze_request(request)["metrics"][0]
    assert [d["value"] for d in output["dimensions"]] == ["US", "UK", "(other)"]
    assert output["dimensions"][2]["variations"][0]["users"] == 333


def test_cli_reads_a_file_and_stdin(tmp_path: Path):
    path = tmp_path / "analysis.json"
    path.write_text(json.dumps(_request()), encoding="utf-8")
    runner = CliRunner()
    from_file = runner.invoke(app, ["analyze", str(path)])
    from_stdin = runner.invoke(app, ["analyze", "-"], input=path.read_text(encoding="utf-8"))
    assert from_file.exit_code == 0 and from_stdin.exit_code == 0
    assert (
        json.loads(from_file.stdout) == json.loads(from_stdin.stdout) == analyze_request(_request())
    )


def test_cli_reports_a_malformed_file_on_stderr(tmp_path: Path):
    runner = CliRunner()
    result = runner.invoke(app, ["analyze", "-"], input="{not json")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: invalid JSON at line 1")
    assert result.stdout == ""
    missing = runner.invoke(app, ["analyze", str(tmp_path / "nope.json")])
    assert missing.exit_code == 1 and "no such file" in missing.stderr
