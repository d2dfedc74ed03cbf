"""Sending an issue through the outbox to a real SMTP server on 127.0.0.1: who gets it, both
parts, the list headers, and nobody outside the audience or without consent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from grassroots.audit.models import AuditRecord
from grassroots.bulletin import actions as bulletin
from grassroots.bulletin.models import Issue, Subscription
from grassroots.bulletin.selectors import recipient_count
from grassroots.errors import ActionRefused
from grassroots.outbox.jobs import deliver
from grassroots.outbox.models import Delivery, Mailing
from grassroots.outbox.selectors import delivery_counts
from tests.support.bulletin import newsroom

pytestmark = pytest.mark.django_db

MEMBERS = ["ann@example.org", "bob@example.org", "cy@example.org", "dee@example.org"]


def test_the_audience_is_members_and_confirmed_supporters_only():
    room = newsroom()
    everyone = {"publication": room.publication, "statuses": ["candidate", "member", "supporter"]}
    assert (
        recipient_count(**everyone) == 4
    )  # ann, bob, cy, dee; not eve (unconfirmed), fay (unsubscribed), gus (no address)
    assert recipient_count(publication=room.publication) == 3  # the member statuses only: ann, bob, cy
    assert recipient_count(publication=room.publication, unit=room.units["north"]) == 2


def test_a_send_must_be_confirmed_with_the_exact_count():
    room = newsroom()
    with pytest.raises(ActionRefused, match="would go to 3 recipients"):
        bulletin.send_issue(issue=room.issue, by="test", confirm=4)
    room.issue.refresh_from_db()
    assert room.issue.status == Issue.Status.DRAFT and room.issue.mailing is None
    # The count is checked against the rows the send wrote: refused, none of them is kept.
    assert not Mailing.objects.exists() and not Delivery.objects.exists()
    assert not AuditRecord.objects.filter(action__in=["outbox.queue", "bulletin.issue.send"]).exists()


def test_an_unknown_status_is_refused_by_name():
    room = newsroom()
    with pytest.raises(ActionRefused, match="'sleeper' is not a member status"):
        bulletin.send_issue(issue=room.issue, by="test", confirm=0, statuses=["sleeper"])


def test_the_issue_reaches_its_audience_with_both_parts_and_the_list_headers(smtp):
    room = newsroom()
    mailing = bulletin.send_issue(issue=room.issue, by="test", confirm=4, statuses=["candidate", "member", "supporter"])
    assert delivery_counts(mailing)["queued"] == 4
    # Gus and the six founding members the builder made have no address: a row each, skipped.
    assert delivery_counts(mailing)["skipped"] == 7
    assert deliver() == 4
    assert sorted(smtp.recipients) == MEMBERS
    message = next(r.message for r in smtp.received if r.recipients == ["ann@example.org"])
    assert message["Subject"] == "The Tenant no. 1: Rent strike"
    assert message["From"] == "bulletin@federation.example.org"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https, mailto = [part.strip(" <>") for part in message["List-Unsubscribe"].split(",")]
    assert https.startswith("https://members.example.org/unsubscribe/")
    assert mailto.startswith("mailto:bulletin@federation.example.org?subject=unsubscribe")
    assert message["List-Id"].startswith("The Tenant <the-tenant.")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "The **rent** is frozen." in text and https in text
    assert "<strong>rent</strong>" in html and "<script>" not in html
    assert "1 Union Street, Leeds" in text and "1 Union Street, Leeds" in html
    room.issue.refresh_from_db()
    assert room.issue.status == Issue.Status.SENT
    assert delivery_counts(mailing)["sent"] == 4
    assert AuditRecord.objects.filter(action="bulletin.issue.sent", target_id=str(room.issue.pk)).count() == 1


def test_a_refused_recipient_fails_with_its_reason_and_the_rest_go(smtp):
    smtp.refuse["bob@example.org"] = "550 No such user"
    room = newsroom()
    mailing = bulletin.send_issue(issue=room.issue, by="test", confirm=3)
    assert deliver() == 2
    counts = delivery_counts(mailing)
    assert (counts["sent"], counts["failed"]) == (2, 1)
    failed = mailing.deliveries.get(status="failed")
    assert failed.address == "bob@example.org" and "550" in failed.last_error
    room.issue.refresh_from_db()
    assert room.issue.status == Issue.Status.SENT


def test_a_temporary_refusal_is_retried_after_a_backoff(smtp, settings):
    settings.GRASSROOTS_OUTBOX_RETRY_SECONDS = 60
    smtp.refuse["bob@example.org"] = "451 Try again later"
    room = newsroom()
    mailing = bulletin.send_issue(issue=room.issue, by="test", confirm=3)
    assert deliver(limit=2) == 2  # ann and cy accepted; bob's first attempt was refused for now
    bob = mailing.deliveries.get(address="bob@example.org")
    assert (bob.status, bob.attempts) == ("queued", 1)
    assert bob.next_attempt_at > timezone.now() + dt.timedelta(seconds=50)
    assert deliver() == 0  # not due yet
    del smtp.refuse["bob@example.org"]
    mailing.deliveries.filter(pk=bob.pk).update(next_attempt_at=timezone.now())  # the backoff has passed
    deliver()
    bob.refresh_from_db()
    assert (bob.status, bob.attempts) == ("sent", 2) and sorted(smtp.recipients).count("bob@example.org") == 1


def test_pause_and_resume_lose_nothing(smtp):
    room = newsroom()
    mailing = bulletin.send_issue(issue=room.issue, by="test", confirm=3)
    bulletin.pause_issue(issue=room.issue, by="test")
    assert deliver() == 0
    assert delivery_counts(mailing)["queued"] == 3
    bulletin.resume_issue(issue=room.issue, by="test")
    assert deliver() == 3
    assert sorted(smtp.recipients) == MEMBERS[:3]
    assert [r.action for r in AuditRecord.objects.filter(action__startswith="outbox.").order_by("pk")] == [
        "outbox.queue",
        "outbox.pause",
        "outbox.resume",
        "outbox.finish",
    ]


def test_unsubscribing_never_changes_a_membership():
    room = newsroom()
    fay = room.people["fay"]
    assert fay.memberships.get(end__isnull=True).status == "member"
    assert Subscription.objects.get(person=fay).state == "unsubscribed"


def test_a_workers_prepared_copy_is_the_message_built_in_full(settings):
    """The worker builds a mailing's message once and fills in each recipient: the copy carries the
    same headers and parts as the message built for that recipient alone."""
    import email
    import email.policy

    from grassroots.outbox.jobs import Prepared, message_for

    settings.GRASSROOTS_BASE_URL = "https://members.example.org"
    room = newsroom()
    mailing = bulletin.send_issue(issue=room.issue, by="test", confirm=3)
    delivery = mailing.deliveries.get(address="ann@example.org")
    prepared = Prepared(mailing, delivery.variant)  # the edition of a member (variant 1)
    assert delivery.variant == 1
    assert prepared.body is not None  # the fast path applies to this mailing
    message_id, data = prepared.copy_for(delivery)
    copy = email.message_from_bytes(data, policy=email.policy.default)
    full = email.message_from_bytes(
        message_for(delivery, None).message().as_bytes(linesep="\r\n"), policy=email.policy.default
    )
    assert copy["Message-ID"] == message_id
    for header in ("To", "From", "Subject", "List-Id", "List-Unsubscribe", "List-Unsubscribe-Post"):
        assert str(copy[header]).strip() == str(full[header]).strip(), header  # folding aside
    for kind in ("plain", "html"):
        assert copy.get_body((kind,)).get_content() == full.get_body((kind,)).get_content()
    assert "[[unsubscribe-url]]" not in data.decode()


def test_a_worker_job_comes_back_by_itself_for_a_retry(smtp, settings):
    """A temporary failure leaves its row waiting for its backoff: the job queues itself again for
    that moment, so the send finishes with no one running `grassroots outbox send`."""
    from django_tasks_db.models import DBTaskResult

    from grassroots.outbox.jobs import deliver_mail
    from tests.support import builders

    settings.GRASSROOTS_OUTBOX_RETRY_SECONDS = 600
    smtp.refuse["bob@example.org"] = "451 Try again later"
    room = newsroom()
    mailing = bulletin.send_issue(issue=room.issue, by="test", confirm=3)
    DBTaskResult.objects.all().delete()  # the jobs the send queued: this test runs the job itself
    assert deliver_mail.call() == 2
    bob = mailing.deliveries.get(address="bob@example.org")
    assert (bob.status, bob.attempts) == ("queued", 1)
    (again,) = DBTaskResult.objects.filter(task_path__endswith="deliver_mail", status="READY")
    assert again.run_after == bob.next_attempt_at
    # The backoff passes; the server takes the message now; the job that was waiting sends it.
    del smtp.refuse["bob@example.org"]
    Delivery.objects.filter(pk=bob.pk).update(next_attempt_at=bob.next_attempt_at - dt.timedelta(seconds=601))
    DBTaskResult.objects.filter(pk=again.pk).update(run_after=again.run_after - dt.timedelta(seconds=601))
    assert builders.run_jobs() == 1
    bob.refresh_from_db()
    assert (bob.status, bob.attempts) == ("sent", 2)
    assert sorted(smtp.recipients).count("bob@example.org") == 1
    assert Issue.objects.get(pk=room.issue.pk).status == "sent"
    assert not DBTaskResult.objects.filter(status="READY").exists()  # nothing waits: no job queued again
