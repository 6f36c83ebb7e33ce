"""Running synthesis on the stored feedback: embed, theme, assign, propose; and per new item.

:func:`synthesize_feedback` is what the ``feedback.synthesize`` job, the CLI
(``pilothouse feedback synthesize``) and the demo call:

1. embed every item that has no vector for its current text (batches of 64,
   with progress), storing the vectors (computed once per item and model);
2. score sentiment of items that have none, and link near-duplicates of items
   not checked before to the first item that said the same;
3. the **first** run (no themes yet) clusters the corpus and creates themes;
   **later** runs assign items that are in no theme to the nearest existing
   theme (steered themes by their prototype), and a **full** run (``--full``,
   or when many items fit no theme) re-clusters everything and files
   ``new``/``merge``/``split`` proposals in the review queue instead of
   rewriting what people curated.

:func:`assign_new_items` is the per-request path right after items are created:
embed, score sentiment and assign to the nearest theme, in a few milliseconds
per item once the model is loaded (the first call in a process loads it, about
half a second), and link each to the first earlier item it repeats
(:mod:`pilothouse.feedback.duplicate_check`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change
from pilothouse.core.db import utcnow
from pilothouse.core.models import Role
from pilothouse.core.runtime import Runtime
from pilothouse.feedback.duplicate_check import link_new_duplicates
from pilothouse.feedback.embeddings import (
    embed_ahead,
    embedder,
    ensure_embeddings,
    from_bytes,
    item_text,
    to_bytes,
)
from pilothouse.feedback.models import (
    FeedbackEmbedding,
    FeedbackItem,
    FeedbackSynthesisRun,
    FeedbackTheme,
    FeedbackThemeMember,
    FeedbackThemeProposal,
    ProposalKind,
    ProposalStatus,
    Sentiment,
    ThemeOrigin,
)
from pilothouse.feedback.synthesis import (
    AssignConfig,
    DuplicateConfig,
    ModelUnavailableError,
    SentimentHead,
    SynthesisConfig,
    ThemeIndex,
    find_duplicates,
    propose_changes,
    synthesize,
)
from pilothouse.feedback.synthesis.embedders import Embedder
from pilothouse.feedback.synthesis.graph import Neighbours, knn
from pilothouse.feedback.theme_refresh import recentre_for_model, refresh_themes

__all__ = [
    "SynthesisReport",
    "assign_new_item",
    "assign_new_items",
    "embed_ahead",
    "last_run",
    "synthesize_feedback",
]

log = logging.getLogger(__name__)

Progress = Callable[[int, int | None, str], None]
CONFIG = SynthesisConfig()
#: A later run re-clusters and proposes by itself when at least this share of items fits no theme.
PROPOSE_SHARE = 0.05
#: Earlier items compared with each item when looking for repeats.
DUPLICATE_NEIGHBOURS = 10
_head: list[SentimentHead] = []


@dataclass
class SynthesisReport:
    """What one run did.

    ``status`` is ``done``, ``too_small``, ``empty`` or ``model_unavailable``.
    """

    status: str = "done"
    mode: str = "incremental"
    items: int = 0
    embedded: int = 0
    themes_created: int = 0
    assigned: int = 0
    unassigned: int = 0
    proposals: int = 0
    duplicates: int = 0
    sentiments: int = 0
    model_id: str = ""
    message: str = ""
    run_id: int | None = None
    durations: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "done"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _sentiment_head() -> SentimentHead:
    if not _head:
        _head.append(SentimentHead.load())
    return _head[0]


def synthesize_feedback(
    target: Runtime | Session,
    actor: Actor,
    *,
    progress: Progress | None = None,
    full: bool = False,
    config: SynthesisConfig | None = None,
) -> SynthesisReport:
    """Run synthesis over every feedback item (see the module docstring).

    Args:
        target: A runtime (the run gets its own transaction) or an open session.
        actor: Who asked; needs the editor role.
        progress: Called with ``(done, total or None, phase)``.
        full: Re-cluster everything and file proposals even if few items are new.
        config: Engine settings (``min_items``, clustering, labels).

    Returns:
        A report; a too small or empty corpus is a report with that status and a
        message saying how many items there are and how many are needed.
    """
    actor.require(Role.editor, write=True)
    if isinstance(target, Runtime):
        return _run_committing(target, actor, progress, full, config or CONFIG)
    return _run(target, actor, progress, full, config or CONFIG)


def _run_committing(
    runtime: Runtime,
    actor: Actor,
    progress: Progress | None,
    full: bool,
    config: SynthesisConfig,
) -> SynthesisReport:
    """Run in steps that each commit before progress is reported.

    Stored vectors survive an interrupted run, and a progress reporter that
    writes to the database (a job's) never waits on this run's write lock,
    which on SQLite it would until the end.
    """
    run_ids: list[int] = []
    try:
        with runtime.database.session() as session:

            def tick(done: int, total: int | None, phase: str) -> None:
                if not run_ids:  # the run record this session made
                    mine = session.identity_map.values()
                    run_ids.extend(o.id for o in mine if isinstance(o, FeedbackSynthesisRun))
                session.commit()
                if progress is not None:
                    progress(done, total, phase)

            return _run(session, actor, tick, full, config)
    except BaseException as exc:
        if run_ids:
            with runtime.database.session() as session:
                run = session.get(FeedbackSynthesisRun, run_ids[0])
                if run is not None and run.finished_at is None:
                    run.status, run.finished_at = "failed", utcnow()
                    run.message = f"{type(exc).__name__}: {exc}"[:2000]
        raise


class _Clock:
    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()
        self.spans: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.spans[name] = round(now - self.last, 3)
        self.last = now


def _run(
    session: Session,
    actor: Actor,
    progress: Progress | None,
    full: bool,
    config: SynthesisConfig,
) -> SynthesisReport:
    tick = progress or (lambda _done, _total, _phase: None)
    clock = _Clock()
    run = FeedbackSynthesisRun(actor_label=actor.label, mode="full" if full else "incremental")
    session.add(run)
    session.flush()
    report = SynthesisReport(run_id=run.id, mode=run.mode)
    items = list(
        session.scalars(select(FeedbackItem).order_by(FeedbackItem.created_at, FeedbackItem.id))
    )
    report.items = len(items)
    try:
        model = embedder()
    except ModelUnavailableError as exc:
        report.status, report.message = "model_unavailable", str(exc)
        return _finish(session, actor, run, report, clock)
    report.model_id = run.model_id = model.model_id
    vectors, embedded = ensure_embeddings(session, items, model, tick)
    report.embedded = len(embedded)
    clock.lap("embedding")
    tick(0, None, "sentiment and duplicates")
    corpus = _Corpus(items, vectors, max(DUPLICATE_NEIGHBOURS, config.clustering.neighbors))
    report.sentiments = _score_sentiment(session, items, vectors, model.model_id)
    report.duplicates = _link_duplicates(session, corpus, model.model_id)
    clock.lap("sentiment_duplicates")
    usable = [i for i in items if item_text(i)]
    if len(usable) < config.min_items:
        report.status = "empty" if not usable else "too_small"
        report.message = (
            f"corpus too small ({len(usable)} items with text, need ≥ {config.min_items}); "
            "no themes were made. Add feedback and run synthesis again."
        )
        return _finish(session, actor, run, report, clock)
    has_themes = session.scalar(select(func.count()).select_from(FeedbackTheme)) or 0
    if not has_themes:
        report.mode = run.mode = "first"
        known = corpus.neighbours_of(usable)
        _first_run(session, actor, usable, vectors, model, config, report, tick, known)
    else:
        recentre_for_model(session, model.model_id)  # themes of an earlier model, if any
        _incremental(session, usable, vectors, report, tick)
        clock.lap("assigning")
        if full or report.unassigned >= max(config.min_items, PROPOSE_SHARE * len(usable)):
            tick(0, None, "re-clustering for proposals")
            _propose(session, run, usable, vectors, config, report, corpus.neighbours_of(usable))
    clock.lap("themes")
    return _finish(session, actor, run, report, clock)


def _finish(
    session: Session,
    actor: Actor,
    run: FeedbackSynthesisRun,
    report: SynthesisReport,
    clock: _Clock,
) -> SynthesisReport:
    clock.spans["total"] = round(time.perf_counter() - clock.start, 3)
    report.durations = dict(clock.spans)
    if not report.message and report.ok:
        report.message = _describe(report)
    run.status, run.finished_at, run.message = report.status, utcnow(), report.message
    for name in ("items", "embedded", "themes_created", "assigned", "proposals", "duplicates"):
        setattr(run, name, getattr(report, name))
    run.durations = report.durations
    record_change(
        session,
        actor,
        object_type="feedback_synthesis_run",
        object_id=run.id,
        action=Action.created,
        label=f"synthesis run {run.id}",
        after={k: v for k, v in report.as_dict().items() if k not in ("durations", "run_id")},
        name="feedback.synthesized",
    )
    session.flush()
    return report


def _describe(report: SynthesisReport) -> str:
    parts = [f"{report.items} items", f"{report.embedded} embedded"]
    if report.mode == "first":
        parts.append(f"{report.themes_created} themes found")
    else:
        parts.append(f"{report.assigned} assigned to themes, {report.unassigned} fit none")
        parts.append(f"{report.proposals} proposals for review")
    parts.append(f"{report.duplicates} duplicates linked")
    return "; ".join(parts)


def _score_sentiment(
    session: Session, items: Sequence[FeedbackItem], vectors: dict[int, np.ndarray], model_id: str
) -> int:
    """Sentiment of items that have none (a person's or an earlier run's label stays)."""
    todo = [i for i in items if i.sentiment is None and i.id in vectors]
    head = _sentiment_head()
    if not todo or not head.accepts(model_id):
        return 0
    results = head.predict(np.vstack([vectors[i.id] for i in todo]), model_id)
    labels = {item: Sentiment(r.label) for item, r in zip(todo, results, strict=True)}
    _set_column(session, "sentiment", labels)
    return len(todo)


def _set_column(session: Session, name: str, values: dict[FeedbackItem, Any]) -> None:
    """Write one column of many items with one executemany UPDATE.

    The unit of work would issue and track an UPDATE per object (1.7 s for
    10,000 sentiments); the loaded objects are given the written values as
    their committed state, so nothing reloads them.
    """
    if not values:
        return
    session.flush()
    table, now = FeedbackItem.__table__, utcnow()
    session.execute(
        table.update()
        .where(table.c.id == bindparam("item_id"))
        .values({name: bindparam("value"), "updated_at": now}),
        [{"item_id": item.id, "value": value} for item, value in values.items()],
    )
    for item, value in values.items():
        set_committed_value(item, name, value)
        set_committed_value(item, "updated_at", now)


class _Corpus:
    """The run's items that have vectors, in time order, and their nearest neighbours.

    The neighbours are searched at most once per run (about a second per
    10,000 items) and shared by duplicate detection, clustering and proposals.
    """

    def __init__(
        self, items: Sequence[FeedbackItem], vectors: dict[int, np.ndarray], k: int
    ) -> None:
        self.items = [i for i in items if i.id in vectors]
        self.matrix = np.vstack([vectors[i.id] for i in self.items]) if self.items else None
        self.k = k
        self._known: Neighbours | None = None

    def neighbours(self) -> Neighbours | None:
        if self._known is None and self.matrix is not None and len(self.items) > 1:
            self._known = knn(self.matrix, self.k)
        return self._known

    def neighbours_of(self, items: Sequence[FeedbackItem]) -> Neighbours | None:
        """The neighbours, when ``items`` are exactly this corpus's rows."""
        if [i.id for i in items] != [i.id for i in self.items]:
            return None
        return self.neighbours()


def _link_duplicates(session: Session, corpus: _Corpus, model_id: str) -> int:
    """Link items not checked before to the first earlier item they repeat."""
    pending = set(
        session.scalars(
            select(FeedbackEmbedding.item_id).where(
                FeedbackEmbedding.model_id == model_id, FeedbackEmbedding.processed.is_(False)
            )
        )
    )
    if not pending:
        return 0
    ordered = corpus.items
    parents = find_duplicates(
        corpus.matrix, DuplicateConfig(), DUPLICATE_NEIGHBOURS, corpus.neighbours()
    )
    links = {
        item: ordered[parent].id
        for item, parent in zip(ordered, parents, strict=True)
        if item.id in pending and parent is not None and item.duplicate_of_id is None
    }
    _set_column(session, "duplicate_of_id", links)
    session.execute(
        update(FeedbackEmbedding)
        .where(FeedbackEmbedding.model_id == model_id, FeedbackEmbedding.processed.is_(False))
        .values(processed=True)
    )
    return len(links)


def _first_run(
    session: Session,
    actor: Actor,
    items: Sequence[FeedbackItem],
    vectors: dict[int, np.ndarray],
    model: Embedder,
    config: SynthesisConfig,
    report: SynthesisReport,
    tick: Progress,
    known: Neighbours | None,
) -> None:
    tick(0, None, "finding themes")
    matrix = np.vstack([vectors[i.id] for i in items])
    result = synthesize([item_text(i) for i in items], matrix, config, known, phrases=model)
    for theme in result.themes:
        row = FeedbackTheme(
            label=theme.label,
            keywords=list(theme.keywords),
            summary=theme.summary,
            quote_item_ids=[items[q].id for q in theme.quotes],
            example_item_ids=[],
            description="",
            centroid=to_bytes(theme.centroid),
            model_id=model.model_id,
            origin=ThemeOrigin.auto,
        )
        session.add(row)
        session.flush()
        scores = matrix[list(theme.items)] @ theme.centroid
        for position, score in zip(theme.items, scores, strict=True):
            session.add(
                FeedbackThemeMember(
                    item_id=items[position].id, theme_id=row.id, score=round(float(score), 4)
                )
            )
        record_change(
            session,
            actor,
            object_type="feedback_theme",
            object_id=row.id,
            action=Action.created,
            label=row.label,
            after={"label": row.label, "items": theme.size, "origin": "auto"},
            name="feedback.theme_created",
        )
        report.themes_created += 1
        report.assigned += theme.size
    report.unassigned = sum(1 for a in result.assignments if a < 0)
    if result.error_code:
        report.message = f"{_describe(report)} ({result.error_code})"
    session.flush()


_index_cache: dict[tuple[Any, ...], ThemeIndex | None] = {}


def _themes_key(session: Session) -> tuple[Any, ...]:
    """Themes with a centroid, the newest change and the newest id: moves whenever the
    centroids new items are compared with may have changed."""
    return tuple(
        session.execute(
            select(
                func.count(FeedbackTheme.centroid),
                func.max(FeedbackTheme.updated_at),
                func.max(FeedbackTheme.id),
            )
        ).one()
    )


def _theme_index(
    session: Session, model_id: str, key: tuple[Any, ...] | None = None
) -> ThemeIndex | None:
    """The centroids new items are compared with, rebuilt when any theme changed.

    The cache key (:func:`_themes_key`, or ``key`` when the caller just read it) is read
    from the database on every call (a cheap aggregate), so several workers never
    disagree for longer than one query.
    """
    full_key = (model_id, *(key if key is not None else _themes_key(session)))
    if full_key not in _index_cache:
        _index_cache.clear()
        _index_cache[full_key] = _build_index(session, model_id)
    return _index_cache[full_key]


def _build_index(session: Session, model_id: str) -> ThemeIndex | None:
    rows = session.execute(
        select(FeedbackTheme.id, FeedbackTheme.centroid).where(
            FeedbackTheme.centroid.is_not(None), FeedbackTheme.model_id == model_id
        )
    ).all()
    if not rows:
        return None
    centroids = np.vstack([from_bytes(c) for _, c in rows if c is not None])
    return ThemeIndex([t for t, _ in rows], centroids, AssignConfig())


def _place_auto(
    session: Session, item_ids: Sequence[int], matrix: np.ndarray, index: ThemeIndex
) -> tuple[dict[int, int], int]:
    """Assign items that no one placed yet; returns ``{item: theme}`` and how many fit none."""
    placed: dict[int, int] = {}
    missed = 0
    for item_id, assignment in zip(item_ids, index.assign_many(matrix), strict=True):
        if assignment.theme is None:
            missed += 1
            continue
        theme_id = int(assignment.theme)
        score = round(float(assignment.similarity), 4)
        session.add(FeedbackThemeMember(item_id=item_id, theme_id=theme_id, score=score))
        placed[item_id] = theme_id
    session.flush()
    return placed, missed


def _unplaced(session: Session, item_ids: Sequence[int]) -> list[int]:
    """The items that neither synthesis nor a person has placed yet."""
    query = select(FeedbackThemeMember.item_id)
    if len(item_ids) <= 500:
        query = query.where(FeedbackThemeMember.item_id.in_(list(item_ids)))
    known = set(session.scalars(query))
    return [i for i in item_ids if i not in known]


def _incremental(
    session: Session,
    items: Sequence[FeedbackItem],
    vectors: dict[int, np.ndarray],
    report: SynthesisReport,
    tick: Progress,
) -> None:
    todo = _unplaced(session, [i.id for i in items])
    tick(0, len(todo), "assigning to themes")
    index = _theme_index(session, report.model_id)
    if not todo or index is None:
        report.unassigned = len(todo)
        return
    placed, missed = _place_auto(session, todo, np.vstack([vectors[i] for i in todo]), index)
    refresh_themes(session, set(placed.values()))
    report.assigned, report.unassigned = len(placed), missed
    tick(len(todo), len(todo), "assigning to themes")


def _propose(
    session: Session,
    run: FeedbackSynthesisRun,
    items: Sequence[FeedbackItem],
    vectors: dict[int, np.ndarray],
    config: SynthesisConfig,
    report: SynthesisReport,
    known: Neighbours | None,
) -> None:
    """Re-cluster everything and file what differs from the curated themes as proposals."""
    matrix = np.vstack([vectors[i.id] for i in items])
    texts = [item_text(i) for i in items]
    result = synthesize(texts, matrix, config, known, phrases=embedder())  # the run's model
    fresh: list[list[int | str]] = [[items[p].id for p in t.items] for t in result.themes]
    curated: dict[int | str, list[int | str]] = {}
    for item_id, theme_id in session.execute(
        select(FeedbackThemeMember.item_id, FeedbackThemeMember.theme_id).where(
            FeedbackThemeMember.theme_id.is_not(None)
        )
    ):
        if theme_id is not None:
            curated.setdefault(int(theme_id), []).append(int(item_id))
    labels = [t.label for t in result.themes]
    proposals = propose_changes(curated, fresh, labels, min_size=config.clustering.min_theme_size)
    for old in session.scalars(
        select(FeedbackThemeProposal).where(FeedbackThemeProposal.status == ProposalStatus.open)
    ):
        old.status, old.decided_at = ProposalStatus.superseded, utcnow()
    rejected = _rejected_keys(session)
    names = dict(session.execute(select(FeedbackTheme.id, FeedbackTheme.label)).all())
    for proposal in proposals:
        key = (proposal.kind, tuple(sorted(int(t) for t in proposal.themes)))
        if proposal.kind != "new" and key in rejected:
            continue  # people said no to exactly this before
        payload = {
            "themes": [int(t) for t in proposal.themes],
            "theme_labels": [names.get(int(t), "") for t in proposal.themes],
            "groups": [[int(i) for i in g] for g in proposal.groups],
            "labels": _group_labels(proposal, result, fresh),
        }
        session.add(
            FeedbackThemeProposal(kind=ProposalKind(proposal.kind), payload=payload, run_id=run.id)
        )
        report.proposals += 1
    session.flush()


def _group_labels(proposal: Any, result: Any, fresh: list[list[int | str]]) -> list[str]:
    """A suggested label per group: the fresh theme holding most of the group."""
    out = []
    for group in proposal.groups:
        members = {int(i) for i in group}
        best = max(range(len(fresh)), key=lambda t: len(members & set(fresh[t])), default=None)
        out.append(result.themes[best].label if best is not None else "")
    return out


def _rejected_keys(session: Session) -> set[tuple[str, tuple[int, ...]]]:
    keys = set()
    for row in session.scalars(
        select(FeedbackThemeProposal).where(FeedbackThemeProposal.status == ProposalStatus.rejected)
    ):
        themes = tuple(sorted(int(t) for t in (row.payload or {}).get("themes", [])))
        keys.add((row.kind.value, themes))
    return keys


def last_run(session: Session) -> FeedbackSynthesisRun | None:
    """The most recent synthesis run, for status lines."""
    return session.scalar(select(FeedbackSynthesisRun).order_by(FeedbackSynthesisRun.id.desc()))


# --- per request ---------------------------------------------------------------------------


def assign_new_items(
    session: Session, item_ids: Sequence[int], *, loaded: Sequence[FeedbackItem] = ()
) -> dict[int, int | None]:
    """Embed new items, score their sentiment, link repeats and put each in the nearest theme.

    Nothing happens while there are no themes (the first synthesis run handles
    everything), so creating feedback never loads the model before synthesis
    has been used. A missing model is logged and left to the next run.

    Args:
        loaded: The items themselves, when the caller holds them in ``session``
            (a statement fewer); items of ``item_ids`` not among them are read.

    Returns:
        ``{item id: theme id or None}`` for the items considered.
    """
    ids = [int(i) for i in item_ids]
    if not ids:
        return {}
    themes_key = _themes_key(session)
    if not themes_key[0]:  # no theme has a centroid yet
        return {}
    try:
        model = embedder()
    except ModelUnavailableError as exc:
        log.warning("feedback items %s not assigned to themes: %s", ids[:5], exc)
        return {}
    wanted = set(ids)
    held = {i.id: i for i in loaded if i.id in wanted}
    missing = [i for i in ids if i not in held]
    items = list(held.values())
    if missing:
        items += session.scalars(select(FeedbackItem).where(FeedbackItem.id.in_(missing)))
    items.sort(key=lambda i: (i.created_at, i.id))
    vectors, _ = ensure_embeddings(session, items, model)
    _score_sentiment(session, items, vectors, model.model_id)
    link_new_duplicates(session, items, vectors, model.model_id)
    todo = [i for i in _unplaced(session, [i.id for i in items]) if i in vectors]
    index = _theme_index(session, model.model_id, themes_key)
    out: dict[int, int | None] = dict.fromkeys(ids)
    if todo and index is not None:
        placed, _ = _place_auto(session, todo, np.vstack([vectors[i] for i in todo]), index)
        out.update(placed)
    return out


def assign_new_item(session: Session, item_id: int) -> int | None:
    """:func:`assign_new_items` for one item; returns its theme id (``None``: no theme fits)."""
    return assign_new_items(session, [item_id]).get(int(item_id))
