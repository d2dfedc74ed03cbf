"""The public subscribe form: anyone asks for a publication by name and address, ticking the
consent text of the version shown; a confirmation link goes through the outbox; a GET on it changes
nothing, a POST confirms. The answer never tells whether the address was known, and the form
cannot be used to flood an inbox."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from grassroots.bulletin import actions as bulletin
from grassroots.bulletin.models import Subscription
from grassroots.bulletin.selectors import recipient_count
from grassroots.outbox.jobs import deliver
from grassroots.people.models import Consent, Person
from tests.support.bulletin import newsroom

pytestmark = pytest.mark.django_db
OUTCOME = re.compile(r'<p id="outcome"[^>]*>(.*?)</p>', re.S)


def ask(client: Client, room, email: str, *, name: str = "Ivy Reader", version: str = "1", tick: bool = True):
    url = reverse("bulletin_subscribe", args=[room.org.slug, room.publication.slug])
    data = {"name": name, "email": email, "consent_version": version}
    if tick:
        data["consent"] = "on"
    return client.post(url, data)


def confirmation_path(received) -> str:
    link = re.search(r"https?://\S+/subscribe/confirm/\S+/", received.message.get_content()).group(0)
    return "/" + link.split("://", 1)[1].partition("/")[2]


def test_a_stranger_subscribes_confirms_and_then_receives_the_bulletin(smtp):
    room = newsroom()
    before = recipient_count(publication=room.publication)
    stranger = Client(enforce_csrf_checks=False)
    page = stranger.get(reverse("bulletin_subscribe", args=[room.org.slug, room.publication.slug]))
    assert page.status_code == 200 and b"consent text version 1" in page.content
    answer = ask(stranger, room, " Ivy@Example.org ")
    assert answer.status_code == 200
    ivy = Person.objects.get(organization=room.org, email="ivy@example.org")
    assert (ivy.name, ivy.unit_path) == ("Ivy Reader", "")  # a supporter by subscription alone
    subscription = Subscription.objects.get(person=ivy)
    assert (subscription.state, subscription.source, subscription.consent_version) == ("unconfirmed", "web form", "1")
    assert subscription.created_at is not None and subscription.confirmed_at is None
    assert recipient_count(publication=room.publication) == before  # not before confirming
    assert deliver() == 1
    (mail,) = smtp.received
    assert mail.recipients == ["ivy@example.org"]
    assert mail.message["Subject"] == "Confirm your subscription to The Tenant"
    path = confirmation_path(mail)
    scanner = Client(enforce_csrf_checks=True)
    assert b"Receive The Tenant?" in scanner.get(path).content
    assert Subscription.objects.get(person=ivy).state == "unconfirmed"  # a GET changes nothing
    scanner.post(path)
    subscription.refresh_from_db()
    assert subscription.state == "confirmed" and subscription.confirmed_at is not None
    assert Consent.objects.get(person=ivy).policy_version == "1"
    assert recipient_count(publication=room.publication) == before + 1
    bulletin.send_issue(issue=room.issue, by="test", confirm=before + 1)
    deliver()
    assert "ivy@example.org" in smtp.recipients[1:]


def test_the_answer_is_the_same_whether_the_address_is_known(smtp):
    room = newsroom()
    client = Client()
    unknown = OUTCOME.search(ask(client, room, "nobody@example.org").content.decode()).group(1)
    member = OUTCOME.search(ask(client, room, "ann@example.org", name="Someone Else").content.decode()).group(1)
    confirmed = OUTCOME.search(ask(client, room, "dee@example.org").content.decode()).group(1)
    again = OUTCOME.search(ask(client, room, "nobody@example.org").content.decode()).group(1)
    assert unknown == member == confirmed == again
    assert Person.objects.get(email="ann@example.org").name == "Ann North"  # the known person is used, unchanged
    assert Person.objects.filter(email="ann@example.org").count() == 1
    deliver()
    # dee is confirmed already (nothing to send); nobody asked twice within the cool-down: one mail.
    assert sorted(smtp.recipients) == ["ann@example.org", "nobody@example.org"]


def test_a_known_consent_is_used_not_copied(smtp):
    room = newsroom()
    dee = room.people["dee"]
    second = bulletin.add_publication(organization=room.org, name="The Second", by="test")
    url = reverse("bulletin_subscribe", args=[room.org.slug, second.slug])
    Client().post(url, {"name": "Dee", "email": "dee@example.org", "consent": "on", "consent_version": "1"})
    deliver()
    Client().post(confirmation_path(smtp.received[0]))
    assert Subscription.objects.get(person=dee, publication=second).state == "confirmed"
    assert Consent.objects.filter(person=dee).count() == 1  # the consent of the first subscription


def test_bad_forms_name_the_field_and_change_nothing(settings):
    room = newsroom()
    client = Client()
    answer = ask(client, room, "ivy@example.org", tick=False)
    assert answer.status_code == 400 and b"This field is required" in answer.content
    answer = ask(client, room, "ivy@example.org", version="0")
    assert answer.status_code == 400 and b"the consent text changed (now version 1)" in answer.content
    answer = ask(client, room, "not an address")
    assert answer.status_code == 400 and b"valid email" in answer.content
    assert not Person.objects.filter(email="ivy@example.org").exists()
    settings.GRASSROOTS_CONFIRMATIONS_PER_HOUR = 1
    assert ask(client, room, "ivy@example.org").status_code == 200
    answer = ask(client, room, "jo@example.org")
    assert answer.status_code == 429 and b"try again later" in answer.content
    assert not Person.objects.filter(email="jo@example.org").exists()
    missing = client.get(reverse("bulletin_subscribe", args=[room.org.slug, "no-such-thing"]))
    assert missing.status_code == 404
