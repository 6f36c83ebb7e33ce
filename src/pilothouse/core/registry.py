"""Where every domain's tables are imported, so Alembic and tests see the whole schema."""

from __future__ import annotations

import importlib

__all__ = ["MODEL_MODULES", "import_all_models"]

#: One module per domain that defines tables; a domain adds its own line here.
MODEL_MODULES: tuple[str, ...] = (
    "pilothouse.core.models",
    "pilothouse.accounts.models",
    "pilothouse.metrics.models",
    "pilothouse.roadmap.models",
    "pilothouse.experiments.models",
    "pilothouse.feedback.models",
)


def import_all_models() -> None:
    """Import every model module so that ``Base.metadata`` holds all tables."""
    for module in MODEL_MODULES:
        importlib.import_module(module)
