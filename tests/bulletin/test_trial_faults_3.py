"""What a third fresh trial of the bulletin found: a body or title shown in the mail preview is
text, not markup."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from grassroots.bulletin import actions as bulletin
from grassroots.bulletin.models import Issue
from grassroots.cli import main
from grassroots.errors import ActionRefused
from tests.bulletin.test_api import api_client
from tests.support import builders
from tests.support.bulletin import BY, newsroom
from tests.support.sessions import sign_in

pytestmark = pytest.mark.django_db


def test_the_plain_text_part_in_the_preview_is_escaped():
    room = newsroom()
    issue = bulletin.add_issue(
        publication=room.publication,
        title="<b>bold</b> title",
        by=BY,
        articles=[{"title": "<i>x</i>", "body": "<img src=x onerror=alert(2)>", "visibility": "public"}],
    )
    client = Client()
    sign_in(client, builders.account(room.org, "admin@example.org", is_admin=True))
    page = client.get(reverse("bulletin_issue", args=[room.org.slug, room.publication.slug, issue.number]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "<img src=x onerror" not in html and '<img src="x"' not in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "<b>bold</b>" not in html and "<i>x</i>" not in html


ONE_LINE = "one line, without line breaks or control characters"


def test_titles_and_names_with_a_line_break_or_control_character_are_refused_as_drafted(capsys, tmp_path):
    room = newsroom()
    for bad, code in (("Rent\nBcc: x@example.org", "U+000A"), ("Re\rnt", None), ("Ren\x07t", "U+0007")):
        with pytest.raises(ActionRefused) as refused:
            bulletin.add_issue(publication=room.publication, title=bad, by=BY, articles=[{"title": "A", "body": "B"}])
        assert refused.value.field == "title" and ONE_LINE in refused.value.message
        if code:
            assert code in refused.value.message
    with pytest.raises(ActionRefused) as refused:
        bulletin.add_issue(
            publication=room.publication, title="T", by=BY, articles=[{"title": "A\u2028B", "body": "B"}]
        )
    assert refused.value.field == "articles.0.title" and refused.value.message.startswith(
        "article 1 ('A\u2028B'): its title"
    )
    article = room.issue.articles.first()
    with pytest.raises(ActionRefused, match=ONE_LINE):
        bulletin.edit_article(article=article, by=BY, title="We\nwon")
    with pytest.raises(ActionRefused, match=ONE_LINE):
        bulletin.add_article(issue=room.issue, by=BY, title="x\ny", body="Fine\n\nwith lines")
    with pytest.raises(ActionRefused) as refused:
        bulletin.add_publication(organization=room.org, name="North\nNews", by=BY)
    assert refused.value.field == "name"
    # A body keeps its lines.
    assert bulletin.add_article(issue=room.issue, by=BY, title="Ok", body="One\n\nTwo").body == "One\n\nTwo"

    admin = builders.account(room.org, "admin@example.org", is_admin=True)
    client = api_client(admin, room.org)
    base = f"/api/orgs/{room.org.slug}/publications"

    def post(url, body):
        return client.post(url, json.dumps(body), content_type="application/json")

    answer = post(
        f"{base}/{room.publication.slug}/issues", {"title": "A\nB", "articles": [{"title": "A", "body": "B"}]}
    )
    assert answer.status_code == 409 and answer.json()["field"] == "title" and ONE_LINE in answer.json()["detail"]
    answer = post(
        f"{base}/{room.publication.slug}/issues", {"title": "T", "articles": [{"title": "A\tB", "body": "B"}]}
    )
    assert answer.status_code == 409 and answer.json()["field"] == "articles.0.title"
    answer = post(base, {"name": "A\r\nB"})
    assert answer.status_code == 409 and answer.json()["field"] == "name"
    assert Issue.objects.filter(publication=room.publication).count() == 1

    body = tmp_path / "a.md"
    body.write_text("# Big\n\nNews\n", encoding="utf-8")
    code = main(["bulletin", "issue", "add", str(room.publication.pk), "--title", "A\nB", "--article", str(body)])
    err = capsys.readouterr().err
    assert code != 0 and ONE_LINE in err and "Traceback" not in err
    code = main(["bulletin", "publication", "add", room.org.slug, "--name", "A\nB"])
    err = capsys.readouterr().err
    assert code != 0 and ONE_LINE in err

    web = Client()
    sign_in(web, admin)
    page = web.post(
        reverse("bulletin_publication", args=[room.org.slug, room.publication.slug]),
        {"title": "Two\nlines", "article_title": "Fine", "body": "B", "visibility": "members"},
    )
    assert page.status_code == 400 and ONE_LINE in page.content.decode() and "Two\nlines" in page.content.decode()
    page = web.post(
        reverse("bulletin_article_add", args=[room.org.slug, room.publication.slug, 1]),
        {"new-title": "Bad\x0btitle", "new-body": "B", "new-visibility": "members"},
    )
    assert page.status_code == 400 and ONE_LINE in page.content.decode()
    assert Issue.objects.filter(publication=room.publication).count() == 1


def test_an_issue_out_of_scope_reads_as_absent_and_a_sent_one_she_may_read_is_readable(smtp):
    room = newsroom()
    bulletin.send_issue(issue=room.issue, by=BY, confirm=3)
    south = bulletin.add_publication(organization=room.org, name="South News", unit=room.units["south"], by=BY)
    bulletin.add_issue(publication=south, title="South draft", by=BY, articles=[{"title": "S", "body": "s"}])
    secretary = builders.officer(
        room.org, room.units["north"], "secretary", "sec@example.org", member_of=room.units["elm"]
    )
    api = api_client(secretary, room.org)
    base = f"/api/orgs/{room.org.slug}/publications/{south.slug}/issues"
    for number in (1, 9):  # another district's draft reads as a number that does not exist
        expected = f"South News has no issue number {number}"
        for answer in (
            api.get(f"{base}/{number}"),
            api.get(f"{base}/{number}/audience"),
            api.get(f"{base}/{number}/status"),
            api.post(f"{base}/{number}/send", json.dumps({"confirm": 1}), content_type="application/json"),
        ):
            assert (answer.status_code, answer.json()["detail"]) == (404, expected)
    web = Client()
    sign_in(web, secretary)
    for number in (1, 9):
        args = [room.org.slug, south.slug, number]
        assert web.get(reverse("bulletin_issue", args=args)).status_code == 404
        assert web.post(reverse("bulletin_issue_send", args=args), {"confirm": "1"}).status_code == 404
        assert web.post(reverse("bulletin_issue_pause", args=args)).status_code == 404

    # The organization's sent issue she sees listed: readable, with the articles she may read.
    own = f"/api/orgs/{room.org.slug}/publications/{room.publication.slug}/issues"
    assert [i["number"] for i in api.get(own).json()["items"]] == [1]
    read = api.get(f"{own}/1")
    assert read.status_code == 200 and [a["title"] for a in read.json()["articles"]] == ["We won", "Internal"]
    assert api.get(f"{own}/1/audience").status_code == 403
    page = web.get(reverse("bulletin_issue", args=[room.org.slug, room.publication.slug, 1]))
    html = page.content.decode()
    assert page.status_code == 200 and "We won" in html and "Members only: the next meeting." in html
    assert "Send" not in html and "Preview of the mail" not in html


def test_the_page_counts_no_audience_outside_the_publications_place_as_the_api_refuses_it():
    room = newsroom()
    north = bulletin.add_publication(organization=room.org, name="North News", unit=room.units["north"], by=BY)
    bulletin.add_issue(publication=north, title="N", by=BY, articles=[{"title": "A", "body": "B"}])
    admin = builders.account(room.org, "admin@example.org", is_admin=True)
    refusal = "unit: South is outside North, whose publication this is"
    api = api_client(admin, room.org).get(
        f"/api/orgs/{room.org.slug}/publications/{north.slug}/issues/1/audience?unit=south"
    )
    assert api.status_code == 409 and api.json()["detail"] == refusal
    web = Client()
    sign_in(web, admin)
    url = reverse("bulletin_issue", args=[room.org.slug, north.slug, 1])
    page = web.get(url, {"unit": "south"})
    html = page.content.decode()
    assert page.status_code == 200 and refusal in html and "would go to" not in html
    assert "recipient" not in html.split('id="preview-heading"')[1].split("</section>")[0].replace("recipients", "")
    unknown = web.get(url, {"unit": "nowhere"}).content.decode()
    assert "no unit &#x27;nowhere&#x27;" in unknown and "would go to" not in unknown
    counted = api_client(admin, room.org).get(
        f"/api/orgs/{room.org.slug}/publications/{north.slug}/issues/1/audience?unit={room.units['elm'].slug}"
    )
    assert counted.status_code == 200, counted.json()
    inside = web.get(url, {"unit": room.units["elm"].slug}).content.decode()
    assert f'id="recipients">{counted.json()["recipients"]}<' in inside and refusal not in inside


def test_an_unknown_unit_in_a_web_form_is_an_error_on_its_field_keeping_the_input():
    room = newsroom()
    admin = builders.account(room.org, "admin@example.org", is_admin=True)
    web = Client()
    sign_in(web, admin)
    page = web.post(
        reverse("bulletin_publication", args=[room.org.slug, room.publication.slug]),
        {
            "title": "Next",
            "article_title": "For a few",
            "body": "Kept body",
            "visibility": "subtree",
            "visibility_unit": "nowhere",
        },
    )
    html = page.content.decode()
    assert page.status_code == 400 and "no unit &#x27;nowhere&#x27;" in html
    assert 'value="nowhere"' in html and "Kept body" in html and 'value="For a few"' in html
    made = web.post(
        reverse("bulletin", args=[room.org.slug]),
        {"name": "Elsewhere", "unit": "nowhere", "colour": "#112233"},
    )
    assert made.status_code == 400 and "no unit &#x27;nowhere&#x27;" in made.content.decode()
    assert Issue.objects.filter(publication=room.publication).count() == 1


def test_the_issue_page_renders_no_article_again_whatever_its_editions(monkeypatch):
    from grassroots.bulletin import rendering

    room = newsroom()  # two articles, both in the preview and in an edition
    calls = []
    real = rendering._markdown.render

    def counted(markdown):
        calls.append(markdown)
        return real(markdown)

    monkeypatch.setattr(rendering._markdown, "render", counted)
    web = Client()
    sign_in(web, builders.account(room.org, "admin@example.org", is_admin=True))
    page = web.get(reverse("bulletin_issue", args=[room.org.slug, room.publication.slug, 1]))
    html = page.content.decode()
    assert page.status_code == 200 and 'class="edition"' in html
    assert calls == []  # the HTML stored when the articles were saved, in the list and in each edition
    assert "<p>The <strong>rent</strong> is frozen.</p>" in html
