"""Demo feedback: real customer messages from public labelled sets, on the demo accounts.

About 1,500 items: 1,232 online-banking customer messages of BANKING77 (16 per
intent from its test split; CC BY 4.0, Casanueva et al. 2020) as support
tickets, in-app messages, e-mails and CS notes from the demo accounts'
people, and 300 product-review sentences of the UCI "Sentiment Labelled
Sentences" set (Kotzias et al. 2015) as app reviews. The files are read at load
time from the ``shared/data/feedback`` folder next to the checkout, or from
``<home>/demo-data/feedback``; without them the step adds nothing and says so.
(The airline tweets are CC BY-NC-SA and stay test data: never used here.)

Idempotent: items carry stable external ids, so a reload adds nothing twice.
After loading, synthesis runs once so the demo opens with themes, sentiment
and duplicates (about 10 s for the ~1,500 items on two cores, mostly embedding).
"""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.accounts import service as accounts_service
from pilothouse.core.actor import Actor
from pilothouse.core.db import utcnow
from pilothouse.core.errors import NotFound
from pilothouse.core.runtime import Runtime
from pilothouse.demo.registry import DemoResult
from pilothouse.feedback import service, themes
from pilothouse.feedback.models import FeedbackItem
from pilothouse.feedback.synthesis_service import synthesize_feedback

__all__ = ["DEMO_SOURCE", "data_folders", "load_demo_feedback"]

DEMO_SOURCE = "demo"
SEED = 20261126
PER_INTENT = 16
REVIEWS = 300
DAYS = 120
#: (source kind, share) of the BANKING77 messages.
KINDS = (("support_ticket", 0.55), ("in_app", 0.2), ("email", 0.15), ("cs_note", 0.1))


def data_folders(runtime: Runtime) -> list[Path]:
    """Where the public data sets are looked for, in order."""
    checkout = Path(__file__).resolve().parents[3]
    return [
        checkout.parent / "shared" / "data" / "feedback",
        runtime.settings.home / "demo-data" / "feedback",
    ]


def _banking(folder: Path) -> list[tuple[str, str]]:
    per_intent: dict[str, list[str]] = {}
    with (folder / "banking77" / "test.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            texts = per_intent.setdefault(row["category"], [])
            if len(texts) < PER_INTENT:
                texts.append(row["text"].strip())
    return [(intent, text) for intent, texts in sorted(per_intent.items()) for text in texts]


def _reviews(folder: Path) -> list[tuple[str, int]]:
    rows = []
    path = folder / "uci_sentiment" / "amazon_cells_labelled.txt"
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines()[:REVIEWS]:
        text, _, label = line.rpartition("\t")
        if text.strip():
            rows.append((text.strip(), int(label or 0)))
    return rows


def _account_keys(session: Session) -> list[str]:
    keys = []
    for number in range(1, 121):
        key = f"acct-{number:03d}"
        try:
            accounts_service.find_account(session, key)
        except NotFound:
            continue
        keys.append(key)
    return keys


def _values(rng: np.random.Generator, accounts: list[str], folder: Path) -> list[dict[str, object]]:
    now = utcnow()
    kinds, shares = zip(*KINDS, strict=True)
    items: list[dict[str, object]] = []
    for index, (intent, text) in enumerate(_banking(folder)):
        account = str(rng.choice(accounts)) if accounts else None
        items.append({
            "external_id": f"banking77-{index:04d}",
            "text": text,
            "source_kind": str(rng.choice(kinds, p=shares)),
            "account": account,
            "author_email": f"{account}-u01@{account}.example" if account else None,
            "tags": [intent.replace("_", "-")],
        })  # fmt: skip
    for index, (text, label) in enumerate(_reviews(folder)):
        items.append({
            "external_id": f"review-{index:04d}",
            "text": text,
            "source_kind": "app_review",
            "rating": int(rng.integers(4, 6)) if label else int(rng.integers(1, 3)),
        })  # fmt: skip
    for item in items:
        item["created_at"] = now - timedelta(minutes=int(rng.integers(0, DAYS * 24 * 60)))
        item["source_name"] = DEMO_SOURCE
    return items


def load_demo_feedback(session: Session, actor: Actor, runtime: Runtime) -> DemoResult:
    folder = next((f for f in data_folders(runtime) if (f / "banking77").is_dir()), None)
    if folder is None:
        return DemoResult(notices=["feedback: the public data sets were not found; skipped"])
    known = set(
        session.scalars(
            select(FeedbackItem.external_id).where(FeedbackItem.source_name == DEMO_SOURCE)
        )
    )
    rng = np.random.default_rng(SEED)
    added = 0
    for values in _values(rng, _account_keys(session), folder):
        if values["external_id"] in known:
            continue
        clean = {k: v for k, v in values.items() if v is not None}
        service.create_feedback(session, actor, clean)
        added += 1
    result = DemoResult(added={"feedback items": added} if added else {})
    _synthesize(session, actor, result, added)
    return result


def _synthesize(session: Session, actor: Actor, result: DemoResult, added: int) -> None:
    """Run synthesis so the demo has themes, sentiment and duplicates (about 10 s once)."""
    if not added and themes.list_themes(session, include_hidden=True):
        return
    report = synthesize_feedback(session, actor)
    if report.themes_created:
        result.added["feedback themes"] = report.themes_created
    if not report.ok:
        result.notices.append(f"feedback synthesis: {report.message}")
