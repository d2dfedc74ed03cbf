"""What a fresh trial of the bulletin found, each through the interface it was found in: the
refusals name the article and the field, the terminal names an issue by the id it takes, a
finished send cannot be paused, an empty footer leaves no signature separator, a stalled send
says why, the served port is where links point, and drafts are for who may publish them."""

from __future__ import annotations

import json
import os

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from grassroots.bulletin import actions as bulletin
from grassroots.bulletin.models import Issue
from grassroots.bulletin.selectors import articles_visible_to
from grassroots.cli import main
from grassroots.cli.server import use_served_address
from grassroots.errors import ActionRefused
from grassroots.outbox.jobs import deliver
from tests.bulletin.test_api import api_client
from tests.support import builders
from tests.support.bulletin import BY, join, newsroom
from tests.support.sessions import sign_in

pytestmark = pytest.mark.django_db


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_an_empty_article_body_is_refused_naming_the_article_and_its_field():
    room = newsroom()
    articles = [{"title": "Fine", "body": "Yes."}, {"title": "Rent", "body": "   "}]
    with pytest.raises(ActionRefused) as refused:
        bulletin.add_issue(publication=room.publication, title="Two", by=BY, articles=articles)
    assert refused.value.message == "article 2 ('Rent'): give its body"
    assert refused.value.field == "articles.1.body"
    with pytest.raises(ActionRefused, match=r"^article 1: give its title$"):
        bulletin.add_issue(publication=room.publication, title="Two", by=BY, articles=[{"title": "", "body": "B"}])


def test_the_api_names_the_articles_field_in_its_errors():
    room = newsroom()
    client = api_client(builders.account(room.org, "admin@example.org", is_admin=True), room.org)
    url = f"/api/orgs/{room.org.slug}/publications/{room.publication.slug}/issues"

    def post(articles):
        return client.post(url, json.dumps({"title": "T", "articles": articles}), content_type="application/json")

    missing = post([{"title": "A"}])
    assert missing.status_code == 422 and missing.json()["detail"] == "articles.0.body: Field required"
    blank = post([{"title": "A", "body": "ok"}, {"title": "B", "body": "  "}])
    assert blank.status_code == 409
    assert (blank.json()["detail"], blank.json()["field"]) == ("article 2 ('B'): give its body", "articles.1.body")


def test_the_terminal_names_an_issue_by_the_id_it_takes(capsys, smtp):
    room = newsroom()
    # Another publication's issue first, so that the id and the number differ.
    other = bulletin.add_publication(organization=room.org, name="Other", by=BY)
    bulletin.add_issue(publication=other, title="Filler", by=BY, articles=[{"title": "F", "body": "F"}])
    issue = bulletin.add_issue(
        publication=other, title="Second", by=BY, articles=[{"title": "S", "body": "S", "visibility": "public"}]
    )
    assert issue.pk != issue.number
    # Fay unsubscribed from The Tenant only: ann, bob, cy and fay.
    code, out, _ = run(capsys, "bulletin", "send", str(issue.pk), "--confirm", "4")
    assert code == 0 and out.strip() == f"Issue {issue.pk} (Other no. 2) queued for 4 recipient(s)."
    code, out, _ = run(capsys, "bulletin", "status", str(issue.pk))
    assert out.splitlines()[0] == f"Issue {issue.pk} (Other no. 2): sending"
    code, out, _ = run(capsys, "bulletin", "status", str(issue.pk), "--json")
    assert {key: json.loads(out)[key] for key in ("id", "number")} == {"id": issue.pk, "number": 2}
    # The lists give the ids the commands take.
    code, out, _ = run(capsys, "bulletin", "publication", "list", room.org.slug, "--json")
    assert [(row["id"], row["name"]) for row in json.loads(out)] == [
        (other.pk, "Other"),
        (room.publication.pk, "The Tenant"),
    ]
    code, out, _ = run(capsys, "bulletin", "issue", "list", str(other.pk), "--json")
    assert [(row["id"], row["number"], row["status"]) for row in json.loads(out)] == [
        (issue.pk, 2, "sending"),
        (issue.pk - 1, 1, "draft"),
    ]


def test_a_sent_issue_cannot_be_paused_and_its_page_offers_no_pause(smtp):
    room = newsroom()
    bulletin.send_issue(issue=room.issue, by=BY, confirm=3)
    assert deliver() == 3
    room.issue.refresh_from_db()
    assert room.issue.status == Issue.Status.SENT
    with pytest.raises(ActionRefused, match="The Tenant no. 1 was sent completely: there is nothing left to pause"):
        bulletin.pause_issue(issue=room.issue, by=BY)
    room.issue.mailing.refresh_from_db()
    assert room.issue.mailing.paused is False
    client = Client()
    sign_in(client, builders.account(room.org, "admin@example.org", is_admin=True))
    page = client.get(reverse("bulletin_issue", args=[room.org.slug, room.publication.slug, 1])).content.decode()
    assert "Pause sending" not in page and "Resume sending" not in page


def test_every_row_taken_by_a_worker_means_nothing_is_left_to_pause(smtp):
    """All rows sent but the mailing not yet closed (a worker between its last message and its
    bookkeeping): pausing then would leave a paused mailing that no resume can start."""
    room = newsroom()
    mailing = bulletin.send_issue(issue=room.issue, by=BY, confirm=3)
    mailing.deliveries.filter(status="queued").update(status="sent")
    with pytest.raises(ActionRefused, match="sent completely"):
        bulletin.pause_issue(issue=room.issue, by=BY)


