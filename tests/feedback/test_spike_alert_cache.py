"""The home page's spike alerts are recomputed whenever feedback, themes or membership change.

``spike_alerts`` keeps its answer per feedback version; these tests make sure every
kind of change moves the version, so the cache can never show a stale answer.
"""

from __future__ import annotations

from pilothouse.core.actor import Actor
from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from pilothouse.feedback import service, themes
from pilothouse.feedback.insights_queries import _feedback_version, spike_alerts


def _admin() -> Actor:
    return Actor(None, "system", Role.admin)


def test_every_kind_of_feedback_change_moves_the_version(runtime: Runtime) -> None:
    actor = _admin()
    seen = []
    with runtime.database.session() as session:
        seen.append(_feedback_version(session))
        item = service.create_feedback(session, actor, {"text": "Exports time out"})
        seen.append(_feedback_version(session))
        theme_id = themes.create_theme(session, actor, label="Exports")
        seen.append(_feedback_version(session))
        themes.move_items(session, actor, [item.id], theme_id)
        seen.append(_feedback_version(session))
        themes.move_items(session, actor, [item.id], None)
        seen.append(_feedback_version(session))
        themes.rename_theme(session, actor, theme_id, "CSV exports")
        seen.append(_feedback_version(session))
    assert len(set(seen)) == len(seen), seen


def test_spike_alerts_answer_follows_new_feedback(runtime: Runtime) -> None:
    actor = _admin()
    with runtime.database.session() as session:
        assert spike_alerts(session) == []  # no themes yet
        theme_id = themes.create_theme(session, actor, label="Card declined")
        items = [
            service.create_feedback(session, actor, {"text": f"My card was declined ({n})"})
            for n in range(30)
        ]
        themes.move_items(session, actor, [i.id for i in items], theme_id)
        spiking = spike_alerts(session)
    # Thirty messages this week against an empty history is a spike; had the empty
    # answer above been served from the cache, this list would be empty.
    assert [s.theme_id for s in spiking] == [theme_id]
