"""A worker's claim on a batch: never larger than it can send well within the stale timeout, kept
alive while it sends (so no other worker re-queues rows still being sent), given up at once for a
paused mailing, and never larger than what `--limit` leaves. Against a real SMTP server on
127.0.0.1, with workers in child processes on the suite's database kind."""

from __future__ import annotations

import collections
import json
import subprocess
import sys
import threading
import time

import pytest

from grassroots.bulletin import actions as bulletin
from grassroots.outbox import jobs
from grassroots.outbox.jobs import batch_size, deliver
from grassroots.outbox.models import Delivery
from grassroots.outbox.selectors import delivery_counts
from tests.imports.children import SETUP, environment
from tests.imports.test_workers import database_url, run_script  # noqa: F401 -- the fixture
from tests.outbox.test_crash import QUEUE_N
from tests.support.bulletin import newsroom
from tests.support.smtp import start_smtp_server

SEND = [sys.executable, "-m", "grassroots.cli", "outbox", "send"]
CLI = [sys.executable, "-m", "grassroots.cli", "bulletin"]

STATE = """
import django; django.setup()
import json
from grassroots.bulletin.models import Issue
from grassroots.outbox.models import Delivery
from grassroots.outbox.selectors import delivery_counts
issue = Issue.objects.get(pk=ISSUE)
mailing = issue.mailing
queued = Delivery.objects.filter(mailing=mailing, status="queued")
print(json.dumps({
    "status": issue.status,
    "counts": delivery_counts(mailing),
    "finished_at": mailing.finished_at.timestamp() if mailing.finished_at else None,
    "queued_attempts": sorted(set(queued.values_list("attempts", flat=True))),
}))
"""


def state(issue: int, env: dict) -> dict:
    return json.loads(run_script(STATE.replace("ISSUE", str(issue)), env))


def test_the_batch_fits_well_within_the_stale_timeout_at_the_configured_rate(settings):
    settings.GRASSROOTS_OUTBOX_BATCH = 100
    settings.GRASSROOTS_MAIL_PER_SECOND, settings.GRASSROOTS_OUTBOX_STALE_SECONDS = 2, 20
    assert batch_size() == 13  # 2 a second for a third of 20 s
    assert batch_size(left=5) == 5 and batch_size(day_left=7) == 7
    settings.GRASSROOTS_MAIL_PER_SECOND = 0  # no rate: the configured batch
    assert batch_size() == 100 and batch_size(left=30) == 30
    settings.GRASSROOTS_MAIL_PER_SECOND, settings.GRASSROOTS_OUTBOX_STALE_SECONDS = 0.1, 1
    assert batch_size() == 1  # one message at least


@pytest.mark.django_db
def test_the_limit_is_exact(smtp, settings):
    settings.GRASSROOTS_OUTBOX_BATCH = 100
    room = newsroom()
    mailing = bulletin.send_issue(issue=room.issue, by="test", confirm=3)
    assert deliver(limit=2) == 2
    assert len(smtp.received) == 2
    counts = delivery_counts(mailing)
    assert (counts["sent"], counts["queued"], counts["sending"]) == (2, 1, 0)


