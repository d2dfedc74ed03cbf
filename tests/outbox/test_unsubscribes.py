"""Unsubscribing by mail: the List-Unsubscribe header's mailto address, answered as a mail client
does (a message to that address with the subject it names), read from an mbox file or standard
input, unsubscribes the person from that publication once; a forged token changes nothing."""

from __future__ import annotations

import io
import json
import sys
from urllib.parse import unquote, urlsplit

import pytest

from grassroots.audit.models import AuditRecord
from grassroots.bulletin import actions as bulletin
from grassroots.bulletin.models import Subscription
from grassroots.bulletin.selectors import recipient_count
from grassroots.cli import main
from grassroots.outbox.jobs import deliver
from tests.support.bulletin import newsroom

pytestmark = pytest.mark.django_db


def reply(mailto: str, sender: str, date: str = "Mon, 02 Mar 2026 09:00:00 +0000") -> bytes:
    """The message a mail client writes for a `mailto:` address with a subject (RFC 6068)."""
    parts = urlsplit(mailto)
    subject = unquote(parts.query.removeprefix("subject="))
    return (
        f"From: {sender}\r\nTo: {parts.path}\r\nSubject: {subject}\r\nDate: {date}\r\n"
        f"Message-ID: <{sender.replace('@', '.')}.1@mail.example.net>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nThis message was sent to unsubscribe.\r\n"
    ).encode()


def mbox_of(*messages: bytes) -> bytes:
    return b"".join(
        b"From someone@example.net Mon Mar  2 09:00:00 2026\n" + message.replace(b"\r\n", b"\n") + b"\n"
        for message in messages
    )


def mailtos(smtp) -> dict[str, str]:
    """Each recipient's mailto unsubscribe address, from the List-Unsubscribe header they received."""
    found = {}
    for received in smtp.received:
        https, mailto = [part.strip(" <>") for part in received.message["List-Unsubscribe"].split(",")]
        found[received.recipients[0]] = mailto
    return found


def test_unsubscribe_messages_from_an_mbox_unsubscribe_once(tmp_path, capsys, monkeypatch, smtp):
    room = newsroom()
    bulletin.send_issue(issue=room.issue, by="test", confirm=3)
    deliver()
    addresses = mailtos(smtp)
    ann, bob = room.people["ann"], room.people["bob"]
    forged = addresses["cy@example.org"].replace("subject=unsubscribe%20", "subject=unsubscribe%20x")
    mbox = tmp_path / "unsubscribes.mbox"
    mbox.write_bytes(
        mbox_of(
            reply(addresses["ann@example.org"], "ann@example.org"),
            reply(addresses["ann@example.org"], "ann@example.org"),  # sent twice
            reply(forged, "cy@example.org"),
            b"From: spam@example.net\r\nSubject: hello\r\n\r\nbuy now\r\n",
        )
    )
    assert main(["outbox", "unsubscribes", "--mbox", str(mbox), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"messages": 4, "unsubscribed": 1, "unchanged": 1, "unrecognised": 2}
    subscription = Subscription.objects.get(person=ann, publication=room.publication)
    assert (subscription.state, subscription.source) == ("unsubscribed", "mail")
    records = AuditRecord.objects.filter(action="bulletin.unsubscribe", actor_label="unsubscribe mail")
    assert records.count() == 1
    assert ann.memberships.get(end__isnull=True).status == "member"  # the membership is untouched
    assert not Subscription.objects.filter(person=room.people["cy"]).exists()
    # From standard input: bob's single message.
    stdin = io.TextIOWrapper(io.BytesIO(reply(addresses["bob@example.org"], "bob@example.org")))
    monkeypatch.setattr(sys, "stdin", stdin)
    assert main(["outbox", "unsubscribes", "--mbox", "-"]) == 0
    assert "1 message(s): 1 unsubscribed" in capsys.readouterr().out
    assert Subscription.objects.get(person=bob, publication=room.publication).state == "unsubscribed"
    assert recipient_count(publication=room.publication) == 1  # cy only


def test_a_missing_mbox_is_named(capsys):
    assert main(["outbox", "unsubscribes", "--mbox", "/nonexistent/unsubscribes.mbox"]) != 0
    assert "--mbox: no file /nonexistent/unsubscribes.mbox" in capsys.readouterr().err


@pytest.mark.parametrize("data", [b"", b"\n\n"])
def test_empty_standard_input_is_no_message(capsys, monkeypatch, data):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(["outbox", "unsubscribes", "--mbox", "-", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"messages": 0, "unsubscribed": 0, "unchanged": 0, "unrecognised": 0}
