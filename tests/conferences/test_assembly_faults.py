"""The faults the trials found in a conference in session (issue 17), through the API as a
delegate or organizer sees them: a poll whose votes no longer fit their voters still closes
(the misfits listed, not counted), amendments decided only while their motion is undecided,
only seated delegates submit, every action checks the conference's status, refusals name the
rule and the person."""

from __future__ import annotations

import pytest
from django.utils import timezone

from grassroots.conferences import assembly, delegations
from grassroots.conferences.models import (
    Amendment,
    Conference,
    Delegate,
    ElectionBallot,
    Motion,
    Poll,
    PollVote,
    Proxy,
)
from grassroots.errors import ActionRefused
from tests.support import builders
from tests.support.assembly import in_session, seat
from tests.support.conferences import api_client, conference, conference_scene, post_json, run_cli

pytestmark = pytest.mark.django_db

_post = post_json


@pytest.fixture
def hall(org):
    """Elm House seats delegates of weight 10 and 4 and has a present alternate (seated
    credential, no seat yet); Oak Court one of weight 7; each with an account."""
    units = conference_scene(org)
    found = in_session(conference(units["federation"]))
    seated = seat(found, {"elm-house": [10, 4], "oak-court": [7]})
    delegates = [*seated["elm-house"], *seated["oak-court"]]
    alternate = Delegate.objects.create(
        delegation=delegates[0].delegation,
        conference=found,
        person=builders.person(org),
        role=Delegate.Role.ALTERNATE,
        rank=1,
        weight=1,
        credential=Delegate.Credential.SEATED,
        present=True,
        checked_in_at=timezone.now(),
    )
    people = [*delegates, alternate]
    clients = [
        api_client(builders.account(org, f"d{n}@example.org", person=d.person), org) for n, d in enumerate(people)
    ]
    admin = api_client(builders.account(org, "admin@example.org", is_admin=True), org)
    base = f"/api/orgs/{org.slug}/conferences/{found.pk}"
    return {"conference": found, "delegates": delegates, "alternate": alternate, "clients": clients,
            "admin": admin, "base": base}  # fmt: skip


def _poll(hall, **body) -> int:
    made = _post(hall["admin"], f"{hall['base']}/polls", {"subject": "Rent strike", **body})
    assert made.status_code == 201, made.json()
    opened = _post(hall["admin"], f"{hall['base']}/polls/{made.json()['id']}/open")
    assert opened.status_code == 200, opened.json()
    return made.json()["id"]


def _vote(hall, n: int, poll: int, **body):
    return _post(hall["clients"][n], f"{hall['base']}/polls/{poll}/vote", body)


def _close(hall, poll: int):
    closed = _post(hall["admin"], f"{hall['base']}/polls/{poll}/close")
    assert closed.status_code == 200, closed.json()
    return closed.json()["result"]


def test_a_proxy_stays_while_its_holder_has_a_vote_in_an_open_poll_and_the_split_counts(hall):
    """Withdrawing the proxy the holder voted with (or giving them another) while that poll is
    open would leave their vote out at the close: refused until it closes, and the split counts."""
    giver, holder, other = hall["delegates"]
    proxy = assembly.give_proxy(giver=holder, holder=giver, by="test")
    poll = _poll(hall)
    assert _vote(hall, 0, poll, yes=12, no=2).status_code == 200  # 10 + the proxy's 4
    assert _vote(hall, 2, poll, choice="no").status_code == 200
    refused = _post(hall["clients"][1], f"{hall['base']}/proxies/{proxy.pk}/withdraw")
    assert refused.status_code == 409 and refused.json()["field"] == "votes"
    assert refused.json()["detail"] == (
        f"votes: {giver.person.name} voted in poll {poll}, still open, with the votes they carried; "
        "the proxy is withdrawn once it closes"
    )
    assert Proxy.objects.filter(pk=proxy.pk).exists()
    result = _close(hall, poll)
    assert (result["yes"], result["no"], result["passed"]) == (12, 9, True)
    assert result["not_counted"] == []
    assert _post(hall["clients"][1], f"{hall['base']}/proxies/{proxy.pk}/withdraw").status_code == 204


