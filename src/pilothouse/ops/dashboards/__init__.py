"""Dashboards: saved, shareable grids of tiles (metric charts, experiment scorecards,
roadmap views, theme rankings, process-health figures) with date range and area
filters (see ``docs/dashboards.md``)."""

__all__: list[str] = []
