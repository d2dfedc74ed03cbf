"""Articles are rendered from Markdown once, when saved (the CLI, the API, the editor page and
`issue add` all save through the actions), and every reader serves the stored HTML: the issue
page, the archive, the feeds and the mail builder render nothing, even for a 200,000-character
article. The mail's parts are exactly what rendering the Markdown at send time gave."""

from __future__ import annotations

import importlib
import json
import xml.etree.ElementTree as ET

import pytest
from django.apps import apps
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from grassroots.accounts.actions import create_api_token
from grassroots.bulletin import actions as bulletin
from grassroots.bulletin.models import Article
from grassroots.bulletin.rendering import article_html, subject_of
from grassroots.bulletin.selectors import editions_of
from grassroots.cli import main
from grassroots.outbox.models import UNSUBSCRIBE_MARK
from tests.support import builders
from tests.support.bulletin import BY, newsroom
from tests.support.rendering import count_renders
from tests.support.sessions import sign_in

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"
PARAGRAPH = (
    "The **rent** strike at [Elm](https://example.org/elm) goes on: *every* tenant, `every` floor.\n\n"
    "- a *list* item with [a link](https://example.org/x)\n  - nested **two** ~~old~~\n\n"
    "| street | homes |\n|---|:-:|\n| *Elm* | [12](https://example.org/elm) |\n\n"
)


@pytest.fixture
def renders(monkeypatch) -> list[str]:
    """The Markdown of every rendering (`tests.support.rendering.count_renders`)."""
    return count_renders(monkeypatch)


