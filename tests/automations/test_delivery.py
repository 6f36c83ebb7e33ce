"""Rules fire on committed events and webhooks reach a real receiver, signed, once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from pilothouse.automations import rules
from pilothouse.automations.delivery import backoff_seconds
from pilothouse.automations.dispatcher import dispatch_once
from pilothouse.automations.models import AutomationFiring, Delivery, DeliveryAttempt
from pilothouse.core.actor import Actor
from pilothouse.core.audit import Action, record_change
from pilothouse.core.errors import ValidationFailed
from pilothouse.core.runtime import Runtime
from pilothouse.roadmap import items
from tests.automations.conftest import allow_private
from tests.automations.receiver import Receiver, verify

CLI = Actor.command_line()


def make_rule(runtime: Runtime, **values: Any) -> tuple[int, list[str]]:
    with runtime.database.session() as session:
        rule = rules.create_rule(session, CLI, values)
        return rule.id, list(rule.secrets)


def make_item(runtime: Runtime, title: str, **values: Any) -> int:
    with runtime.database.session() as session:
        return items.create_item(session, CLI, {"kind": "feature", "title": title, **values}).id


def deliveries(runtime: Runtime) -> list[Delivery]:
    with runtime.database.session() as session:
        found = list(session.scalars(select(Delivery).order_by(Delivery.id)))
        session.expunge_all()
        return found


def webhook_rule(runtime: Runtime, receiver: Receiver, **extra: Any) -> tuple[int, list[str]]:
    values = {
        "name": "Checkout items to the hook",
        "trigger": "roadmap_item.created",
        "conditions": [{"field": "title", "op": "contains", "value": "checkout"}],
        "actions": [{"kind": "webhook", "url": receiver.url}],
        **extra,
    }
    return make_rule(runtime, **values)


def test_matching_event_is_signed_and_delivered_exactly_once(
    runtime: Runtime, receiver: Receiver
) -> None:
    allow_private(runtime)
    _rule_id, secrets = webhook_rule(runtime, receiver)
    item_id = make_item(runtime, "Checkout redesign")
    make_item(runtime, "Dark mode")  # does not match the condition

    first = dispatch_once(runtime, run_now=True)
    dispatch_once(runtime, run_now=True)  # a second round finds nothing new

    assert first.firings == 1 and len(first.queued) == 1
    assert len(receiver.received) == 1
    got = receiver.received[0]
    assert verify(secrets[0], got.headers, got.body)
    assert not verify("whsec_" + "A" * 44, got.headers, got.body)
    envelope = got.json
    assert envelope["type"] == "roadmap_item.created"
    assert envelope["data"]["object"] == {
        "type": "roadmap_item",
        "id": str(item_id),
        "label": envelope["data"]["object"]["label"],
    }
    assert "Checkout redesign" in envelope["data"]["object"]["label"]
    [delivery] = deliveries(runtime)
    assert delivery.status == "succeeded" and delivery.response_code == 200
    assert got.webhook_id == f"msg_{delivery.idempotency_key}"
    assert delivery.latency_ms is not None


def test_server_error_is_retried_with_backoff_then_succeeds(
    runtime: Runtime, receiver: Receiver
) -> None:
    allow_private(runtime)
    webhook_rule(runtime, receiver)
    receiver.codes = [500, 503]
    make_item(runtime, "Checkout speed")

    dispatch_once(runtime, run_now=True)
    [first] = deliveries(runtime)
    assert first.status == "retrying" and first.response_code == 500 and first.attempts == 1
    assert first.next_attempt_at is not None

    # Not due yet: nothing is sent before the back-off has passed.
    dispatch_once(runtime, now=first.next_attempt_at - timedelta(seconds=1), run_now=True)
    assert len(receiver.received) == 1

    dispatch_once(runtime, now=first.next_attempt_at, run_now=True)
    [second] = deliveries(runtime)
    assert second.status == "retrying" and second.response_code == 503
    with runtime.database.session() as session:
        tries = session.scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.number)).all()
        waits = [first.next_attempt_at - tries[0].started_at]
        waits.append(second.next_attempt_at - tries[1].started_at)
    assert [w.total_seconds() for w in waits] == [backoff_seconds(1), backoff_seconds(2)]
    assert backoff_seconds(2) == 2 * backoff_seconds(1)  # exponential

    dispatch_once(runtime, now=second.next_attempt_at, run_now=True)
    [done] = deliveries(runtime)
    assert done.status == "succeeded" and done.attempts == 3
    assert len({r.webhook_id for r in receiver.received}) == 1  # same id on every try
    with runtime.database.session() as session:
        codes = session.scalars(
            select(DeliveryAttempt.response_code).order_by(DeliveryAttempt.number)
        ).all()
    assert codes == [500, 503, 200]


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "10.1.2.3", "169.254.169.254", "192.168.0.10", "[::1]"]
)
def test_private_targets_are_refused_without_the_admin_setting(
    runtime: Runtime, address: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        make_rule(
            runtime,
            name="Internal",
            trigger="roadmap_item.created",
            actions=[{"kind": "webhook", "url": f"http://{address}:9/hook"}],
        )
    assert refused.value.errors[0].field == "actions[0].url"
    assert "private" in refused.value.errors[0].message
    with runtime.database.session() as session:
        assert rules.list_rules(session) == []


def test_target_is_checked_again_when_sending(runtime: Runtime, receiver: Receiver) -> None:
    allow_private(runtime)
    webhook_rule(runtime, receiver)
    allow_private(runtime, False)  # the admin withdraws the permission
    make_item(runtime, "Checkout tips")

    dispatch_once(runtime, run_now=True)

    [delivery] = deliveries(runtime)
    assert delivery.status == "failed" and "refused" in (delivery.error or "")
    assert receiver.received == []


def test_a_rule_never_fires_twice_for_one_event_chain(runtime: Runtime) -> None:
    """Two rules that would undo each other forever: each fires once per chain."""
    there = make_rule(
        runtime,
        name="Planned goes to in progress",
        trigger="roadmap_item.status_changed",
        conditions=[{"field": "status", "op": "eq", "value": "planned"}],
        actions=[{"kind": "set_field", "field": "status", "value": "in-progress"}],
    )[0]
    back = make_rule(
        runtime,
        name="In progress goes back to planned",
        trigger="roadmap_item.status_changed",
        conditions=[{"field": "status", "op": "eq", "value": "in-progress"}],
        actions=[{"kind": "set_field", "field": "status", "value": "planned"}],
    )[0]
    item_id = make_item(runtime, "Ping pong")
    with runtime.database.session() as session:
        items.update_item(session, CLI, items.find_item(session, item_id), {"status": "planned"})

    for _ in range(5):
        dispatch_once(runtime, run_now=True)

    with runtime.database.session() as session:
        fired = session.execute(
            select(AutomationFiring.rule_id, AutomationFiring.chain_root_id)
        ).all()
        status = items.item_snapshot(session, items.find_item(session, item_id))["status"]
    assert sorted(r for r, _ in fired) == sorted([there, back])
    assert len({root for _, root in fired}) == 1  # one chain, started by the person's change
    assert status == "planned"  # in progress, then back once, then the guard stopped it
    assert [d.status for d in deliveries(runtime)] == ["succeeded", "succeeded"]


def test_notify_action_reaches_everyone_with_the_role(runtime: Runtime) -> None:
    from pilothouse.core.models import Role
    from pilothouse.core.notifications.models import Notification
    from tests.support.accounts import Accounts

    people = Accounts(runtime)
    editors = {people.person(Role.editor).id, people.person(Role.editor).id}
    people.person(Role.viewer)
    make_rule(
        runtime,
        name="Tell editors about new items",
        trigger="roadmap_item.created",
        actions=[{"kind": "notify", "role": "editor", "title": "New: {{ title }}"}],
    )
    make_item(runtime, "Audit export")

    dispatch_once(runtime, run_now=True)

    with runtime.database.session() as session:
        got = session.execute(select(Notification.recipient_id, Notification.title)).all()
    assert sorted(r for r, _ in got) == sorted(editors)
    assert {t for _, t in got} == {"New: Audit export"}
    [delivery] = deliveries(runtime)
    assert delivery.status == "succeeded" and delivery.action_kind == "notify"


def test_redirects_are_not_followed_and_client_errors_not_retried(
    runtime: Runtime, receiver: Receiver
) -> None:
    allow_private(runtime)
    webhook_rule(runtime, receiver)
    receiver.codes = [302, 404]
    make_item(runtime, "Checkout one")
    make_item(runtime, "Checkout two")

    dispatch_once(runtime, run_now=True)

    moved, missing = deliveries(runtime)
    assert (moved.status, moved.response_code) == ("failed", 302)
    assert "not followed" in (moved.error or "") and moved.next_attempt_at is None
    assert (missing.status, missing.response_code) == ("failed", 404)
    assert len(receiver.received) == 2  # one request each, nothing retried or followed


def test_retries_stop_after_the_last_attempt(runtime: Runtime, receiver: Receiver) -> None:
    from pilothouse.automations.delivery import MAX_ATTEMPTS

    allow_private(runtime)
    webhook_rule(runtime, receiver)
    receiver.codes = [500] * MAX_ATTEMPTS
    make_item(runtime, "Checkout never")
    dispatch_once(runtime, run_now=True)
    for _ in range(MAX_ATTEMPTS):  # each round at the time the next try is due
        [pending] = deliveries(runtime)
        if pending.next_attempt_at is None:
            break
        dispatch_once(runtime, now=pending.next_attempt_at, run_now=True)
    [done] = deliveries(runtime)
    assert (done.status, done.attempts, done.next_attempt_at) == ("failed", MAX_ATTEMPTS, None)
    assert len(receiver.received) == MAX_ATTEMPTS


def test_a_rotating_secret_signs_with_both(runtime: Runtime, receiver: Receiver) -> None:
    allow_private(runtime)
    rule_id, [old] = webhook_rule(runtime, receiver)
    with runtime.database.session() as session:
        new = rules.rotate_secret(session, CLI, rules.find_rule(session, rule_id))
    make_item(runtime, "Checkout rotation")
    dispatch_once(runtime, run_now=True)
    with runtime.database.session() as session:
        rules.finish_rotation(session, CLI, rules.find_rule(session, rule_id))
    make_item(runtime, "Checkout after rotation")
    dispatch_once(runtime, run_now=True)

    during, after = receiver.received
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    assert verify(old, during.headers, during.body) and verify(new, during.headers, during.body)
    assert verify(new, after.headers, after.body) and not verify(old, after.headers, after.body)


def test_concurrent_dispatchers_fire_each_event_once(runtime: Runtime) -> None:
    import threading

    from pilothouse.automations.dispatcher import dispatch_batch

    make_rule(
        runtime,
        name="Count items",
        trigger="roadmap_item.created",
        actions=[{"kind": "link", "to": "decision:1"}],
    )
    for n in range(30):
        make_item(runtime, f"Item {n}")
    errors: list[BaseException] = []

    def run() -> None:
        try:
            for _ in range(10):
                dispatch_batch(runtime, limit=3)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    dispatch_batch(runtime)  # whatever a lost round left

    assert errors == []
    found = deliveries(runtime)
    assert len(found) == 30 and len({d.event_id for d in found}) == 30


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_an_event_committed_late_is_not_skipped(runtime: Runtime) -> None:
    """PostgreSQL hands out ids at insert: an older transaction may commit after a newer
    one. The dispatcher waits at the gap instead of moving past the late event. (SQLite
    runs one writer at a time, so its ids commit in order: PostgreSQL only.)"""
    make_rule(
        runtime,
        name="Every item",
        trigger="roadmap_item.created",
        actions=[{"kind": "link", "to": "decision:1"}],
    )
    with runtime.database.session() as slow:
        record_change(
            slow,
            CLI,
            object_type="roadmap_item",
            object_id=999,
            action=Action.created,
            label="Slow transaction",
            after={"title": "Slow transaction"},
        )
        slow.flush()  # its event has an id now, but is not committed
        make_item(runtime, "Fast transaction")  # a newer id, committed first
        first = dispatch_once(runtime, run_now=True)
        # Only the events before the gap were read; the newer item waits for it.
        assert first.firings == 0 and deliveries(runtime) == []
    second = dispatch_once(runtime, run_now=True)

    assert second.firings == 2 and len(deliveries(runtime)) == 2


def test_deliveries_of_a_deleted_rule_are_never_sent_unsigned(
    runtime: Runtime, receiver: Receiver
) -> None:
    allow_private(runtime)
    rule_id, _secrets = webhook_rule(runtime, receiver)
    make_item(runtime, "Checkout orphan")
    from pilothouse.automations.dispatcher import dispatch_batch

    dispatch_batch(runtime)  # the delivery is recorded, not yet sent
    with runtime.database.session() as session:
        rules.delete_rule(session, CLI, rules.find_rule(session, rule_id))
    dispatch_once(runtime, run_now=True)

    [delivery] = deliveries(runtime)
    assert delivery.status == "failed" and "deleted" in (delivery.error or "")
    assert receiver.received == []


def test_failed_jobs_fire_rules_but_failed_deliveries_do_not(runtime: Runtime) -> None:
    from pilothouse.core.jobs import submit_job

    make_rule(
        runtime,
        name="Failed jobs",
        trigger="job.failed",
        actions=[{"kind": "link", "to": "decision:1"}],
    )
    submit_job(runtime, CLI, "nobody.knows", run_now=True)  # no handler: fails
    submit_job(runtime, CLI, "automations.deliver", {}, run_now=True)  # fails: no delivery_id
    dispatch_once(runtime, run_now=True)

    from pilothouse.core.jobs import list_jobs

    assert len(list_jobs(runtime, status="failed").items) == 2  # both jobs failed
    found = deliveries(runtime)
    assert [d.event_type for d in found] == ["job.failed"]
    assert found[0].payload["object"]["label"] != "Automation delivery"
