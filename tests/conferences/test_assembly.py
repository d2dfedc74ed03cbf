"""A conference in session through the API: motions and amendments, the issue's known poll cast
by real delegates, the refusals of a vote, proxies, an election, a resolution in the bulletin,
and the scope (404 out of scope, nothing written)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from grassroots.bulletin import actions as bulletin
from grassroots.bulletin.models import Article
from grassroots.conferences import actions, assembly
from grassroots.conferences.models import Conference, ElectionBallot, Poll, PollVote, Proxy
from grassroots.errors import ActionRefused
from tests.support import builders
from tests.support.assembly import carried_decision, founding_conference, in_session, seat
from tests.support.conferences import api_client, conference, conference_scene, post_json

pytestmark = pytest.mark.django_db


_client, _post = api_client, post_json


@pytest.fixture
def hall(org):
    """The federation's conference in session: Elm House seats delegates of weight 10 and 10,
    Oak Court one of weight 7, each present with an account; the organizers' admin client."""
    units = conference_scene(org)
    found = in_session(conference(units["federation"]))
    seated = seat(found, {"elm-house": [10, 10], "oak-court": [7]})
    delegates = [*seated["elm-house"], *seated["oak-court"]]
    clients = [
        _client(builders.account(org, f"d{n}@example.org", person=d.person), org) for n, d in enumerate(delegates)
    ]
    admin = _client(builders.account(org, "admin@example.org", is_admin=True), org)
    base = f"/api/orgs/{org.slug}/conferences/{found.pk}"
    return {"conference": found, "units": units, "delegates": delegates, "clients": clients, "admin": admin,
            "base": base}  # fmt: skip


def _open_poll(hall, **rule) -> int:
    made = _post(hall["admin"], f"{hall['base']}/polls", {"subject": "Rent strike", **rule})
    assert made.status_code == 201, made.json()
    poll = made.json()["id"]
    assert _post(hall["admin"], f"{hall['base']}/polls/{poll}/open").status_code == 200
    return poll


def test_the_known_poll_cast_by_the_delegates(hall, django_assert_max_num_queries):
    """Weights 10, 10, 7; the two 10s yes, the 7 no: yes 20, no 7, 74.07 % of valid votes,
    passes a two-thirds majority; the frozen result does not change afterwards."""
    poll = _open_poll(hall, kind="yes-no-abstain", base="valid", majority="two-thirds")
    for client, choice in zip(hall["clients"], ("yes", "yes", "no"), strict=True):
        voted = _post(client, f"{hall['base']}/polls/{poll}/vote", {"choice": choice})
        assert voted.status_code == 200, voted.json()
    with django_assert_max_num_queries(20):
        closed = _post(hall["admin"], f"{hall['base']}/polls/{poll}/close")
    assert closed.status_code == 200, closed.json()
    result = closed.json()["result"]
    assert (result["yes"], result["no"], result["abstain"], result["base_weight"]) == (20, 7, 0, 27)
    assert result["percent"]["yes"] == "74.07" and result["threshold"] == "18"
    assert result["passed"] is True and closed.json()["passed"] is True
    assert sorted(v["weight"] for v in closed.json()["entitled"]) == [7, 10, 10]
    # Presence changes after the close do not change the stored result.
    hall["delegates"][0].present = False
    hall["delegates"][0].save()
    again = hall["admin"].get(f"{hall['base']}/polls/{poll}").json()
    assert again["result"] == result
    late = _post(hall["clients"][1], f"{hall['base']}/polls/{poll}/vote", {"choice": "no"})
    assert late.status_code == 409 and late.json()["field"] == "state"
    assert _post(hall["admin"], f"{hall['base']}/polls/{poll}/close").status_code == 409