def test_a_proxy_lapsing_when_its_giver_leaves_and_an_alternate_takes_the_seat(hall, capsys):
    """The holder split 14 (with the proxy); the giver is marked absent, the alternate takes the
    seat, the proxy lapses: the holder's split is not counted, the alternate's vote is."""
    holder, giver, other = hall["delegates"]
    assembly.give_proxy(giver=giver, holder=holder, by="test")
    poll = _poll(hall)
    assert _vote(hall, 0, poll, yes=7, no=7).status_code == 200
    delegations.check_in(delegate=giver, by="test", present=False)
    assert _vote(hall, 3, poll, choice="yes").status_code == 200  # the alternate, in the giver's seat of 4
    result = _close(hall, poll)
    assert (result["yes"], result["no"]) == (4, 0)
    assert [(row["name"], row["why"][:40]) for row in result["not_counted"]] == [
        (holder.person.name, "voted carrying 14 vote(s) and carries 10")
    ]
    # The command line's result says whose vote was left out, and why, as the JSON does.
    code, out, _err = run_cli(capsys, "conference", "result", str(poll))
    assert code == 0
    assert f"Not counted: {holder.person.name}: voted carrying 14 vote(s) and carries 10 at the close" in out


def test_a_proxy_is_not_given_to_a_delegate_whose_vote_is_in_an_open_poll(hall):
    holder, giver, _other = hall["delegates"]
    poll = _poll(hall)
    assert _vote(hall, 0, poll, choice="yes").status_code == 200
    refused = _post(hall["clients"][1], f"{hall['base']}/proxies", {"holder": holder.pk})
    assert refused.status_code == 409 and refused.json()["field"] == "votes"
    assert f"voted in poll {poll}, still open" in refused.json()["detail"]
    assert not Proxy.objects.exists()
    _close(hall, poll)
    assert _post(hall["clients"][1], f"{hall['base']}/proxies", {"holder": holder.pk}).status_code == 201


def test_an_alternate_vote_cast_for_one_seat_does_not_count_for_another(hall):
    big, small, _other = hall["delegates"]
    alternate = hall["alternate"]
    delegations.check_in(delegate=big, by="test", present=False)
    poll = _poll(hall)
    assert _vote(hall, 3, poll, yes=6, no=4).status_code == 200  # holding the seat of 10
    assert PollVote.objects.get(poll_id=poll).weight == 10
    # The delegate of 10 comes back, the one of 4 leaves: the alternate now holds the seat of 4.
    delegations.check_in(delegate=small, by="test", present=False)
    delegations.check_in(delegate=big, by="test", present=True)
    alternate.refresh_from_db()
    assert alternate.seated_for_id == small.pk
    result = _close(hall, poll)
    assert (result["yes"], result["no"]) == (0, 0)
    assert result["not_counted"][0]["name"] == alternate.person.name
    assert "voted carrying 10 vote(s) and carries 4" in result["not_counted"][0]["why"]


def test_a_vote_over_the_weight_from_before_weights_were_recorded_is_left_out_by_name(hall):
    poll = _poll(hall)
    small = hall["delegates"][1]
    PollVote.objects.create(poll_id=poll, delegate=small, yes=9, cast_at=timezone.now())
    assert _vote(hall, 2, poll, choice="yes").status_code == 200
    result = _close(hall, poll)
    assert (result["yes"], result["not_counted"][0]["name"]) == (7, small.person.name)
    assert (
        result["not_counted"][0]["why"]
        == f"{small.person.name}: the split adds up to 9, more than the weight 4 they carry"
    )


