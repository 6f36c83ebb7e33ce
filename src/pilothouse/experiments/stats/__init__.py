"""Pure statistics engine for experiments: sufficient statistics in, results out.

No database, web or environment access: callers pass sufficient statistics (with
GrowthBook's column names) and explicit config objects, and get plain results.
The computation is vectorised with NumPy/SciPy across metrics x variations x
dimension slices. Formulas are documented in ``docs/stats.md``.

Example:
    >>> from pilothouse.experiments.stats import (
    ...     AnalysisConfig, MetricData, MetricSpec, SufficientStatistics, analyze)
    >>> control = SufficientStatistics(users=1000, main_sum=100)
    >>> treatment = SufficientStatistics(users=1000, main_sum=130)
    >>> metric = MetricData(MetricSpec("signup", kind="proportion"),
    ...                     ("control", "treatment"), (control, treatment))
    >>> result = analyze([metric], AnalysisConfig())[0]
    >>> round(result.variations[1].effect, 3)
    0.3
"""

from pilothouse.experiments.stats import codes
from pilothouse.experiments.stats.bayesian import (
    BayesianResult,
    bayesian_test,
    expected_loss,
    posterior,
)
from pilothouse.experiments.stats.config import AnalysisConfig, GaussianPrior, MetricSpec
from pilothouse.experiments.stats.correction import (
    adjust_p_values,
    benjamini_hochberg,
    holm_bonferroni,
)
from pilothouse.experiments.stats.dimensions import OTHER, pool_dimensions
from pilothouse.experiments.stats.engine import BlockResult, MetricData, analyze, analyze_block
from pilothouse.experiments.stats.frequentist import (
    IntervalTest,
    fixed_horizon_test,
    sequential_rho,
    sequential_test,
)
from pilothouse.experiments.stats.moments import (
    ArmMoments,
    EffectMoments,
    arm_moments,
    effect_moments,
)
from pilothouse.experiments.stats.offline import RequestError, analyze_json, analyze_request
from pilothouse.experiments.stats.power import (
    experiment_duration,
    mid_experiment_power,
    minimum_detectable_effect,
    power,
    required_sample_size,
)
from pilothouse.experiments.stats.results import MetricResult, Risk, VariationResult
from pilothouse.experiments.stats.srm import srm_p_value
from pilothouse.experiments.stats.statistics import SufficientStatistics

__all__ = [
    "OTHER",
    "AnalysisConfig",
    "ArmMoments",
    "BayesianResult",
    "BlockResult",
    "EffectMoments",
    "GaussianPrior",
    "IntervalTest",
    "MetricData",
    "MetricResult",
    "MetricSpec",
    "RequestError",
    "Risk",
    "SufficientStatistics",
    "VariationResult",
    "adjust_p_values",
    "analyze",
    "analyze_block",
    "analyze_json",
    "analyze_request",
    "arm_moments",
    "bayesian_test",
    "benjamini_hochberg",
    "codes",
    "effect_moments",
    "expected_loss",
    "experiment_duration",
    "fixed_horizon_test",
    "holm_bonferroni",
    "mid_experiment_power",
    "minimum_detectable_effect",
    "pool_dimensions",
    "posterior",
    "power",
    "required_sample_size",
    "sequential_rho",
    "sequential_test",
    "srm_p_value",
]