def test_a_delegate_votes_only_for_themself_while_present_seated_in_an_open_poll(hall, org):
    draft = _post(hall["admin"], f"{hall['base']}/polls", {"subject": "Draft"}).json()["id"]
    refused = _post(hall["clients"][0], f"{hall['base']}/polls/{draft}/vote", {"choice": "yes"})
    assert refused.status_code == 409 and "only in an open poll" in refused.json()["detail"]
    poll = _open_poll(hall)
    absent = hall["delegates"][2]
    absent.present = False
    absent.save()
    refused = _post(hall["clients"][2], f"{hall['base']}/polls/{poll}/vote", {"choice": "yes"})
    assert refused.status_code == 409 and refused.json()["field"] == "present"
    absent.present, absent.credential = True, "challenged"
    absent.save()
    refused = _post(hall["clients"][2], f"{hall['base']}/polls/{poll}/vote", {"choice": "yes"})
    assert refused.status_code == 409 and refused.json()["field"] == "delegate"
    # The admin is no delegate: there is no one to vote for.
    refused = _post(hall["admin"], f"{hall['base']}/polls/{poll}/vote", {"choice": "yes"})
    assert refused.status_code == 409 and "not a delegate" in refused.json()["detail"]
    # A split over the weight carried, and a choice the poll does not offer.
    refused = _post(hall["clients"][0], f"{hall['base']}/polls/{poll}/vote", {"yes": 6, "no": 5})
    assert refused.status_code == 409 and "more than the weight 10" in refused.json()["detail"]
    assert _post(hall["clients"][0], f"{hall['base']}/polls/{poll}/vote", {"choice": "maybe"}).status_code == 409
    split = _post(hall["clients"][0], f"{hall['base']}/polls/{poll}/vote", {"yes": 6, "no": 3, "abstain": 1})
    assert split.status_code == 200
    assert PollVote.objects.filter(poll_id=poll).count() == 1
    closed = _post(hall["admin"], f"{hall['base']}/polls/{poll}/close").json()["result"]
    assert (closed["yes"], closed["no"], closed["abstain"]) == (6, 3, 1)


def test_proxies_within_the_delegation_counted_while_the_holder_is_present(hall):
    giver, holder, other = hall["delegates"]
    base = hall["base"]
    refused = _post(hall["clients"][0], f"{base}/proxies", {"holder": other.pk})
    assert refused.status_code == 409 and refused.json()["field"] == "holder"
    given = _post(hall["clients"][0], f"{base}/proxies", {"holder": holder.pk})
    assert given.status_code == 201, given.json()
    again = _post(hall["clients"][1], f"{base}/proxies", {"holder": giver.pk})
    assert again.status_code == 409
    poll = _open_poll(hall, majority="simple")
    refused = _post(hall["clients"][0], f"{base}/polls/{poll}/vote", {"choice": "yes"})
    assert refused.status_code == 409 and refused.json()["field"] == "proxy"
    assert _post(hall["clients"][1], f"{base}/polls/{poll}/vote", {"choice": "yes"}).status_code == 200
    assert _post(hall["clients"][2], f"{base}/polls/{poll}/vote", {"choice": "no"}).status_code == 200
    result = _post(hall["admin"], f"{base}/polls/{poll}/close").json()["result"]
    assert (result["yes"], result["no"]) == (20, 7)
    # The holder leaves: the proxy does not count, nor does the holder's vote.
    poll = _open_poll(hall, majority="simple")
    _post(hall["clients"][1], f"{base}/polls/{poll}/vote", {"choice": "yes"})
    _post(hall["clients"][2], f"{base}/polls/{poll}/vote", {"choice": "no"})
    holder.present = False
    holder.save()
    result = _post(hall["admin"], f"{base}/polls/{poll}/close").json()["result"]
    assert (result["yes"], result["no"], result["passed"]) == (0, 7, False)
    assert result["not_counted"] == [{"voter": str(holder.pk), "name": holder.person.name, "why": "not present"}]
    withdrawn = _post(hall["clients"][0], f"{base}/proxies/{Proxy.objects.get().pk}/withdraw")
    assert withdrawn.status_code == 204 and not Proxy.objects.exists()


def test_entered_totals(hall):
    base = hall["base"]
    made = _post(hall["admin"], f"{base}/polls", {"subject": "Hands", "named": False, "majority": "absolute",
                                                  "base": "present"})  # fmt: skip
    poll = made.json()["id"]
    _post(hall["admin"], f"{base}/polls/{poll}/open")
    assert _post(hall["admin"], f"{base}/polls/{poll}/close").json()["field"] == "totals"
    over = _post(hall["admin"], f"{base}/polls/{poll}/close", {"totals": {"yes": 20, "no": 8}})
    assert over.status_code == 409 and "more than the 27" in over.json()["detail"]
    closed = _post(hall["admin"], f"{base}/polls/{poll}/close", {"totals": {"yes": 14, "no": 13}})
    assert closed.json()["result"]["passed"] is True and closed.json()["result"]["percent"]["yes"] == "51.85"
    assert Poll.objects.get(pk=poll).totals == {"yes": 14, "no": 13, "abstain": 0}


