"""Bounces: the score per address (hard 1, soft 0.5, one a day), the hold above the threshold,
bounce messages read from an mbox by flufl.bounce (only those about a message we sent: a forged
one changes nothing), and a complaint that unsubscribes at once."""

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
from grassroots.outbox.models import Bounce, Delivery, MailAddress
from tests.support.bulletin import newsroom

pytestmark = pytest.mark.django_db
UTC = ZoneInfo("UTC")


def day(n: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2026, 3, n, hour, tzinfo=UTC)


def state(address: str) -> tuple[float, bool]:
    known = MailAddress.objects.get(address=address)
    return float(known.score), known.on_hold


def sent_to(room, name: str) -> Delivery:
    """The delivery of the room's issue to that person, after the issue was sent."""
    return room.issue.mailing.deliveries.select_related("mailing").get(person=room.people[name])


def test_the_score_counts_one_bounce_a_day_and_holds_above_the_threshold(settings, smtp):
    """The issue's example, threshold 1.5: two hard bounces on day 1 -> 1.0 active; a soft bounce
    on day 2 -> 1.5 still active; another on day 3 -> 2.0 on hold."""
    settings.GRASSROOTS_BOUNCE_THRESHOLD = 1.5
    room = newsroom()
    bulletin.send_issue(issue=room.issue, by="test", confirm=3)
    deliver()
    address, bob = "bob@example.org", sent_to(room, "bob")
    record_bounce(delivery=bob, kind="hard", reason="550 5.1.1 no such user", source="test", at=day(1, 9))
    record_bounce(delivery=bob, kind="hard", reason="550 5.1.1 no such user", source="test", at=day(1, 15))
    assert state(address) == (1.0, False)
    record_bounce(delivery=bob, kind="soft", reason="452 mailbox full", source="test", at=day(2))
    assert state(address) == (1.5, False)
    record_bounce(delivery=bob, kind="soft", reason="452 mailbox full", source="test", at=day(3))
    assert state(address) == (2.0, True)
    assert list(Bounce.objects.order_by("occurred_at").values_list("counted", flat=True)) == [True, False, True, True]
    assert Bounce.objects.filter(reason="452 mailbox full").count() == 2  # the raw reason is kept


def test_an_address_on_hold_is_no_recipient(settings, smtp):
    settings.GRASSROOTS_BOUNCE_THRESHOLD = 0.5
    room = newsroom()
    assert recipient_count(publication=room.publication) == 3
    bulletin.send_issue(issue=room.issue, by="test", confirm=3)
    deliver()
    record_bounce(delivery=sent_to(room, "bob"), kind="hard", reason="550", source="test")
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

--b1
Content-Type: text/rfc822-headers

RETURNED
--b1--