def test_an_election_closes_leaving_out_a_ballot_whose_proxy_lapsed_and_one_nobody_voted_in(hall):
    base, admin = hall["base"], hall["admin"]
    holder, giver, _other = hall["delegates"]
    proxy = assembly.give_proxy(giver=giver, holder=holder, by="test")

    def election() -> int:
        made = _post(admin, f"{base}/elections", {"title": "Council", "method": "plurality", "candidates": ["A", "B"]})
        assert _post(admin, f"{base}/elections/{made.json()['id']}/open").status_code == 200
        return made.json()["id"]

    voted, empty = election(), election()
    assert _post(hall["clients"][0], f"{base}/elections/{voted}/ballot", {"choices": ["A"]}).status_code == 200
    assert _post(hall["clients"][2], f"{base}/elections/{voted}/ballot", {"choices": ["B"]}).status_code == 200
    assert ElectionBallot.objects.get(election_id=voted, delegate=holder).weight == 14
    with pytest.raises(ActionRefused, match=f"voted in election {voted}, still open"):
        assembly.withdraw_proxy(proxy=proxy, by="test")
    # The giver leaves and an alternate takes the seat: the proxy lapses, the ballot no longer fits.
    delegations.check_in(delegate=giver, by="test", present=False)
    closed = _post(admin, f"{base}/elections/{voted}/close")
    assert closed.status_code == 200, closed.json()
    assert closed.json()["result"]["elected"] == ["B"]
    assert closed.json()["result"]["not_counted"][0]["name"] == holder.person.name
    nobody = _post(admin, f"{base}/elections/{empty}/close")
    assert nobody.status_code == 200, nobody.json()
    assert nobody.json()["result"]["elected"] == [] and nobody.json()["state"] == "closed"


def _motion(hall, text: str = "We strike.\n\nFrom May.\n\nUntil repairs.") -> Motion:
    motion = assembly.add_motion(conference=hall["conference"], title="Rent strike", text=text, by="test",
                                 delegate=hall["delegates"][0])  # fmt: skip
    for status in ("admitted", "debated"):
        assembly.set_motion_status(motion=motion, status=status, by="test")
    return motion


def test_an_amendment_poll_closed_after_its_motion_was_adopted_lapses_and_the_text_stays(hall):
    base, admin = hall["base"], hall["admin"]
    motion = _motion(hall)
    amendment = assembly.add_amendment(motion=motion, paragraph=2, text="From June.", by="test")
    poll = _poll(hall, motion=motion.number, amendment=amendment.number)
    shown = admin.get(f"{base}/polls/{poll}").json()
    assert (shown["motion"], shown["amendment"]) == (motion.number, amendment.number)
    assert _vote(hall, 0, poll, choice="yes").status_code == 200
    assembly.set_motion_status(motion=motion, status="adopted", by="test")
    result = _close(hall, poll)
    assert result["passed"] is True
    assert result["amendment_lapsed"] == (
        "amendment 1 lapsed: motion 1 is adopted; amendments are decided only while it is undecided"
    )
    motion.refresh_from_db()
    assert motion.text == "We strike.\n\nFrom May.\n\nUntil repairs." and motion.versions == []
    assert Amendment.objects.get(pk=amendment.pk).status == "lapsed"
    # No poll on the adopted motion nor on its amendments, nor amendments to it.
    refused = _post(admin, f"{base}/polls", {"motion": motion.number})
    assert refused.status_code == 409 and refused.json()["field"] == "motion"
    assert "motion 1 is adopted; only an undecided motion is polled" in refused.json()["detail"]
    refused = _post(admin, f"{base}/polls", {"motion": motion.number, "amendment": amendment.number})
    assert refused.status_code == 409 and refused.json()["field"] == "amendment"


def test_a_paragraph_amendment_whose_paragraph_is_gone_is_refused_a_poll_and_lapses_at_the_close(hall):
    base, admin = hall["base"], hall["admin"]
    motion = _motion(hall)
    whole = assembly.add_amendment(motion=motion, text="We strike now.", by="test")
    third = assembly.add_amendment(motion=motion, paragraph=3, text="Until June.", by="test")
    first = _poll(hall, motion=motion.number, amendment=whole.number)
    later = _poll(hall, motion=motion.number, amendment=third.number)
    draft = _post(admin, f"{base}/polls", {"motion": motion.number, "amendment": third.number}).json()["id"]
    _vote(hall, 0, first, choice="yes")
    _vote(hall, 0, later, choice="yes")
    _close(hall, first)
    refused = _post(admin, f"{base}/polls/{draft}/open")
    assert refused.status_code == 409 and refused.json()["field"] == "amendment"
    assert "replaces paragraph 3, but the motion's text now has 1 paragraph(s)" in refused.json()["detail"]
    result = _close(hall, later)
    assert "amendment 2 lapsed" in result["amendment_lapsed"]
    motion.refresh_from_db()
    assert motion.text == "We strike now."
    assert [a.status for a in motion.amendments.order_by("number")] == ["adopted", "lapsed"]


