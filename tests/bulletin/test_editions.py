"""Each recipient of an issue receives only the articles they may read, sent to a real SMTP
server on 127.0.0.1: a subscriber who is not a member only the public ones (and no mail at all
when none is public), a member outside a subtree article's subtree not that article."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from grassroots.bulletin import actions as bulletin
from grassroots.bulletin.models import Issue
from grassroots.bulletin.selectors import NOT_A_MEMBER, OUTSIDE_SUBTREES, AudienceCount, issue_audience
from grassroots.outbox.jobs import deliver
from grassroots.outbox.selectors import delivery_counts
from tests.support import builders
from tests.support.bulletin import BY, newsroom
from tests.support.sessions import sign_in

pytestmark = pytest.mark.django_db

EVERYONE = ["candidate", "member", "supporter"]


def texts(smtp) -> dict[str, tuple[str, str]]:
    """Each recipient's plain-text and HTML parts."""
    return {
        r.recipients[0]: (r.message.get_body(("plain",)).get_content(), r.message.get_body(("html",)).get_content())
        for r in smtp.received
    }


def confirmed_subscriber(room, name: str, email: str):
    """Someone with no membership at all who subscribed and confirmed (the public form's supporter)."""
    person = builders.person(room.org, name, email=email)
    subscription = bulletin.subscribe(person=person, publication=room.publication, by=BY)
    bulletin.confirm_subscription(subscription=subscription, by=BY)
    return person


def subtree(title: str, body: str, unit) -> dict:
    return {"title": title, "body": body, "visibility": "subtree", "visibility_unit": unit}


def issue_with(room, *articles: dict) -> Issue:
    return bulletin.add_issue(publication=room.publication, title="Special", by=BY, articles=list(articles))


def test_a_subscriber_who_is_not_a_member_receives_the_public_articles_only(smtp):
    room = newsroom()  # "We won" is public, "Internal" for members
    confirmed_subscriber(room, "Hal Outside", "hal@example.org")
    assert issue_audience(issue=room.issue, statuses=EVERYONE) == AudienceCount(5, 0, 1)
    bulletin.send_issue(issue=room.issue, by="test", confirm=5, statuses=EVERYONE)
    assert deliver() == 5
    got = texts(smtp)
    for member in ("ann@example.org", "bob@example.org", "cy@example.org"):
        text, html = got[member]
        assert "We won" in text and "Members only: the next meeting." in text
        assert "Members only: the next meeting." in html
    # Dee is a supporter (a membership, not of a member status), Hal has no membership at all.
    for outsider in ("dee@example.org", "hal@example.org"):
        text, html = got[outsider]
        assert "The **rent** is frozen." in text and "<strong>rent</strong>" in html
        assert "Internal" not in text and "Members only" not in text
        assert "Internal" not in html and "Members only" not in html
    room.issue.refresh_from_db()
    assert room.issue.status == Issue.Status.SENT


def test_no_public_article_means_no_mail_to_a_non_member_counted_and_skipped_with_its_reason(smtp):
    room = newsroom()
    confirmed_subscriber(room, "Hal Outside", "hal@example.org")
    issue = issue_with(room, {"title": "Inside", "body": "For members.", "visibility": "members"})
    counted = issue_audience(issue=issue, statuses=EVERYONE)
    assert counted == AudienceCount(recipients=3, nothing_to_read=2, without_membership=1)
    mailing = bulletin.send_issue(issue=issue, by="test", confirm=counted.recipients, statuses=EVERYONE)
    skipped = mailing.deliveries.filter(last_error=NOT_A_MEMBER)
    assert sorted(skipped.values_list("address", flat=True)) == ["dee@example.org", "hal@example.org"]
    assert set(skipped.values_list("status", flat=True)) == {"skipped"}
    assert deliver() == 3
    assert sorted(smtp.recipients) == ["ann@example.org", "bob@example.org", "cy@example.org"]
    issue.refresh_from_db()
    assert issue.status == Issue.Status.SENT and delivery_counts(mailing)["sent"] == 3