@pytest.mark.parametrize(
    ("recipients", "delay", "per_second"),
    [(120, 0.05, "0"), (6, 0.0, "0.8")],
    ids=["slow-server", "slow-rate"],
)
def test_two_workers_send_each_message_once_and_finish_after_the_last(
    tmp_path,
    database_url,  # noqa: F811
    recipients,
    delay,
    per_second,
):
    """A stale timeout of 1 s. A slow server: each batch of 40 takes 2 s, twice the timeout, so
    without a heartbeat the second worker would take back rows the first is still sending. A slow
    rate: one message every 1.25 s, longer than the timeout, so a claim made before the wait for
    the message's turn would go stale while it waits."""
    controller, catcher = start_smtp_server()
    catcher.delay = delay
    try:
        env = environment(tmp_path, database_url)
        env.update(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(controller.port), DEFAULT_FROM_EMAIL="news@example.org")
        env.update(GRASSROOTS_OUTBOX_BATCH="40", GRASSROOTS_OUTBOX_STALE_SECONDS="1")
        env.update(GRASSROOTS_MAIL_PER_SECOND=per_second)
        run_script(SETUP, env)
        issue = int(run_script(QUEUE_N.replace("N", str(recipients)), env).strip())
        first = subprocess.Popen(SEND, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(0.5)
        second = subprocess.Popen(SEND, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        outputs = [worker.communicate(timeout=120) for worker in (first, second)]
        assert [first.returncode, second.returncode] == [0, 0], outputs
        final = state(issue, env)
    finally:
        controller.stop()
    counted = collections.Counter(catcher.recipients)
    assert len(counted) == recipients
    assert sum(counted.values()) == recipients  # not one twice: no row was taken from a living worker
    assert final["status"] == "sent" and final["counts"]["sent"] == recipients
    assert final["finished_at"] >= max(received.at for received in catcher.received)


def test_a_pause_stops_the_batch_already_claimed(tmp_path, database_url):  # noqa: F811
    """A worker holding a batch of 100 of 200 at 5 messages a second (20 s for its batch, so the
    pause, a command that starts Django, lands inside it even on a loaded machine): after the
    pause at most a second's messages (and the one in flight) go; the rest go back to the queue,
    their attempt not counted."""
    recipients = 200
    controller, catcher = start_smtp_server()
    try:
        env = environment(tmp_path, database_url)
        env.update(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(controller.port), DEFAULT_FROM_EMAIL="news@example.org")
        env.update(GRASSROOTS_MAIL_PER_SECOND="5")
        run_script(SETUP, env)
        issue = int(run_script(QUEUE_N.replace("N", str(recipients)), env).strip())
        worker = subprocess.Popen(SEND, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while len(catcher.received) < 10 and time.monotonic() < deadline:
            time.sleep(0.01)
        paused = subprocess.run([*CLI, "pause", str(issue)], env=env, capture_output=True, text=True, timeout=60)
        at_pause = len(catcher.received)
        assert paused.returncode == 0, paused.stderr
        assert "sending pausing: " in paused.stdout and " in flight (" in paused.stdout  # the worker still held some
        out, err = worker.communicate(timeout=60)  # it stops by itself: nothing of a paused mailing is due
        assert worker.returncode == 0, err
        sent = len(catcher.received)
        assert sent - at_pause <= 12 and f"{sent} message(s) sent" in out
        middle = state(issue, env)
        assert middle["status"] == "sending"
        assert middle["counts"]["sent"] == sent and middle["counts"]["sending"] == 0
        assert middle["counts"]["queued"] == recipients - sent and middle["queued_attempts"] == [0]
        status = subprocess.run([*CLI, "status", str(issue)], env=env, capture_output=True, text=True, timeout=60)
        assert "why: paused: nothing is sent until it is resumed" in status.stdout
        resumed = subprocess.run([*CLI, "resume", str(issue)], env=env, capture_output=True, text=True, timeout=60)
        assert resumed.returncode == 0, resumed.stderr
        env.update(GRASSROOTS_MAIL_PER_SECOND="0")
        rest = subprocess.run(SEND, env=env, capture_output=True, text=True, timeout=120)
        assert rest.returncode == 0, rest.stderr
        final = state(issue, env)
    finally:
        controller.stop()
    counted = collections.Counter(catcher.recipients)
    assert len(counted) == recipients and sum(counted.values()) == recipients
    assert final["status"] == "sent"


@pytest.mark.django_db
def test_a_stop_takes_effect_after_the_message_in_flight_and_puts_the_rest_back(smtp, settings, monkeypatch):
    """`stop` is set while the second message of a batch of three is sent: that one is sent and
    recorded, no third goes, and the row claimed and not sent is queued again as it was (its
    attempt not counted, no claim left), so the next worker sends it."""
    settings.GRASSROOTS_OUTBOX_BATCH = 100
    room = newsroom()
    mailing = bulletin.send_issue(issue=room.issue, by="test", confirm=3)
    stop = threading.Event()
    sent_by_this_worker: list[str] = []
    real_send = jobs.send_one

    def send_one(delivery, connection, prepared):
        if len(sent_by_this_worker) == 1:
            stop.set()
        sent_by_this_worker.append(delivery.address)
        return real_send(delivery, connection, prepared)

    monkeypatch.setattr(jobs, "send_one", send_one)
    assert deliver(stop=stop) == 2
    assert len(smtp.received) == 2
    counts = delivery_counts(mailing)
    assert (counts["sent"], counts["queued"], counts["sending"]) == (2, 1, 0)
    left = Delivery.objects.get(mailing=mailing, status="queued")
    assert (left.attempts, left.claimed_by, left.claimed_at) == (0, "", None)
    monkeypatch.setattr(jobs, "send_one", real_send)
    assert deliver() == 1
    assert delivery_counts(mailing)["sent"] == 3