def test_an_empty_footer_leaves_no_signature_separator(smtp):
    room = newsroom()
    room.publication.footer = ""
    room.publication.save()
    bulletin.send_issue(issue=room.issue, by=BY, confirm=3)
    deliver()
    message = smtp.received[0].message
    lines = message.get_body(("plain",)).get_content().splitlines()
    assert "--" not in lines and "-- " not in lines
    assert any(line.startswith("Unsubscribe from The Tenant") for line in lines)
    assert "<p></p>" not in message.get_body(("html",)).get_content()


def test_a_stalled_send_says_why_on_the_terminal_and_the_page(capsys, smtp, settings):
    settings.GRASSROOTS_OUTBOX_RETRY_SECONDS = 3600
    for address in ("ann@example.org", "bob@example.org", "cy@example.org"):
        smtp.refuse[address] = "451 4.3.0 Mailbox busy, try later"
    room = newsroom()
    bulletin.send_issue(issue=room.issue, by=BY, confirm=3)
    assert deliver() == 0
    code, out, _ = run(capsys, "bulletin", "status", str(room.issue.pk))
    why = next(line for line in out.splitlines() if line.strip().startswith("why:"))
    assert "last failure" in why and "451" in why and "Mailbox busy" in why and "@example.org" in why
    code, out, _ = run(capsys, "bulletin", "status", str(room.issue.pk), "--json")
    assert "Mailbox busy" in json.loads(out)["reason"]
    client = Client()
    sign_in(client, builders.account(room.org, "admin@example.org", is_admin=True))
    page = client.get(reverse("bulletin_issue", args=[room.org.slug, room.publication.slug, 1])).content.decode()
    assert 'id="stall-reason"' in page and "Mailbox busy" in page
    api = api_client(builders.account(room.org, "api@example.org", is_admin=True), room.org)
    answer = api.get(f"/api/orgs/{room.org.slug}/publications/{room.publication.slug}/issues/1/status").json()
    assert "Mailbox busy" in answer["reason"]
    bulletin.pause_issue(issue=room.issue, by=BY)
    code, out, _ = run(capsys, "bulletin", "status", str(room.issue.pk), "--json")
    assert json.loads(out)["reason"].startswith("paused: nothing is sent until it is resumed")


def test_links_point_at_the_served_port_unless_the_address_is_given(monkeypatch, settings):
    monkeypatch.delenv("GRASSROOTS_BASE_URL", raising=False)
    assert use_served_address(host="127.0.0.1", port=8123) == "http://127.0.0.1:8123"
    assert django_settings.GRASSROOTS_BASE_URL == "http://127.0.0.1:8123"
    assert os.environ["GRASSROOTS_BASE_URL"] == "http://127.0.0.1:8123"  # the workers it starts inherit it
    assert use_served_address(host="0.0.0.0", port=9000) == "http://127.0.0.1:8123"  # noqa: S104 -- now given
    monkeypatch.setenv("GRASSROOTS_BASE_URL", "https://members.example.org")
    settings.GRASSROOTS_BASE_URL = "https://members.example.org"
    assert use_served_address(host="127.0.0.1", port=8123) == "https://members.example.org"
    assert django_settings.GRASSROOTS_BASE_URL == "https://members.example.org"


def test_drafts_are_listed_only_to_who_may_publish_the_publication(smtp):
    room = newsroom()
    bulletin.send_issue(issue=room.issue, by=BY, confirm=3)
    bulletin.add_issue(
        publication=room.publication, title="Secret plans", by=BY, articles=[{"title": "X", "body": "Y"}]
    )
    secretary = builders.officer(
        room.org, room.units["north"], "secretary", "sec@example.org", member_of=room.units["elm"]
    )
    admin = builders.account(room.org, "admin@example.org", is_admin=True)
    url = f"/api/orgs/{room.org.slug}/publications/{room.publication.slug}/issues"
    assert [i["title"] for i in api_client(admin, room.org).get(url).json()["items"]] == ["Secret plans", "Rent strike"]
    assert [i["title"] for i in api_client(secretary, room.org).get(url).json()["items"]] == ["Rent strike"]
    client = Client()
    sign_in(client, secretary)
    page = client.get(reverse("bulletin_publication", args=[room.org.slug, room.publication.slug])).content.decode()
    assert "Rent strike" in page and "Secret plans" not in page and "Draft the next issue" not in page
    assert reverse("bulletin_archive_issue", args=[room.org.slug, room.publication.slug, 1]) in page


def test_the_archive_gives_members_articles_to_members_as_the_mail_does(smtp):
    """A supporter with an account reads what the mail gives them: the public articles; a member
    of a counted status reads the members' ones; a subtree's article is for its members."""
    room = newsroom()
    issue = bulletin.add_issue(
        publication=room.publication,
        title="Mixed",
        by=BY,
        articles=[
            {"title": "Open", "body": "o", "visibility": "public"},
            {"title": "Inside", "body": "i", "visibility": "members"},
            {"title": "South", "body": "s", "visibility": "subtree", "visibility_unit": room.units["south"]},
        ],
    )
    supporter = builders.account(room.org, "dee@example.org", person=room.people["dee"])
    member = builders.account(room.org, "ann@example.org", person=room.people["ann"])
    southerner = builders.account(
        room.org, "sue@example.org", person=join(room.org, room.units["ash"], "Sue South", email="sue@example.org")
    )
    assert [a.title for a in articles_visible_to(supporter, issue)] == ["Open"]
    assert [a.title for a in articles_visible_to(member, issue)] == ["Open", "Inside"]
    assert [a.title for a in articles_visible_to(southerner, issue)] == ["Open", "Inside", "South"]
