"""The conference's pages as a first-time user meets them (issue 17's trial): the dashboard's
Conferences panel leads a delegate to their delegate page and a unit's officer to the unit's
delegation; the delegate page names the unit, offers no vote form for a poll counted by a show
of hands and a split form to who may split; the projector shows every open poll; an unknown
/api/ path answers JSON. Each page in a fixed number of queries."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grassroots.conferences import assembly
from grassroots.conferences.models import Conference, PollVote
from tests.support import builders
from tests.support.assembly import in_session, seat
from tests.support.conferences import conference, conference_scene
from tests.support.sessions import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def hall(org):
    scene = conference_scene(org)
    found = in_session(conference(scene["federation"]))
    seated = seat(found, {"elm-house": [10, 10], "oak-court": [1]}, chair=True)
    users = {
        name: builders.account(org, f"{name}@example.org", person=row.person)
        for name, row in (
            ("chair", seated["elm-house"][0]),
            ("second", seated["elm-house"][1]),
            ("oak", seated["oak-court"][0]),
        )
    }
    return found, scene, seated, users


def _url(name, found, *more):
    return reverse(name, args=[found.organization.slug, found.pk, *more])


def _text(client, url) -> str:
    answer = client.get(url)
    assert answer.status_code == 200, url
    return unescape(answer.content.decode())


def _between(text: str, start: str, end: str) -> str:
    """The text from `start` to `end`, its tags dropped."""
    at = text.index(start)
    return re.sub(r"<[^>]+>|\s+(?= )", "", text[at : text.index(end, at)])


def _dashboard(client, org) -> str:
    return _text(client, reverse("dashboard", args=[org.slug]))


def test_the_dashboard_leads_a_delegate_to_their_page_and_an_officer_to_the_delegation(org, hall):
    found, scene, seated, users = hall
    delegate = sign_in(Client(), users["second"])
    page = _dashboard(delegate, org)
    assert f'<a href="{_url("conference_delegate", found)}">Founding conference</a>' in page
    assert "you are delegate 2 of Elm House (seated)" in page
    secretary = sign_in(Client(), builders.officer(org, scene["elm"], "secretary", "sec@example.org"))
    page = _dashboard(secretary, org)
    delegation = reverse("unit_delegation", args=[org.slug, "elm-house", found.pk])
    assert f'<a href="{delegation}">Founding conference: Elm House\'s delegation</a>, 4 seats.' in page
    assert _url("conference_delegate", found) not in page
    # Someone neither seated nor holding a post at a unit with seats sees no panel.
    member = sign_in(Client(), builders.account(org, "m@example.org", person=builders.members(org, scene["oak"], 1)[0]))
    assert "Conferences</h2>" not in _dashboard(member, org)
    # A closed conference leaves the panel.
    Conference.objects.filter(pk=found.pk).update(status=Conference.Status.CLOSED)
    assert "Conferences</h2>" not in _dashboard(delegate, org)


def test_the_panel_reads_as_many_queries_for_two_conferences_as_for_one(org, hall):
    found, scene, seated, users = hall
    chair = sign_in(Client(), users["chair"])
    _dashboard(chair, org)
    with CaptureQueriesContext(connection) as one:
        _dashboard(chair, org)
    other = in_session(conference(scene["federation"]))
    second = seat(other, {"elm-house": [1]})["elm-house"][0]
    second.person = seated["elm-house"][0].person
    second.save(update_fields=["person"])
    with CaptureQueriesContext(connection) as two:
        page = _dashboard(chair, org)
    assert len(two.captured_queries) == len(one.captured_queries)
    assert page.count("Founding conference</a>: you are delegate 1 of Elm House") == 2


def test_the_delegate_page_names_the_unit_and_offers_no_vote_for_a_show_of_hands(hall):
    found, scene, seated, users = hall
    hands = assembly.open_poll(
        poll=assembly.add_poll(conference=found, subject="By hands", named=False, by="test"), by="test"
    )
    named = assembly.open_poll(poll=assembly.add_poll(conference=found, subject="By name", by="test"), by="test")
    page = _text(sign_in(Client(), users["oak"]), _url("conference_delegate", found))
    assert _between(page, "data-credential", "</p>").endswith(">Delegate 1 of Oak Court, weight 1: seated, present.")
    assert f'action="{_url("conference_vote", found, hands.pk)}"' not in page
    assert "Counted by a show of hands in the hall" in page
    assert f'action="{_url("conference_vote", found, named.pk)}"' in page
    # Weight 1: nothing to split.
    assert "split my" not in page


def test_a_weighted_delegate_splits_from_the_page_and_the_chair_cannot(hall):
    found, scene, seated, users = hall
    poll = assembly.open_poll(poll=assembly.add_poll(conference=found, subject="Dues", by="test"), by="test")
    phone = sign_in(Client(), users["second"])
    page = _text(phone, _url("conference_delegate", found))
    assert "split my 10 votes" in page and f'data-split="{poll.pk}"' in page
    answer = phone.post(_url("conference_vote", found, poll.pk), {"yes": "6", "no": "3", "abstain": "1"}, follow=True)
    page = unescape(answer.content.decode())
    assert f"Your vote in poll {poll.pk}: yes 6, no 3, abstain 1." in page
    assert "You voted yes 6, no 3, abstain 1; you may change it" in page
    vote = PollVote.objects.get(poll=poll)
    assert (vote.choice, vote.yes, vote.no, vote.abstain) == ("", 6, 3, 1)
    # Bad numbers are refused naming the field, and change nothing.
    answer = phone.post(_url("conference_vote", found, poll.pk), {"yes": "six", "no": "3"}, follow=True)
    assert "yes: 'six' is not a whole number of votes" in unescape(answer.content.decode())
    answer = phone.post(_url("conference_vote", found, poll.pk), {"yes": "9", "no": "9"}, follow=True)
    refused = _between(unescape(answer.content.decode()), '<ul class="messages"', "</ul>")
    assert refused.strip().endswith("the split adds up to 18, more than the weight 10 they carry")
    vote.refresh_from_db()
    assert (vote.yes, vote.no, vote.abstain) == (6, 3, 1)
    # The delegation's chair casts votes that cannot be split: no split form.
    assert "split my" not in _text(sign_in(Client(), users["chair"]), _url("conference_delegate", found))


def test_the_delegate_page_reads_as_many_queries_for_three_polls_as_for_one(hall, django_assert_max_num_queries):
    found, scene, seated, users = hall
    phone = sign_in(Client(), users["second"])

    def poll(subject, **options):
        return assembly.open_poll(
            poll=assembly.add_poll(conference=found, subject=subject, by="test", **options), by="test"
        )

    poll("One")
    _text(phone, _url("conference_delegate", found))
    with CaptureQueriesContext(connection) as one:
        _text(phone, _url("conference_delegate", found))
    poll("Two", named=False)
    poll("Three", kind="yes-no")
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = _text(phone, _url("conference_delegate", found))
    assert page.count("split my 10 votes") == 2


def test_the_projector_shows_every_open_poll_bare(hall, django_assert_max_num_queries):
    found, scene, seated, users = hall
    admin = sign_in(Client(), builders.account(found.organization, "admin@example.org", is_admin=True))
    first = assembly.open_poll(poll=assembly.add_poll(conference=found, subject="First", by="test"), by="test")
    assembly.cast_vote(poll=first, by=users["oak"], choice="yes")
    _text(admin, _url("conference_projector", found))
    with CaptureQueriesContext(connection) as one:
        _text(admin, _url("conference_projector", found))
    assembly.open_poll(poll=assembly.add_poll(conference=found, subject="Second", by="test"), by="test")
    assembly.open_poll(poll=assembly.add_poll(conference=found, subject="Hands", named=False, by="test"), by="test")
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = _text(admin, _url("conference_projector", found))
    assert "<h2>First</h2>" in page and "<h2>Second</h2>" in page and "<h2>Hands</h2>" in page
    assert "Voting is open: 1 delegate voted." in page and "Voting is open: 0 delegates voted." in page
    assert "Voting is open: counted by a show of hands in the hall." in page
    assert 'class="site-header"' not in page and "Sign out" not in page
    # No open poll: the latest closed one with its result.
    for poll in found.polls.filter(state="open"):
        if poll.named:
            assembly.close_poll(poll=poll, by="test")
        else:
            assembly.close_poll(poll=poll, by="test", totals={"yes": 5, "no": 1, "abstain": 0})
    page = _text(admin, _url("conference_projector", found))
    assert "<h2>Hands</h2>" in page and "<h2>First</h2>" not in page and "Passed" in page


def test_every_page_links_the_favicon(hall):
    found, scene, seated, users = hall
    page = _text(sign_in(Client(), users["oak"]), _url("conference_delegate", found))
    assert 'rel="icon" href="/static/grassroots/favicon.svg"' in page


def test_an_unknown_api_path_answers_json(org):
    client = sign_in(Client(), builders.account(org, "admin@example.org", is_admin=True))
    for path in ("/api/nothing/here/", f"/api/orgs/{org.slug}/no-such-thing/"):
        answer = client.get(path)
        assert answer.status_code == 404 and answer["Content-Type"] == "application/json"
        assert json.loads(answer.content) == {"detail": f"Not found: no API endpoint at {path}"}
    # Anonymous callers too; pages outside /api/ keep the HTML page.
    assert Client().get("/api/nothing/").json()["detail"] == "Not found: no API endpoint at /api/nothing/"
    page = client.get("/no/such/page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
