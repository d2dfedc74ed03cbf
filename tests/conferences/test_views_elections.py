"""Elections, ballots, proxies and constituting from the conference pages: the organizers prepare,
open and close an election on the session page, delegates mark their ballots and give their proxy
on their phone page, the organizers constitute the top unit; refusals are flashed naming the rule
and change nothing; another conference's ids are 404s; the pages' query counts stay fixed."""

from __future__ import annotations

from html import unescape

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from grassroots.conferences import actions, assembly
from grassroots.conferences.models import Election, ElectionBallot, PollVote, Proxy
from tests.support import builders
from tests.support.assembly import founding_conference, in_session, seat
from tests.support.conferences import CUTOFF, conference, conference_scene
from tests.support.sessions import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def hall(org):
    """The federation's conference in session: Elm House's two delegates (weights 10 and 10) and
    Oak Court's one (7), each signed in on their phone; the administrator on the session page."""
    found = in_session(conference(conference_scene(org)["federation"]))
    seated = seat(found, {"elm-house": [10, 10], "oak-court": [7]})
    delegates = [*seated["elm-house"], *seated["oak-court"]]
    phones = [
        sign_in(Client(), builders.account(org, f"d{n}@example.org", person=d.person)) for n, d in enumerate(delegates)
    ]
    admin = sign_in(Client(), builders.account(org, "admin@example.org", is_admin=True))
    return found, delegates, phones, admin


def _url(name, found, *more):
    return reverse(name, args=[found.organization.slug, found.pk, *more])


def _text(response) -> str:
    return unescape(response.content.decode())


def _add(admin, found, candidates: str, method: str = "instant-runoff", seats: int = 1, **more):
    data = {"title": "Council", "method": method, "seats": seats, "candidates": candidates, **more}
    return admin.post(_url("conference_election_add", found), data, follow=True)


def test_an_instant_runoff_from_the_form_to_the_elected_person(hall):
    found, delegates, phones, admin = hall
    ben = builders.person(found.organization, "Ben Okafor")
    answer = _add(admin, found, f"Ada\nBen <{ben.pk}>\nCy\n")
    assert "prepared: Council." in _text(answer)
    election = Election.objects.get(conference=found)
    assert election.candidates == ["Ada", "Ben", "Cy"] and election.candidate_people == {"Ben": ben.pk}
    assert election.method == "instant-runoff" and election.state == "draft"
    admin.post(_url("conference_election_step", found, election.pk, "open"))
    page = _text(phones[0].get(_url("conference_delegate", found)))
    assert f'data-election="{election.pk}"' in page and 'name="rank-2"' in page
    # Elm House ranks Cy, Ben and Ben, Cy (weight 10 each); Oak Court Ada, Ben (7): Ada is excluded
    # first and her 7 go to Ben, elected with 17 of 27 against Cy's 10.
    for phone, ranks in ((phones[0], {"rank-2": "1", "rank-1": "2"}), (phones[1], {"rank-1": "1", "rank-2": "2"}),
                         (phones[2], {"rank-0": "1", "rank-1": "2"})):  # fmt: skip
        cast = phone.post(_url("conference_ballot", found, election.pk), ranks, follow=True)
        assert "Your ballot in Council: 1." in _text(cast)
    assert ElectionBallot.objects.get(election=election, delegate=delegates[0]).choices == ["Cy", "Ben"]
    assert "Your ballot is cast" in _text(phones[0].get(_url("conference_delegate", found)))
    closed = _text(admin.post(_url("conference_election_step", found, election.pk, "close"), follow=True))
    assert "is closed and counted" in closed
    election.refresh_from_db()
    assert election.result["elected"] == ["Ben"]
    person_page = reverse("person", args=[found.organization.slug, ben.pk])
    assert f'<strong data-elected="Ben"><a href="{person_page}">Ben</a></strong>' in closed
    assert 'data-round="2"' in closed and "Ada 7" in closed


