"""A two-arm experiment design for tests whose subject is not the design itself."""

from __future__ import annotations

from pilothouse.experiments import registry
from pilothouse.experiments.models import MetricRole

__all__ = ["two_arm_design"]


def two_arm_design(name: str, area: str, metric: str = "orders") -> registry.ExperimentDesign:
    """Control and treatment at 50/50, exposed by an ``Experiment Viewed`` event, judged
    on one primary metric (``orders``, from the synthetic catalogue)."""
    return registry.ExperimentDesign(
        name=name,
        hypothesis="It helps.",
        product_area=area,
        variations=[
            registry.VariationSpec("control", "Control", 0.5),
            registry.VariationSpec("treatment", "Treatment", 0.5),
        ],
        exposure={
            "kind": "event",
            "event": "Experiment Viewed",
            "experiment_property": "experiment",
            "variation_property": "variation",
        },
        metrics=[registry.MetricChoice(metric, MetricRole.primary, None, None)],
    )
