"""Synthesis names themes with key phrases, and never relabels a theme a person renamed."""

from __future__ import annotations

from collections import Counter

from tests.feedback.themes.conftest import CLI, load_corpus

from pilothouse.core.errors import Conflict
from pilothouse.core.runtime import Runtime
from pilothouse.feedback import themes
from pilothouse.feedback.models import FeedbackTheme
from pilothouse.feedback.synthesis.label_quality import score_label
from pilothouse.feedback.synthesis_service import synthesize_feedback
from pilothouse.feedback.theme_refresh import relabel


def _majorities(session, truth: dict[int, str]) -> dict[int, str]:
    """``{theme id: the intent most of its items have}``."""
    out = {}
    for theme in themes.list_themes(session, include_hidden=True):
        counts = Counter(truth[i] for i in themes.theme_item_ids(session, theme.id))
        out[theme.id] = counts.most_common(1)[0][0]
    return out


def test_first_synthesis_labels_are_key_phrases(runtime: Runtime, corpus) -> None:
    truth = load_corpus(runtime, corpus)
    assert synthesize_feedback(runtime, CLI).ok
    with runtime.database.session() as session:
        labels = {t.id: t.label for t in themes.list_themes(session, include_hidden=True)}
        majority = _majorities(session, truth)
    assert labels and all("," not in label and len(label.split()) <= 4 for label in labels.values())
    named = [score_label(labels[t], intent).hit for t, intent in majority.items()]
    assert sum(named) >= len(named) - 1, labels  # at most one theme misses its intent's words


def test_a_renamed_theme_is_never_relabelled(runtime: Runtime, corpus) -> None:
    truth = load_corpus(runtime, corpus)
    assert synthesize_feedback(runtime, CLI).ok
    with runtime.database.session() as session:
        majority = _majorities(session, truth)
        card = next(t for t, intent in majority.items() if intent == "card_arrival")
        other = next(t for t, intent in majority.items() if intent == "exchange_rate")
        themes.rename_theme(session, CLI, card, "Where is my card")
        themes.merge_themes(session, CLI, card, [other])  # a mixed theme: re-synthesis objects
        theme = session.get(FeedbackTheme, card)
        relabel(session, [theme])  # what merge, split and accepted proposals call
        assert theme.label == "Where is my card"
    report = synthesize_feedback(runtime, CLI, full=True)
    assert report.ok and report.proposals >= 1, report
    with runtime.database.session() as session:
        for proposal in themes.list_proposals(session):
            try:
                themes.accept_proposal(session, CLI, proposal.id)
            except Conflict:
                pass  # an earlier acceptance already changed its themes
    with runtime.database.session() as session:
        detail = themes.get_theme(session, card)
        assert detail.label == "Where is my card" and detail.label_is_custom
        others = [t.label for t in themes.list_themes(session) if t.id != card]
        assert others and all("," not in label for label in others)  # key phrases
