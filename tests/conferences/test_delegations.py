"""Delegations through their actions (issue 17, "Call", "Credentials", "Presence"): a unit elects
its delegation at a meeting after the call, the credentials are verified, challenged, ruled on and
seated, the credentials report gives the seated weight and the quorum, and presence seats the
first present alternate in an absent delegate's place until the delegate returns."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from grassroots.audit.models import AuditRecord
from grassroots.conferences import actions, delegations, selectors
from grassroots.conferences.models import Delegate, Delegation
from grassroots.conferences.voting import Voter
from grassroots.errors import ActionRefused
from tests.support import builders
from tests.support.conferences import conference, conference_scene
from tests.support.delegations import called, election, members_of

pytestmark = pytest.mark.django_db
Credential = Delegate.Credential


@pytest.fixture
def units(org):
    return conference_scene(org)


@pytest.fixture
def elm_delegation(units):
    """Elm House (4 seats) elects 3 delegates (the first its chair) and 2 ranked alternates."""
    conf = called(units["federation"])
    people = members_of(units["elm"])
    delegation = delegations.elect_delegation(
        conference=conf,
        unit=units["elm"],
        decision=election(units["elm"]),
        delegates=people[:3],
        alternates=people[3:5],
        chair=people[0],
        by="test",
    )
    return conf, delegation, people


def _rows(delegation: Delegation) -> list[Delegate]:
    return list(delegation.delegates.order_by("role", "rank"))


def _seat_all(delegation: Delegation) -> None:
    for row in _rows(delegation):
        delegations.verify_credential(delegate=row, by="test")
        delegations.seat_delegate(delegate=row, by="test")


def test_a_unit_elects_its_delegation_after_the_call(elm_delegation):
    conf, delegation, people = elm_delegation
    rows = _rows(delegation)
    assert [(row.role, row.rank, row.person_id, row.weight, row.credential) for row in rows] == [
        ("alternate", 1, people[3].pk, 1, "submitted"),
        ("alternate", 2, people[4].pk, 1, "submitted"),
        ("delegate", 1, people[0].pk, 1, "submitted"),
        ("delegate", 2, people[1].pk, 1, "submitted"),
        ("delegate", 3, people[2].pk, 1, "submitted"),
    ]
    assert delegation.chair_id == people[0].pk and delegation.allocation.seats == 4
    record = AuditRecord.objects.get(action="conferences.delegation")
    assert record.changes["delegates"] == [None, [person.pk for person in people[:3]]]


def test_electing_again_replaces_the_delegation_until_a_credential_is_handled(units, elm_delegation):
    conf, delegation, people = elm_delegation
    again = delegations.elect_delegation(
        conference=conf,
        unit=units["elm"],
        decision=election(units["elm"]),
        delegates=people[1:3],
        chair=people[2],
        by="test",
    )
    assert again.pk == delegation.pk
    assert [row.person_id for row in _rows(again)] == [people[1].pk, people[2].pk]
    delegations.verify_credential(delegate=_rows(again)[0], by="test")
    with pytest.raises(ActionRefused, match="delegates: the credentials of Elm House's delegation are being handled"):
        delegations.elect_delegation(
            conference=conf,
            unit=units["elm"],
            decision=election(units["elm"]),
            delegates=people[:1],
            chair=people[0],
            by="test",
        )


def test_weighted_delegates_carry_the_members_by_rank(org, units):
    """Weighted delegates of at most 3 votes: Elm House's 7 members give its delegates 3, 3 and 1
    votes in rank order; an alternate carries 1 until it holds a seat."""
    conf = called(units["federation"], votes_per_delegate=3)
    people = members_of(units["elm"])
    delegation = delegations.elect_delegation(
        conference=conf,
        unit=units["elm"],
        decision=election(units["elm"]),
        delegates=people[:3],
        alternates=people[3:4],
        chair=people[0],
        by="test",
    )
    assert [(row.role, row.weight) for row in _rows(delegation)] == [
        ("alternate", 1),
        ("delegate", 3),
        ("delegate", 3),
        ("delegate", 1),
    ]


def test_refusals_name_their_field(org, units):
    federation, elm, oak = units["federation"], units["elm"], units["oak"]
    planned = conference(federation)
    people = members_of(elm)
    decision = election(elm)

    def elect(conf=None, unit=elm, decision=decision, delegates=people[:2], alternates=(), chair=people[0]):
        return delegations.elect_delegation(
            conference=conf,
            unit=unit,
            decision=decision,
            delegates=delegates,
            alternates=alternates,
            chair=chair,
            by="test",
        )

    with pytest.raises(ActionRefused, match="status: conference .* is planned; delegations are elected only while"):
        elect(planned)
    conf = actions.call_conference(conference=planned, by="test")
    with pytest.raises(ActionRefused, match="unit: Birch Row has no seats at Founding conference"):
        elect(conf, unit=units["birch"])
    with pytest.raises(ActionRefused, match=f"decision: decision {decision.pk} was not taken by Oak Court"):
        elect(conf, unit=oak, delegates=members_of(oak)[:1], chair=members_of(oak)[0])
    failed = election(elm, outcome="failed")
    with pytest.raises(ActionRefused, match=f"decision: decision {failed.pk} was not carried"):
        elect(conf, decision=failed)
    before = election(elm, start=timezone.now() - dt.timedelta(days=3))
    with pytest.raises(ActionRefused, match=f"decision: decision {before.pk} was taken on .*, before the call on"):
        elect(conf, decision=before)
    with pytest.raises(ActionRefused, match="delegates: elect at least one delegate"):
        elect(conf, delegates=[])
    with pytest.raises(ActionRefused, match="delegates: 5 elected, but Elm House has 4 seats"):
        elect(conf, delegates=people[:5])
    with pytest.raises(ActionRefused, match=f"alternates: {people[1].name} is elected twice"):
        elect(conf, alternates=people[1:2])
    outsider = members_of(oak)[0]
    with pytest.raises(ActionRefused, match=f"delegates: {outsider.name} was not a member of Elm House in good"):
        elect(conf, delegates=[people[0], outsider])
    with pytest.raises(ActionRefused, match=f"chair: {people[3].name} is not one of the delegates"):
        elect(conf, chair=people[3])
    delegations.elect_delegation(
        conference=conf, unit=oak, decision=election(oak), delegates=[outsider], chair=outsider, by="test"
    )
    assert not Delegation.objects.filter(unit=elm).exists()


def test_credentials_verified_challenged_ruled_and_seated(elm_delegation):
    conf, delegation, people = elm_delegation
    first, second, third = (row for row in _rows(delegation) if row.role == "delegate")
    delegations.verify_credential(delegate=first, by="test")
    delegations.seat_delegate(delegate=first, by="test")
    with pytest.raises(ActionRefused, match="grounds: required"):
        delegations.challenge_credential(delegate=second, grounds="  ", by="test")
    delegations.challenge_credential(delegate=second, grounds="Not a member on the day", by="test")
    with pytest.raises(ActionRefused, match="credential: .*'s credential is challenged; it must be verified"):
        delegations.seat_delegate(delegate=second, by="test")
    with pytest.raises(ActionRefused, match="ruling: required"):
        delegations.rule_on_challenge(delegate=second, ruling="", seat=True, by="test")
    delegations.rule_on_challenge(delegate=second, ruling="Member since January: seated", seat=True, by="test")
    delegations.challenge_credential(delegate=third, grounds="Elected twice", by="test")
    delegations.rule_on_challenge(delegate=third, ruling="Refused", seat=False, by="test")
    with pytest.raises(ActionRefused, match="credential: .*'s credential is seated; it must be submitted"):
        delegations.verify_credential(delegate=first, by="test")
    states = {
        row.rank: (row.credential, row.grounds, row.ruling) for row in _rows(delegation) if row.role == "delegate"
    }
    assert states == {
        1: ("seated", "", ""),
        2: ("seated", "Not a member on the day", "Member since January: seated"),
        3: ("refused", "Elected twice", "Refused"),
    }
    lines, figures = selectors.credentials_report(conf)
    assert [(line.name, line.unit, line.weight, line.role) for line in lines] == [
        (people[0].name, "Elm House", 1, "delegate"),
        (people[1].name, "Elm House", 1, "delegate"),
    ]
    assert figures.as_json() == {
        "seats": 2,
        "seated_weight": 2,
        "present_seats": 0,
        "present_weight": 0,
        "quorum": 2,
        "quorate": False,
    }


def test_an_absent_delegate_is_replaced_by_the_first_present_alternate(
    units, elm_delegation, django_assert_num_queries
):
    conf, delegation, people = elm_delegation
    _seat_all(delegation)
    actions.set_conference_status(conference=conf, status="credentialing", by="test")
    first_alternate, second_alternate, first, second, third = _rows(delegation)
    for row in (first, second, third, second_alternate):
        delegations.check_in(delegate=row, by="test")
    presence = selectors.presence_of(conf)
    assert (presence.seated_weight, presence.present_weight, presence.quorum, presence.quorate) == (3, 3, 2, True)
    # The first delegate leaves: the second alternate (the first is not here) takes the seat.
    delegations.check_in(delegate=first, by="test", present=False)
    second_alternate.refresh_from_db()
    assert second_alternate.seated_for_id == first.pk
    with django_assert_num_queries(1):
        voters = selectors.entitled(conf)
    assert voters == [
        Voter(id=str(second.pk), weight=1, present=True, delegation=str(delegation.pk), may_split=True),
        Voter(id=str(third.pk), weight=1, present=True, delegation=str(delegation.pk), may_split=True),
        Voter(id=str(second_alternate.pk), weight=1, present=True, delegation=str(delegation.pk), may_split=True),
    ]
    # The first delegate returns: the alternate steps back.
    delegations.check_in(delegate=first, by="test")
    second_alternate.refresh_from_db()
    assert second_alternate.seated_for_id is None
    assert [voter.id for voter in selectors.entitled(conf)] == [str(first.pk), str(second.pk), str(third.pk)]
    assert selectors.entitled(conf)[0].may_split is False  # the chair
    # Two leave: one alternate present, so one seat stays empty and the quorum is still met (1 of 3 needs 2).
    delegations.check_in(delegate=second, by="test", present=False)
    delegations.check_in(delegate=third, by="test", present=False)
    second_alternate.refresh_from_db()
    assert second_alternate.seated_for_id == second.pk
    presence = selectors.presence_of(conf)
    assert (presence.seated_weight, presence.present_weight, presence.quorate) == (3, 2, True)
    # The first alternate arrives and takes the third's seat; an alternate who leaves steps back.
    delegations.check_in(delegate=first_alternate, by="test")
    first_alternate.refresh_from_db()
    assert first_alternate.seated_for_id == third.pk
    delegations.check_in(delegate=second_alternate, by="test", present=False)
    presence = selectors.presence_of(conf)
    assert (presence.present_weight, presence.quorate) == (2, True)
    delegations.check_in(delegate=first_alternate, by="test", present=False)
    presence = selectors.presence_of(conf)
    assert (presence.present_weight, presence.quorum, presence.quorate) == (1, 2, False)
    assert AuditRecord.objects.filter(action="conferences.presence").count() == 11


def test_presence_is_kept_only_in_the_hall(elm_delegation):
    conf, delegation, people = elm_delegation
    with pytest.raises(ActionRefused, match="status: .* presence is kept only while it is credentialing or in session"):
        delegations.check_in(delegate=_rows(delegation)[0], by="test")


def test_delegate_of_is_the_users_own_row(org, elm_delegation):
    conf, delegation, people = elm_delegation
    mine = builders.account(org, "first@example.org", person=people[0])
    other = builders.account(org, "other@example.org", person=people[5])
    assert selectors.delegate_of(mine, conf).person_id == people[0].pk
    assert selectors.delegate_of(other, conf) is None


def test_participants_for_openslides(elm_delegation):
    conf, delegation, people = elm_delegation
    first_alternate, second_alternate, first, second, third = _rows(delegation)
    delegations.challenge_credential(delegate=third, grounds="x", by="test")
    delegations.rule_on_challenge(delegate=third, ruling="Refused", seat=False, by="test")
    # Delegates first, then alternates, by rank; an alternate holding no seat carries no vote.
    assert selectors.participants_of(conf) == [
        (people[0].name, "Elm House", 1, "delegate", "no"),
        (people[1].name, "Elm House", 1, "delegate", "no"),
        (people[3].name, "Elm House", 0, "alternate", "no"),
        (people[4].name, "Elm House", 0, "alternate", "no"),
    ]


def test_weighted_delegates_of_the_issue():
    """Issue 17, "Checks with known values": at most 10 votes a delegate, 47 members give 5
    delegates with 10, 10, 10, 10 and 7 votes; without weighting each seat carries 1."""
    from grassroots.conferences.models import Allocation, Conference

    allocation = Allocation(members=47, seats=5)
    assert delegations.delegate_weights(Conference(votes_per_delegate=10), allocation) == (10, 10, 10, 10, 7)
    assert delegations.delegate_weights(Conference(), allocation) == (1, 1, 1, 1, 1)
    assert delegations.delegate_weights(Conference(votes_per_delegate=10), Allocation(members=47, seats=3)) == (
        10,
        10,
        10,
    )


def test_votes_per_delegate_is_checked(units):
    with pytest.raises(ActionRefused, match="votes_per_delegate: must be at least 1, not 0"):
        conference(units["federation"], votes_per_delegate=0)


def test_a_challenged_alternate_steps_back_and_a_refused_seat_is_vacated(elm_delegation):
    conf, delegation, people = elm_delegation
    first_alternate, second_alternate, first, second, third = _rows(delegation)
    for row in _rows(delegation):
        delegations.verify_credential(delegate=row, by="test")
    for row in (first, second, third):
        delegations.seat_delegate(delegate=row, by="test")
    actions.set_conference_status(conference=conf, status="credentialing", by="test")
    for row in (first_alternate, second_alternate, second, third):
        delegations.check_in(delegate=row, by="test")
    first_alternate.refresh_from_db()
    assert first_alternate.seated_for_id == first.pk
    # The verified alternate's credential is challenged: they step back, and the next alternate sits.
    delegations.challenge_credential(delegate=first_alternate, grounds="Not in good standing", by="test")
    first_alternate.refresh_from_db()
    second_alternate.refresh_from_db()
    assert (first_alternate.seated_for_id, second_alternate.seated_for_id) == (None, first.pk)
    assert [voter.id for voter in selectors.entitled(conf)] == [str(second.pk), str(third.pk), str(second_alternate.pk)]


def test_merging_a_delegate_into_another_record_moves_the_seat_and_the_chair(org, elm_delegation):
    """A duplicate record of a delegate is merged: the kept record takes the seat (and chairs the
    delegation), as it takes the memberships; the audit record lists what moved."""
    from grassroots.people.merging import merge_people

    conf, delegation, people = elm_delegation
    duplicate = builders.person(org, people[0].name)
    seat = delegation.delegates.get(person=people[0])
    merge_people(keep=duplicate, other=people[0], by="test")
    seat.refresh_from_db()
    delegation.refresh_from_db()
    assert seat.person_id == duplicate.pk and delegation.chair_id == duplicate.pk
    record = AuditRecord.objects.filter(action="person.merge").latest("pk")
    assert record.changes["conference_seats"] == [None, [seat.pk]]
    assert record.changes["chaired_delegations"] == [None, [delegation.pk]]
