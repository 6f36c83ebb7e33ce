"""How experiments are named and linked on every page (``core.references``)."""

from __future__ import annotations

from pilothouse.core.reference_types import keyed_resolver
from pilothouse.core.references import register_type
from pilothouse.experiments.models import Experiment

__all__ = ["resolve_experiments"]

#: Experiments by id or key (``EXP-2``): name, page, key as detail.
resolve_experiments = keyed_resolver(Experiment, "name", "/experiments/{key}")
register_type("experiment", "Experiment", resolve_experiments)
