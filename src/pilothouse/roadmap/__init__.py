"""Roadmap planning: objectives and key results, initiatives → features → ideas, the
workspace's workflow statuses and custom fields, prioritisation formulas, and imports.

Other domains use it through its service modules (``items``, ``objectives``,
``scoring``, ...) and link to items with core links of type ``roadmap_item``.
"""

from pilothouse.roadmap.models import (
    ItemKind,
    KeyResult,
    Objective,
    RoadmapField,
    RoadmapItem,
    StatusCategory,
    WorkflowStatus,
)

__all__ = [
    "ItemKind",
    "KeyResult",
    "Objective",
    "RoadmapField",
    "RoadmapItem",
    "StatusCategory",
    "WorkflowStatus",
]
