"""Roadmap planning: objectives and key results, initiatives → features → ideas, the
workspace's workflow statuses and custom fields, prioritisation formulas, and imports.

Other domains use it through its service modules (``items``, ``objectives``,
``scoring``, ...) and link to items with core links of type ``roadmap_item``.
"""

from pilothouse.roadmap.models import (
    Horizon,
    ItemKind,
    KeyResult,
    Objective,
    RoadmapField,
    RoadmapItem,
    RoadmapView,
    ShareLink,
    StatusCategory,
    ViewKind,
    WorkflowStatus,
)

__all__ = [
    "Horizon",
    "ItemKind",
    "KeyResult",
    "Objective",
    "RoadmapField",
    "RoadmapItem",
    "RoadmapView",
    "ShareLink",
    "StatusCategory",
    "ViewKind",
    "WorkflowStatus",
]
