"""A provider's bounce webhook through django-anymail (Postmark's format, posted to the real
webhook view): the secret is required, and a hard bounce is scored and marks the delivery."""

from __future__ import annotations

import base64
import json

import pytest
from django.test import Client

from grassroots.bulletin import actions as bulletin
from grassroots.bulletin.models import Subscription
from grassroots.outbox.jobs import deliver
from grassroots.outbox.models import Bounce, MailAddress
from tests.support.bulletin import newsroom

pytestmark = pytest.mark.django_db
URL = "/anymail/postmark/tracking/"
BOUNCE = {
    "RecordType": "Bounce",
    "Type": "HardBounce",
    "TypeCode": 1,
    "Email": "bob@example.org",
    "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
    "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
    "BouncedAt": "2026-03-02T09:00:00Z",
    "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
}

# Postmark's spam complaint record (https://postmarkapp.com/developer/webhooks/spam-complaint-webhook).
COMPLAINT = {
    "RecordType": "SpamComplaint",
    "Type": "SpamComplaint",
    "TypeCode": 512,
    "Email": "ann@example.org",
    "Description": "The subscriber explicitly marked this message as spam.",
    "Details": "Test spam complaint details",
    "BouncedAt": "2026-03-02T09:00:00Z",
    "MessageID": "a1b2c3d4-6105-42a2-a16a-77a8eac79483",
}


def post(client, body, secret=None):
    headers = {}
    if secret:
        headers["Authorization"] = "Basic " + base64.b64encode(secret.encode()).decode()
    return client.post(URL, json.dumps(body), content_type="application/json", headers=headers)


def test_a_webhook_without_the_secret_changes_nothing(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:s3cret"}
    assert post(Client(), BOUNCE).status_code in (400, 401, 403)
    assert post(Client(), BOUNCE, "hook:wrong").status_code in (400, 401, 403)
    assert not MailAddress.objects.exists()


def test_a_hard_bounce_from_the_provider_is_scored(settings, smtp):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:s3cret"}
    room = newsroom()
    bulletin.send_issue(issue=room.issue, by="test", confirm=3)
    deliver()
    assert post(Client(), BOUNCE, "hook:s3cret").status_code == 200
    assert float(MailAddress.objects.get(address="bob@example.org").score) == 1.0
    bob = room.issue.mailing.deliveries.get(address="bob@example.org")
    assert bob.status == "bounced" and "550 5.1.1" in bob.last_error


@pytest.mark.parametrize(
    "record", [BOUNCE, {**COMPLAINT, "Email": "zed@example.org"}, {**BOUNCE, "Email": "gus@example.org"}]
)
def test_an_event_about_no_message_we_sent_changes_nothing(settings, smtp, record):
    """A bounce or complaint naming an address we never sent to (no mail sent yet; a stranger's
    address) scores nothing and unsubscribes no one."""
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:s3cret"}
    room = newsroom()
    if record is not BOUNCE:
        bulletin.send_issue(issue=room.issue, by="test", confirm=3)
        deliver()
    assert post(Client(), record, "hook:s3cret").status_code == 200
    assert not MailAddress.objects.exists() and not Bounce.objects.exists()


def test_a_complaint_from_the_provider_unsubscribes_the_recipient(settings, smtp):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:s3cret"}
    room = newsroom()
    bulletin.send_issue(issue=room.issue, by="test", confirm=3)
    deliver()
    assert post(Client(), COMPLAINT, "hook:s3cret").status_code == 200
    ann = room.people["ann"]
    assert Subscription.objects.get(person=ann, publication=room.publication).state == "unsubscribed"
    assert room.issue.mailing.deliveries.get(person=ann).status == "complained"