def test_the_form_refuses_bad_candidates_and_writes_nothing(hall, org):
    found, _delegates, _phones, admin = hall
    stranger = builders.person(builders.organization(slug="other"), "Out Sider")
    refused = _text(_add(admin, found, f"Ada\n<{stranger.pk}>\n<nobody@example.org>"))
    assert f"line 2: no one is '{stranger.pk}'" in refused and "line 3: no one is 'nobody@example.org'" in refused
    # The page it goes back to fills the form again with what was typed, once.
    typed = f"Ada\n<{stranger.pk}>\n<nobody@example.org>"
    assert f'aria-describedby="election-candidates-help">{typed}</textarea>' in refused
    assert '<option value="instant-runoff" selected>' in refused
    assert 'name="title" maxlength="200" required value="Council"' in refused
    again = _text(admin.get(_url("conference_session", found)))
    assert 'aria-describedby="election-candidates-help"></textarea>' in again
    assert "seats: instant runoff fills one seat" in _text(_add(admin, found, "Ada\nBen", seats=2))
    assert "listed twice" in _text(_add(admin, found, "Ada\nAda"))
    assert "Method: Select a valid choice" in _text(_add(admin, found, "Ada", method="borda"))
    assert "Seats: Ensure this value is greater than or equal to 1" in _text(_add(admin, found, "Ada", seats=0))
    assert "candidates: at most 200 characters (201 given)" in _text(_add(admin, found, "A" * 201))
    assert not Election.objects.exists()


def test_a_delegate_marks_each_kind_of_ballot_and_is_told_the_rule(hall):
    found, delegates, phones, admin = hall
    approval = assembly.add_election(conference=found, title="Board", method="approval", seats=2,
                                     candidates=["Ada", "Ben", "Cy"], by="test")  # fmt: skip
    plurality = assembly.add_election(conference=found, title="Chair", method="plurality",
                                      candidates=["Ada", "Ben"], by="test")  # fmt: skip
    ranked = assembly.add_election(conference=found, title="Council", method="stv", seats=2,
                                   candidates=["Ada", "Ben", "Cy"], by="test")  # fmt: skip
    draft = _text(phones[0].post(_url("conference_ballot", found, plurality.pk), {"choice": "Ada"}, follow=True))
    assert "ballots go only in an open one" in draft
    for election in (approval, plurality, ranked):
        assembly.open_election(election=election, by="test")
    page = _text(phones[0].get(_url("conference_delegate", found)))
    assert 'type="checkbox" name="choice" value="Cy"' in page and 'type="radio" name="choice" value="Ben"' in page
    phones[0].post(_url("conference_ballot", found, approval.pk), {"choice": ["Ada", "Cy"]})
    assert ElectionBallot.objects.get(election=approval).choices == ["Ada", "Cy"]
    ballot = _url("conference_ballot", found, ranked.pk)
    twice = _text(phones[0].post(ballot, {"rank-0": "1", "rank-2": "1"}, follow=True))
    assert "rank 1 is given to Ada and Cy; one each" in twice
    beyond = _text(phones[0].post(_url("conference_ballot", found, ranked.pk), {"rank-0": "4"}, follow=True))
    assert "Ada's rank must be 1 to 3" in beyond
    odd = _text(phones[0].post(ballot, {"rank-0": "²"}, follow=True))
    assert "Ada's rank must be 1 to 3" in odd
    unknown = _text(phones[0].post(_url("conference_ballot", found, plurality.pk), {"choice": "Zed"}, follow=True))
    assert "Zed" in unknown and not ElectionBallot.objects.filter(election__in=[ranked, plurality]).exists()
    delegates[1].present = False
    delegates[1].save(update_fields=["present"])
    absent = _text(phones[1].post(_url("conference_ballot", found, plurality.pk), {"choice": "Ada"}, follow=True))
    assert "present: you are not checked in; a delegate votes only while present" in absent
    blank = _text(phones[0].post(_url("conference_ballot", found, ranked.pk), {"rank-0": ""}, follow=True))
    assert "ballots: rank at least one candidate" in blank
    assert phones[0].post(_url("conference_ballot", found, 999_999), {"choice": "Ada"}).status_code == 404


