"""Build the demo's bundled BANKING77 subset from the shared data, reproducibly.

The demo workspace (Ledgerly, a business-banking product) needs real customer
messages that load after a plain ``pip install``, so a subset of BANKING77
(CC BY 4.0, Casanueva et al. 2020) ships inside the package. This script picks
it: every intent of the demo story's chains well represented, plus a spread of
other intents so the theme list looks like a real support inbox. Same input,
same seed → the same file, byte for byte.

Usage: ``python scripts/build_demo_feedback.py [path/to/banking77/train.csv]``
"""

from __future__ import annotations

import csv
import random
import sys
from pathlib import Path

__all__ = ["CHAIN_INTENTS", "OTHER_INTENTS", "build"]

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "data" / "feedback" / "banking77" / "train.csv"
TARGET = ROOT / "src" / "pilothouse" / "feedback" / "demo_data" / "banking77_subset.csv"
SEED = 20261206

#: The intents behind the story's themes, with how many messages of each.
CHAIN_INTENTS = {
    "card_arrival": 130,
    "card_delivery_estimate": 90,
    "verify_my_identity": 60,
    "why_verify_identity": 50,
    "unable_to_verify_identity": 60,
    "top_up_failed": 120,
    "top_up_reverted": 60,
    "pending_top_up": 70,
    "transfer_not_received_by_recipient": 80,
    "pending_transfer": 60,
    "transfer_timing": 50,
    "exchange_rate": 50,
    "card_payment_wrong_exchange_rate": 50,
    "exchange_charge": 40,
}
#: Everyday questions of a business-banking inbox, 30 messages each.
OTHER_INTENTS = (
    "activate_my_card",
    "apple_pay_or_google_pay",
    "atm_support",
    "card_not_working",
    "card_payment_fee_charged",
    "cash_withdrawal_charge",
    "change_pin",
    "country_support",
    "declined_card_payment",
    "direct_debit_payment_not_recognised",
    "disposable_card_limits",
    "edit_personal_details",
    "getting_virtual_card",
    "lost_or_stolen_card",
    "passcode_forgotten",
    "request_refund",
    "terminate_account",
    "transaction_charged_twice",
)
OTHER_COUNT = 30


def build(source: Path, target: Path) -> int:
    """Write ``text,intent`` rows (by intent, sampled with :data:`SEED`); returns the count."""
    by_intent: dict[str, list[str]] = {}
    with source.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            text = " ".join(row["text"].split())
            if text:
                by_intent.setdefault(row["category"], []).append(text)
    wanted = dict(CHAIN_INTENTS) | dict.fromkeys(OTHER_INTENTS, OTHER_COUNT)
    rng = random.Random(SEED)
    rows: list[tuple[str, str]] = []
    for intent, count in sorted(wanted.items()):
        texts = sorted(set(by_intent[intent]))
        rows += [(text, intent) for text in rng.sample(texts, count)]
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("text", "intent"))
        writer.writerows(rows)
    return len(rows)


if __name__ == "__main__":
    count = build(Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE, TARGET)
    print(f"wrote {count} messages to {TARGET}")  # noqa: T201
