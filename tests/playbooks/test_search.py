"""Full-text search: the same words match and the same order comes back on SQLite and
PostgreSQL, with TF-IDF scores checked against a hand computation."""

from __future__ import annotations

import math

import pytest

from pilothouse.core.actor import Actor
from pilothouse.core.errors import ValidationFailed
from pilothouse.core.runtime import Runtime
from pilothouse.playbooks import service
from pilothouse.playbooks.search import search_playbooks, tokens

CLI = Actor.command_line()
DOCS = {
    "Launch playbook": "Every launch needs a beta. Beta accounts give feedback.",
    "Experiment playbook": "Run the experiment for two weeks. Launch after the decision.",
    "Feedback triage": "Link feedback to themes. Café owners write feedback too.",
    "Pricing notes": "Nothing about the rest.",
}


def _load(runtime: Runtime) -> None:
    with runtime.database.session() as session:
        for title, body in DOCS.items():
            service.create_playbook(session, CLI, {"title": title, "body": body})


def _search(runtime: Runtime, q: str) -> list[tuple[str, float]]:
    with runtime.database.session() as session:
        return [(h.playbook.slug, h.score) for h in search_playbooks(session, q)]


def test_tokens_fold_case_accents_and_plurals() -> None:
    assert tokens("Café Owners' BETAs, 2 weeks") == ["cafe", "owner", "beta", "2", "week"]
    assert tokens("launches policies status themes") == ["launch", "policy", "status", "theme"]


def test_ranking_matches_a_hand_computed_tf_idf(runtime: Runtime) -> None:
    _load(runtime)
    hits = _search(runtime, "launch")
    # "launch": in 2 of 4 playbooks (idf ln 3); the launch playbook has it once in the
    # title (5) and once in the body (1) = 6; the experiment playbook once in the body.
    assert [slug for slug, _ in hits] == ["launch-playbook", "experiment-playbook"]
    assert hits[0][1] == pytest.approx(6 * math.log(3))
    assert hits[1][1] == pytest.approx(1 * math.log(3))
    feedback = _search(runtime, "feedback")
    # feedback-triage: title 5 + body 2 = 7; launch playbook: body 1. df 2 of 4.
    assert feedback == [
        ("feedback-triage", pytest.approx(7 * math.log(3))),
        ("launch-playbook", pytest.approx(math.log(3))),
    ]


def test_every_word_must_match_and_the_last_may_be_a_prefix(runtime: Runtime) -> None:
    _load(runtime)
    assert [s for s, _ in _search(runtime, "beta launches")] == ["launch-playbook"]
    assert [s for s, _ in _search(runtime, "experiment deci")] == ["experiment-playbook"]
    assert [s for s, _ in _search(runtime, "cafe")] == ["feedback-triage"]
    assert _search(runtime, "beta themes") == []
    assert _search(runtime, "  ") == []
    with pytest.raises(ValidationFailed):
        _search(runtime, " ".join(f"w{i}" for i in range(11)))


def test_the_index_follows_edits(runtime: Runtime) -> None:
    _load(runtime)
    with runtime.database.session() as session:
        playbook = service.find_playbook(session, "pricing-notes")
        service.update_playbook(session, CLI, playbook, {"body": "Beta pricing for launches."})
    assert [s for s, _ in _search(runtime, "beta")][-1] == "pricing-notes"
    assert _search(runtime, "rest") == []
