"""The bulletin's pages for whoever publishes: start a publication, draft an issue, read the
audience count and the preview, send with the typed count, see the delivery report."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from grassroots.bulletin.models import Issue, Publication
from grassroots.outbox.jobs import deliver
from tests.support import builders
from tests.support.bulletin import newsroom
from tests.support.sessions import sign_in

pytestmark = pytest.mark.django_db


def test_draft_count_send_and_report_on_the_pages(smtp, django_assert_max_num_queries):
    room = newsroom()
    client = Client()
    sign_in(client, builders.account(room.org, "admin@example.org", is_admin=True))
    org = room.org.slug
    answer = client.post(
        reverse("bulletin", args=[org]), {"name": "North News", "unit": "north", "colour": "#123456", "footer": "N"}
    )
    assert answer.status_code == 302
    publication = Publication.objects.get(slug="north-news")
    assert publication.unit == room.units["north"]
    answer = client.post(
        reverse("bulletin_publication", args=[org, "north-news"]),
        {"title": "First", "article_title": "Hello", "body": "We *met*.", "visibility": "members"},
    )
    issue_url = reverse("bulletin_issue", args=[org, "north-news", 1])
    assert answer.status_code == 302 and answer.url == issue_url
    with django_assert_max_num_queries(25):
        page = client.get(issue_url).content.decode()
    assert '<strong id="recipients">3</strong>' in page  # ann, bob, fay in the north
    assert "<em>met</em>" in page and "North News no. 1: First" in page
    refused = client.post(reverse("bulletin_issue_send", args=[org, "north-news", 1]), {"confirm": 4}, follow=True)
    assert "would go to 3 recipients" in refused.content.decode()
    assert Issue.objects.get(publication=publication).status == "draft"
    client.post(reverse("bulletin_issue_send", args=[org, "north-news", 1]), {"confirm": 3})
    deliver()
    with django_assert_max_num_queries(25):
        page = client.get(issue_url).content.decode()
    assert '<span class="state" id="issue-status">sent</span>' in page
    assert '<td class="num">3</td>' in page
    assert sorted(smtp.recipients) == ["ann@example.org", "bob@example.org", "fay@example.org"]


def test_a_bad_publication_form_names_the_field():
    room = newsroom()
    client = Client()
    sign_in(client, builders.account(room.org, "admin@example.org", is_admin=True))
    answer = client.post(reverse("bulletin", args=[room.org.slug]), {"name": "The Tenant", "colour": "#123456"})
    assert answer.status_code == 400
    assert "already has a publication called" in answer.content.decode()


def test_a_subtree_article_outside_the_publications_district_is_refused_naming_the_field():
    """North's own publication cannot carry an article for the members of South (or of the whole
    federation): the form names the field and the rule, and no issue is written; a unit below
    North is accepted."""
    room = newsroom()
    client = Client()
    sign_in(client, builders.account(room.org, "admin@example.org", is_admin=True))
    north = Publication.objects.create(
        organization=room.org, unit=room.units["north"], name="North News", slug="north-news"
    )
    url = reverse("bulletin_publication", args=[room.org.slug, "north-news"])
    form = {"title": "First", "article_title": "Hello", "body": "Hi", "visibility": "subtree"}
    for outside in ("south", "federation"):
        answer = client.post(url, {**form, "visibility_unit": outside})
        assert answer.status_code == 400
        page = answer.content.decode()
        assert f"unit &#x27;{outside}&#x27;" in page and "lies outside North, whose publication this is" in page
        assert 'id="id_visibility_unit_error' in page or "visibility_unit" in page
    assert not Issue.objects.filter(publication=north).exists()
    assert client.post(url, {**form, "visibility_unit": room.units["elm"].slug}).status_code == 302
    assert north.issues.get().articles.get().visibility_unit == room.units["elm"]
