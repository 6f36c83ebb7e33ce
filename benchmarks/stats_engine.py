"""Benchmark: 1,000 metrics x 2 variations from sufficient statistics, against gbstats.

Run from the repository root::

    .venv/bin/python benchmarks/stats_engine.py

It builds seeded sufficient statistics for 1,000 mean metrics (with a pre-period
covariate), times Pilothouse's stats engine in four modes (frequentist, CUPED,
sequential, Bayesian) through its three entry points, then runs GrowthBook's
``gbstats`` (from PyPI, in the benchmark-only virtual environment ``.benchvenv``,
created on first use) on the same inputs in a subprocess, prints the speed ratio
measured in this run, and cross-checks the numbers of both engines.

It then compares whole processes, start-up included, as a user meets them:
``pilothouse stats analyze request.json`` against a ``.benchvenv`` Python that
imports gbstats and runs ``process_single_metric`` on the same 1,000 metrics
(frequentist), each the best of ``--process-runs`` fresh processes, with the
wall-clock and the CPU-time ratio (CPU time is what a loaded machine disturbs
least).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from pilothouse.experiments.stats import (
    AnalysisConfig,
    MetricData,
    MetricSpec,
    SufficientStatistics,
    analyze,
    analyze_block,
    analyze_request,
)

ROOT = Path(__file__).resolve().parents[1]
BENCH_VENV = ROOT / ".benchvenv"
FIELDS = (
    "users",
    "count",
    "main_sum",
    "main_sum_squares",
    "covariate_sum",
    "covariate_sum_squares",
    "main_covariate_sum_product",
)
Inputs = list[list[dict[str, float]]]
MODES: dict[str, tuple[AnalysisConfig, bool]] = {
    "frequentist": (AnalysisConfig(), False),
    "cuped": (AnalysisConfig(), True),
    "sequential": (AnalysisConfig(sequential=True, sequential_tuning=5000), False),
    "bayesian": (AnalysisConfig(engine="bayesian"), False),
}
# Cross-checked against gbstats but not timed.
CHECK_ONLY: dict[str, tuple[AnalysisConfig, bool]] = {
    "cuped_absolute": (AnalysisConfig(difference="absolute"), True),
}

# The gbstats side: only gbstats' public API, run inside .benchvenv.
GBSTATS_WORKER = r"""
import json, sys, time
from dataclasses import asdict
from gbstats.gbstats import process_single_metric
from gbstats.models.settings import AnalysisSettingsForStatsEngine as Analysis
from gbstats.models.settings import MetricSettingsForStatsEngine as MetricSettings
from gbstats.models.statistics import SampleMeanStatistic as Mean
from gbstats.models.statistics import RegressionAdjustedStatistic as Adjusted
from gbstats.frequentist.tests import TwoSidedTTest, SequentialTwoSidedTTest
from gbstats.frequentist.tests import FrequentistConfig, SequentialConfig
from gbstats.bayesian.tests import EffectBayesianABTest, EffectBayesianConfig

request = json.load(open(sys.argv[1]))
metrics, repeats = request["metrics"], request["repeats"]


def statistic(row, cuped):
    post = Mean(n=row["count"], sum=row["main_sum"], sum_squares=row["main_sum_squares"])
    if not cuped:
        return post
    pre = Mean(n=row["count"], sum=row["covariate_sum"], sum_squares=row["covariate_sum_squares"])
    products = row["main_covariate_sum_product"]
    return Adjusted(n=row["count"], post_statistic=post, pre_statistic=pre,
                    post_pre_sum_of_products=products, theta=0)


def test_for(mode, difference, a, b):
    if mode == "sequential":
        config = SequentialConfig(sequential_tuning_parameter=5000, difference_type=difference)
        return SequentialTwoSidedTTest(a, b, config)
    if mode == "bayesian":
        return EffectBayesianABTest(a, b, EffectBayesianConfig(difference_type=difference))
    return TwoSidedTTest(a, b, FrequentistConfig(difference_type=difference))


def kind(mode):
    # 'cuped_absolute' is the CUPED mode with absolute differences.
    return mode.split("_")[0], "absolute" if mode.endswith("_absolute") else "relative"


def run_tests(name):
    mode, difference = kind(name)
    cuped = mode == "cuped"
    return [
        test_for(mode, difference, statistic(m[0], cuped), statistic(m[1], cuped)).compute_result()
        for m in metrics
    ]