def test_a_subtree_article_reaches_the_members_of_its_subtree_only(smtp):
    room = newsroom()  # ann (elm) and bob (oak) in North, cy (ash) in South, dee a supporter in elm
    issue = issue_with(
        room,
        {"title": "Open letter", "body": "To everyone.", "visibility": "public"},
        {
            "title": "North plans",
            "body": "North only.",
            "visibility": "subtree",
            "visibility_unit": room.units["north"],
        },
        {
            "title": "South plans",
            "body": "South only.",
            "visibility": "subtree",
            "visibility_unit": room.units["south"],
        },
    )
    assert issue_audience(issue=issue, statuses=EVERYONE).recipients == 4
    bulletin.send_issue(issue=issue, by="test", confirm=4, statuses=EVERYONE)
    assert deliver() == 4
    got = texts(smtp)
    for north in ("ann@example.org", "bob@example.org"):
        assert "North only." in got[north][0] and "North only." in got[north][1]
        assert "South" not in got[north][0] and "South" not in got[north][1]
    assert "South only." in got["cy@example.org"][0] and "North" not in got["cy@example.org"][0]
    assert "North" not in got["cy@example.org"][1]
    # The supporter in Elm House lives in North's subtree, but is not a member: the public letter only.
    assert "To everyone." in got["dee@example.org"][0]
    assert "North" not in got["dee@example.org"][0] and "North" not in got["dee@example.org"][1]


def test_an_issue_for_one_subtree_only_skips_the_members_outside_it(smtp):
    room = newsroom()
    issue = issue_with(
        room,
        {
            "title": "South plans",
            "body": "South only.",
            "visibility": "subtree",
            "visibility_unit": room.units["south"],
        },
    )
    assert issue_audience(issue=issue) == AudienceCount(recipients=1, nothing_to_read=2, without_membership=0)
    mailing = bulletin.send_issue(issue=issue, by="test", confirm=1)
    assert sorted(mailing.deliveries.filter(last_error=OUTSIDE_SUBTREES).values_list("address", flat=True)) == [
        "ann@example.org",
        "bob@example.org",
    ]
    assert deliver() == 1
    assert smtp.recipients == ["cy@example.org"]


def test_a_subtree_article_covering_the_whole_audience_reaches_its_members_not_its_subscribers(smtp):
    room = newsroom()
    issue = issue_with(
        room,
        {"title": "Letter", "body": "To everyone.", "visibility": "public"},
        {
            "title": "North plans",
            "body": "North only.",
            "visibility": "subtree",
            "visibility_unit": room.units["north"],
        },
    )
    north = {"unit": room.units["north"], "statuses": EVERYONE}
    assert issue_audience(issue=issue, **north).recipients == 3  # ann, bob, dee
    bulletin.send_issue(issue=issue, by="test", confirm=3, **north)
    assert deliver() == 3
    got = texts(smtp)
    assert "North only." in got["ann@example.org"][0] and "North only." not in got["dee@example.org"][0]


def test_subscribers_without_membership_follow_the_whole_place_and_the_statuses():
    """The top unit named explicitly is the whole organization: the same count as no unit. A
    subscriber with no membership counts as a supporter (the constitution's initial status)."""
    room = newsroom()
    confirmed_subscriber(room, "Hal Outside", "hal@example.org")
    top = room.units["federation"]
    assert issue_audience(issue=room.issue) == issue_audience(issue=room.issue, unit=top)
    assert issue_audience(issue=room.issue).recipients == 4  # ann, bob, cy and hal
    assert issue_audience(issue=room.issue, unit=top, statuses=EVERYONE).recipients == 5
    # Members only: nobody without a membership; supporters named: hal with dee.
    assert issue_audience(issue=room.issue, unit=top, statuses=["member"]).without_membership == 0
    assert issue_audience(issue=room.issue, statuses=["member"]).recipients == 2  # ann, cy
    assert issue_audience(issue=room.issue, statuses=["supporter"]) == AudienceCount(2, 0, 1)  # dee and hal
    # A district is not the whole place: no subscriber without membership.
    assert issue_audience(issue=room.issue, unit=room.units["north"]).without_membership == 0


def test_an_article_for_a_subtree_outside_the_audience_reaches_nobody_of_it():
    room = newsroom()
    issue = issue_with(room, subtree("South plans", "South only.", room.units["south"]))
    # The north's members (ann, bob) get nothing; nor do the builder's founding members (no address).
    assert issue_audience(issue=issue, unit=room.units["north"]) == AudienceCount(0, 2, 0)


def test_the_issue_page_shows_the_count_to_confirm_and_who_gets_nothing():
    room = newsroom()
    confirmed_subscriber(room, "Hal Outside", "hal@example.org")
    issue = issue_with(room, {"title": "Inside", "body": "For members.", "visibility": "members"})
    client = Client()
    sign_in(client, builders.account(room.org, "admin@example.org", is_admin=True))
    url = reverse("bulletin_issue", args=[room.org.slug, room.publication.slug, issue.number])
    page = client.get(url, {"status": EVERYONE}).content.decode()
    assert '<strong id="recipients">3</strong>' in page
    assert re.search(r'id="nothing-to-read">2 more of the audience get nothing', page)
    assert re.search(r'id="without-membership">Of the audience, 1 confirmed subscriber without membership', page)
