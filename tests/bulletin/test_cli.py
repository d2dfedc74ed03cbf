"""The bulletin's command line: add a publication and an issue from Markdown, count, send, status."""

from __future__ import annotations

import json

import pytest

from grassroots.cli import main
from tests.support.bulletin import newsroom

pytestmark = pytest.mark.django_db


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_publish_count_send_and_report_from_the_terminal(capsys, tmp_path, smtp):
    room = newsroom()
    code, out, _ = run(capsys, "bulletin", "publication", "add", room.org.slug, "--name", "Courier", "--json")
    assert code == 0
    publication = json.loads(out)["id"]
    article = tmp_path / "news.md"
    article.write_text("# Big news\n\nWe *won*.\n", encoding="utf-8")
    code, out, _ = run(
        capsys, "bulletin", "issue", "add", str(publication), "--title", "First", "--article", str(article), "--json"
    )
    assert code == 0
    issue = json.loads(out)["id"]
    code, out, _ = run(capsys, "bulletin", "audience", str(issue), "--unit", "north", "--json")
    # Fay unsubscribed from The Tenant, not from this new publication.
    assert (code, json.loads(out)) == (0, {"recipients": 3, "nothing_to_read": 0, "without_membership": 0})
    code, _, err = run(capsys, "bulletin", "send", str(issue), "--unit", "north", "--confirm", "2")
    assert code == 1 and "would go to 3 recipients" in err
    code, out, _ = run(capsys, "bulletin", "send", str(issue), "--unit", "north", "--confirm", "3")
    assert code == 0 and "queued for 3" in out
    code, out, _ = run(capsys, "outbox", "send")
    assert (code, out.strip()) == (0, "3 message(s) sent")
    assert sorted(smtp.recipients) == ["ann@example.org", "bob@example.org", "fay@example.org"]
    code, out, _ = run(capsys, "bulletin", "status", str(issue), "--json")
    report = json.loads(out)
    assert report["status"] == "sent" and report["deliveries"]["sent"] == 3


def test_the_audience_count_refuses_what_a_send_would_refuse(capsys, tmp_path):
    room = newsroom()
    code, out, _ = run(
        capsys, "bulletin", "publication", "add", room.org.slug, "--name", "North News", "--unit", "north", "--json"
    )
    assert code == 0
    article = tmp_path / "news.md"
    article.write_text("# Rent strike\n\nNorth holds.\n", encoding="utf-8")
    code, out, _ = run(
        capsys,
        "bulletin",
        "issue",
        "add",
        str(json.loads(out)["id"]),
        "--title",
        "One",
        "--article",
        str(article),
        "--json",
    )
    issue = str(json.loads(out)["id"])
    code, out, err = run(capsys, "bulletin", "audience", issue, "--unit", "south")
    assert code == 1 and "outside" in err and "recipient" not in out
    code, out, err = run(capsys, "bulletin", "audience", issue, "--status", "bogus")
    assert code == 1 and "status: 'bogus' is not a member status" in err and "recipient" not in out
    code, out, _ = run(capsys, "bulletin", "audience", issue, "--json")
    assert (code, json.loads(out)) == (0, {"recipients": 3, "nothing_to_read": 0, "without_membership": 0})