def from_tests(result):
    v = asdict(result)
    return {"effect": v["expected"], "ci": list(v["ci"]), "p_value": v.get("p_value"),
            "chance_to_win": v.get("chance_to_win"), "risk": v.get("risk")}


def from_pipeline(result):
    v = asdict(result)["analyses"][0]["dimensions"][0]["variations"][1]
    return {"effect": v["expected"], "ci": list(v["ci"]), "p_value": v.get("pValue"),
            "chance_to_win": v.get("chanceToWin"), "risk": v.get("risk")}


def run_pipeline(name):
    mode, difference = kind(name)
    engine = "bayesian" if mode == "bayesian" else "frequentist"
    analysis = Analysis(var_names=["control", "treatment"], var_ids=["0", "1"],
                        weights=[0.5, 0.5], stats_engine=engine, difference_type=difference,
                        sequential_testing_enabled=mode == "sequential",
                        sequential_tuning_parameter=5000)
    settings = MetricSettings(id="m", name="m", main_metric_type="count",
                              statistic_type="mean_ra" if mode == "cuped" else "mean",
                              covariate_metric_type="count" if mode == "cuped" else None)
    out = []
    for m in metrics:
        rows = [dict(r, dimension="All", variation=str(i)) for i, r in enumerate(m)]
        out.append(process_single_metric(rows, settings, [analysis]))
    return out


def seconds(function, mode):
    start = time.perf_counter()
    value = function(mode)
    return time.perf_counter() - start, value


report = {"modes": {}}
for mode in request["modes"]:
    tests = run_tests(mode)  # warm-up, as on the Pilothouse side
    if mode in request["check_only"]:
        report["modes"][mode] = {"results": [from_tests(r) for r in tests]}
        continue
    timings = [seconds(run_tests, mode)[0] for _ in range(repeats)]
    pipeline, results = seconds(run_pipeline, mode)
    report["modes"][mode] = {"tests_seconds": min(timings), "pipeline_seconds": pipeline,
                             "results": [from_pipeline(r) for r in results]}
json.dump(report, sys.stdout)
"""


# A whole gbstats process: import, read the rows, analyse every metric, print JSON.
GBSTATS_PROCESS = r"""
import json, sys
from dataclasses import asdict
from gbstats.gbstats import process_single_metric
from gbstats.models.settings import AnalysisSettingsForStatsEngine as Analysis
from gbstats.models.settings import MetricSettingsForStatsEngine as MetricSettings

metrics = json.load(open(sys.argv[1]))
analysis = Analysis(var_names=["control", "treatment"], var_ids=["0", "1"], weights=[0.5, 0.5],
                    stats_engine="frequentist", difference_type="relative")
settings = MetricSettings(id="m", name="m", main_metric_type="count", statistic_type="mean")
out = []
for m in metrics:
    rows = [dict(r, dimension="All", variation=str(i)) for i, r in enumerate(m)]
    result = asdict(process_single_metric(rows, settings, [analysis]))
    out.append(result["analyses"][0]["dimensions"][0]["variations"][1]["pValue"])
