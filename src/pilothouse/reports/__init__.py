"""Reports: built-in periodic reports assembled from every domain's services.

The weekly product review (:mod:`.review`) reads metrics, experiments, launches,
feedback and decisions only through those domains' service functions, like
``automations``; it owns no tables. See ``docs/reports.md``.
"""

__all__: list[str] = []