def test_crlf_text_splits_into_paragraphs_like_lf(hall):
    motion = _motion(hall, text="We strike.\r\n\r\nFrom May.\r\n")
    assert motion.text == "We strike.\n\nFrom May."
    amended = _post(hall["clients"][0], f"{hall['base']}/motions/{motion.number}/amendments",
                    {"paragraph": 2, "text": "From June."})  # fmt: skip
    assert amended.status_code == 201, amended.json()
    assert assembly.paragraphs("A.\r\n\r\nB.\r\rC.") == ["A.", "B.", "C."]


def test_only_delegates_whose_credential_stands_and_alternates_holding_a_seat_submit(hall):
    base = hall["base"]
    oak = hall["delegates"][2]
    for credential in (Delegate.Credential.REFUSED, Delegate.Credential.CHALLENGED):
        Delegate.objects.filter(pk=oak.pk).update(credential=credential)
        refused = _post(hall["clients"][2], f"{base}/motions", {"title": "Dues", "text": "Lower dues."})
        assert refused.status_code == 409 and refused.json()["field"] == "delegate"
        assert refused.json()["detail"] == (
            f"delegate: {oak.person.name} has a {credential} credential; "
            "only delegates whose credential stands and alternates holding a seat submit motions"
        )
    # Motions come in while credentials are checked: a verified credential stands.
    Delegate.objects.filter(pk=oak.pk).update(credential=Delegate.Credential.VERIFIED)
    assert _post(hall["clients"][2], f"{base}/motions", {"title": "Dues", "text": "Lower."}).status_code == 201
    motion = _motion(hall)
    refused = _post(hall["clients"][3], f"{base}/motions/{motion.number}/amendments", {"text": "x"})
    assert refused.status_code == 409 and refused.json()["field"] == "delegate"
    assert "is an alternate holding no seat" in refused.json()["detail"]
    delegations.check_in(delegate=hall["delegates"][0], by="test", present=False)
    assert _post(hall["clients"][3], f"{base}/motions/{motion.number}/amendments", {"text": "x"}).status_code == 201
    assert _post(hall["clients"][3], f"{base}/motions", {"title": "Alt", "text": "y"}).status_code == 201


def test_an_absent_delegate_whose_seat_an_alternate_holds_is_told_so(hall):
    poll = _poll(hall)
    delegations.check_in(delegate=hall["delegates"][0], by="test", present=False)
    refused = _vote(hall, 0, poll, choice="yes")
    assert refused.status_code == 409 and refused.json()["field"] == "present"
    assert (
        refused.json()["detail"]
        == f"present: you are absent; alternate {hall['alternate'].person.name} holds your seat"
    )


def test_refusals_name_the_person_not_their_id(hall):
    holder, giver, other = hall["delegates"]
    poll = _poll(hall)
    refused = _vote(hall, 0, poll, yes=6, no=5)
    assert refused.status_code == 409
    assert (
        refused.json()["detail"] == f"{holder.person.name}: the split adds up to 11, more than the weight 10 they carry"
    )
    # A delegate naming another giver is refused naming the giver, not forbidden.
    refused = _post(hall["clients"][0], f"{hall['base']}/proxies", {"giver": giver.pk, "holder": holder.pk})
    assert refused.status_code == 409 and refused.json()["field"] == "giver"
    assert giver.person.name in refused.json()["detail"] and not Proxy.objects.exists()