json.dump(out, sys.stdout)
"""


def make_inputs(metrics: int, seed: int) -> Inputs:
    """Seeded sufficient statistics: per metric, baseline and variation of ~5,000 units."""
    rng = np.random.default_rng(seed)
    out: list[list[dict[str, float]]] = []
    for _ in range(metrics):
        mean, slope, lift = rng.uniform(5, 50), rng.uniform(0.2, 1.0), rng.normal(0, 0.02)
        arms = []
        for arm in range(2):
            n = int(rng.integers(4500, 5500))
            x = rng.gamma(2.0, mean / 2, n)
            y = slope * x + rng.gamma(2.0, mean / 4, n) * (1 + lift * arm)
            sums = (n, n, y.sum(), y @ y, x.sum(), x @ x, x @ y)
            arms.append({name: float(value) for name, value in zip(FIELDS, sums, strict=True)})
        out.append(arms)
    return out


def _best_seconds(function: Callable[[], Any], repeats: int) -> float:
    """Best of ``repeats`` runs after a warm-up (the least disturbed by other load)."""
    function()
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        timings.append(time.perf_counter() - start)
    return min(timings)


def _block(inputs: Inputs) -> SufficientStatistics:
    columns = {name: np.array([[arm[name] for arm in m] for m in inputs]) for name in FIELDS}
    return SufficientStatistics(**columns)


def _request(inputs: Inputs, mode: str) -> dict[str, Any]:
    config, cuped = MODES[mode]
    settings = {"engine": config.engine, "sequential": config.sequential}
    settings["sequential_tuning"] = config.sequential_tuning
    metrics = [
        {
            "name": f"m{i}",
            "cuped": cuped,
            "variations": [dict(arm, name=name) for arm, name in zip(m, ("a", "b"), strict=True)],
        }
        for i, m in enumerate(inputs)
    ]
    return {"settings": settings, "metrics": metrics}


def time_pilothouse(inputs: Inputs, repeats: int) -> dict[str, dict[str, float]]:
    """Best seconds per mode for the array, object and JSON entry points."""
    block = _block(inputs)
    specs = {cuped: MetricSpec("m", cuped=cuped) for cuped in (False, True)}
    out = {}
    for mode, (config, cuped) in MODES.items():
        data = [
            MetricData(specs[cuped], ("a", "b"), tuple(SufficientStatistics(**arm) for arm in m))
            for m in inputs
        ]
        out[mode] = {
            "block": _best_seconds(
                functools.partial(analyze_block, block, "mean", cuped, config), repeats
            ),
            "objects": _best_seconds(functools.partial(analyze, data, config), repeats),
            "json": _best_seconds(
                functools.partial(analyze_request, _request(inputs, mode)), repeats
            ),
        }
    return out


def ensure_bench_venv() -> Path:
    """The benchmark-only virtual environment with gbstats from PyPI."""
    python = BENCH_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
    probe = subprocess.run([str(python), "-c", "import gbstats"], capture_output=True)
    if probe.returncode != 0:
        pip = [str(python), "-m", "pip", "install", "--quiet", "gbstats"]
        subprocess.run(pip, check=True)
    return python


def run_gbstats(inputs: Inputs, repeats: int) -> dict[str, Any]:
    python = ensure_bench_venv()
    with tempfile.TemporaryDirectory() as folder:
        request = Path(folder) / "request.json"
        worker = Path(folder) / "worker.py"
        modes = [*MODES, *CHECK_ONLY]
        payload = {
            "metrics": inputs,
            "repeats": repeats,
            "modes": modes,
            "check_only": [*CHECK_ONLY],
        }
        request.write_text(json.dumps(payload))
        worker.write_text(GBSTATS_WORKER)
        command = [str(python), str(worker), str(request)]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"gbstats worker failed:\n{done.stderr}")
    version = subprocess.run(
        [str(python), "-m", "pip", "show", "gbstats"], capture_output=True, text=True
    ).stdout
    report: dict[str, Any] = json.loads(done.stdout)
    lines = [line for line in version.splitlines() if line.startswith("Version:")]
    report["version"] = lines[0].split(":", 1)[1].strip() if lines else "unknown"
    return report


def _ours(inputs: Inputs, mode: str) -> dict[str, np.ndarray]:
    config, cuped = {**MODES, **CHECK_ONLY}[mode]
    result = analyze_block(_block(inputs), "mean", cuped, config)
    return {
        "effect": result.effect[:, 0],
        "lower": result.lower[:, 0],
        "upper": result.upper[:, 0],
        "p_value": result.p_value[:, 0],
        "chance_to_win": result.chance_to_win[:, 0],
        "risk_control": result.risk_control[:, 0],
        "risk_treatment": result.risk_treatment[:, 0],
    }


def cross_check(inputs: Inputs, gb: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Largest difference per quantity and mode.

    Effects and risks: relative difference. Interval bounds: difference as a share of
    the interval's half-width (a bound near zero makes a relative difference
    meaningless). Probabilities: absolute difference.
    """
    out = {}
    for mode in [*MODES, *CHECK_ONLY]:
        ours = _ours(inputs, mode)
        rows = gb["modes"][mode]["results"]
        theirs = {
            "effect": np.array([r["effect"] for r in rows]),
            "lower": np.array([r["ci"][0] for r in rows]),
            "upper": np.array([r["ci"][1] for r in rows]),
        }
        if mode == "bayesian":
            theirs["chance_to_win"] = np.array([r["chance_to_win"] for r in rows])
            theirs["risk_control"] = np.array([r["risk"][0] for r in rows])
            theirs["risk_treatment"] = np.array([r["risk"][1] for r in rows])
        else:
            theirs["p_value"] = np.array([r["p_value"] for r in rows])
        half_width = (theirs["upper"] - theirs["lower"]) / 2
        diffs = {}
        for key, values in theirs.items():
            delta = np.abs(ours[key] - values)
            if key in ("lower", "upper"):
                delta = delta / half_width
            elif key not in ("p_value", "chance_to_win"):
                delta = delta / np.abs(values)
            diffs[key] = float(np.max(delta))
        out[mode] = diffs
    return out


