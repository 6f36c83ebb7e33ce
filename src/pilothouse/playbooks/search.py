"""Full-text search over playbooks: one portable tokenised index, the same on every database.

Why not SQLite FTS5 and PostgreSQL ``tsvector``: two engines rank differently (bm25
against ``ts_rank``), stem differently, and need virtual tables or generated columns
that the model-equals-migration check cannot see; results would then differ between
a laptop and the team server. Instead each playbook keeps its words in
``playbook_terms`` (one row per distinct word, weight = occurrences in the body plus
:data:`TITLE_WEIGHT` per occurrence in the title). Words are case-folded, accent-free
and lightly stemmed (English plurals become singular: ``launches`` → ``launch``,
``policies`` → ``policy``), so "Experiments" finds "experiment".

A query matches the playbooks that hold *every* query word (the last word also as a
prefix, so typing "onb" finds "onboarding"). Ranking is TF-IDF: each word scores
``weight × ln(1 + N / df)`` (``N`` playbooks, ``df`` of them holding the word), summed
over the query words; ties go to the title. Scores are computed in Python from the
few index rows of the query words, so both databases return the same order.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.orm import Session

from pilothouse.core.db import LIKE_ESCAPE, like_literal
from pilothouse.playbooks.common import invalid
from pilothouse.playbooks.models import Playbook, PlaybookTerm

__all__ = ["TITLE_WEIGHT", "SearchHit", "index_playbook", "search_playbooks", "tokens"]

TITLE_WEIGHT = 5
MAX_WORDS = 10
_WORD = re.compile(r"[a-z0-9]+")


def _stem(word: str) -> str:
    """English plurals to the singular: launches → launch, policies → policy, betas → beta."""
    if len(word) <= 3:
        return word
    if word.endswith(("ches", "shes", "sses", "xes", "zes")):
        return word[:-2]
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def tokens(text: str) -> list[str]:
    """The index words of ``text``: case-folded, accents removed, plural ``s`` dropped."""
    plain = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return [_stem(w)[:64] for w in _WORD.findall(plain)]


def index_playbook(session: Session, playbook: Playbook) -> None:
    """Replace the playbook's index rows with the words of its current title and body."""
    weights: Counter[str] = Counter(tokens(playbook.body))
    for word in tokens(playbook.title):
        weights[word] += TITLE_WEIGHT
    session.execute(delete(PlaybookTerm).where(PlaybookTerm.playbook_id == playbook.id))
    if weights:
        rows = [{"playbook_id": playbook.id, "term": t, "weight": w} for t, w in weights.items()]
        session.execute(insert(PlaybookTerm), rows)


@dataclass(frozen=True)
class SearchHit:
    playbook: Playbook
    score: float


def _matching_rows(session: Session, words: list[str]) -> dict[int, dict[int, int]]:
    """``{playbook id: {query word index: weight}}`` for every index row a word matches."""
    last = len(words) - 1
    conditions = [PlaybookTerm.term == w for w in words[:-1]]
    conditions.append(PlaybookTerm.term.like(f"{like_literal(words[last])}%", escape=LIKE_ESCAPE))
    rows = session.execute(
        select(PlaybookTerm.playbook_id, PlaybookTerm.term, PlaybookTerm.weight).where(
            or_(*conditions)
        )
    )
    found: dict[int, dict[int, int]] = defaultdict(dict)
    for playbook_id, term, weight in rows:
        for index, word in enumerate(words):
            if term == word or (index == last and term.startswith(word)):
                found[playbook_id][index] = found[playbook_id].get(index, 0) + weight
    return found


def search_playbooks(session: Session, q: str, *, limit: int = 50) -> list[SearchHit]:
    """Playbooks holding every word of ``q``, best first (see the module docstring)."""
    words = list(dict.fromkeys(tokens(q)))
    if not words:
        return []
    if len(words) > MAX_WORDS:
        raise invalid("q", f"at most {MAX_WORDS} words")
    found = _matching_rows(session, words)
    total = session.scalar(select(func.count()).select_from(Playbook)) or 0
    df = Counter(i for per in found.values() for i in per)
    idf = {i: math.log(1 + total / df[i]) for i in df}
    scores = {
        pid: sum(w * idf[i] for i, w in per.items())
        for pid, per in found.items()
        if len(per) == len(words)
    }
    if not scores:
        return []
    playbooks = {p.id: p for p in session.scalars(select(Playbook).where(Playbook.id.in_(scores)))}
    ranked = sorted(scores, key=lambda pid: (-round(scores[pid], 9), playbooks[pid].title))
    return [SearchHit(playbooks[pid], scores[pid]) for pid in ranked[:limit]]