def long_body(heading: str) -> str:
    """A 200,000-character article: a heading, then paragraphs, lists and tables to the end (padded
    with text, not whitespace, so that it is stored exactly as given)."""
    body = f"# {heading}\n\n" + PARAGRAPH * (200_000 // len(PARAGRAPH) + 1)
    return body[:200_000].rstrip() + "x" * (200_000 - len(body[:200_000].rstrip()))


def feed_content(client: Client, room) -> str:
    response = client.get(reverse("bulletin_feed", args=[room.org.slug, room.publication.slug]))
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    return " ".join(entry.findtext(f"{ATOM}summary") or "" for entry in root.findall(f"{ATOM}entry"))


def test_a_long_article_is_rendered_when_saved_and_served_as_stored(renders, smtp):
    room = newsroom()
    renders.clear()
    body = long_body("Report")
    assert len(body) == 200_000
    article = bulletin.add_article(issue=room.issue, by=BY, title="Long", body=body, visibility="public")
    assert renders == [body]
    article.refresh_from_db()
    assert article.body_html.startswith("<h1>Report</h1>\n<p>The <strong>rent</strong> strike at ")
    assert article.body_html == article_html(body)
    renders.clear()

    editor = Client()
    sign_in(editor, builders.account(room.org, "admin@example.org", is_admin=True))
    org, slug = room.org.slug, room.publication.slug
    page = editor.get(reverse("bulletin_issue", args=[org, slug, 1]))
    assert page.status_code == 200 and "<h1>Report</h1>" in page.content.decode()
    assert renders == []

    # The editor page's form saves a new body: rendered once, then served.
    changed = long_body("Final report")
    saved = editor.post(
        reverse("bulletin_article", args=[org, slug, 1, article.pk]),
        {
            f"a{article.pk}-title": "Long",
            f"a{article.pk}-body": changed,
            f"a{article.pk}-visibility": "public",
            f"a{article.pk}-visibility_unit": "",
            "do": "save",
        },
    )
    assert saved.status_code == 302
    assert renders == [changed]
    article.refresh_from_db()
    assert article.body_html.startswith("<h1>Final report</h1>") and article.body_html == article_html(changed)
    renders.clear()
    # A change of title alone keeps the stored HTML and renders nothing.
    bulletin.edit_article(article=article, by=BY, title="Longer", body=changed)
    assert renders == []

    bulletin.send_issue(issue=room.issue, by=BY, confirm=3)
    anyone = Client()
    archive = anyone.get(reverse("bulletin_archive_issue", args=[org, slug, 1])).content.decode()
    assert "<h1>Final report</h1>" in archive and "<h1>Report</h1>" not in archive
    content = feed_content(anyone, room)
    assert "<h1>Final report</h1>" in content and "<h1>Report</h1>" not in content
    assert editor.get(reverse("bulletin_issue", args=[org, slug, 1])).status_code == 200
    assert renders == []  # the send's mail builder, the archive, the feed and the sent issue's page


def test_the_terminal_and_the_api_store_the_html_with_the_body(renders, tmp_path, capsys):
    room = newsroom()
    renders.clear()
    issue = str(room.issue.pk)
    source = tmp_path / "news.md"
    source.write_text("From the *terminal*.\n", encoding="utf-8")
    assert main(["bulletin", "article", "add", issue, "--title", "T", "--body-file", str(source), "--json"]) == 0
    made = Article.objects.get(pk=json.loads(capsys.readouterr().out)["id"])
    assert made.body_html == "<p>From the <em>terminal</em>.</p>\n"
    source.write_text("Edited *again*.\n", encoding="utf-8")
    assert main(["bulletin", "article", "edit", issue, str(made.pk), "--body-file", str(source)]) == 0
    made.refresh_from_db()
    assert made.body_html == "<p>Edited <em>again</em>.</p>\n"
    capsys.readouterr()

    source.write_text("# A new issue\n\nWith **one** article.\n", encoding="utf-8")
    code = main([
        "bulletin", "issue", "add", str(room.publication.pk), "--title", "Next", "--article", str(source), "--json",
    ])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    new_issue = json.loads(out)["id"]
    assert list(Article.objects.filter(issue_id=new_issue).values("title", "body_html")) == [
        {"title": "A new issue", "body_html": "<p>With <strong>one</strong> article.</p>\n"}
    ]

    admin = builders.account(room.org, "admin@example.org", is_admin=True)
    secret = create_api_token(user=admin, organization=room.org, name="t", by=BY)[1]
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    base = f"/api/orgs/{room.org.slug}/publications/{room.publication.slug}/issues"

    def post(url: str, body: dict):
        return api.post(url, json.dumps(body), content_type="application/json")

    added = post(f"{base}/1/articles", {"title": "By API", "body": "Via the *API*."})
    assert added.status_code == 201
    via_api = Article.objects.get(pk=added.json()["id"])
    assert via_api.body_html == "<p>Via the <em>API</em>.</p>\n"
    edited = post(f"{base}/1/articles/{via_api.pk}/edit", {"body": "Changed <b>bold</b>"})
    assert edited.status_code == 200
    via_api.refresh_from_db()
    assert via_api.body_html == "<p>Changed &lt;b&gt;bold&lt;/b&gt;</p>\n"  # raw HTML is shown as text
    drafted = post(base, {"title": "API issue", "articles": [{"title": "One", "body": "**Bold** news."}]})
    assert drafted.status_code == 201
    assert list(Article.objects.filter(issue__title="API issue").values_list("body_html", flat=True)) == [
        "<p><strong>Bold</strong> news.</p>\n"
    ]
    assert len(renders) == 6


def old_mail_parts(issue, articles) -> tuple[str, str]:
    """The plain text and HTML the mail builder gave before the HTML was stored: the same
    templates, with each article rendered from its Markdown at send time."""
    context = {
        "issue": issue,
        "publication": issue.publication,
        "articles": [(article, article_html(article.body)) for article in articles],
        "unsubscribe_url": UNSUBSCRIBE_MARK,
    }
    return "".join([render_to_string("bulletin/mail.txt", context)]), render_to_string("bulletin/mail.html", context)


def test_each_edition_of_the_mail_carries_the_stored_html_of_its_articles_unchanged(renders, smtp):
    room = newsroom()  # "We won" public (with a script the sanitizer drops), "Internal" for members
    bulletin.add_article(
        issue=room.issue,
        by=BY,
        title="South",
        body="Only *South*: [the map](https://example.org/map).",
        visibility="subtree",
        visibility_unit=room.units["south"],
    )
    renders.clear()
    mailing = bulletin.send_issue(issue=room.issue, by=BY, confirm=4, statuses=["candidate", "member", "supporter"])
    assert renders == []
    mailing.refresh_from_db()
    articles = list(room.issue.articles.select_related("visibility_unit"))
    editions = editions_of(publication=room.publication, articles=articles, root=None)
    titles = {}
    for variant, parts in mailing.editions.items():
        chosen = editions.articles_of(int(variant))
        titles[variant] = [article.title for article in chosen]
        assert (parts["text"], parts["html"]) == old_mail_parts(room.issue, chosen)
    # The editions differ in their articles: each took the stored HTML of its own only.
    assert sorted(titles.values()) == [["We won"], ["We won", "Internal"], ["We won", "Internal", "South"]]
    assert mailing.subject == subject_of(room.issue)
    south = mailing.editions[next(v for v, t in titles.items() if "South" in t)]["html"]
    assert (
        '<p>Only <em>South</em>: <a href="https://example.org/map" rel="noopener noreferrer">the map</a>.</p>' in south
    )
    assert "<p>&lt;script&gt;x()&lt;/script&gt;</p>" in south and "<script" not in south  # shown as text


def test_the_migration_renders_the_bodies_of_articles_already_stored(renders):
    room = newsroom()
    stored = {article.pk: article.body_html for article in room.issue.articles.all()}
    Article.objects.update(body_html="")  # as the rows were before the field existed
    migration = importlib.import_module("grassroots.bulletin.migrations.0003_article_body_html")
    renders.clear()
    migration.render_bodies(apps, None)  # it alters no table: the field was added before it
    assert dict(Article.objects.values_list("pk", "body_html")) == stored
    assert stored[room.issue.articles.get(title="We won").pk] == (
        "<p>The <strong>rent</strong> is frozen.</p>\n<p>&lt;script&gt;x()&lt;/script&gt;</p>\n"
    )
    assert len(renders) == 2
