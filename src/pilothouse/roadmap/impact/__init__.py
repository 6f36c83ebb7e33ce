"""The impact view of a roadmap item: its chain from evidence to measured effect.

``its`` is the pure interrupted-time-series estimator (no database); ``chain`` gathers
an item's evidence, launches, experiments and measured metrics through the other
domains' services; ``pages`` and ``routes`` show it.
"""

from __future__ import annotations

__all__: list[str] = []
