"""kill -9 of the dispatching process between commit and delivery loses nothing.

The event is committed while no dispatcher runs; a dispatcher process starts, claims
the delivery and is killed with SIGKILL while its request is in flight (the receiver
holds the request open). The next ``pilothouse automations dispatch`` recovers the
abandoned job and sends the delivery again with the same ``webhook-id``: the receiver,
deduplicating by that id as the Standard Webhooks specification tells receivers to,
processes the event exactly once, and later events are delivered once each.

The killed dispatcher is a process of its own; the dispatch runs after it run the
command in the test's process (a new interpreter cost 2-3 s of imports each), which
changes nothing for recovery: it looks for the dead process's id.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

from sqlalchemy import select

from pilothouse.automations import rules
from pilothouse.automations.models import Delivery
from pilothouse.core.actor import Actor
from pilothouse.core.runtime import Runtime
from pilothouse.roadmap import items
from tests.automations.conftest import allow_private
from tests.automations.receiver import Receiver, verify
from tests.support.commands import run_command

CLI = Actor.command_line()
WAIT_SECONDS = 60


def _env(runtime: Runtime) -> dict[str, str]:
    settings = runtime.settings
    assert settings.secret_key is not None
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PILOTHOUSE_")}
    return {
        **clean,
        "PILOTHOUSE_HOME": str(settings.home),
        "PILOTHOUSE_DATABASE_URL": runtime.database.url,
        "PILOTHOUSE_SECRET_KEY": settings.secret_key.get_secret_value(),
        "PILOTHOUSE_LOG_LEVEL": "WARNING",
    }


def _dispatcher(runtime: Runtime, *args: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "pilothouse", "automations", "dispatch", *args]
    return subprocess.Popen(
        command, env=_env(runtime), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def _item(runtime: Runtime, title: str) -> None:
    with runtime.database.session() as session:
        items.create_item(session, CLI, {"kind": "feature", "title": title})


def test_each_event_is_processed_once_across_a_kill_9(runtime: Runtime, receiver: Receiver) -> None:
    allow_private(runtime)
    with runtime.database.session() as session:
        secret = rules.create_rule(
            session,
            CLI,
            {
                "name": "All new items",
                "trigger": "roadmap_item.created",
                "actions": [{"kind": "webhook", "url": receiver.url}],
            },
        ).secrets[0]
    receiver.hold = threading.Event()  # the first request hangs until the worker is dead
    _item(runtime, "Committed before any dispatcher ran")

    worker = _dispatcher(runtime, "--loop", "--poll", "0.2")
    try:
        assert receiver.arrived.wait(WAIT_SECONDS), "the dispatcher never sent the delivery"
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(WAIT_SECONDS)
        assert worker.stdout is not None
        worker.stdout.close()
    assert worker.returncode == -signal.SIGKILL
    receiver.hold.set()
    receiver.hold = None
    with runtime.database.session() as session:
        [stuck] = session.scalars(select(Delivery)).all()
        assert stuck.status == "running"  # claimed, sent, never recorded

    _item(runtime, "Committed while the dispatcher was dead")
    run_command(_env(runtime), "automations", "dispatch")  # recovers the job, sends again
    run_command(_env(runtime), "automations", "dispatch")  # a further round sends nothing

    assert all(verify(secret, r.headers, r.body) for r in receiver.received)
    processed: dict[str, str] = {}
    for request in receiver.received:  # the receiver's duplicate check, by webhook-id
        processed.setdefault(request.webhook_id, request.json["data"]["object"]["label"])
    labels = sorted(processed.values())
    assert len(labels) == 2
    assert "Committed before any dispatcher ran" in labels[0]
    assert "Committed while the dispatcher was dead" in labels[1]
    ids = [r.webhook_id for r in receiver.received]
    assert len(ids) == 3 and ids[0] == ids[1] != ids[2]  # one resend, with the same id
    with runtime.database.session() as session:
        done = session.scalars(select(Delivery).order_by(Delivery.id)).all()
        assert [(d.status, d.attempts) for d in done] == [("succeeded", 2), ("succeeded", 1)]