def test_motion_amended_adopted_and_published(hall, org):
    base, admin = hall["base"], hall["admin"]
    decision = carried_decision(hall["units"]["elm"], "We move a rent strike.")
    made = _post(admin, f"{base}/motions", {"title": "Rent strike", "decision": decision.pk,
                                            "text": "We strike.\n\nFrom May.\n\nUntil repairs."})  # fmt: skip
    assert made.status_code == 201, made.json()
    assert (made.json()["number"], made.json()["unit"], made.json()["status"]) == (1, "elm-house", "submitted")
    by_delegate = _post(hall["clients"][2], f"{base}/motions", {"title": "Dues", "text": "Lower dues."})
    assert by_delegate.json()["delegate"] == hall["delegates"][2].pk
    for status in ("admitted", "debated"):
        assert _post(admin, f"{base}/motions/1/status", {"status": status}).status_code == 200
    assert _post(admin, f"{base}/motions/1/status", {"status": "admitted"}).status_code == 409
    bad = _post(hall["clients"][0], f"{base}/motions/1/amendments", {"paragraph": 4, "text": "Soon."})
    assert bad.status_code == 409 and bad.json()["field"] == "paragraph"
    amended = _post(hall["clients"][0], f"{base}/motions/1/amendments", {"paragraph": 2, "text": "From June."})
    assert amended.status_code == 201 and amended.json()["number"] == 1
    poll = _post(admin, f"{base}/polls", {"motion": 1, "amendment": 1}).json()
    assert poll["subject"] == "Amendment 1 to motion 1"
    _post(admin, f"{base}/polls/{poll['id']}/open")
    for client in hall["clients"][:2]:
        _post(client, f"{base}/polls/{poll['id']}/vote", {"choice": "yes"})
    _post(admin, f"{base}/polls/{poll['id']}/close")
    motion = admin.get(f"{base}/motions").json()[0]
    assert motion["text"] == "We strike.\n\nFrom June.\n\nUntil repairs."
    assert motion["versions"][0]["text"] == "We strike.\n\nFrom May.\n\nUntil repairs."
    assert motion["amendments"][0]["status"] == "adopted"
    poll = _post(admin, f"{base}/polls", {"motion": 1, "majority": "two-thirds"}).json()
    _post(admin, f"{base}/polls/{poll['id']}/open")
    for client in hall["clients"]:
        _post(client, f"{base}/polls/{poll['id']}/vote", {"choice": "yes"})
    _post(admin, f"{base}/polls/{poll['id']}/close")
    assert admin.get(f"{base}/motions").json()[0]["status"] == "adopted"
    gazette = bulletin.add_publication(organization=org, name="Gazette", by="test")
    bulletin.add_issue(publication=gazette, title="Congress", by="test")
    published = _post(admin, f"{base}/motions/1/publish", {"publication": "gazette", "number": 1})
    assert published.status_code == 200, published.json()
    article = Article.objects.get(pk=published.json()["id"])
    assert article.title == "Resolution 1: Rent strike" and "From June." in article.body
    assert _post(admin, f"{base}/motions/1/publish", {"publication": "gazette", "number": 1}).status_code == 409
    assert _post(admin, f"{base}/motions/2/publish", {"publication": "gazette", "number": 1}).status_code == 409