def test_every_action_checks_that_the_conference_is_in_session(hall):
    base, admin = hall["base"], hall["admin"]
    motion = _motion(hall)
    poll = _poll(hall)
    election = _post(admin, f"{base}/elections", {"title": "Council", "method": "plurality", "candidates": ["A"]})
    election_id = election.json()["id"]
    _post(admin, f"{base}/elections/{election_id}/open")
    Conference.objects.filter(pk=hall["conference"].pk).update(status=Conference.Status.CLOSED)
    for client, url, body, what in (
        (hall["clients"][0], f"elections/{election_id}/ballot", {"choices": ["A"]}, "ballots are cast only in session"),
        (hall["clients"][0], f"motions/{motion.number}/amendments", {"text": "x"}, "amendments are proposed only"),
        (hall["clients"][0], "motions", {"title": "Late", "text": "x"}, "motions are submitted only"),
        (admin, f"polls/{poll}/close", {}, "polls are closed only in session"),
        (admin, f"elections/{election_id}/close", {}, "elections are closed only in session"),
        (admin, "polls", {"subject": "Late"}, "polls are prepared only"),
        (admin, f"motions/{motion.number}/status", {"status": "adopted"}, "motions are moved on only"),
        (hall["clients"][1], "proxies", {"holder": hall["delegates"][0].pk}, "proxies are given only"),
    ):
        refused = _post(client, f"{base}/{url}", body)
        assert refused.status_code == 409, (url, refused.json())
        assert refused.json()["field"] == "status" and what in refused.json()["detail"], refused.json()
        assert refused.json()["detail"].startswith(f"status: conference {hall['conference'].pk} is closed; ")
    assert Poll.objects.get(pk=poll).state == "open" and not Proxy.objects.exists()


def test_a_custom_majority_is_stored_normalized_and_no_fraction_is_refused(hall):
    base, admin = hall["base"], hall["admin"]
    made = _post(admin, f"{base}/polls", {"subject": "Quarter", "majority": " 6/8 "})
    assert made.status_code == 201 and made.json()["majority"] == "3/4"
    refused = _post(admin, f"{base}/polls", {"subject": "Tiny", "majority": "1e-9"})
    assert refused.status_code == 409 and refused.json()["field"] == "majority"
    assert "a fraction p/q like 3/4" in refused.json()["detail"]


def test_publishing_a_motion_not_adopted_names_its_status_first(hall):
    motion = _motion(hall)
    with pytest.raises(ActionRefused) as refused:
        assembly.publish_resolution(motion=motion, publication="nowhere", number=9, by="test")
    assert refused.value.field == "status"
    assert str(refused.value) == "status: motion 1 is debated; only an adopted motion (a resolution) is published"


def test_a_proxy_passes_only_between_delegates_holding_a_seat(hall):
    """The alternate holds no seat while Elm House's delegates are present: a proxy given to them
    would never be counted, and the giver could not vote either; refused naming the holder. Once
    the alternate holds the seat of an absent delegate, the proxy passes."""
    first, second, _oak = hall["delegates"]
    alternate = hall["alternate"]
    refused = _post(hall["clients"][1], f"{hall['base']}/proxies", {"holder": alternate.pk})
    assert refused.status_code == 409 and refused.json()["field"] == "holder"
    assert refused.json()["detail"] == (
        f"holder: {alternate.person.name} holds no seat now; a proxy passes between seated delegates "
        "(and alternates holding a seat)"
    )
    assert not Proxy.objects.exists()
    delegations.check_in(delegate=first, by="test", present=False)
    given = _post(hall["clients"][1], f"{hall['base']}/proxies", {"holder": alternate.pk})
    assert given.status_code == 201, given.json()
    assert Proxy.objects.get().holder_id == alternate.pk


def test_a_giver_whose_ballot_is_in_an_open_election_gives_no_proxy(hall):
    base, admin = hall["base"], hall["admin"]
    holder, giver, _other = hall["delegates"]
    made = _post(admin, f"{base}/elections", {"title": "Council", "method": "plurality", "candidates": ["A", "B"]})
    election = made.json()["id"]
    assert _post(admin, f"{base}/elections/{election}/open").status_code == 200
    assert _post(hall["clients"][1], f"{base}/elections/{election}/ballot", {"choices": ["B"]}).status_code == 200
    refused = _post(hall["clients"][1], f"{base}/proxies", {"holder": holder.pk})
    assert refused.status_code == 409 and refused.json()["field"] == "votes"
    assert refused.json()["detail"] == (
        f"votes: {giver.person.name} voted in election {election}, still open, with the votes they carried; "
        "the proxy is given once it closes"
    )
    closed = _post(admin, f"{base}/elections/{election}/close")
    assert closed.json()["result"]["elected"] == ["B"] and closed.json()["result"]["not_counted"] == []
