"""Bounces: the score per address (hard 1, soft 0.5, one a day), the hold above the threshold,
bounce messages read from an mbox by flufl.bounce, and a complaint that unsubscribes at once."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest

from grassroots.bulletin import actions as bulletin
from grassroots.bulletin.models import Subscription
from grassroots.bulletin.selectors import recipient_count
from grassroots.cli import main
from grassroots.outbox.actions import record_bounce
from grassroots.outbox.jobs import deliver
from grassroots.outbox.models import Bounce, MailAddress
from tests.support.bulletin import newsroom

pytestmark = pytest.mark.django_db
UTC = ZoneInfo("UTC")


def day(n: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2026, 3, n, hour, tzinfo=UTC)


def state(address: str) -> tuple[float, bool]:
    known = MailAddress.objects.get(address=address)
    return float(known.score), known.on_hold


def test_the_score_counts_one_bounce_a_day_and_holds_above_the_threshold(settings):
    """The issue's example, threshold 1.5: two hard bounces on day 1 -> 1.0 active; a soft bounce
    on day 2 -> 1.5 still active; another on day 3 -> 2.0 on hold."""
    settings.GRASSROOTS_BOUNCE_THRESHOLD = 1.5
    address = "bob@example.org"
    record_bounce(address=address, kind="hard", reason="550 5.1.1 no such user", source="test", at=day(1, 9))
    record_bounce(address=address, kind="hard", reason="550 5.1.1 no such user", source="test", at=day(1, 15))
    assert state(address) == (1.0, False)
    record_bounce(address=address, kind="soft", reason="452 mailbox full", source="test", at=day(2))
    assert state(address) == (1.5, False)
    record_bounce(address=address, kind="soft", reason="452 mailbox full", source="test", at=day(3))
    assert state(address) == (2.0, True)
    assert list(Bounce.objects.order_by("occurred_at").values_list("counted", flat=True)) == [True, False, True, True]
    assert Bounce.objects.filter(reason="452 mailbox full").count() == 2  # the raw reason is kept


def test_an_address_on_hold_is_no_recipient(settings):
    settings.GRASSROOTS_BOUNCE_THRESHOLD = 0.5
    room = newsroom()
    assert recipient_count(publication=room.publication) == 3
    record_bounce(address="Bob@Example.org", kind="hard", reason="550", source="test")
    assert recipient_count(publication=room.publication) == 2


DSN = """From mailer-daemon@example.net Mon Mar  2 09:00:00 2026
From: Mail Delivery System <mailer-daemon@example.net>
To: bulletin@federation.example.org
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain

The mail could not be delivered.

--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; ADDRESS
Action: ACTION
Status: STATUS
Diagnostic-Code: smtp; DIAGNOSTIC

--b1--

"""


def test_bounce_messages_from_an_mbox(tmp_path, capsys, smtp):
    room = newsroom()
    bulletin.send_issue(issue=room.issue, by="test", confirm=3)
    deliver()
    mbox = tmp_path / "bounces.mbox"
    mbox.write_text(
        DSN.replace("ADDRESS", "bob@example.org")
        .replace("ACTION", "failed")
        .replace("STATUS", "5.1.1")
        .replace("DIAGNOSTIC", "550 5.1.1 user unknown")
        + DSN.replace("ADDRESS", "cy@example.org")
        .replace("ACTION", "delayed")
        .replace("STATUS", "4.2.2")
        .replace("DIAGNOSTIC", "452 4.2.2 mailbox full")
    )
    code = main(["bulletin", "bounces", "--mbox", str(mbox), "--json"])
    assert code == 0
    assert json.loads(capsys.readouterr().out) == {"messages": 2, "hard": 1, "soft": 1, "unrecognised": 0}
    assert state("bob@example.org") == (1.0, False) and state("cy@example.org") == (0.5, False)
    bob = room.issue.mailing.deliveries.get(address="bob@example.org")
    assert bob.status == "bounced" and "550 5.1.1 user unknown" in bob.last_error


def test_a_complaint_unsubscribes_at_once_and_keeps_the_membership(smtp):
    room = newsroom()
    bulletin.send_issue(issue=room.issue, by="test", confirm=3)
    deliver()
    record_bounce(address="ann@example.org", kind="complaint", reason="abuse report", source="webhook:test")
    ann = room.people["ann"]
    assert Subscription.objects.get(person=ann, publication=room.publication).state == "unsubscribed"
    assert room.issue.mailing.deliveries.get(person=ann).status == "complained"
    assert ann.memberships.get(end__isnull=True).status == "member"
    assert state("ann@example.org") == (0.0, False)
