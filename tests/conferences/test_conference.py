"""Conferences through their actions: the members counted as of the cut-off date, the
apportionment stored and explained, the call with its notices, the status steps and refusals."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings

from grassroots.audit.models import AuditRecord
from grassroots.conferences import actions, selectors
from grassroots.conferences.models import Allocation, Conference
from grassroots.errors import ActionRefused
from grassroots.outbox.models import Delivery, Mailing
from tests.support import builders
from tests.support.conferences import CUTOFF, conference, conference_scene

pytestmark = pytest.mark.django_db


@pytest.fixture
def units(org):
    return conference_scene(org)


def test_members_are_counted_as_they_stood_on_the_cutoff_date(units, django_assert_num_queries):
    """Elm House: 3 founders and 5 joined, one of whom left before the cut-off (7); the one who
    lapsed after it still counts. Oak Court: its 2 who joined after the cut-off do not count (3)."""
    planned = conference(units["federation"])
    with django_assert_num_queries(1):
        counts = selectors.members_at_cutoff(planned)
    assert counts == {units["elm"].pk: 7, units["oak"].pk: 3}
    # Today the counts differ: Elm lost the lapsed member, Oak gained two.
    later = conference(units["federation"])
    later.cutoff = dt.date.today()
    assert selectors.members_at_cutoff(later) == {units["elm"].pk: 6, units["oak"].pk: 5, units["birch"].pk: 4}


def test_statuses_are_replayed_to_the_cutoff_date(org, units):
    """Status changes on both sides of the cut-off: a member who lapsed before it and came back
    after it is not counted; a supporter who became a candidate before it and a member after it
    is; the counts agree with `organizations.selectors.status_on`, the replay other reads use."""
    from django.db.models import Count

    from grassroots.organizations.selectors import status_on
    from grassroots.people import actions as people
    from grassroots.people.models import Membership

    (back,) = builders.members(org, units["oak"], 1, status="member")
    (rising,) = builders.members(org, units["oak"], 1, status="supporter")
    people.change_status(person=back, status="lapsed", by="test", on=dt.date(2024, 3, 1))
    people.change_status(person=back, status="member", by="test", on=dt.date(2024, 8, 1))
    people.change_status(person=rising, status="candidate", by="test", on=dt.date(2024, 4, 1))
    people.change_status(person=rising, status="member", by="test", on=dt.date(2024, 9, 1))
    planned = conference(units["federation"])
    counts = selectors.members_at_cutoff(planned)
    assert counts == {units["elm"].pk: 7, units["oak"].pk: 4}
    replayed = (
        Membership.objects.on(CUTOFF)
        .annotate(then=status_on(CUTOFF))
        .filter(then__in=["candidate", "member"], unit__path__startswith=units["federation"].path)
        .values_list("unit_id")
        .annotate(n=Count("pk"))
    )
    assert dict(replayed) == counts


def test_only_units_founded_on_the_cutoff_date_send_delegates(units):
    planned = conference(units["federation"])
    assert [unit.slug for unit in selectors.delegation_units(planned)] == ["elm-house", "oak-court"]


def test_minimum_tenure_and_statuses_narrow_who_counts(org, units):
    later = builders.members(org, units["elm"], 2, status="candidate")
    assert later  # joined on 2024-01-01 as candidates
    with_candidates = conference(units["federation"])
    members_only = conference(units["federation"], statuses=["member"])
    long_tenure = conference(units["federation"], minimum_tenure_days=140)
    assert selectors.members_at_cutoff(with_candidates)[units["elm"].pk] == 9
    assert selectors.members_at_cutoff(members_only)[units["elm"].pk] == 7
    # 140 days before 2024-06-01 is 2024-01-13: the founders of 2024-01-31 are too recent.
    assert selectors.members_at_cutoff(long_tenure) == {units["elm"].pk: 6}


def test_apportion_stores_each_units_line_and_the_explanation(units):
    planned = conference(units["federation"])
    result = actions.apportion_conference(conference=planned, by="test")
    assert result.seats_by_unit == {"elm-house": 4, "oak-court": 1}
    rows = [
        (row.unit.slug, row.members, row.quota, row.seats, row.lower_quota, row.upper_quota)
        for row in selectors.allocations_of(planned)
    ]
    assert rows == [("elm-house", 7, "3.5000", 4, 3, 4), ("oak-court", 3, "1.5000", 1, 1, 2)]
    planned.refresh_from_db()
    assert planned.input_sha256 == result.input_sha256 and len(planned.input_sha256) == 64
    assert "D'Hondt" in planned.rule
    assert planned.apportioned_at is not None
    record = AuditRecord.objects.get(action="conferences.apportion")
    assert record.changes["seats"] == [None, 5]


def test_apportion_again_replaces_the_lines(units):
    planned = conference(units["federation"], method="hamilton", seats=10, minimum=1)
    actions.apportion_conference(conference=planned, by="test")
    actions.apportion_conference(conference=planned, by="test")
    assert Allocation.objects.filter(conference=planned).count() == 2
    assert sum(Allocation.objects.filter(conference=planned).values_list("seats", flat=True)) == 10


def test_ratio_rules_apportion_too(units):
    per = conference(units["federation"], method="per", seats=None, per=2, rounding="ceiling")
    assert actions.apportion_conference(conference=per, by="test").seats_by_unit == {"elm-house": 4, "oak-court": 2}
    brackets = conference(units["federation"], method="brackets", seats=None, brackets="1-5: 1\n6+: 2 + 1 per 5")
    result = actions.apportion_conference(conference=brackets, by="test")
    assert result.seats_by_unit == {"elm-house": 3, "oak-court": 1}


def test_a_tie_is_kept_with_the_conference(org, units):
    """Elm 7 and Oak 3; with Oak at 7 too, one seat goes by lot between equal claims."""
    builders.members(org, units["oak"], 4)
    planned = conference(units["federation"], seats=1, seed="fixed")
    actions.apportion_conference(conference=planned, by="test")
    planned.refresh_from_db()
    assert planned.ties[0]["units"] and planned.ties[0]["decided_by"] == "lot"
    assert sum(row.seats for row in selectors.allocations_of(planned)) == 1


def test_call_freezes_and_tells_each_unit_its_seats(units):
    planned = conference(units["federation"], starts_on=dt.date(2024, 9, 1), place="Union Hall")
    actions.call_conference(conference=planned, by="test")
    planned.refresh_from_db()
    assert planned.status == Conference.Status.CALLED and planned.called_at is not None
    mailing = Mailing.objects.get(source=f"conferences.call:{planned.pk}")
    # The secretaries of Elm House and Oak Court, each with their unit's edition.
    deliveries = {row.person.name: row.variant for row in Delivery.objects.filter(mailing=mailing)}
    elm_secretary = units["elm"].posts.get(post="secretary").person
    assert deliveries[elm_secretary.name] == units["elm"].pk
    assert len(deliveries) == 2
    text, _html = mailing.parts_for(units["elm"].pk)
    assert "Elm House elects 4 delegates" in text and "7 members counted on 2024-06-01" in text
    assert "2024-09-01, Union Hall" in text
    page = f"/o/{planned.organization.slug}/u/{units['elm'].slug}/conferences/{planned.pk}/delegation/"
    assert f"Record the delegation it elects: {settings.GRASSROOTS_BASE_URL.rstrip('/')}{page}\n" in text
    with pytest.raises(ActionRefused, match="only a planned one is apportioned") as refused:
        actions.apportion_conference(conference=planned, by="test")
    assert refused.value.field == "status"
    with pytest.raises(ActionRefused, match="only a planned one is called"):
        actions.call_conference(conference=planned, by="test")


def test_call_refuses_an_apportionment_the_records_no_longer_give(org, units):
    planned = conference(units["federation"])
    actions.apportion_conference(conference=planned, by="test")
    # A membership recorded late, dated before the cut-off, changes the input.
    builders.members(org, units["oak"], 1)
    with pytest.raises(ActionRefused, match="apportion it again") as refused:
        actions.call_conference(conference=planned, by="test")
    assert refused.value.field == "apportionment"
    planned.refresh_from_db()
    assert planned.status == "planned" and not Mailing.objects.exists()


def test_status_steps_forward_one_at_a_time(units):
    planned = conference(units["federation"])
    with pytest.raises(ActionRefused, match="nothing follows|only"):
        actions.set_conference_status(conference=planned, status="credentialing", by="test")
    actions.call_conference(conference=planned, by="test")
    with pytest.raises(ActionRefused, match="only credentialing follows"):
        actions.set_conference_status(conference=planned, status="closed", by="test")
    for status in ("credentialing", "in_session", "closed"):
        actions.set_conference_status(conference=planned, status=status, by="test")
    planned.refresh_from_db()
    assert planned.status == "closed" and planned.credentialing_at and planned.in_session_at and planned.closed_at
    with pytest.raises(ActionRefused, match="is closed; nothing follows"):
        actions.set_conference_status(conference=planned, status="closed", by="test")
    with pytest.raises(ActionRefused, match="'adjourned' is not one of"):
        actions.set_conference_status(conference=planned, status="adjourned", by="test")


@pytest.mark.parametrize(
    ("options", "field", "message"),
    [
        ({"method": "lottery"}, "method", "unknown method 'lottery'"),
        ({"seats": None}, "seats", "seats: required"),
        ({"seats": 0}, "seats", "seats: must be at least 1"),
        ({"minimum": 3, "maximum": 2}, "minimum", "more than the maximum"),
        ({"per": 10}, "per", "per: does not apply to the method dhondt"),
        ({"method": "per", "seats": None}, "per", "per: required"),
        ({"method": "per", "seats": None, "per": 10, "rounding": "up"}, "rounding", "unknown rounding 'up'"),
        ({"method": "brackets", "seats": None, "brackets": "lots"}, "brackets", "brackets line 1"),
        ({"method": "brackets", "seats": None}, "brackets", "brackets: give at least one bracket line"),
        ({"statuses": ["honorary"]}, "statuses", "'honorary' is not a member status"),
        ({"minimum_tenure_days": -1}, "minimum_tenure_days", "not a whole number"),
        ({"starts_on": dt.date(2024, 5, 1)}, "cutoff", "after the conference starts"),
        ({"starts_on": dt.date(2024, 9, 2), "ends_on": dt.date(2024, 9, 1)}, "ends_on", "before the start"),
    ],
)
def test_bad_parameters_are_refused_naming_the_field(units, options, field, message):
    with pytest.raises(ActionRefused, match=message) as refused:
        conference(units["federation"], **options)
    assert refused.value.field == field
    assert not Conference.objects.exists()


def test_a_basic_unit_convenes_no_conference(units):
    with pytest.raises(ActionRefused, match="Elm House is a basic unit") as refused:
        conference(units["elm"])
    assert refused.value.field == "unit"


def test_a_name_is_required(units):
    with pytest.raises(ActionRefused, match="name: required"):
        actions.add_conference(unit=units["north"], name=" ", cutoff=CUTOFF, by="test", method="dhondt", seats=3)


def test_a_subtree_with_no_founded_unit_on_the_cutoff_date_is_refused(units):
    planned = conference(units["south"])
    with pytest.raises(ActionRefused, match="no basic unit under South was founded on 2024-06-01") as refused:
        actions.apportion_conference(conference=planned, by="test")
    assert refused.value.field == "units"


def test_engine_refusals_name_the_field(units):
    planned = conference(units["federation"], seats=1, minimum=1)
    with pytest.raises(ActionRefused, match="fewer than the minimums") as refused:
        actions.apportion_conference(conference=planned, by="test")
    assert refused.value.field == "seats"
    assert not Allocation.objects.exists()


def test_an_officer_of_a_unit_below_may_not_convene_or_apportion(org, units):
    from grassroots.access import OutOfScope

    secretary = builders.account(org, "sec@example.org", person=units["oak"].posts.get(post="secretary").person)
    with pytest.raises(OutOfScope):
        actions.add_conference(unit=units["north"], name="N", cutoff=CUTOFF, by=secretary, method="dhondt", seats=2)
    planned = conference(units["north"])
    with pytest.raises(OutOfScope):
        actions.apportion_conference(conference=planned, by=secretary)
    assert not Allocation.objects.exists()


def test_a_conference_may_seat_districts_instead_of_basic_units(org, units):
    """Delegations per district: North counts every member under it on the cut-off date (Elm
    House 7 and Oak Court 3); South was constituted by no one, so it sends none."""
    from grassroots.organizations.models import UnitEvent, UnitState

    UnitEvent.objects.create(unit=units["north"], kind="founded", on=dt.date(2024, 3, 1), state=UnitState.FOUNDED,
                             parent=units["federation"], name="North")  # fmt: skip
    planned = conference(units["federation"], delegation_kind="District", seats=4)
    assert planned.delegation_kind == "district"
    assert [unit.slug for unit in selectors.delegation_units(planned)] == ["north"]
    result = actions.apportion_conference(conference=planned, by="test")
    assert result.seats_by_unit == {"north": 4}
    assert [(row.unit.slug, row.members) for row in selectors.allocations_of(planned)] == [("north", 10)]
    south = conference(units["federation"], delegation_kind="district")
    UnitEvent.objects.filter(unit=units["north"], kind="founded").delete()
    with pytest.raises(ActionRefused, match="units: no district under Federation was founded on 2024-06-01"):
        actions.apportion_conference(conference=south, by="test")


def test_the_delegation_kind_must_be_a_kind_below(units):
    with pytest.raises(ActionRefused, match="'parish' is not a kind of unit below North") as refused:
        conference(units["north"], delegation_kind="parish")
    assert refused.value.field == "delegation_kind"
    with pytest.raises(ActionRefused, match="'district' is not a kind of unit below North"):
        conference(units["north"], delegation_kind="district")
    # A kind above the convening unit is none below it, whatever the constitution has.
    with pytest.raises(ActionRefused) as above:
        conference(units["north"], delegation_kind="federation")
    assert above.value.message == (
        "delegation_kind: 'federation' is not a kind of unit below North (building_committee)"
    )


def test_a_conference_called_meanwhile_is_not_apportioned_again(units):
    planned = conference(units["federation"])
    stale = Conference.objects.get(pk=planned.pk)
    actions.call_conference(conference=planned, by="test")
    with pytest.raises(ActionRefused, match="is called; only a planned one is apportioned"):
        actions.apportion_conference(conference=stale, by="test")
    assert AuditRecord.objects.filter(action="conferences.apportion").count() == 0


def test_with_standing_only_members_in_good_standing_on_the_cutoff_count(org, units):
    """The tenants' federation's rule: attended at least 3 meetings in the 12 months before. Elm
    House holds three meetings before the cut-off, where 4 of its 7 members counted were present
    at all three and one at two; a fourth meeting after the cut-off changes nothing. Oak Court
    met never: none of its members counts."""
    from grassroots.meetings import actions as meetings

    elm = units["elm"]
    counted = [m.person for m in elm.memberships.filter(start__lte=CUTOFF, end__isnull=True, status="member")]
    regulars, occasional = counted[:4], counted[4]
    days = [dt.date(2024, 2, 10), dt.date(2024, 4, 10), dt.date(2024, 5, 31), dt.date(2024, 6, 2)]
    for number, day in enumerate(days):
        start = dt.datetime.combine(day, dt.time(19))
        meeting = meetings.schedule_meeting(unit=elm, title=f"Meeting {number}", start=start, by="test")
        present = regulars + ([occasional] if number in (0, 3) else [])
        meetings.record_attendance(meeting=meeting, people=present, by="test")
        meetings.mark_held(meeting=meeting, by="test")
    everyone = conference(units["federation"])
    in_standing = conference(units["federation"], standing=True)
    assert selectors.members_at_cutoff(everyone) == {elm.pk: 7, units["oak"].pk: 3}
    assert selectors.members_at_cutoff(in_standing) == {elm.pk: 4}
    assert actions.apportion_conference(conference=in_standing, by="test").seats_by_unit == {
        "elm-house": 5,
        "oak-court": 0,
    }


def test_standing_needs_the_constitutions_rule(org, units):
    constitution = org.constitution
    assert constitution.meetings.standing is not None
    org.constitution_yaml = org.constitution_yaml.replace("standing: {attended_at_least: 3, in_months: 12}", "")
    org.save(update_fields=["constitution_yaml"])
    org.refresh_from_db()
    federation = type(units["federation"]).objects.get(pk=units["federation"].pk)
    with pytest.raises(ActionRefused, match="standing: the constitution has no standing rule") as refused:
        conference(federation, standing=True)
    assert refused.value.field == "standing"