def test_election_of_the_leading_body(hall):
    base, admin = hall["base"], hall["admin"]
    made = _post(admin, f"{base}/elections", {"title": "Council", "method": "stv", "seats": 2, "body": True,
                                              "candidates": ["Ada", "Ben", "Cy"]})  # fmt: skip
    assert made.status_code == 201, made.json()
    election = made.json()["id"]
    early = _post(hall["clients"][0], f"{base}/elections/{election}/ballot", {"choices": ["Ada"]})
    assert early.status_code == 409 and early.json()["field"] == "state"
    _post(admin, f"{base}/elections/{election}/open")
    bad = _post(hall["clients"][0], f"{base}/elections/{election}/ballot", {"choices": ["Zed"]})
    assert bad.status_code == 409
    for client, choices in zip(hall["clients"], (["Ada", "Ben"], ["Ada", "Cy"], ["Cy", "Ben"]), strict=True):
        assert _post(client, f"{base}/elections/{election}/ballot", {"choices": choices}).status_code == 200
    closed = _post(admin, f"{base}/elections/{election}/close")
    assert closed.status_code == 200, closed.json()
    result = closed.json()["result"]
    # Droop quota of 27 weight for 2 seats: 10; Ada's 20 elects her, her surplus goes to Ben and Cy.
    assert result["elected"] == ["Ada", "Cy"]
    assert admin.get(f"{base}/elections").json()[0]["state"] == "closed"


def test_candidates_linked_to_people_through_the_api(hall, org):
    base, admin = hall["base"], hall["admin"]
    ben = builders.person(org, "Ben Okafor")
    stranger = builders.person(builders.organization(slug="elsewhere"))
    body = {"title": "Council", "method": "plurality", "candidates": ["Ada", "Ben"]}
    made = _post(admin, f"{base}/elections", {**body, "people": {"Ben": ben.pk}})
    assert made.status_code == 201, made.json()
    assert made.json()["candidate_people"] == {"Ben": ben.pk}
    assert _post(admin, f"{base}/elections", body).json()["candidate_people"] == {}
    unseen = _post(admin, f"{base}/elections", {**body, "people": {"Ben": stranger.pk}})
    assert unseen.status_code == 409 and unseen.json()["field"] == "people"
    assert f"people.Ben: no person {stranger.pk}" in unseen.json()["detail"]
    no_candidate = _post(admin, f"{base}/elections", {**body, "people": {"Zed": ben.pk}})
    assert no_candidate.status_code == 409 and "'Zed' is not one of the candidates" in no_candidate.json()["detail"]


def test_refusals_of_bad_rules(hall):
    base, admin = hall["base"], hall["admin"]
    bad = _post(admin, f"{base}/polls", {"subject": "X", "majority": "most"})
    assert bad.status_code == 409 and bad.json()["field"] == "majority"
    bad = _post(admin, f"{base}/elections", {"title": "X", "method": "borda", "candidates": ["A"]})
    assert bad.status_code == 409 and bad.json()["field"] == "method"
    with pytest.raises(ActionRefused, match="decision: give"):
        assembly.add_motion(conference=hall["conference"], title="T", text="x", by="test")


def test_out_of_scope_is_404_and_writes_nothing(hall, org):
    """A district secretary elsewhere sees no conference; a delegate reads theirs."""
    units = hall["units"]
    outsider = builders.officer(org, units["south"], "secretary", "south@example.org", member_of=units["birch"],
                                on=dt.date.today())  # fmt: skip
    client = _client(outsider, org)
    poll = _open_poll(hall)
    assert client.get(f"{hall['base']}/polls").status_code == 404
    assert _post(client, f"{hall['base']}/polls/{poll}/close").status_code == 404
    assert _post(client, f"{hall['base']}/polls", {"subject": "Sneaky"}).status_code == 404
    assert Poll.objects.count() == 1
    assert hall["clients"][0].get(f"{hall['base']}/polls").status_code == 200
    refused = _post(hall["clients"][0], f"{hall['base']}/polls/{poll}/close")
    assert refused.status_code == 403


