"""Several articles per issue, each with its own visibility, through the command line and the API
(add, list, change, move, remove until the issue is sent); pause and resume from the terminal and
the API; the text part's signature separator; the mail domain taken from the base address."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from grassroots.accounts.actions import create_api_token
from grassroots.audit.models import AuditRecord
from grassroots.bulletin import actions as bulletin
from grassroots.bulletin.models import Issue
from grassroots.cli import main
from grassroots.outbox.jobs import deliver
from grassroots.settings import sender_for
from tests.support import builders
from tests.support.bulletin import BY, newsroom

pytestmark = pytest.mark.django_db


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def titles(issue: Issue) -> list[tuple[int, str, str, str | None]]:
    return [
        (a.position, a.title, a.visibility, a.visibility_unit.slug if a.visibility_unit else None)
        for a in issue.articles.select_related("visibility_unit")
    ]


def test_articles_with_their_own_visibility_from_the_terminal(capsys, tmp_path, smtp):
    room = newsroom()
    issue = str(room.issue.pk)
    body = tmp_path / "south.md"
    body.write_text("South's *own* news.\n", encoding="utf-8")
    code, out, _ = run(
        capsys, "bulletin", "article", "add", issue, "--title", "South", "--body-file", str(body),
        "--visibility", "subtree", "--unit", "south", "--position", "1", "--json",
    )  # fmt: skip
    assert code == 0
    south = json.loads(out)["id"]
    code, _, err = run(
        capsys,
        "bulletin",
        "article",
        "add",
        issue,
        "--title",
        "Lost",
        "--body-file",
        str(body),
        "--visibility",
        "subtree",
    )
    assert code == 1 and "article 4 ('Lost'): a subtree article needs a unit of the organization" in err
    code, out, _ = run(capsys, "bulletin", "article", "list", issue, "--json")
    assert [(r["id"], r["position"], r["visibility"], r["unit"]) for r in json.loads(out)][0] == (
        south, 1, "subtree", "south"
    )  # fmt: skip
    assert [r["title"] for r in json.loads(out)] == ["South", "We won", "Internal"]
    code, out, _ = run(
        capsys, "bulletin", "article", "edit", issue, str(south), "--position", "9", "--title", "South news"
    )
    assert code == 0 and "is no. 3 of Issue" in out
    assert titles(room.issue) == [
        (1, "We won", "public", None), (2, "Internal", "members", None), (3, "South news", "subtree", "south")
    ]  # fmt: skip
    internal = room.issue.articles.get(title="Internal").pk
    code, out, _ = run(capsys, "bulletin", "article", "remove", issue, str(internal))
    assert code == 0 and "Article" in out and "(Internal) removed" in out
    assert titles(room.issue) == [(1, "We won", "public", None), (2, "South news", "subtree", "south")]
    code, _, err = run(capsys, "bulletin", "article", "remove", issue, "999999")
    assert code == 1 and "has no article 999999" in err
    assert [r.action for r in AuditRecord.objects.filter(action__startswith="bulletin.article.").order_by("pk")] == [
        "bulletin.article.add", "bulletin.article.edit", "bulletin.article.remove"
    ]  # fmt: skip
    code, out, _ = run(capsys, "bulletin", "audience", issue, "--json")
    recipients = json.loads(out)["recipients"]
    run(capsys, "bulletin", "send", issue, "--confirm", str(recipients))
    deliver()
    texts = {m.recipients[0]: m.message.get_body(("plain",)).get_content() for m in smtp.received}
    assert "South's *own* news." in texts["cy@example.org"]  # cy is a member in South
    assert "South news" not in texts["ann@example.org"] and "We won" in texts["ann@example.org"]
    # Sent: its articles are what went out.
    code, _, err = run(capsys, "bulletin", "article", "remove", issue, str(south))
    assert code == 1 and "its articles can only be changed before it is sent" in err


def test_a_unit_publication_refuses_a_subtree_outside_its_place(capsys, tmp_path):
    room = newsroom()
    north = bulletin.add_publication(organization=room.org, name="North News", unit=room.units["north"], by=BY)
    issue = bulletin.add_issue(publication=north, title="One", by=BY)
    body = tmp_path / "b.md"
    body.write_text("x", encoding="utf-8")
    code, _, err = run(
        capsys, "bulletin", "article", "add", str(issue.pk), "--title", "Ash", "--body-file", str(body),
        "--visibility", "subtree", "--unit", "ash-tower",
    )  # fmt: skip
    assert code == 1 and "article 1 ('Ash'): unit 'ash-tower' (Ash Tower) lies outside North" in err
    assert issue.articles.count() == 0


def test_pause_and_resume_from_the_terminal(capsys, smtp):
    room = newsroom()
    issue = str(room.issue.pk)
    code, _, err = run(capsys, "bulletin", "pause", issue)
    assert code == 1 and "The Tenant no. 1 is not being sent" in err
    bulletin.send_issue(issue=room.issue, by=BY, confirm=3)
    code, out, _ = run(capsys, "bulletin", "pause", issue)
    assert code == 0 and "sending paused (3 queued)" in out
    assert deliver() == 0
    code, _, err = run(capsys, "bulletin", "pause", issue)
    assert code == 1 and "already paused" in err
    code, out, _ = run(capsys, "bulletin", "resume", issue)
    assert code == 0 and "sending resumed" in out
    assert deliver() == 3
    code, _, err = run(capsys, "bulletin", "resume", issue)
    assert code == 1 and "sent completely: there is nothing left to resume" in err
    code, _, err = run(capsys, "bulletin", "pause", issue)
    assert code == 1 and "sent completely: there is nothing left to pause" in err


def test_articles_pause_and_resume_through_the_api(smtp):
    room = newsroom()
    admin = builders.account(room.org, "admin@example.org", is_admin=True)
    token = create_api_token(user=admin, organization=room.org, name="t", by="test")[1]
    client = Client(headers={"Authorization": f"Bearer {token}"})
    base = f"/api/orgs/{room.org.slug}/publications/{room.publication.slug}/issues/1"

    def post(url, body=None):
        return client.post(url, json.dumps(body or {}), content_type="application/json")

    made = post(f"{base}/articles", {"title": "North", "body": "Hi", "visibility": "subtree", "unit": "north"})
    assert made.status_code == 201
    assert (made.json()["position"], made.json()["unit"]) == (3, "north")
    bad = post(f"{base}/articles", {"title": "Nowhere", "body": "Hi", "visibility": "subtree"})
    assert bad.status_code == 409 and bad.json()["field"] == "articles.3.unit" or bad.json()["field"] == "unit"
    assert "article 4 ('Nowhere')" in bad.json()["detail"]
    moved = post(f"{base}/articles/{made.json()['id']}/edit", {"position": 1, "visibility": "public"})
    assert moved.status_code == 200 and (moved.json()["position"], moved.json()["unit"]) == (1, None)
    assert [a["title"] for a in client.get(base).json()["articles"]] == ["North", "We won", "Internal"]
    other = bulletin.add_issue(publication=room.publication, title="Two", by=BY, articles=[{"title": "X", "body": "Y"}])
    foreign = other.articles.get().pk
    assert post(f"{base}/articles/{foreign}/remove").status_code == 404
    left = post(f"{base}/articles/{made.json()['id']}/remove")
    assert left.status_code == 200 and [(a["position"], a["title"]) for a in left.json()] == [
        (1, "We won"), (2, "Internal")
    ]  # fmt: skip
    refused = post(f"{base}/pause")
    assert refused.status_code == 409 and "is not being sent" in refused.json()["detail"]
    assert post(f"{base}/send", {"confirm": 3}).status_code == 200
    paused = post(f"{base}/pause")
    assert paused.status_code == 200 and paused.json()["reason"].startswith("paused")
    assert deliver() == 0
    resumed = post(f"{base}/resume")
    assert resumed.status_code == 200 and resumed.json()["deliveries"]["queued"] == 3
    deliver()
    again = post(f"{base}/resume")
    assert again.status_code == 409 and "nothing left to resume" in again.json()["detail"]
    late = post(f"{base}/articles", {"title": "Late", "body": "Hi"})
    assert late.status_code == 409 and "can only be changed before it is sent" in late.json()["detail"]


def test_the_signature_separator_is_dash_dash_space_before_the_footer(smtp):
    room = newsroom()
    bulletin.send_issue(issue=room.issue, by=BY, confirm=3)
    deliver()
    lines = smtp.received[0].message.get_body(("plain",)).get_content().splitlines()
    at = lines.index("-- ")
    assert lines[at + 1] == "1 Union Street, Leeds"
    assert "--" not in lines


def test_the_sender_and_mail_domain_come_from_the_base_address(smtp, settings):
    assert sender_for("https://bulletin.example.org/") == "grassroots@bulletin.example.org"
    assert sender_for("http://127.0.0.1:8000") == "grassroots@localhost"
    assert sender_for("http://[::1]:8000") == "grassroots@localhost"
    settings.DEFAULT_FROM_EMAIL = sender_for("https://bulletin.example.org")
    settings.GRASSROOTS_MAIL_DOMAIN = ""
    room = newsroom()
    bulletin.send_issue(issue=room.issue, by=BY, confirm=3)
    deliver()
    message = smtp.received[0].message
    assert message["From"] == "grassroots@bulletin.example.org"
    assert message["Message-ID"].endswith("@bulletin.example.org>")
    assert message["List-Id"].endswith(".bulletin.example.org>")
