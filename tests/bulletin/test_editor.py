"""The issue page as an editor: several articles, each with its own visibility, added, changed,
moved and removed until the issue is sent (CSRF-checked forms, errors naming the article and its
field), and the preview of every edition the send would write, with its number of recipients."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from grassroots.bulletin import actions as bulletin
from grassroots.bulletin.models import Publication
from tests.support import builders
from tests.support.bulletin import BY, newsroom
from tests.support.sessions import sign_in

pytestmark = pytest.mark.django_db


def editor(room, **client_options):
    client = Client(**client_options)
    sign_in(client, builders.account(room.org, "admin@example.org", is_admin=True))
    return client


def listed(issue) -> list[tuple[int, str, str, str | None]]:
    return [
        (a.position, a.title, a.visibility, a.visibility_unit.slug if a.visibility_unit else None)
        for a in issue.articles.select_related("visibility_unit")
    ]


def test_an_editor_adds_changes_moves_and_removes_articles_on_the_issue_page(django_assert_max_num_queries):
    room = newsroom()
    client = editor(room)
    org, slug = room.org.slug, room.publication.slug
    page_url = reverse("bulletin_issue", args=[org, slug, 1])
    add = reverse("bulletin_article_add", args=[org, slug, 1])
    answer = client.post(
        add,
        {"new-title": "South", "new-body": "For *South*.", "new-visibility": "subtree", "new-visibility_unit": "south"},
    )
    assert answer.status_code == 302 and answer.url == page_url
    assert listed(room.issue)[2] == (3, "South", "subtree", "south")
    south = room.issue.articles.get(title="South")
    change = reverse("bulletin_article", args=[org, slug, 1, south.pk])
    assert client.post(change, {"do": "up"}).status_code == 302
    assert [t for _, t, _, _ in listed(room.issue)] == ["We won", "South", "Internal"]
    saved = client.post(
        change,
        {
            f"a{south.pk}-title": "South news",
            f"a{south.pk}-body": "For *South* only.",
            f"a{south.pk}-visibility": "members",
            f"a{south.pk}-visibility_unit": "",
            "do": "save",
        },
    )
    assert saved.status_code == 302
    assert listed(room.issue)[1] == (2, "South news", "members", None)
    internal = room.issue.articles.get(title="Internal")
    assert (
        client.post(reverse("bulletin_article", args=[org, slug, 1, internal.pk]), {"do": "remove"}).status_code == 302
    )
    assert [t for _, t, _, _ in listed(room.issue)] == ["We won", "South news"]
    with django_assert_max_num_queries(30):
        page = client.get(page_url).content.decode()
    assert "Article 2: South news" in page and 'id="article-new"' in page
    # A subtree article without a unit: refused on the page, naming the article and the field.
    bad = client.post(add, {"new-title": "Lost", "new-body": "x", "new-visibility": "subtree"})
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "article 3 (&#x27;Lost&#x27;): a subtree article needs a unit of the organization" in text
    assert 'id="id_new-visibility_unit_error' in text
    assert len(listed(room.issue)) == 2
    empty = client.post(
        change, {f"a{south.pk}-title": "", f"a{south.pk}-body": "x", f"a{south.pk}-visibility": "members", "do": "save"}
    )
    assert empty.status_code == 400 and f'id="id_a{south.pk}-title_error' in empty.content.decode()
    assert room.issue.articles.get(pk=south.pk).title == "South news"


def test_the_unit_chooser_holds_only_the_publications_place():
    room = newsroom()
    north = Publication.objects.create(organization=room.org, unit=room.units["north"], name="North", slug="north-news")
    bulletin.add_issue(publication=north, title="One", by=BY)
    client = editor(room)
    page = client.get(reverse("bulletin_issue", args=[room.org.slug, "north-news", 1])).content.decode()
    chooser = page[page.index('name="new-visibility_unit"') :]
    chooser = chooser[: chooser.index("</select>")]
    assert 'value="north"' in chooser and 'value="elm-house"' in chooser and 'value="oak-court"' in chooser
    assert 'value="south"' not in chooser and 'value="federation"' not in chooser
    answer = client.post(
        reverse("bulletin_article_add", args=[room.org.slug, "north-news", 1]),
        {"new-title": "Ash", "new-body": "x", "new-visibility": "subtree", "new-visibility_unit": "south"},
    )
    assert answer.status_code == 400 and "Select a valid choice" in answer.content.decode()


def test_the_forms_need_their_csrf_token():
    room = newsroom()
    client = editor(room, enforce_csrf_checks=True)
    answer = client.post(
        reverse("bulletin_article_add", args=[room.org.slug, room.publication.slug, 1]),
        {"new-title": "X", "new-body": "Y", "new-visibility": "public"},
    )
    assert answer.status_code == 403
    assert room.issue.articles.count() == 2


def test_a_sent_issue_offers_no_article_form_and_refuses_a_change(smtp):
    room = newsroom()
    bulletin.send_issue(issue=room.issue, by=BY, confirm=3)
    client = editor(room)
    page = client.get(reverse("bulletin_issue", args=[room.org.slug, room.publication.slug, 1])).content.decode()
    assert 'id="article-new"' not in page and "Save article" not in page
    first = room.issue.articles.first()
    answer = client.post(
        reverse("bulletin_article", args=[room.org.slug, room.publication.slug, 1, first.pk]),
        {"do": "remove"},
        follow=True,
    )
    assert "its articles can only be changed before it is sent" in answer.content.decode()
    assert room.issue.articles.count() == 2


def test_the_preview_shows_every_edition_with_its_recipients():
    """The Tenant no. 1 with a public, a members' and a South article. To the member statuses:
    ann and bob (North) get the members' edition, cy (South) the one with South's article. With
    supporters too, dee (a confirmed supporter) gets the public edition."""
    room = newsroom()
    bulletin.add_article(
        issue=room.issue, by=BY, title="South only", body="x", visibility="subtree", visibility_unit=room.units["south"]
    )
    client = editor(room)
    url = reverse("bulletin_issue", args=[room.org.slug, room.publication.slug, 1])
    page = client.get(url).content.decode()
    assert "Preview of the mail: 2 editions" in page and '<strong id="recipients">3</strong>' in page
    assert 'Members&#x27; edition: <span class="num">2</span> recipients' in page
    assert 'Members&#x27; edition: members in South: <span class="num">1</span> recipient<' in page
    assert "Public edition" not in page
    south = page[page.index("members in South") :]
    assert "South only" in south
    members = page[page.index("Members&#x27; edition: <span") : page.index("members in South")]
    assert "South only" not in members and "Internal" in members
    page = client.get(url, {"status": ["member", "candidate", "supporter"]}).content.decode()
    assert "Preview of the mail: 3 editions" in page and '<strong id="recipients">4</strong>' in page
    assert 'Public edition (recipients who are not members): <span class="num">1</span> recipient<' in page
    public = page[page.index("Public edition") : page.index("Members&#x27; edition: <span")]
    assert "We won" in public and "Internal" not in public and "South only" not in public


def test_the_editor_page_and_a_move_take_as_many_queries_with_thirteen_articles_as_with_three(smtp):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    room = newsroom()
    client = editor(room)
    org, slug = room.org.slug, room.publication.slug
    page_url = reverse("bulletin_issue", args=[org, slug, 1])

    def measured():
        first = room.issue.articles.first()
        with CaptureQueriesContext(connection) as page:
            assert client.get(page_url).status_code == 200
        with CaptureQueriesContext(connection) as move:
            client.post(reverse("bulletin_article", args=[org, slug, 1, first.pk]), {"do": "down"})
        return len(page.captured_queries), len(move.captured_queries)

    bulletin.add_article(
        issue=room.issue, by=BY, title="North", body="x", visibility="subtree", visibility_unit=room.units["north"]
    )
    client.get(page_url)  # the session and the grants, read once
    three = measured()
    for n in range(10):
        bulletin.add_article(
            issue=room.issue,
            by=BY,
            title=f"More {n}",
            body="x",
            visibility="subtree",
            visibility_unit=room.units["elm"],
        )
    assert measured() == three