def test_constituting_the_top_unit_at_its_founding_conference(hall, org):
    """The founding resolution adopted and the body elected, the federation's founding transition
    records the conference as its founding meeting, if its founding rules hold."""
    from grassroots.meetings.models import Meeting
    from grassroots.people.actions import join_unit

    found, base, admin = hall["conference"], hall["base"], hall["admin"]
    refused = _post(admin, f"{base}/constitute")
    assert refused.status_code == 409 and refused.json()["field"] == "resolution"
    units = hall["units"]
    for delegate, unit in zip(hall["delegates"], ("elm", "elm", "oak"), strict=True):
        join_unit(person=delegate.person, unit=units[unit], by="test", status="member")
    motion = assembly.add_motion(conference=found, title="Founding", text="We found the federation.", by="test",
                                 delegate=hall["delegates"][0], founding=True)  # fmt: skip
    for status in ("admitted", "debated", "adopted"):
        assembly.set_motion_status(motion=motion, status=status, by="test")
    assert _post(admin, f"{base}/constitute").json()["field"] == "election"
    election = assembly.add_election(conference=found, title="Council", method="approval", seats=1, body=True,
                                     candidates=["Ada", "Ben"], by="test")  # fmt: skip
    assembly.open_election(election=election, by="test")
    _post(hall["clients"][0], f"{base}/elections/{election.pk}/ballot", {"choices": ["Ada"]})
    assembly.close_election(election=election, by="test")
    answer = _post(admin, f"{base}/constitute")
    # The founding rules still decide: the refusal lists every rule that fails, nothing is written.
    assert answer.status_code == 409
    assert answer.json()["reasons"] == [
        "Constituted district committees: needs at least 3 constituted district committees, has 0 constituted of 2",
        "Members in its subtree: needs at least 250 members, has 18 members",
        "Secretary: needs a secretary, has no secretary",
    ]
    assert not Meeting.objects.filter(unit=units["federation"], kind="founding").exists()


def test_the_founding_conference_constitutes_a_ready_federation(org):
    """Three constituted districts with 250 members: the conference's delegates present found
    the federation, its secretary appointed, the founding meeting's minutes naming the conference."""
    from grassroots.meetings.models import Meeting

    top, found, delegates = founding_conference(org)
    election = assembly.add_election(conference=found, title="Council", method="plurality", body=True,
                                     candidates=["Ada", "Ben"], by="test")  # fmt: skip
    assembly.open_election(election=election, by="test")
    ElectionBallot.objects.create(election=election, delegate=delegates[0], choices=["Ada"], cast_at=timezone.now())
    assembly.close_election(election=election, by="test")
    founded = assembly.constitute_body(conference=found, by="test", officers={"secretary": delegates[0].person})
    assert founded.state == "founded"
    meeting = Meeting.objects.get(unit=top, kind="founding")
    assert "Council elected: Ada" in meeting.minutes_versions.get().text
    assert f"(conference {found.pk})" in meeting.minutes_versions.get().text


def test_no_vote_once_the_conference_closed(hall):
    poll = _open_poll(hall)
    # Closing the conference while the poll is open is refused, naming the poll ...
    with pytest.raises(ActionRefused, match=rf"status: .* still has open votes: poll {poll} \(") as refused_close:
        actions.set_conference_status(conference=hall["conference"], status="closed", by="test")
    assert refused_close.value.field == "status"
    assert Conference.objects.get(pk=hall["conference"].pk).status == "in_session"
    # ... and a conference closed with a poll open (data from before that rule) takes no vote.
    Conference.objects.filter(pk=hall["conference"].pk).update(status="closed")
    refused = _post(hall["clients"][0], f"{hall['base']}/polls/{poll}/vote", {"choice": "yes"})
    assert refused.status_code == 409 and "votes are cast only in session" in refused.json()["detail"]


def test_a_chair_casts_all_their_votes_one_way(org):
    found = in_session(conference(conference_scene(org)["federation"]))
    chair, member = seat(found, {"elm-house": [10, 4]}, chair=True)["elm-house"]
    clients = [_client(builders.account(org, f"c{n}@example.org", person=d.person), org) for n, d in
               enumerate((chair, member))]  # fmt: skip
    base = f"/api/orgs/{org.slug}/conferences/{found.pk}"
    admin = _client(builders.account(org, "admin@example.org", is_admin=True), org)
    poll = _post(admin, f"{base}/polls", {"subject": "Split"}).json()["id"]
    _post(admin, f"{base}/polls/{poll}/open")
    refused = _post(clients[0], f"{base}/polls/{poll}/vote", {"yes": 6, "no": 4})
    assert refused.status_code == 409 and "cannot split" in refused.json()["detail"]
    assert _post(clients[1], f"{base}/polls/{poll}/vote", {"yes": 3, "no": 1}).status_code == 200
    # Who voted in a poll still open gives no proxy until it closes.
    refused = _post(clients[1], f"{base}/proxies", {"holder": chair.pk})
    assert refused.status_code == 409 and refused.json()["field"] == "votes"