def _process_seconds(command: list[str], runs: int) -> tuple[float, float, str]:
    """Best wall-clock and best CPU seconds of ``runs`` fresh processes, and the output."""
    walls, cpus, output = [], [], ""
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=_plain_env())
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
        output = done.stdout
    return min(walls), min(cpus), output


def _plain_env() -> dict[str, str]:
    """The caller's environment without Pilothouse settings (the command needs none)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PILOTHOUSE_")}


def _pilothouse_command() -> list[str]:
    script = Path(sys.executable).parent / "pilothouse"
    return [str(script)] if script.exists() else [sys.executable, "-m", "pilothouse"]


def compare_processes(inputs: Inputs, runs: int) -> None:
    """``pilothouse stats analyze`` against a whole gbstats process, frequentist."""
    python = ensure_bench_venv()
    with tempfile.TemporaryDirectory() as folder:
        ours_file, rows_file = Path(folder) / "request.json", Path(folder) / "rows.json"
        ours_file.write_text(json.dumps(_request(inputs, "frequentist")))
        rows_file.write_text(json.dumps(inputs))
        worker = Path(folder) / "gbstats_process.py"
        worker.write_text(GBSTATS_PROCESS)
        command = [*_pilothouse_command(), "stats", "analyze", str(ours_file), "--indent", "0"]
        ours = _process_seconds(command, runs)
        theirs = _process_seconds([str(python), str(worker), str(rows_file)], runs)
    ours_p = np.array([m["variations"][1]["p_value"] for m in json.loads(ours[2])["metrics"]])
    theirs_p = np.array(json.loads(theirs[2]), dtype=float)
    print(f"\nwhole processes, start-up included, frequentist, best of {runs} (s)")
    print(f"{'':<40}{'wall':>8}{'cpu':>8}")
    print(f"{'pilothouse stats analyze':<40}{ours[0]:>8.2f}{ours[1]:>8.2f}")
    print(f"{'python + gbstats process_single_metric':<40}{theirs[0]:>8.2f}{theirs[1]:>8.2f}")
    print(f"{'ratio':<40}{theirs[0] / ours[0]:>7.1f}x{theirs[1] / ours[1]:>7.1f}x")
    print(f"p-values of both processes: largest difference {np.max(np.abs(ours_p - theirs_p)):.1e}")
    print(f"load average (1, 5, 15 min): {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--metrics", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--skip-gbstats", action="store_true")
    parser.add_argument("--process-runs", type=int, default=3, help="0 skips whole processes")
    args = parser.parse_args()

    inputs = make_inputs(args.metrics, args.seed)
    ours = time_pilothouse(inputs, args.repeats)
    print(f"Pilothouse: {args.metrics} metrics x 2 variations, best of {args.repeats} runs (s)")
    print(f"{'mode':<12}{'block':>10}{'objects':>10}{'json':>10}")
    for mode, row in ours.items():
        print(f"{mode:<12}{row['block']:>10.4f}{row['objects']:>10.4f}{row['json']:>10.4f}")
    if args.skip_gbstats:
        return
    gb = run_gbstats(inputs, args.repeats)
    print(f"\ngbstats {gb['version']} (.benchvenv), same inputs, same run (s)")
    print("tests = its test classes in a loop (vs our objects API);")
    print("pipeline = process_single_metric from rows (vs our JSON entry point)")
    print(f"{'mode':<12}{'tests':>10}{'ratio':>8}{'pipeline':>10}{'ratio':>8}")
    for mode in MODES:
        row = gb["modes"][mode]
        tests, pipeline = row["tests_seconds"], row["pipeline_seconds"]
        print(
            f"{mode:<12}{tests:>10.4f}{tests / ours[mode]['objects']:>7.1f}x"
            f"{pipeline:>10.2f}{pipeline / ours[mode]['json']:>7.0f}x"
        )
    print("\ncross-check against gbstats, largest difference over all metrics")
    print("(effect, risk: relative; ci bounds: share of the half-width; probabilities: absolute)")
    for mode, diffs in cross_check(inputs, gb).items():
        print(f"{mode:<15}" + "  ".join(f"{key}={value:.1e}" for key, value in diffs.items()))
    if args.process_runs:
        compare_processes(inputs, args.process_runs)


if __name__ == "__main__":
    main()
