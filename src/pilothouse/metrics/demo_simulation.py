"""The simulated product events of Ledgerly, the demo fintech (docs/demo.md).

Pure and seeded: :func:`simulate` turns a start instant into the same companies,
people and events every time, as Segment-style ``group``/``identify``/``track``
messages, so the demo step stores them through the real ingestion path.

What is simulated, per day of the 120-day period (day 0 = 120 days before today):

- **Companies** sign up (more on weekdays, slowly growing); a finance admin verifies
  the company and makes a first card payment. One-step verification (day 45 on, and
  the treatment arm of its experiment on days 20 to 40) verifies more people faster,
  and from its GA the virtual card is ready at once, so more verified admins pay:
  ``activation_rate`` lifts from about 49 % to about 79 % at day 45.
- **Card holders** join live companies and get a physical card; waiting for it some
  contact support (topic ``card_delivery``). Delivery tracking (day 85 on, and the
  treatment arm of "Delivery timeline in the app" on days 62 to 82) cuts those
  contacts by about 40% and lifts card activation by about 4 points.
- **Money movement**: transfers (a partner-bank incident on day 73) and top-ups,
  whose failures rise over the last 30 days; the "Top-up retry prompt" experiment
  (day 100 on) halves failures in its treatment arm.
- Card payments, app sessions and support contacts of other topics, with weekday
  seasonality and day-to-day noise shared by every event type.
- Two experiments that did not work, as most do: "Transfer arrival estimate" (days 30
  to 51, admins at their first transfer) and "Verification reminder e-mail" (days 100
  to 114, at sign-up) have exposures and no effect, so their analyses read flat.

Everything is drawn with numpy in whole arrays (people × days), so 120 days of a
few thousand companies take about a second.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from pilothouse.metrics.segment import Group, Identify, ParsedBatch, TrackedEvent

__all__ = [
    "DEMO_DAYS",
    "DEMO_EXPERIMENTS",
    "DELIVERY_TRACKING_DAY",
    "EXPOSURE_EVENT",
    "ONE_STEP_VERIFICATION_DAY",
    "SEED",
    "TOP_UP_SPIKE_DAY",
    "DemoExperimentPlan",
    "simulate",
]

DEMO_DAYS = 120
SEED = 20261206
DAY = 86_400
ONE_STEP_VERIFICATION_DAY = 45
DELIVERY_TRACKING_DAY = 85
TOP_UP_SPIKE_DAY = 90
TRANSFER_INCIDENT_DAY = 73
EXPOSURE_EVENT = "Experiment Viewed"
#: Share of sign-ups who verify with the old document upload and with one-step verification.
VERIFIED_OLD, VERIFIED_ONE_STEP = 0.72, 0.88
#: Share of verified sign-ups who make a card payment, before and after the GA: the GA
#: shipped one-step verification with the virtual card ready at once (the experiment
#: tested the verification step alone), so week-one activation rises from about 49 % to
#: about 79 %. With about 14 sign-ups a weekday the daily rate is noisy (±13 points), and
#: the experiment's treatment arm (days 20–40) lifts the days before GA: a smaller step
#: read 'no clear change' on 3 of 7 load weekdays; this one reads 'rose' on all 7.
PAYS, PAYS_AFTER_GA = 0.70, 0.90


@dataclass(frozen=True)
class DemoExperimentPlan:
    """When a demo experiment's exposures happen (days of the demo period)."""

    tracking_key: str
    start_day: int
    end_day: int | None  # None: still running


#: The experiments whose exposures are part of the simulation. The first three change
#: what their treatment arm does; "transfer_estimate" and "verification_reminder" are
#: the ideas that did not work: exposures only, so both arms behave alike (a flat
#: result, as most real experiments have).
DEMO_EXPERIMENTS = {
    "verification": DemoExperimentPlan("verification-one-step", 20, 40),
    "delivery": DemoExperimentPlan("delivery-timeline", 62, 82),
    "top_up": DemoExperimentPlan("top-up-retry-prompt", 100, None),
    "transfer_estimate": DemoExperimentPlan("transfer-arrival-estimate", 30, 51),
    "verification_reminder": DemoExperimentPlan("verification-reminder-email", 100, 114),
}

