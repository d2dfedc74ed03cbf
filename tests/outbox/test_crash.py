"""A worker killed in the middle of a send: 1,000 recipients, the worker process killed after
about 400 messages were accepted, another worker started: the SMTP server holds the 1,000
recipients with at most one duplicate (the message in flight), and the issue reaches `sent` only
once every row is sent. On the suite's database kind (a SQLite file, or a fresh PostgreSQL one)."""

from __future__ import annotations

import collections
import json
import signal
import subprocess
import sys
import time

import pytest

from tests.imports.children import SETUP, environment
from tests.imports.test_workers import database_url, run_script  # noqa: F401 -- the fixture
from tests.support.smtp import start_smtp_server

RECIPIENTS = 1000

QUEUE_N = """
import django; django.setup()
from grassroots.bulletin import actions
from grassroots.organizations.models import Organization, Unit
from grassroots.people.models import Membership, Person
import datetime as dt
org = Organization.objects.get(slug="crash")
unit = Unit.objects.get(organization=org, slug="elm-house")
people = Person.objects.bulk_create(
    Person(organization=org, name=f"P{i}", email=f"p{i}@example.org", unit_path=unit.path) for i in range(N)
)
start = dt.date(2024, 1, 1)
Membership.objects.bulk_create(Membership(person=p, unit=unit, status="member", start=start) for p in people)
publication = actions.add_publication(organization=org, name="Crash Courier", by="t")
issue = actions.add_issue(publication=publication, title="One", by="t", articles=[{"title": "A", "body": "Text"}])
actions.send_issue(issue=issue, by="t", confirm=N)
print(issue.pk)
"""
QUEUE = QUEUE_N.replace("N", str(RECIPIENTS))

STATUS = """
import django; django.setup()
import json
from grassroots.bulletin.models import Issue
from grassroots.outbox.selectors import delivery_counts
issue = Issue.objects.get(pk=ISSUE)
print(json.dumps({"status": issue.status, "counts": delivery_counts(issue.mailing)}))
"""


SEND = [sys.executable, "-m", "grassroots.cli", "outbox", "send"]
WORKER = [sys.executable, "-m", "grassroots.cli", "worker"]


@pytest.mark.parametrize(
    ("first_command", "second_command"),
    [(SEND, SEND), (WORKER, [*WORKER, "--batch"])],
    ids=["outbox-send", "background-worker"],
)
def test_a_killed_worker_loses_nothing_and_sends_at_most_one_message_twice(
    tmp_path,
    database_url,  # noqa: F811
    first_command,
    second_command,
):
    """`outbox send` killed and run again; or the background worker running the send's job killed
    (its job left 'running' for ever) and a worker started again, which picks the send up by itself."""
    controller, catcher = start_smtp_server()
    try:
        env = environment(tmp_path, database_url)
        env.update(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(controller.port), DEFAULT_FROM_EMAIL="news@example.org")
        env.update(GRASSROOTS_MAIL_PER_SECOND="300", GRASSROOTS_OUTBOX_BATCH="50", GRASSROOTS_OUTBOX_STALE_SECONDS="1")
        run_script(SETUP, env)
        issue = int(run_script(QUEUE, env).strip())
        first = subprocess.Popen(first_command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while len(catcher.received) < 400 and time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.01)
        first.send_signal(signal.SIGKILL)
        first.wait()
        killed_at = len(catcher.received)
        assert 400 <= killed_at < RECIPIENTS, f"the worker was killed after {killed_at} messages"
        middle = json.loads(run_script(STATUS.replace("ISSUE", str(issue)), env))
        assert middle["status"] == "sending"
        assert middle["counts"]["sent"] < RECIPIENTS
        time.sleep(1.5)  # the killed worker's rows become stale
        second = subprocess.run(second_command, env=env, capture_output=True, text=True, timeout=300)
        assert second.returncode == 0, second.stderr
        final = json.loads(run_script(STATUS.replace("ISSUE", str(issue)), env))
    finally:
        controller.stop()
    recipients = collections.Counter(catcher.recipients)
    assert len(recipients) == RECIPIENTS
    assert sum(recipients.values()) - RECIPIENTS <= 1
    assert final["status"] == "sent"
    assert final["counts"]["sent"] == RECIPIENTS and final["counts"]["queued"] == final["counts"]["sending"] == 0
