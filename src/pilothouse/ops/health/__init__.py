"""Process health: figures about the product process computed from the audit log,
statuses, links and the times each domain records (see ``docs/ops-health.md``)."""

__all__: list[str] = []
