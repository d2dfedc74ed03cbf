"""What a person reads about a send: a second send of the same issue names the issue, a failure
keeps the server's answer as text, and the audit says how many went and how many failed."""

from __future__ import annotations

import pytest
from django.utils import timezone

from grassroots.audit.labels import action_label
from grassroots.audit.models import AuditRecord
from grassroots.bulletin import actions as bulletin
from grassroots.errors import ActionRefused
from grassroots.outbox.jobs import deliver
from grassroots.outbox.models import Delivery, Mailing
from tests.support.bulletin import newsroom

pytestmark = pytest.mark.django_db


def test_a_second_send_of_the_same_issue_names_the_issue():
    room = newsroom()
    # What a send that raced this one left: the issue's mailing, queued a moment before.
    Mailing.objects.create(
        organization=room.org, source=f"bulletin.issue:{room.issue.pk}", subject="x", text_body="x",
        created_at=timezone.now(),
    )  # fmt: skip
    with pytest.raises(ActionRefused) as refused:
        bulletin.send_issue(issue=room.issue, by="test", confirm=3)
    assert refused.value.message == "The Tenant no. 1 was already queued for sending"
    assert Mailing.objects.count() == 1 and not Delivery.objects.exists()


def test_failures_keep_the_servers_answer_as_text_and_the_audit_counts_them(smtp, settings):
    settings.GRASSROOTS_OUTBOX_RETRY_SECONDS = 0
    settings.GRASSROOTS_OUTBOX_MAX_ATTEMPTS = 1
    smtp.refuse["bob@example.org"] = "451 4.3.0 Try again later"
    room = newsroom()
    mailing = bulletin.send_issue(issue=room.issue, by="test", confirm=3)
    assert deliver() == 2
    bob = mailing.deliveries.get(address="bob@example.org")
    assert (bob.status, bob.last_error) == ("failed", "451 4.3.0 Try again later")
    mailing.refresh_from_db()
    assert mailing.last_error == "bob@example.org: 451 4.3.0 Try again later"
    record = AuditRecord.objects.get(action="bulletin.issue.sent", target_id=str(room.issue.pk))
    assert record.changes["deliveries"] == [
        None,
        "2 sent, 1 failed, 7 skipped",
    ]  # skipped: no address, or nothing to read
    assert action_label("bulletin.issue.sent") == "Issue sending finished"
