"""Demo people and the product areas of Ledgerly, the demo product (docs/demo.md).

Ledgerly is a B2B fintech (business accounts, corporate cards, transfers and top-ups
for small and mid-sized companies) with a product organisation of about 12 people.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core import areas, users
from pilothouse.core.actor import Actor
from pilothouse.core.models import ProductArea, Role, User
from pilothouse.core.runtime import Runtime
from pilothouse.demo.registry import DemoResult

__all__ = ["DEMO_ADMIN_EMAIL", "load_people_and_areas"]

DEMO_ADMIN_EMAIL = "admin@pilothouse.example"

#: (name, e-mail, role): Product Ops, product managers, and stakeholders who read.
PEOPLE = [
    ("Morgan Reyes", DEMO_ADMIN_EMAIL, Role.admin),
    ("Priya Natarajan", "priya.natarajan@pilothouse.example", Role.admin),
    ("Daniel Okafor", "daniel.okafor@pilothouse.example", Role.editor),
    ("Sofia Lindqvist", "sofia.lindqvist@pilothouse.example", Role.editor),
    ("Kenji Watanabe", "kenji.watanabe@pilothouse.example", Role.editor),
    ("Amara Mensah", "amara.mensah@pilothouse.example", Role.editor),
    ("Lucas Moreau", "lucas.moreau@pilothouse.example", Role.editor),
    ("Hannah Goldberg", "hannah.goldberg@pilothouse.example", Role.editor),
    ("Mateo Alvarez", "mateo.alvarez@pilothouse.example", Role.editor),
    ("Grace Liu", "grace.liu@pilothouse.example", Role.viewer),
    ("Tomasz Nowak", "tomasz.nowak@pilothouse.example", Role.viewer),
    ("Fatima Zahra", "fatima.zahra@pilothouse.example", Role.viewer),
]

#: (name, owner e-mail, description): the product areas of Ledgerly, the demo product.
AREAS = [
    (
        "Cards",
        "kenji.watanabe@pilothouse.example",
        "Physical and virtual corporate cards: ordering, delivery, activation and card payments.",
    ),
    (
        "Payments & Transfers",
        "amara.mensah@pilothouse.example",
        "Outgoing and incoming bank transfers, payees, transfer status and exchange.",
    ),
    (
        "Onboarding & Verification",
        "daniel.okafor@pilothouse.example",
        "Company sign-up, identity and business verification (KYC/KYB), the first week.",
    ),
    (
        "Top-ups & Balance",
        "sofia.lindqvist@pilothouse.example",
        "Adding money to the business account by card, bank or wallet; balances.",
    ),
    (
        "Spend Management",
        "hannah.goldberg@pilothouse.example",
        "Spending limits, approvals, receipts and expense categories for finance admins.",
    ),
    ("Mobile Apps", "lucas.moreau@pilothouse.example", "The iOS and Android apps."),
]


def load_people_and_areas(session: Session, actor: Actor, runtime: Runtime) -> DemoResult:
    """Add the demo people and areas that are missing. The admin gets a fresh password."""
    result = DemoResult()
    by_email = {u.email: u for u in session.scalars(select(User))}
    for name, email, role in PEOPLE:
        if email in by_email:
            continue
        password = secrets.token_urlsafe(12) if email == DEMO_ADMIN_EMAIL else None
        by_email[email] = users.create_user(
            session, actor, runtime.passwords, email=email, name=name, role=role, password=password
        )
        result.added["people"] = result.added.get("people", 0) + 1
        if password:
            result.notices.append(
                f"Sign in as {email} with password {password} (shown once; change it "
                "under Account → Password)."
            )
    existing = set(session.scalars(select(ProductArea.name)))
    for name, owner_email, description in AREAS:
        if name in existing:
            continue
        areas.create_area(
            session, actor, name=name, description=description, owner_id=by_email[owner_email].id
        )
        result.added["product areas"] = result.added.get("product areas", 0) + 1
    return result