def test_a_proxy_within_the_delegation_given_and_withdrawn(hall):
    found, delegates, phones, _admin = hall
    page = _text(phones[0].get(_url("conference_delegate", found)))
    assert f'<option value="{delegates[1].pk}">{delegates[1].person.name} (delegate 2)</option>' in page
    assert f'value="{delegates[2].pk}"' not in page  # Oak Court's delegate is another delegation
    across = _text(phones[0].post(_url("conference_proxy_give", found), {"holder": delegates[2].pk}, follow=True))
    assert "proxies stay within it" in across and not Proxy.objects.exists()
    given = _text(phones[0].post(_url("conference_proxy_give", found), {"holder": delegates[1].pk}, follow=True))
    assert f"Your vote is given to {delegates[1].person.name}." in given
    assert f"You gave your vote to {delegates[1].person.name}" in given
    holder = _text(phones[1].get(_url("conference_delegate", found)))
    assert f"You hold the vote of {delegates[0].person.name}" in holder
    election = assembly.open_election(
        election=assembly.add_election(conference=found, title="Chair", method="plurality", candidates=["A", "B"],
                                       by="test"), by="test")  # fmt: skip
    voted = _text(phones[0].post(_url("conference_ballot", found, election.pk), {"choice": "A"}, follow=True))
    assert "a delegate who gave a proxy cannot vote" in voted
    withdrawn = _text(phones[0].post(_url("conference_proxy_withdraw", found), follow=True))
    assert "Your proxy is withdrawn" in withdrawn and not Proxy.objects.exists()
    again = _text(phones[0].post(_url("conference_proxy_withdraw", found), follow=True))
    assert "proxy: you gave no proxy to withdraw" in again
    for holder in ({}, {"holder": "²"}, {"holder": "9" * 30}):
        posted = phones[0].post(_url("conference_proxy_give", found), holder, follow=True)
        assert "holder: choose a delegate" in _text(posted)


def test_constituting_from_the_page_lists_every_founding_refusal(hall):
    found, delegates, _phones, admin = hall
    session = _text(admin.get(_url("conference_session", found)))
    assert "Constitute the body" in session and 'name="officer_secretary"' in session
    first = _text(admin.post(_url("conference_constitute", found), follow=True))
    assert f"resolution: conference {found.pk} adopted no founding resolution" in first
    motion = assembly.add_motion(conference=found, title="Founding", text="We found it.", by="test",
                                 delegate=delegates[0], founding=True)  # fmt: skip
    for status in ("admitted", "debated", "adopted"):
        assembly.set_motion_status(motion=motion, status=status, by="test")
    ada = delegates[0].person
    election = assembly.add_election(conference=found, title="Council", method="plurality", body=True,
                                     candidates=["Ada", "Ben"], people={"Ada": ada}, by="test")  # fmt: skip
    assembly.open_election(election=election, by="test")
    ElectionBallot.objects.create(election=election, delegate=delegates[0], choices=["Ada"], cast_at=timezone.now())
    assembly.close_election(election=election, by="test")
    session = _text(admin.get(_url("conference_session", found)))
    assert f'<option value="{ada.pk}">Ada</option>' in session
    stranger = builders.person(found.organization)
    wrong = _text(admin.post(_url("conference_constitute", found), {"officer_secretary": stranger.pk}, follow=True))
    assert "officer_secretary: choose one of the people elected to the body" in wrong
    refused = admin.post(_url("conference_constitute", found), {"officer_secretary": ada.pk}, follow=True)
    text = _text(refused)
    assert "cannot constitute Federation" in text and "<ul><li>" in refused.content.decode()
    found.unit.refresh_from_db()
    assert found.unit.state == "planned"


def test_only_organizers_run_elections_and_other_conferences_ids_are_404(hall, org):
    found, delegates, phones, admin = hall
    election = assembly.add_election(conference=found, title="Chair", method="plurality", candidates=["A", "B"],
                                     by="test")  # fmt: skip
    assert phones[0].post(_url("conference_election_step", found, election.pk, "open")).status_code == 403
    assert phones[0].post(_url("conference_election_add", found), {"title": "X"}).status_code == 403
    assert phones[0].post(_url("conference_constitute", found)).status_code == 403
    assert admin.post(_url("conference_election_step", found, election.pk, "jump")).status_code == 404
    other = actions.add_conference(unit=found.unit, name="Second", cutoff=CUTOFF, by="test", method="dhondt", seats=5)
    assert admin.post(_url("conference_election_step", other, election.pk, "open")).status_code == 404
    assert admin.post(_url("conference_ballot", other, election.pk), {"choice": "A"}).status_code == 404
    other_seat = seat(in_session(other), {"oak-court": [1]})["oak-court"][0]
    assert phones[0].post(_url("conference_proxy_give", found), {"holder": other_seat.pk}).status_code == 404
    election.refresh_from_db()
    assert election.state == "draft" and not Proxy.objects.exists()


