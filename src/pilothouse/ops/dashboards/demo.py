"""Demo dashboard: Ledgerly's "Product review" (docs/demo.md, docs/dashboards.md).

The board a product review walks through: the objectives' metrics as charts, the
three A/B tests' primary results, the shared "Exec roadmap" view, the feedback themes
customers raise most, and process-health figures. Idempotent: a dashboard that
already has the slug is left alone (edits made in the demo workspace stay).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core.actor import Actor
from pilothouse.core.models import Role, User
from pilothouse.core.runtime import Runtime
from pilothouse.demo.registry import DemoResult
from pilothouse.ops.dashboards import service
from pilothouse.ops.dashboards.models import Dashboard

__all__ = ["EXPERIMENTS", "SLUG", "TILES", "load_demo_dashboards"]

SLUG = "product-review"
#: The demo experiments by name (their keys depend on load order).
EXPERIMENTS = ("Verification in one step", "Delivery timeline in the app", "Top-up retry prompt")
#: (kind, title, config, (row, col, width, height)); ``experiment``/``view`` are names.
TILES: list[tuple[str, str, dict[str, Any], tuple[int, int, int, int]]] = [
    ("metric_chart", "Activation", {"metric": "activation_rate", "grain": "week"}, (1, 1, 6, 1)),
    ("metric_chart", "Top-up success", {"metric": "top_up_success_rate"}, (1, 7, 6, 1)),
    (
        "metric_chart",
        "Support contacts about card delivery",
        {"metric": "card_delivery_contacts", "grain": "week"},
        (2, 1, 6, 1),
    ),
    (
        "metric_chart",
        "Transfers sent by plan",
        {"metric": "transfers_sent", "grain": "week", "by": "plan"},
        (2, 7, 6, 1),
    ),
    *[
        ("experiment_scorecard", "", {"experiment": name}, (3, 1 + 4 * i, 4, 1))
        for i, name in enumerate(EXPERIMENTS)
    ],
    ("roadmap_view", "Roadmap: features", {"view": "Exec roadmap"}, (4, 1, 6, 2)),
    ("theme_ranking", "What customers raise most", {"top": 6}, (4, 7, 6, 2)),
    ("health_figure", "", {"figure": "evidence_share"}, (6, 1, 4, 1)),
    ("health_figure", "", {"figure": "experiment_velocity"}, (6, 5, 4, 1)),
    ("health_figure", "", {"figure": "launch_on_time"}, (6, 9, 4, 1)),
]


def _owner(session: Session) -> Actor | None:
    admin = session.scalar(
        select(User).where(User.role == Role.admin, User.is_active).order_by(User.id)
    )
    return Actor.for_user(admin) if admin is not None else None


def _resolve(session: Session, kind: str, config: dict[str, Any]) -> dict[str, Any] | None:
    """Names of the demo's experiments and views → their keys and ids (None: not loaded)."""
    from pilothouse.experiments.models import Experiment
    from pilothouse.roadmap.models import RoadmapView

    if kind == "experiment_scorecard":
        key = session.scalar(select(Experiment.key).where(Experiment.name == config["experiment"]))
        return {"experiment": key} if key else None
    if kind == "roadmap_view":
        view = session.scalar(select(RoadmapView.id).where(RoadmapView.name == config["view"]))
        return {"view": str(view)} if view else None
    return config


def load_demo_dashboards(session: Session, actor: Actor, runtime: Runtime) -> DemoResult:
    """The "Product review" dashboard, shared with the workspace, owned by the first admin."""
    result = DemoResult()
    if session.scalar(select(Dashboard.id).where(Dashboard.slug == SLUG)) is not None:
        return result
    owner = _owner(session) or actor
    board = service.create_dashboard(
        session,
        owner,
        {
            "name": "Product review",
            "slug": SLUG,
            "description": "The monthly product review: objectives' metrics, running tests, "
            "the roadmap, what customers say and how the process is doing.",
            "default_days": 90,
        },
    )
    for kind, title, config, (row, col, width, height) in TILES:
        resolved = _resolve(session, kind, config)
        if resolved is None:
            continue
        place = {"row": row, "col": col, "width": width, "height": height}
        body = {"kind": kind, "title": title, "config": resolved} | place
        service.add_tile(session, owner, board, body, runtime)
    result.added["dashboards"] = 1
    result.added["dashboard tiles"] = len(board.tiles)
    return result