#: plan → (share of new sign-ups, share of established companies, card holders (low, high),
#: yearly fee in cents, fee per card holder in cents, segment)
PLANS: dict[str, tuple[float, float, tuple[int, int], int, int, str]] = {
    "free": (0.60, 0.30, (1, 1), 0, 0, "SMB"),
    "grow": (0.28, 0.38, (1, 3), 58_800, 0, "SMB"),
    "scale": (0.10, 0.24, (2, 8), 238_800, 12_000, "mid-market"),
    "enterprise": (0.02, 0.08, (5, 15), 1_500_000, 24_000, "enterprise"),
}
#: plan → (transfers, top-ups) per weekday of a live company
MONEY_RATES = {
    "free": (0.03, 0.06),
    "grow": (0.1, 0.12),
    "scale": (0.28, 0.22),
    "enterprise": (0.55, 0.35),
}
ESTABLISHED_COMPANIES = 220
#: Established customers are bigger and busier: teams and money movement, times these.
ESTABLISHED_TEAM, ESTABLISHED_MONEY = 5, 2.0
#: Share of established card holders who order a replacement card on a given day.
REPLACEMENT_RATE = 0.04

# fmt: off
FIRST = [
    "Northwind", "Bluebell", "Harbour", "Copper", "Juniper", "Maple", "Granite", "Saffron",
    "Orchard", "Lumen", "Kestrel", "Fjord", "Cedar", "Meridian", "Willow", "Atlas", "Brightside",
    "Tidewater", "Hollow Oak", "Sable", "Pinecrest", "Riverside", "Larkspur", "Ember", "Quarry",
    "Silverline", "Foxglove", "Beacon", "Highland", "Marigold", "Driftwood", "Aurora", "Greystone",
    "Thistle", "Cobalt", "Wildflower", "Summit", "Nettle", "Oakridge", "Seabreeze", "Redwood",
    "Moss & Co", "Lantern", "Clover", "Ironbridge", "Sunfield", "Heron", "Brook", "Alder", "Vale",
    "Cinder", "Rosehip", "Stonegate", "Otter", "Parkside", "Birchwood", "Crescent", "Elm Street",
    "Falcon", "Goldcrest", "Hazel", "Indigo", "Jasper", "Kingfisher", "Linden", "Mulberry",
]
KIND = [
    "Bakery", "Dental", "Logistics", "Studio", "Architects", "Coffee Roasters", "Builders",
    "Bikes", "Consulting", "Catering", "Florists", "Labs", "Travel", "Print Works", "Clinic",
    "Outdoor", "Brewing", "Motors", "Media", "Interiors", "Robotics", "Textiles", "Farms",
    "Events", "Legal", "Software", "Pharmacy", "Freight", "Games", "Gardens", "Optics",
    "Electrics", "Yoga", "Kitchens", "Removals", "Tutoring", "Security", "Joinery", "Ceramics",
    "Wines",
]
GIVEN = [
    "Ava", "Ben", "Chloe", "David", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Kira",
    "Leo", "Maya", "Nils", "Olivia", "Pablo", "Quinn", "Rosa", "Samir", "Tess", "Umar", "Vera",
    "Will", "Ximena", "Yusuf", "Zoe", "Aisha", "Bruno", "Carmen", "Dmitri", "Emma", "Felix",
    "Greta", "Hamza", "Isla", "Jakob", "Lena", "Marco", "Nora", "Oskar",
]
FAMILY = [
    "Andersen", "Bianchi", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Horvat", "Ivanova",
    "Jansen", "Kowalski", "Larsen", "Martin", "Novak", "Oliveira", "Petrov", "Quinlan", "Rossi",
    "Schmidt", "Tanaka", "Usman", "Varga", "Weber", "Xu", "Young", "Zimmer", "Achebe", "Brennan",
    "Castillo", "Delacroix", "Eriksen", "Fontaine", "Gallagher", "Haddad", "Ibarra", "Jovanovic",
]
# fmt: on
SUPPORT_CHANNELS = np.array(["chat", "email", "phone"])
TOP_UP_METHODS = np.array(["card", "bank_transfer", "apple_pay", "google_pay"])
TOP_UP_METHOD_SHARE = [0.45, 0.35, 0.12, 0.08]
TOP_UP_METHOD_RISK = np.array([1.4, 0.4, 1.0, 1.0])
PLATFORMS = np.array(["ios", "android", "web"])
MERCHANTS = np.array(
    ["software", "travel", "restaurants", "office", "fuel", "advertising", "other"]
)