"""


def dsn(address: str, returned: str, *, action="failed", status="5.1.1", diagnostic="550 5.1.1 user unknown") -> str:
    """A delivery status notification (RFC 3464) about `address`, returning the headers `returned`."""
    return (
        DSN.replace("ADDRESS", address)
        .replace("ACTION", action)
        .replace("STATUS", status)
        .replace("DIAGNOSTIC", diagnostic)
        .replace("RETURNED", returned)
    )


def original_headers(smtp, address: str) -> str:
    """The headers of the message the SMTP server received for `address`, as a DSN returns them."""
    message = next(r.message for r in smtp.received if address in r.recipients)
    return "".join(f"{name}: {value}\n" for name, value in message.items())


def test_bounce_messages_from_an_mbox(tmp_path, capsys, smtp):
    room = newsroom()
    bulletin.send_issue(issue=room.issue, by="test", confirm=3)
    deliver()
    mbox = tmp_path / "bounces.mbox"
    mbox.write_text(
        dsn("bob@example.org", original_headers(smtp, "bob@example.org"))
        + dsn(
            "cy@example.org",
            original_headers(smtp, "cy@example.org"),
            action="failed",
            status="4.2.2",
            diagnostic="452 4.2.2 mailbox full",
        )
        + dsn(
            "ann@example.org",
            original_headers(smtp, "ann@example.org"),
            action="delayed",
            status="4.4.1",
            diagnostic="421 4.4.1 no answer from host, still trying",
        )
    )
    code = main(["bulletin", "bounces", "--mbox", str(mbox), "--json"])
    assert code == 0
    assert json.loads(capsys.readouterr().out) == {
        "messages": 3,
        "hard": 1,
        "soft": 1,
        "delayed": 1,
        "unrecognised": 0,
    }
    assert state("bob@example.org") == (1.0, False) and state("cy@example.org") == (0.5, False)
    bob = room.issue.mailing.deliveries.get(address="bob@example.org")
    assert bob.status == "bounced" and "550 5.1.1 user unknown" in bob.last_error
    # A delayed notice is no bounce: ann's message is still sent, her address unscored.
    assert room.issue.mailing.deliveries.get(address="ann@example.org").status == "sent"
    assert not MailAddress.objects.filter(address="ann@example.org").exists()
    code = main(["bulletin", "bounces", "--mbox", str(mbox)])
    assert code == 0
    assert "3 message(s): 1 hard bounce(s), 1 soft, 1 delayed" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["bulletin bounces", "outbox unsubscribes"])
def test_a_file_that_is_not_an_mbox_is_refused_by_name(tmp_path, capsys, command):
    garbage = tmp_path / "g.mbox"
    garbage.write_text("garbage\n")
    code = main([*command.split(), "--mbox", str(garbage)])
    captured = capsys.readouterr()
    assert code == 1 and captured.out == ""
    assert f"--mbox: {garbage} is not an mbox file (it does not start with a 'From ' line)" in captured.err
    empty = tmp_path / "empty.mbox"
    empty.write_text("")
    assert main([*command.split(), "--mbox", str(empty)]) == 0
    assert "0 message(s)" in capsys.readouterr().out


def test_a_forged_bounce_is_unrecognised_and_changes_nothing(tmp_path, capsys, smtp):
    """Anyone can mail the bounce address: a DSN naming a recipient's address but not a message we
    sent them (a Message-ID of ours they never got, another person's unsubscribe token, none at
    all) scores nothing and marks nothing."""
    room = newsroom()
    bulletin.send_issue(issue=room.issue, by="test", confirm=3)
    deliver()
    cy_headers = original_headers(smtp, "cy@example.org")  # a real message of ours, to someone else
    forged = [
        "Message-ID: <forged.1@mail.example.net>\nSubject: Rent strike\n",
        "Message-ID: <17000000.1.1@federation.example.org>\n",
        cy_headers,
        "",
    ]
    mbox = tmp_path / "forged.mbox"
    mbox.write_text("".join(dsn("bob@example.org", returned) for returned in forged))
    assert main(["bulletin", "bounces", "--mbox", str(mbox), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"messages": 4, "hard": 0, "soft": 0, "delayed": 0, "unrecognised": 4}
    assert not MailAddress.objects.exists() and not Bounce.objects.exists()
    assert sent_to(room, "bob").status == "sent"


def test_a_bounce_is_matched_by_the_signed_token_when_the_message_id_is_lost(tmp_path, capsys, smtp):
    """A server that rewrote the Message-ID still returns the List-Unsubscribe header: its signed
    token names the person and list, and with the failed address that is our delivery."""
    room = newsroom()
    bulletin.send_issue(issue=room.issue, by="test", confirm=3)
    deliver()
    headers = original_headers(smtp, "bob@example.org").splitlines()
    returned = "".join(line + "\n" for line in headers if not line.startswith("Message-ID"))
    mbox = tmp_path / "bounce.mbox"
    mbox.write_text(dsn("bob@example.org", returned))
    assert main(["bulletin", "bounces", "--mbox", str(mbox), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"messages": 1, "hard": 1, "soft": 0, "delayed": 0, "unrecognised": 0}
    assert sent_to(room, "bob").status == "bounced" and state("bob@example.org") == (1.0, False)


def test_empty_standard_input_is_no_message(capsys, monkeypatch):
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    assert main(["bulletin", "bounces", "--mbox", "-", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"messages": 0, "hard": 0, "soft": 0, "delayed": 0, "unrecognised": 0}


def test_a_complaint_unsubscribes_at_once_and_keeps_the_membership(smtp):
    room = newsroom()
    bulletin.send_issue(issue=room.issue, by="test", confirm=3)
    deliver()
    record_bounce(delivery=sent_to(room, "ann"), kind="complaint", reason="abuse report", source="webhook:test")
    ann = room.people["ann"]
    assert Subscription.objects.get(person=ann, publication=room.publication).state == "unsubscribed"
    assert room.issue.mailing.deliveries.get(person=ann).status == "complained"
    assert ann.memberships.get(end__isnull=True).status == "member"
    assert state("ann@example.org") == (0.0, False)
