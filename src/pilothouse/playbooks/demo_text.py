"""The text of Ledgerly's demo playbooks and the PM onboarding steps (docs/demo.md).

Kept apart from ``demo.py`` because it is prose, not logic: the product team's real way
of launching, experimenting and triaging feedback, written the way a Product Ops lead
would write it for the team.
"""

from __future__ import annotations

from typing import Any

__all__ = ["EXPERIMENT_BODY", "LAUNCH_BODY_V1", "LAUNCH_BODY_V2", "PM_STEPS", "TRIAGE_BODY"]

_LAUNCH_INTRO = """\
Every customer-facing change at Ledgerly ships through a launch in Pilothouse, built from
the **Standard feature launch** template (or **Beta programme** for connectors and
migrations). This page says what each stage means and who signs off.

## 1. Pick the tier

Set the roadmap field *Launch tier* on the item before the launch is created:

| Tier | When | What customers see |
|---|---|---|
| Tier 1: announced | new capability, pricing or plan change | e-mail, in-app banner, changelog |
| Tier 2: release notes | visible improvement | changelog entry |
| Tier 3: silent | fixes, internal tools | nothing |

## 2. Discovery

- Link the feedback themes and accounts the item answers (at least one theme for Tier 1).
- Write the success metric into the launch: a catalog metric such as `card_activation_rate`
  with the change you expect, and a guardrail (usually `support_contact_rate`).
- *Discovery review* gate: Product Ops checks the evidence and the metric.

## 3. Build

- Engineering owns the checklist; the PM keeps the target date honest. A date that moves
  twice goes to the weekly product review.
- Support gets the help-centre draft one week before GA.
"""

_LAUNCH_BETA = """
## 4. Beta (Tier 1 only)

- 20–50 accounts from the themes' customer list, across plans; free accounts at most half.
- Run at least two weeks, or until 30 accounts used the feature three times.
- Collect feedback with the source *beta* so it lands in the same themes.
- We added this step after the Spend Management beta found the approval limits confusing
  two days before GA.
"""

_LAUNCH_END = """
## {n}. Go / no-go

- The *Launch review* gate needs the PM, the area owner and Support.
- Release notes are written in the launch and published to the changelog at GA.
- If an experiment is linked, the decision on it must be recorded first (see the
  [experiment playbook](/playbooks/experiment-playbook)).

## {m}. After launch

- Check the success metric at 2 and 6 weeks; write what happened in the launch notes.
- Close the linked feedback themes with a reply to the accounts that asked.
"""

LAUNCH_BODY_V1 = _LAUNCH_INTRO + _LAUNCH_END.format(n=4, m=5)
LAUNCH_BODY_V2 = _LAUNCH_INTRO + _LAUNCH_BETA + _LAUNCH_END.format(n=5, m=6)

EXPERIMENT_BODY = """\
We test changes to the funnel (sign-up → verification → first card payment), to card
activation and to top-ups. Start from the **Two-week conversion test** experiment template.

## Before the test

1. **One primary metric**, from the catalog, chosen before the start: for onboarding work
   usually `activation_rate`, for cards `card_activation_rate`.
2. **Guardrails**: `support_contact_rate` must not rise; for top-ups `top_up_success_rate`
   must not fall by more than half a point.
3. **Sample size**: enter the baseline and the smallest effect worth shipping in the
   experiment form; Pilothouse shows the days needed. Under 7 days or over 6 weeks: rethink
   the test.
4. Write the hypothesis as *"Because we saw X, we believe Y will change Z by at least N."*

## While it runs

- Do not stop early on a good-looking result: we use fixed-horizon tests, so peeking
  inflates false positives. The sequential view is for spotting harm, not for shipping.
- A sample-ratio mismatch warning (p < 0.001) stops the test until engineering finds the
  cause.

## Deciding

- Record the decision in the decision log and link the experiment; *ship*, *iterate* or
  *stop*, with the interval, not only the p-value.
- Ship when the primary metric's interval excludes zero in the right direction and no
  guardrail got worse. An inconclusive result is a result: record it.

Card delivery tracking (EXP on days 62–82) is the example to copy: one metric, one
guardrail, three weeks, a clear decision.
"""

TRIAGE_BODY = """\
Customer feedback reaches Pilothouse from Intercom, the support inbox, sales call notes
and the in-app form, about 80 messages on a weekday. Triage keeps the themes accurate so
that the roadmap can trust them.

## Every weekday (30 minutes, the PM on triage duty)

1. Open **Feedback → Inbox**, newest first. For each item:
   - Link it to an existing **theme** when it describes the same problem (not the same
     feature request: "where is my card?" and "card delivery is slow" are one theme).
   - Set the **account** if the importer could not match the sender's domain.
   - Mark spam, duplicates and "thank you" messages as *no action*.
2. Anything about lost money, failed transfers or blocked cards goes to Support's urgent
   queue at once, whatever the theme.

## Every Monday

- Review the themes that grew most last week (the weekly review lists them) and the
  anomaly flags on `support_contact_rate`.
- A theme with more than 25 accounts or €50k ARR behind it and no roadmap item is raised
  in the product review with a proposed item.
- Merge themes that drifted into each other; split a theme whose items disagree.

## Replies

When a roadmap item linked to a theme launches, the area PM sends the theme's accounts the
changelog entry. Nobody is told "it's on the roadmap" without a linked item.
"""

#: The PM onboarding checklist; ``playbook`` is the slug of the playbook a step points at.
PM_STEPS: list[dict[str, Any]] = [
    {
        "title": "Meet your area owner and Product Ops",
        "detail": "30 minutes each with your area owner and Priya: how the area is doing, "
        "what is on fire.",
    },
    {
        "title": "Get access: Pilothouse editor role, Intercom, the warehouse",
        "detail": "Ask an admin for the editor role; Support adds you to Intercom.",
    },
    {
        "title": "Read the launch playbook",
        "detail": "Then open one launch that shipped and follow its stages.",
        "playbook": "launch-playbook",
    },
    {
        "title": "Read the experiment playbook",
        "detail": "Read the card delivery tracking experiment and its decision as the example.",
        "playbook": "experiment-playbook",
    },
    {
        "title": "Learn the activation funnel",
        "detail": "Open activation_rate and verification_rate in the metric catalog; "
        "break them down by plan.",
    },
    {
        "title": "Shadow a feedback triage session",
        "detail": "Sit with the PM on triage duty for one morning.",
        "playbook": "feedback-triage",
    },
    {
        "title": "Run feedback triage for a week",
        "detail": "Your manager reviews the themes you touched on Friday.",
        "playbook": "feedback-triage",
    },
    {
        "title": "Present your area's top three themes at the product review",
        "detail": "With the accounts and ARR behind each one.",
    },
    {
        "title": "Write your first decision in the decision log",
        "detail": "Any decision you made this month, with the options you considered.",
    },
]