@dataclass
class _Events:
    """Events as columns (seconds since the start), turned into messages at the end."""

    names: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    properties: list[dict[str, Any]] = field(default_factory=list)

    def add_at(
        self,
        name: str,
        users: list[str],
        accounts: list[str],
        rows: np.ndarray,
        seconds: Any,
        **props: Any,
    ) -> None:
        """:meth:`add` for the people at ``rows`` (``seconds`` and properties already are)."""
        self.add(name, [users[i] for i in rows], [accounts[i] for i in rows], seconds, **props)

    def add(self, name: str, users: Any, accounts: Any, seconds: Any, **props: Any) -> None:
        """Append one event per user; a property is a scalar or one value per event."""
        users, accounts = list(users), list(accounts)
        count = len(users)
        columns = {
            k: (v.tolist() if isinstance(v, np.ndarray) else [v] * count) for k, v in props.items()
        }
        self.names += [name] * count
        self.users += users
        self.accounts += accounts
        self.seconds += np.asarray(seconds, dtype=float).tolist()
        keys, values = list(columns), list(columns.values()) or [[()] * count]
        rows = zip(*values, strict=True)
        self.properties += [dict(zip(keys, row, strict=bool(keys))) for row in rows]


@dataclass
class _People:
    """Companies and their people, as parallel arrays (one row per company or person)."""

    company_ids: list[str]
    company_plan: np.ndarray  # plan names
    company_live: np.ndarray  # seconds from which the company moves money (inf: never)
    admin_of: np.ndarray  # company index → admin's person index
    person_ids: list[str] = field(default_factory=list)
    person_company: list[int] = field(default_factory=list)
    person_role: list[str] = field(default_factory=list)
    person_since: list[float] = field(default_factory=list)  # when the person joined


def _weekday(start: datetime) -> np.ndarray:
    return np.array([(start + timedelta(days=d)).weekday() < 5 for d in range(DEMO_DAYS)])


def _daytimes(rng: np.random.Generator, days: np.ndarray) -> np.ndarray:
    """Seconds since the start: the given days at a working-hours time of day."""
    hours = np.clip(rng.normal(13.5, 3.2, len(days)), 6.5, 23.0)
    return days * DAY + hours * 3600


def _in_window(seconds: np.ndarray, plan: DemoExperimentPlan) -> np.ndarray:
    end = DEMO_DAYS if plan.end_day is None else plan.end_day
    return (seconds >= plan.start_day * DAY) & (seconds < end * DAY)


def _expose(
    events: _Events,
    rng: np.random.Generator,
    users: list[str],
    accounts: list[str],
    seconds: np.ndarray,
    plan: DemoExperimentPlan,
) -> np.ndarray:
    """Exposure events a few seconds before ``seconds``; True where the unit got treatment.

    Assignment hashes the experiment key and the user id, as feature-flag SDKs do, so a
    user exposed twice (a second card) always sees the same variation.
    """
    del rng  # assignment is a hash, not a draw: sticky per user
    treated = np.array(
        [zlib.crc32(f"{plan.tracking_key}:{user}".encode()) % 2 == 1 for user in users],
        dtype=bool,
    )
    variation = np.where(treated, "treatment", "control")
    events.add(
        EXPOSURE_EVENT,
        users,
        accounts,
        seconds - 5,
        experiment=plan.tracking_key,
        variation=variation,
    )
    return treated


def _expose_first(
    sim: _Sim,
    users: list[str],
    accounts: list[str],
    rows: np.ndarray,
    seconds: np.ndarray,
    plan: DemoExperimentPlan,
) -> np.ndarray:
    """Expose each person (``rows`` index ``users``) at their first event in the plan's
    window; their variation, in the order of first exposure. Draws nothing from the
    random generator, so adding an experiment leaves every other simulated event alone."""
    inside = np.flatnonzero(_in_window(seconds, plan))
    inside = inside[np.lexsort((seconds[inside], rows[inside]))]
    first = inside[np.unique(rows[inside], return_index=True)[1]]
    first = first[np.argsort(seconds[first], kind="stable")]
    return _expose(
        sim.events,
        sim.rng,
        [users[rows[i]] for i in first],
        [accounts[rows[i]] for i in first],
        seconds[first],
        plan,
    )


@dataclass
class _Sim:
    """The shared state of one simulation run."""

    rng: np.random.Generator
    weekday: np.ndarray  # per day: Monday to Friday
    noise: np.ndarray  # per day: a factor shared by every event type (busy and quiet days)
    events: _Events = field(default_factory=_Events)

    def daily(self, weekday_rate: float, weekend_rate: float) -> np.ndarray:
        return np.where(self.weekday, weekday_rate, weekend_rate) * self.noise


def _company_names(rng: np.random.Generator, count: int) -> list[str]:
    names = [f"{a} {b}" for a in FIRST for b in KIND]
    order = rng.permutation(len(names))
    return [
        names[order[i % len(names)]] + ("" if i < len(names) else f" {i // len(names) + 1}")
        for i in range(count)
    ]