def test_the_pages_run_the_same_queries_however_many_elections(hall):
    found, _delegates, phones, admin = hall
    person = builders.person(found.organization)
    counts = []
    for titles in (["1", "2"], ["3", "4", "5", "6"]):
        for title in titles:
            people = {"Ben": person} if title == "1" else None
            made = assembly.add_election(conference=found, title=title, method="instant-runoff",
                                         candidates=["Ada", "Ben", "Cy"], people=people, by="test")  # fmt: skip
            assembly.open_election(election=made, by="test")
            phones[0].post(_url("conference_ballot", found, made.pk), {"rank-1": "1", "rank-0": "2"})
            phones[1].post(_url("conference_ballot", found, made.pk), {"rank-2": "1"})
            if title not in ("2", "6"):
                assembly.close_election(election=made, by="test")
        with CaptureQueriesContext(connection) as session:
            assert admin.get(_url("conference_session", found)).status_code == 200
        with CaptureQueriesContext(connection) as phone:
            assert phones[0].get(_url("conference_delegate", found)).status_code == 200
        counts.append((len(session), len(phone)))
    # The same queries with one open election or two and one closed or three; the session page's
    # elections are one query, the phone's ballots and proxy four, the votes carried two (10 and
    # 21 in all today).
    assert counts[0] == counts[1], counts
    assert counts[0][0] <= 12 and counts[0][1] <= 22, counts
    assert ElectionBallot.objects.count() == 12


def test_the_founding_conference_constitutes_the_federation_from_the_page(org):
    """Three constituted districts with 250 members: the organizer constitutes the federation from
    the session page, its secretary the person elected to the council; the founding meeting's
    minutes name the elected by their person number."""
    from grassroots.meetings.models import Meeting

    top, found, delegates = founding_conference(org)
    admin = sign_in(Client(), builders.account(org, "admin@example.org", is_admin=True))
    ada = delegates[0].person
    _add(admin, found, f"Ada <{ada.pk}>\nBen", method="plurality", body="on")
    election = Election.objects.get(conference=found)
    assert election.body and election.candidate_people == {"Ada": ada.pk}
    assembly.open_election(election=election, by="test")
    phone = sign_in(Client(), builders.account(org, "ada@example.org", person=ada))
    phone.post(_url("conference_ballot", found, election.pk), {"choice": "Ada"})
    admin.post(_url("conference_election_step", found, election.pk, "close"))
    done = _text(admin.post(_url("conference_constitute", found), {"officer_secretary": ada.pk}, follow=True))
    assert "Federation is constituted at Founding." in done
    top.refresh_from_db()
    assert top.state == "founded"
    assert top.posts.get(post="secretary").person == ada
    minutes = Meeting.objects.get(unit=top, kind="founding").minutes_versions.get().text
    assert f"Council elected: Ada (person {ada.pk})." in minutes


def test_a_holder_of_one_vote_and_a_proxy_splits_the_two(org):
    """A delegate of weight 1 who holds a colleague's proxy carries 2 votes: their page says so
    and offers the split of both; the giver's page offers no vote."""
    found = in_session(conference(conference_scene(org)["federation"]))
    holder, giver = seat(found, {"elm-house": [1, 1]})["elm-house"]
    phones = [sign_in(Client(), builders.account(org, f"p{n}@example.org", person=d.person)) for n, d in
              enumerate((holder, giver))]  # fmt: skip
    poll = assembly.open_poll(poll=assembly.add_poll(conference=found, subject="Dues", by="test"), by="test")
    alone = _text(phones[0].get(_url("conference_delegate", found)))
    assert "Or split my" not in alone and "with the proxies you hold" not in alone
    phones[1].post(_url("conference_proxy_give", found), {"holder": holder.pk})
    page = _text(phones[0].get(_url("conference_delegate", found)))
    assert '<span data-carried="2">(you carry 2 votes with the proxies you hold)</span>' in page
    assert "Or split my 2 votes:" in page
    # The holder is offered no one to give a proxy to (a holder gives none; the giver holds none).
    assert "A delegate who holds a proxy gives none." in page and 'name="holder"' not in page
    split = _text(phones[0].post(_url("conference_vote", found, poll.pk), {"yes": "1", "no": "1"}, follow=True))
    assert "yes 1, no 1, abstain 0" in split
    assert PollVote.objects.get(poll=poll).weight == 2
