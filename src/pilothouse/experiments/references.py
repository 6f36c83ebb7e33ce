"""How experiments are named and linked on every page (``core.references``)."""

from __future__ import annotations

from sqlalchemy import select

from pilothouse.core.links import ObjectRef
from pilothouse.core.reference_types import keyed_resolver, named_resolver
from pilothouse.core.references import ResolveContext, register_type, register_usage
from pilothouse.experiments.models import Experiment, ExperimentMetric, ExperimentTemplate

__all__ = ["experiments_using_metric", "resolve_experiment_templates", "resolve_experiments"]

#: Experiments by id or key (``EXP-2``): name, page, key as detail.
resolve_experiments = keyed_resolver(Experiment, "name", "/experiments/{key}")
register_type("experiment", "Experiment", resolve_experiments)
#: Experiment templates by id or name (playbooks link to the templates they describe).
resolve_experiment_templates = named_resolver(ExperimentTemplate, "/experiments/templates")
register_type("experiment_template", "Experiment template", resolve_experiment_templates)


def experiments_using_metric(context: ResolveContext, slug: str) -> list[ObjectRef]:
    """Experiments that read catalog metric ``slug`` (any role), newest first."""
    query = (
        select(ExperimentMetric.experiment_id)
        .where(ExperimentMetric.metric == slug)
        .order_by(ExperimentMetric.experiment_id.desc())
    )
    ids = dict.fromkeys(context.session.scalars(query))
    return [ObjectRef("experiment", str(i)) for i in ids]


register_usage("metric", "Used by experiments", experiments_using_metric)
