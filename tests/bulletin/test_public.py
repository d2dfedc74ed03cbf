"""What needs no sign-in: the one-click unsubscribe (RFC 8058), the public archive and the
public Atom feed, with the articles' visibility applied."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from django.urls import reverse

from grassroots.audit.models import AuditRecord
from grassroots.bulletin import actions as bulletin
from grassroots.bulletin.models import Subscription
from grassroots.outbox.jobs import deliver
from grassroots.outbox.tokens import unsubscribe_token
from tests.support.bulletin import newsroom
from tests.support.sessions import sign_in

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def one_click_url(room, person) -> str:
    token = unsubscribe_token(person_id=person.pk, list_key=room.publication.list_key)
    return reverse("unsubscribe", kwargs={"token": token})


def test_one_click_post_twice_unsubscribes_once_and_get_changes_nothing():
    room = newsroom()
    ann = room.people["ann"]
    client = Client(enforce_csrf_checks=True)
    url = one_click_url(room, ann)
    page = client.get(url)
    assert page.status_code == 200 and b"Unsubscribe from The Tenant?" in page.content
    assert not Subscription.objects.filter(person=ann).exists()
    for _ in range(2):
        answer = client.post(url, {"List-Unsubscribe": "One-Click"})
        assert answer.status_code == 200
    assert Subscription.objects.get(person=ann).state == "unsubscribed"
    assert AuditRecord.objects.filter(action="bulletin.unsubscribe", actor_label="one-click").count() == 1
    assert ann.memberships.get(end__isnull=True).status == "member"  # the membership is untouched


def test_a_forged_or_foreign_token_is_refused():
    room = newsroom()
    client = Client()
    assert client.post(reverse("unsubscribe", kwargs={"token": "1:forged"})).status_code == 404
    other = bulletin.add_publication(organization=room.org, name="Other Paper", by="test")
    token = unsubscribe_token(person_id=room.people["ann"].pk, list_key=other.list_key)
    client.post(reverse("unsubscribe", kwargs={"token": token}))
    assert Subscription.objects.get(person=room.people["ann"]).publication == other  # that list only


def test_the_unsubscribed_get_no_next_issue(smtp):
    room = newsroom()
    Client().post(one_click_url(room, room.people["ann"]))
    bulletin.send_issue(issue=room.issue, by="test", confirm=2)
    deliver()
    assert sorted(smtp.recipients) == ["bob@example.org", "cy@example.org"]


def test_the_archive_and_feed_show_public_articles_to_anyone_and_members_theirs(smtp):
    room = newsroom()
    slug, pub = room.org.slug, room.publication.slug
    assert b"Rent strike" not in Client().get(reverse("bulletin_archive", args=[slug, pub])).content  # a draft
    bulletin.send_issue(issue=room.issue, by="test", confirm=3)
    deliver()
    anyone = Client()
    assert b"Rent strike" in anyone.get(reverse("bulletin_archive", args=[slug, pub])).content
    page = anyone.get(reverse("bulletin_archive_issue", args=[slug, pub, 1])).content.decode()
    assert "We won" in page and "Internal" not in page and "1 article of this issue is for members only" in page
    member = Client()
    from tests.support import builders

    sign_in(member, builders.account(room.org, "ann@example.org", person=room.people["ann"]))
    page = member.get(reverse("bulletin_archive_issue", args=[slug, pub, 1])).content.decode()
    assert "We won" in page and "Internal" in page
    feed = anyone.get(reverse("bulletin_feed", args=[slug, pub]))
    assert feed["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.content)
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["No. 1: Rent strike"]
    entry_id = entries[0].findtext(f"{ATOM}id")
    assert entry_id.startswith("tag:") and entry_id.endswith(f"{slug}/{pub}/issue-1")
    content = entries[0].findtext(f"{ATOM}summary") or ""
    assert "We won" in content and "Members only" not in content
