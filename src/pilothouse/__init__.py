"""Pilothouse: a self-hosted Product Operations platform.

One system for a product organisation's numbers, experiments, customer feedback,
roadmap, launches and decisions, run on the team's own machine.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
