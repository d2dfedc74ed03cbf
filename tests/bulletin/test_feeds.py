"""The members' feed at a secret address (made, revoked, audited) and the subtree feed."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from django.urls import reverse

from grassroots.audit.models import AuditRecord
from grassroots.bulletin import actions as bulletin
from grassroots.bulletin.models import FeedToken
from grassroots.outbox.jobs import deliver
from tests.support import builders
from tests.support.bulletin import newsroom
from tests.support.sessions import sign_in

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def summaries(response) -> str:
    root = ET.fromstring(response.content)
    return " ".join(entry.findtext(f"{ATOM}summary") or "" for entry in root.findall(f"{ATOM}entry"))


def test_a_members_feed_shows_members_articles_until_revoked(smtp):
    room = newsroom()
    bulletin.send_issue(issue=room.issue, by="test", confirm=3)
    deliver()
    ann = Client()
    sign_in(ann, builders.account(room.org, "ann@example.org", person=room.people["ann"]))
    address = reverse("bulletin_members_feed_address", args=[room.org.slug, room.publication.slug])
    shown = ann.post(address, follow=True).content.decode()
    url = re.search(r"https?://\S+?/members/\S+?\.atom", shown).group(0)
    path = "/" + url.split("://", 1)[1].partition("/")[2]
    reader = Client()  # a feed reader: no session
    content = summaries(reader.get(path))
    assert "We won" in content and "Members only" in content
    public = summaries(reader.get(reverse("bulletin_feed", args=[room.org.slug, room.publication.slug])))
    assert "We won" in public and "Members only" not in public
    page = ann.get(reverse("bulletin_publication", args=[room.org.slug, room.publication.slug])).content.decode()
    mine = FeedToken.objects.get(user__email="ann@example.org")
    assert f'name="revoke" value="{mine.pk}"' in page
    # Another person's address, or no id at all, is a 404 and revokes nothing.
    dee = builders.account(room.org, "dee@example.org", person=room.people["dee"])
    theirs, _secret = bulletin.create_feed_token(publication=room.publication, by=dee)
    assert ann.post(address, {"revoke": str(theirs.pk)}).status_code == 404
    assert ann.post(address, {"revoke": "yes"}).status_code == 404
    assert reader.get(path).status_code == 200
    ann.post(address, {"revoke": str(mine.pk)})
    assert reader.get(path).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert [r.action for r in AuditRecord.objects.filter(action__startswith="bulletin.feed_token").order_by("pk")] == [
        "bulletin.feed_token.create",
        "bulletin.feed_token.create",
        "bulletin.feed_token.revoke",
    ]
    assert reader.get(path.replace(".atom", "x.atom")).status_code == 404


def test_the_subtree_feed_carries_the_publications_of_the_units_below(smtp):
    room = newsroom()
    north_news = bulletin.add_publication(organization=room.org, name="North News", unit=room.units["north"], by="test")
    issue = bulletin.add_issue(
        publication=north_news,
        title="District",
        by="test",
        articles=[{"title": "Open", "body": "Hi", "visibility": "public"}],
    )
    bulletin.send_issue(issue=issue, by="test", confirm=3)
    bulletin.send_issue(issue=room.issue, by="test", confirm=3)
    deliver()
    feed = Client().get(reverse("bulletin_subtree_feed", args=[room.org.slug, room.units["north"].slug]))
    titles = [e.findtext(f"{ATOM}title") for e in ET.fromstring(feed.content).findall(f"{ATOM}entry")]
    assert titles == ["North News no. 1: District"]  # not the organization's own publication