def _plans(rng: np.random.Generator, count: int, column: int) -> np.ndarray:
    shares = np.array([p[column] for p in PLANS.values()], dtype=float)
    return rng.choice(np.array(list(PLANS)), size=count, p=shares / shares.sum())


def _verification(
    sim: _Sim, seconds: np.ndarray, users: list[str], accounts: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Sign-up to verification to first card payment; (live from, first payment) seconds."""
    rng, count = sim.rng, len(users)
    plan = DEMO_EXPERIMENTS["verification"]
    treated = np.zeros(count, dtype=bool)
    idx = np.flatnonzero(_in_window(seconds, plan))
    treated[idx] = _expose(
        sim.events, rng, [users[i] for i in idx], [accounts[i] for i in idx], seconds[idx], plan
    )
    reminder = DEMO_EXPERIMENTS["verification_reminder"]
    _expose_first(sim, users, accounts, np.arange(count), seconds, reminder)  # no effect
    one_step = (seconds >= ONE_STEP_VERIFICATION_DAY * DAY) | treated
    verified = rng.random(count) < np.where(one_step, VERIFIED_ONE_STEP, VERIFIED_OLD)
    delay = np.where(one_step, rng.exponential(0.2, count), 0.3 + rng.exponential(2.0, count))
    verified_at = np.where(verified, seconds + delay * DAY, np.inf)
    ga = seconds >= ONE_STEP_VERIFICATION_DAY * DAY
    pays = verified & (rng.random(count) < np.where(ga, PAYS_AFTER_GA, PAYS))
    paid_at = np.where(pays, verified_at + rng.exponential(1.6, count) * DAY, np.inf)
    _onboarding_events(sim, users, accounts, seconds, one_step, verified_at, paid_at)
    return verified_at, paid_at


def _onboarding_events(
    sim: _Sim,
    users: list[str],
    accounts: list[str],
    seconds: np.ndarray,
    one_step: np.ndarray,
    verified_at: np.ndarray,
    paid_at: np.ndarray,
) -> None:
    """Sign-ups, verifications, the admin's virtual card and first payment, and the
    support contacts of people stuck in (or slowed by) the old verification flow."""
    rng, events, count = sim.rng, sim.events, len(users)
    referrers = np.array(["search", "partner", "accountant", "direct"])
    platform = rng.choice(PLATFORMS, count, p=[0.3, 0.2, 0.5])
    referrer = rng.choice(referrers, count)
    events.add("Signed Up", users, accounts, seconds, platform=platform, referrer=referrer)
    verified = np.isfinite(verified_at)
    v = np.flatnonzero(verified)
    method = np.where(one_step[v], "one_step", "document_upload")
    events.add_at("Identity Verified", users, accounts, v, verified_at[v], method=method)
    events.add_at("Card Ordered", users, accounts, v, verified_at[v] + 60, card_type="virtual")
    events.add_at("Card Activated", users, accounts, v, verified_at[v] + 90, card_type="virtual")
    p = np.flatnonzero(np.isfinite(paid_at))
    amount = _amounts(rng, len(p))
    merchant = rng.choice(MERCHANTS, len(p))
    events.add_at(
        "Card Payment", users, accounts, p, paid_at[p], amount_cents=amount,
        merchant_category=merchant, abroad=False,
    )  # fmt: skip
    asks = rng.random(count) < np.where(verified, 0.08, 0.4)
    stuck = np.flatnonzero((~verified | ~one_step) & asks)
    asked_at = seconds[stuck] + rng.uniform(0.2, 3, len(stuck)) * DAY
    _support(sim, users, accounts, stuck, asked_at, "verification")


def _amounts(rng: np.random.Generator, count: int) -> np.ndarray:
    """Card payment amounts in integer cents (median about 42 euros, a long tail)."""
    return np.clip(np.round(rng.lognormal(np.log(4200), 1.0, count)), 150, 2_500_000).astype(
        np.int64
    )


@dataclass
class _Company:
    """One customer account: who runs it, and from when it moves money."""

    external_id: str
    name: str
    plan: str
    joined: float  # seconds since the start (negative: a customer before the period)
    live: float  # verified: moves money and pays by card from here (inf: never)
    first_payment: float = -1.0  # the admin's first card payment (inf: never)
    admin: str = ""
    holders: list[tuple[str, float]] = field(default_factory=list)  # (user id, since)


def _companies(sim: _Sim) -> list[_Company]:
    """Established customers, then every company that signs up in the period."""
    rng = sim.rng
    days = np.arange(DEMO_DAYS)
    signups = np.repeat(days, rng.poisson(sim.daily(14.0, 5.0) * (1 + 0.004 * days)))
    count = ESTABLISHED_COMPANIES + len(signups)
    names = _company_names(rng, count)
    plans = np.concatenate([_plans(rng, ESTABLISHED_COMPANIES, 1), _plans(rng, len(signups), 0)])
    joined = np.concatenate(
        [-rng.uniform(30, 900, ESTABLISHED_COMPANIES) * DAY, _daytimes(rng, signups)]
    )
    companies = [
        _Company(f"acct-{i + 1:04d}", names[i], str(plans[i]), float(joined[i]), 0.0)
        for i in range(count)
    ]
    for company in companies:
        company.admin = f"{company.external_id}-u01"
    new = companies[ESTABLISHED_COMPANIES:]
    live, paid = _verification(
        sim, joined[ESTABLISHED_COMPANIES:], [c.admin for c in new], [c.external_id for c in new]
    )
    for company, at, first in zip(new, live, paid, strict=True):
        company.live, company.first_payment = float(at), float(first)
    return companies


def _add_holders(sim: _Sim, companies: list[_Company]) -> None:
    """Card holders: the staff of established companies, new hires, and new customers' teams."""
    rng = sim.rng
    for company in companies:
        if not np.isfinite(company.live):
            continue
        low, high = PLANS[company.plan][2]
        team = int(rng.integers(low, high + 1))
        if company.joined < 0:
            since = [-1.0] * (team * ESTABLISHED_TEAM)
            since += sorted(rng.uniform(0, DEMO_DAYS * DAY, rng.poisson(team)).tolist())
        else:
            since = sorted((company.live + rng.uniform(0.5, 30, team) * DAY).tolist())
        company.holders = [
            (f"{company.external_id}-u{n + 2:02d}", s)
            for n, s in enumerate(since)
            if s < DEMO_DAYS * DAY
        ]


def _cards(sim: _Sim, users: list[str], accounts: list[str], ordered: np.ndarray) -> np.ndarray:
    """Physical cards ordered, delivered and (mostly) activated; when each card works.

    Waiting for a card, some holders ask support where it is; delivery tracking (the
    treatment of "Delivery timeline in the app", then everyone from its GA) means fewer
    ask and more activate in time.
    """
    rng, count, events = sim.rng, len(users), sim.events
    plan = DEMO_EXPERIMENTS["delivery"]
    treated = np.zeros(count, dtype=bool)
    idx = np.flatnonzero(_in_window(ordered, plan))
    treated[idx] = _expose(
        events, rng, [users[i] for i in idx], [accounts[i] for i in idx], ordered[idx], plan
    )
    tracking = (ordered >= DELIVERY_TRACKING_DAY * DAY) | treated
    delivery = 2.5 + rng.gamma(2.0, 1.6, count)  # days in the post
    late = np.where(delivery > 8, 1.6, 1.0)
    asks = rng.random(count) < np.where(tracking, 0.14, 0.28) * late
    activates = rng.random(count) < np.where(tracking, 0.975, 0.93)
    active = np.where(activates, ordered + (delivery + rng.exponential(1.0, count)) * DAY, np.inf)
    events.add("Card Ordered", users, accounts, ordered, card_type="physical")
    a = np.flatnonzero(activates)
    events.add(
        "Card Activated",
        [users[i] for i in a],
        [accounts[i] for i in a],
        active[a],
        card_type="physical",
    )
    c = np.flatnonzero(asks)
    events.add(
        "Support Contact",
        [users[i] for i in c],
        [accounts[i] for i in c],
        ordered[c] + rng.uniform(2.5, delivery[c] + 1.5) * DAY,
        topic="card_delivery",
        channel=rng.choice(SUPPORT_CHANNELS, len(c)),
    )
    return active


def _replacement_cards(sim: _Sim, users: list[str], accounts: list[str], rows: np.ndarray) -> None:
    """Established card holders replacing a lost, damaged or expiring card."""
    always = np.full(len(rows), -1.0), np.full(len(rows), np.inf)
    person, day = _daily_draws(sim, *always, sim.daily(REPLACEMENT_RATE, REPLACEMENT_RATE / 3))
    who = rows[person]
    when = _daytimes(sim.rng, day)
    _cards(sim, [users[i] for i in who], [accounts[i] for i in who], when)


def _daily_draws(
    sim: _Sim, since: np.ndarray, until: np.ndarray, rate: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(person, day) of one Bernoulli draw per person and day between ``since`` and
    ``until`` (seconds, exclusive of the days they fall on), with per-day ``rate``."""
    days = np.arange(DEMO_DAYS)
    open_ = (days[None, :] * DAY > since[:, None]) & ((days[None, :] + 1) * DAY < until[:, None])
    hit = open_ & (sim.rng.random((len(since), DEMO_DAYS)) < rate[None, :])
    return np.nonzero(hit)


def _usage(
    sim: _Sim,
    users: list[str],
    accounts: list[str],
    roles: np.ndarray,
    joined: np.ndarray,
    paying: np.ndarray,
    leaves: np.ndarray,
) -> None:
    """Card payments (from when a person's card works) and app sessions (from joining)."""
    admin = roles == "finance_admin"
    for who, pay_rate, open_rate, platforms in (
        (admin, (0.12, 0.04), (0.16, 0.05), [0.3, 0.2, 0.5]),
        (~admin, (0.035, 0.015), (0.13, 0.05), [0.5, 0.4, 0.1]),
    ):
        idx = np.flatnonzero(who)
        person, day = _daily_draws(sim, paying[idx], leaves[idx], sim.daily(*pay_rate))
        _payments(sim, users, accounts, idx[person], day)
        person, day = _daily_draws(sim, joined[idx], leaves[idx], sim.daily(*open_rate))
        _sessions(sim, users, accounts, idx[person], day, platforms)


def _payments(
    sim: _Sim, users: list[str], accounts: list[str], rows: np.ndarray, day: np.ndarray
) -> None:
    """Card payments; a few made abroad end in a question about the exchange rate."""
    rng, count = sim.rng, len(rows)
    abroad = rng.random(count) < 0.08
    sim.events.add_at(
        "Card Payment",
        users,
        accounts,
        rows,
        _daytimes(rng, day),
        amount_cents=_amounts(rng, count),
        merchant_category=rng.choice(MERCHANTS, count),
        abroad=abroad,
    )
    asks = np.flatnonzero(abroad & (rng.random(count) < 0.03))
    _support(sim, users, accounts, rows[asks], _daytimes(rng, day[asks]) + 1800, "exchange_rate")


def _sessions(
    sim: _Sim,
    users: list[str],
    accounts: list[str],
    rows: np.ndarray,
    day: np.ndarray,
    platforms: list[float],
) -> None:
    """App sessions; a few end in a support contact about something else."""
    rng, count = sim.rng, len(rows)
    platform = rng.choice(PLATFORMS, count, p=platforms)
    seconds = _daytimes(rng, day)
    sim.events.add_at("App Opened", users, accounts, rows, seconds, platform=platform)
    asks = np.flatnonzero(rng.random(count) < 0.006)
    _support(sim, users, accounts, rows[asks], seconds[asks] + 300, "other")


def _support(
    sim: _Sim,
    users: list[str],
    accounts: list[str],
    rows: np.ndarray,
    seconds: np.ndarray,
    topic: str,
) -> None:
    sim.events.add(
        "Support Contact",
        [users[i] for i in rows],
        [accounts[i] for i in rows],
        seconds,
        topic=topic,
        channel=sim.rng.choice(SUPPORT_CHANNELS, len(rows)),
    )


def _poisson_days(sim: _Sim, live: np.ndarray, rates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(company, day) once per event of a per-company, per-day Poisson process."""
    days = np.arange(DEMO_DAYS)
    rates = rates * np.where(live < 0, ESTABLISHED_MONEY, 1.0)
    lam = rates[:, None] * np.where(sim.weekday, 1.0, 0.12)[None, :] * sim.noise[None, :]
    lam = np.where(days[None, :] * DAY > live[:, None], lam, 0.0)
    counts = sim.rng.poisson(lam)
    company, day = np.nonzero(counts)
    repeat = counts[company, day]
    return np.repeat(company, repeat), np.repeat(day, repeat)


def _transfers(
    sim: _Sim, admins: list[str], accounts: list[str], live: np.ndarray, plans: np.ndarray
) -> None:
    """Transfers sent and completed; failures (and a partner-bank incident) prompt contacts."""
    rng, events = sim.rng, sim.events
    rates = np.array([MONEY_RATES[p][0] for p in plans])
    company, day = _poisson_days(sim, live, rates)
    count = len(company)
    users, accts = [admins[i] for i in company], [accounts[i] for i in company]
    sent = _daytimes(rng, day)
    kind = np.where(rng.random(count) < 0.2, "international", "domestic")
    amount = np.round(rng.lognormal(np.log(120_000), 1.1, count)).astype(np.int64)
    events.add("Transfer Sent", users, accts, sent, amount_cents=amount, kind=kind)
    # The arrival estimate changed nothing: its exposures alone (a flat experiment).
    _expose_first(sim, admins, accounts, company, sent, DEMO_EXPERIMENTS["transfer_estimate"])
    fails = rng.random(count) < np.where(day == TRANSFER_INCIDENT_DAY, 0.09, 0.006)
    delay = np.where(
        kind == "domestic", rng.uniform(30, 3600, count), rng.uniform(1, 6, count) * 3600
    )
    arrives = np.minimum(sent + delay, (day + 1) * DAY - 1)  # same day: rates stay daily
    done = np.flatnonzero(~fails)
    events.add(
        "Transfer Completed",
        [users[i] for i in done],
        [accts[i] for i in done],
        arrives[done],
        amount_cents=amount[done],
        kind=kind[done],
    )
    asks = np.flatnonzero((fails & (rng.random(count) < 0.5)) | (rng.random(count) < 0.008))
    _support(sim, admins, accounts, company[asks], sent[asks] + 3 * 3600, "transfer")


def _top_ups(
    sim: _Sim, admins: list[str], accounts: list[str], live: np.ndarray, plans: np.ndarray
) -> None:
    """Top-ups started, completed or failed; failures rise over the last 30 days, and the
    treatment of "Top-up retry prompt" (day 100 on) recovers half of them."""
    rng, events = sim.rng, sim.events
    company, day = _poisson_days(sim, live, np.array([MONEY_RATES[p][1] for p in plans]))
    started = _daytimes(rng, day)
    order = np.lexsort((started, company))
    company, day, started = company[order], day[order], started[order]
    count = len(company)
    method = rng.choice(len(TOP_UP_METHODS), count, p=TOP_UP_METHOD_SHARE)
    spike = np.clip((day - TOP_UP_SPIKE_DAY) / (DEMO_DAYS - TOP_UP_SPIKE_DAY), 0, 1)
    risk = (0.03 + 0.09 * spike) * TOP_UP_METHOD_RISK[method]
    risk = np.where(_retry_prompt(sim, admins, accounts, company, started), risk * 0.5, risk)
    fails = rng.random(count) < risk
    users, accts = [admins[i] for i in company], [accounts[i] for i in company]
    amount = (rng.integers(2, 200, count) * 5000).astype(np.int64)
    methods = TOP_UP_METHODS[method]
    events.add("Top-up Started", users, accts, started, method=methods, amount_cents=amount)
    ok, bad = np.flatnonzero(~fails), np.flatnonzero(fails)
    done = started + rng.uniform(5, 120, count)
    events.add_at(
        "Top-up Completed", users, accts, ok, done[ok], method=methods[ok], amount_cents=amount[ok]
    )
    reasons = np.array(["declined", "reverted", "timeout"])
    reason = rng.choice(reasons, len(bad), p=[0.6, 0.25, 0.15])
    events.add_at("Top-up Failed", users, accts, bad, done[bad], method=methods[bad], reason=reason)
    asks = bad[rng.random(len(bad)) < 0.35]
    _support(sim, admins, accounts, company[asks], started[asks] + 900, "top_up")


def _retry_prompt(
    sim: _Sim, admins: list[str], accounts: list[str], company: np.ndarray, started: np.ndarray
) -> np.ndarray:
    """Expose each company's admin at their first top-up in the experiment's window; True
    for the top-ups of treated admins from then on. ``company`` is sorted, times within."""
    plan = DEMO_EXPERIMENTS["top_up"]
    inside = _in_window(started, plan)
    rows = np.flatnonzero(inside)
    first_rows = rows[np.unique(company[rows], return_index=True)[1]]
    treated = _expose(
        sim.events,
        sim.rng,
        [admins[company[i]] for i in first_rows],
        [accounts[company[i]] for i in first_rows],
        started[first_rows],
        plan,
    )
    treated_companies = set(company[first_rows[treated]].tolist())
    return inside & np.isin(company, list(treated_companies))


def _arr_cents(company: _Company) -> int:
    if not np.isfinite(company.live):
        return 0
    fee, per_card = PLANS[company.plan][3], PLANS[company.plan][4]
    return fee + per_card * len(company.holders)


def _person(names: random.Random, company: _Company, taken: set[str]) -> tuple[str, str]:
    """A name and a unique e-mail at the company's domain."""
    while True:
        given, family = names.choice(GIVEN), names.choice(FAMILY)
        local = f"{given}.{family}".lower()
        if local not in taken:
            taken.add(local)
            domain = "".join(ch for ch in company.name.lower() if ch.isalnum())
            return f"{given} {family}", f"{local}@{domain}.example"


def _entities(
    names: random.Random, companies: list[_Company], start: datetime, now: datetime
) -> tuple[list[Identify], list[Group]]:
    """``identify`` and ``group`` calls: companies with plan, segment and ARR; their people."""
    identifies, groups = [], []
    for company in companies:
        plan = company.plan if np.isfinite(company.live) else "free"
        traits = {
            "name": company.name,
            "plan": plan,
            "segment": PLANS[plan][5],
            "arr_cents": _arr_cents(company),
            "cards": len(company.holders),
        }
        taken: set[str] = set()
        people = [(company.admin, max(company.joined, 0.0), "finance_admin")]
        people += [(user, max(since, 0.0), "card_holder") for user, since in company.holders]
        for user, since, role in people:
            when = min(start + timedelta(seconds=since), now)
            name, email = _person(names, company, taken)
            identifies.append(
                Identify(
                    f"demo-id-{user}",
                    user,
                    None,
                    company.external_id,
                    {"name": name, "email": email, "role": role},
                    when,
                )
            )
            groups.append(Group(f"demo-grp-{user}", company.external_id, user, None, traits, when))
    return identifies, groups


def _people_arrays(companies: list[_Company]) -> dict[str, Any]:
    users, accounts, roles, joined, admin_rows = [], [], [], [], []
    for company in companies:
        admin_rows.append(len(users))
        users.append(company.admin)
        joined.append(company.joined)
        roles.append("finance_admin")
        for user, since in company.holders:
            users.append(user)
            joined.append(since)
            roles.append("card_holder")
        accounts += [company.external_id] * (1 + len(company.holders))
    return {
        "users": users,
        "accounts": accounts,
        "roles": np.array(roles),
        "joined": np.array(joined),
        "admin_rows": np.array(admin_rows),
    }


def simulate(start: datetime, now: datetime, seed: int = SEED) -> ParsedBatch:
    """Every message of the demo period from ``start`` (day 0) up to ``now``.

    The same seed gives the same messages (ids included); events after ``now`` are left
    out, so the last day is partial like a real today.
    """
    rng = np.random.default_rng(seed)
    sim = _Sim(rng, _weekday(start), rng.lognormal(0.0, 0.07, DEMO_DAYS))
    companies = _companies(sim)
    _add_holders(sim, companies)
    people = _people_arrays(companies)
    users, accounts, joined = people["users"], people["accounts"], people["joined"]
    paying = np.where(joined < 0, -1.0, np.inf)
    new = np.flatnonzero(joined >= 0)
    holders = new[people["roles"][new] == "card_holder"]
    paying[holders] = _cards(
        sim, [users[i] for i in holders], [accounts[i] for i in holders], joined[holders]
    )
    established = np.flatnonzero((joined < 0) & (people["roles"] == "card_holder"))
    _replacement_cards(sim, users, accounts, established)
    leaves = np.full(len(users), np.inf)
    admin_rows = people["admin_rows"]
    paying[admin_rows] = [c.first_payment for c in companies]
    gone = np.array([c.joined + 5 * DAY if not np.isfinite(c.live) else np.inf for c in companies])
    leaves[admin_rows] = gone
    _usage(sim, users, accounts, people["roles"], joined, paying, leaves)
    live = np.array([c.live if c.joined >= 0 else -1.0 for c in companies])
    plans = np.array([c.plan for c in companies])
    admins, ids = [c.admin for c in companies], [c.external_id for c in companies]
    _transfers(sim, admins, ids, live, plans)
    _top_ups(sim, admins, ids, live, plans)
    identifies, groups = _entities(random.Random(seed), companies, start, now)
    return _batch(sim.events, start, now, identifies, groups)


def _batch(
    events: _Events, start: datetime, now: datetime, identifies: list[Identify], groups: list[Group]
) -> ParsedBatch:
    """The tracked events that happened before ``now``, with fixed message ids."""
    horizon = (now - start).total_seconds()
    base = start.timestamp()
    batch = ParsedBatch(identifies=identifies, groups=groups)
    batch.events = [
        TrackedEvent(
            f"demo-{index}",
            events.names[index],
            events.users[index],
            None,
            events.accounts[index],
            datetime.fromtimestamp(base + seconds, UTC),
            events.properties[index],
        )
        for index, seconds in enumerate(events.seconds)
        if seconds < horizon
    ]
    return batch
