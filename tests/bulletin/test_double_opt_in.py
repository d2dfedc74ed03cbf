"""Double opt-in: an organizer subscribes a supporter, who is mailed a confirmation link; a GET on
it changes nothing, a POST confirms and records the consent once; only then do issues reach them."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from grassroots.bulletin import actions
from grassroots.bulletin.models import Subscription
from grassroots.bulletin.selectors import recipient_count
from grassroots.outbox.jobs import deliver
from grassroots.people.models import Consent
from tests.support import builders
from tests.support.bulletin import join, newsroom
from tests.support.sessions import sign_in

pytestmark = pytest.mark.django_db
EVERYONE = ["candidate", "member", "supporter"]


def test_a_supporter_receives_the_bulletin_only_after_confirming(smtp):
    room = newsroom()
    hal = join(room.org, room.units["elm"], "Hal Supporter", email="hal@example.org", status="supporter")
    organizer = Client()
    sign_in(organizer, builders.account(room.org, "admin@example.org", is_admin=True))
    page = reverse("person_subscriptions", args=[room.org.slug, hal.pk])
    assert organizer.post(page, {"publication": room.publication.pk}).status_code == 302
    assert Subscription.objects.get(person=hal).state == "unconfirmed"
    assert recipient_count(publication=room.publication, statuses=EVERYONE) == 4  # not hal yet
    deliver()
    (confirmation,) = smtp.received
    assert confirmation.recipients == ["hal@example.org"]
    link = re.search(r"https?://\S+/subscribe/confirm/\S+/", confirmation.message.get_content()).group(0)
    path = link.split("://", 1)[1].partition("/")[2]
    stranger = Client(enforce_csrf_checks=True)
    assert b"Receive The Tenant?" in stranger.get("/" + path).content
    assert Subscription.objects.get(person=hal).state == "unconfirmed"  # a GET changes nothing
    stranger.post("/" + path)
    stranger.post("/" + path)
    subscription = Subscription.objects.get(person=hal)
    assert (subscription.state, subscription.consent_version, subscription.source) == ("confirmed", "1", "organizer")
    consent = Consent.objects.get(person=hal)  # one consent record, in the people app
    assert (consent.purpose, subscription.consent_id) == ("email bulletins", consent.pk)
    assert recipient_count(publication=room.publication, statuses=EVERYONE) == 5
    assert "Bulletin subscriptions" in organizer.get(reverse("person", args=[room.org.slug, hal.pk])).content.decode()
    assert "confirmed" in organizer.get(page).content.decode()


def test_a_forged_confirmation_link_confirms_nothing():
    room = newsroom()
    answer = Client().post(reverse("subscription_confirm", args=["1:forged"]))
    assert answer.status_code == 404
    assert Subscription.objects.get(person=room.people["eve"]).state == "unconfirmed"


def test_an_organizer_unsubscribes_someone_on_their_page():
    room = newsroom()
    dee = room.people["dee"]
    organizer = Client()
    sign_in(organizer, builders.account(room.org, "admin@example.org", is_admin=True))
    page = reverse("person_subscriptions", args=[room.org.slug, dee.pk])
    assert b'name="state" value="unsubscribed"' in organizer.get(page).content
    for _ in range(2):
        organizer.post(page, {"publication": room.publication.pk, "state": "unsubscribed"})
    subscription = Subscription.objects.get(person=dee)
    assert (subscription.state, subscription.unsubscribed_at is not None) == ("unsubscribed", True)
    assert Consent.objects.get(person=dee).withdrawn_at is not None  # the consent it rested on
    assert dee.memberships.get(end__isnull=True).status == "supporter"  # the membership is untouched
    answer = organizer.post(page, {"publication": room.publication.pk, "state": "confirmed"}, follow=True)
    assert "state: &#x27;confirmed&#x27; cannot be set" in answer.content.decode()


def test_asking_again_for_someone_who_unsubscribed_sends_nothing_until_they_confirm(smtp):
    room = newsroom()
    dee = room.people["dee"]
    public = reverse("bulletin_subscribe", args=[room.org.slug, room.publication.slug])
    before = recipient_count(publication=room.publication, statuses=EVERYONE)
    actions.unsubscribe(person=dee, publication=room.publication, by="one-click")
    assert recipient_count(publication=room.publication, statuses=EVERYONE) == before - 1
    # Anyone may type their address into the public form: they stay out of the audience.
    Client().post(public, {"name": "X", "email": dee.email, "consent": "on", "consent_version": "1"})
    assert Subscription.objects.get(person=dee).state == "unconfirmed"
    assert recipient_count(publication=room.publication, statuses=EVERYONE) == before - 1
    deliver()
    (confirmation,) = smtp.received
    link = re.search(r"https?://\S+/subscribe/confirm/\S+/", confirmation.message.get_content()).group(0)
    Client().post("/" + link.split("://", 1)[1].partition("/")[2])  # they confirm themselves
    subscription = Subscription.objects.get(person=dee)
    assert (subscription.state, subscription.unsubscribed_at) == ("confirmed", None)
    assert recipient_count(publication=room.publication, statuses=EVERYONE) == before
