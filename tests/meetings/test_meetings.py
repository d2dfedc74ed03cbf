"""Meetings through their actions: scheduling in the unit's zone, attendance, quorum, minutes, standing."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from grassroots.access import Operator
from grassroots.audit.models import AuditRecord
from grassroots.errors import ActionRefused
from grassroots.meetings import actions
from grassroots.meetings.models import Meeting
from grassroots.meetings.selectors import (
    meetings_of_unit,
    members_in_good_standing,
    open_items_before,
    standing_in,
    standing_of,
)
from tests.support import builders

pytestmark = pytest.mark.django_db
BY = builders.BY
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def org():
    return builders.organization()


@pytest.fixture
def elm(org):
    tree = builders.federation(org)
    return tree["elm"]


def _local(days: int, hour: int = 19) -> dt.datetime:
    """A wall-clock time `days` from today in the organization's zone (UTC here)."""
    day = timezone.localdate() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, 0))


def _held(unit, days_ago: int, present, **extra) -> Meeting:
    meeting = actions.schedule_meeting(unit=unit, title="Monthly", start=_local(-days_ago), by=BY, **extra)
    actions.record_attendance(meeting=meeting, people=present, by=BY)
    return actions.mark_held(meeting=meeting, by=BY)


def test_a_meeting_starts_in_the_units_zone_and_invites_its_members(org, elm):
    elm.time_zone = "Europe/Berlin"
    elm.save()
    meeting = actions.schedule_meeting(unit=elm, title="January", start=dt.datetime(2027, 1, 12, 19, 0), by=BY)
    assert meeting.start == dt.datetime(2027, 1, 12, 18, 0, tzinfo=dt.UTC)
    assert (meeting.time_zone, meeting.status, meeting.sequence) == ("Europe/Berlin", "planned", 0)
    invited = meeting.attendance.filter(status="invited").count()
    assert invited == 3  # the committee's three founding members
    summer = actions.schedule_meeting(unit=elm, title="June", start=dt.datetime(2027, 6, 8, 19, 0), by=BY)
    assert summer.start == dt.datetime(2027, 6, 8, 17, 0, tzinfo=dt.UTC)
    record = AuditRecord.objects.get(action="meeting.add", target_id=str(meeting.pk))
    assert record.changes["start"] == [None, "2027-01-12T19:00:00+01:00"]


def test_a_start_the_clock_change_skips_is_refused(elm):
    with pytest.raises(ActionRefused, match=r"2027-03-28 02:30 does not exist in Europe/Berlin"):
        actions.schedule_meeting(
            unit=elm, title="Night", start=dt.datetime(2027, 3, 28, 2, 30), time_zone="Europe/Berlin", by=BY
        )
    assert not Meeting.objects.filter(title="Night").exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("kind", "party", "kind: 'party' is not a meeting kind here"),
        ("time_zone", "Mars/Olympus", "time_zone: 'Mars/Olympus' is not an IANA time zone"),
        ("duration", 0, "duration: 0 minutes is not between 1 and 1440"),
        ("online_link", "javascript:alert(1)", "online_link: give a web address starting with https://"),
    ],
)
def test_bad_meeting_details_are_named(elm, field, value, message):
    with pytest.raises(ActionRefused, match=message):
        actions.schedule_meeting(unit=elm, title="Bad", start=_local(3), by=BY, **{field: value})
    assert not Meeting.objects.filter(title="Bad").exists()


def test_a_kind_the_constitution_adds_is_accepted(elm):
    meeting = actions.schedule_meeting(unit=elm, title="", start=_local(3), kind="assembly", by=BY)
    assert (meeting.kind, meeting.title, meeting.kind_label) == ("assembly", "Tenants' assembly", "Tenants' assembly")


def test_rescheduling_raises_the_sequence_and_a_title_alone_does_not(elm):
    meeting = actions.schedule_meeting(unit=elm, title="Monthly", start=_local(5), by=BY)
    meeting = actions.reschedule_meeting(meeting=meeting, title="Monthly meeting", by=BY)
    assert meeting.sequence == 0
    meeting = actions.reschedule_meeting(meeting=meeting, start=_local(6), place="Laundry room", by=BY)
    assert (meeting.sequence, meeting.place, meeting.on) == (1, "Laundry room", timezone.localdate() + dt.timedelta(6))
    meeting = actions.cancel_meeting(meeting=meeting, by=BY)
    assert (meeting.status, meeting.sequence) == ("cancelled", 2)
    with pytest.raises(ActionRefused, match="no attendance is recorded"):
        actions.record_attendance(meeting=meeting, people=[], by=BY)


def test_attendance_one_row_per_person_and_guests_stay_guests(org, elm):
    members = [m.person for m in elm.memberships.filter(end=None)]
    (guest,) = builders.members(org, elm, 1, status="supporter")
    meeting = actions.schedule_meeting(unit=elm, title="Monthly", start=_local(0, hour=0), by=BY)
    # Someone who is neither on the meeting's list nor in its unit: refused, nothing recorded.
    stranger = builders.person(org, "Stranger")
    with pytest.raises(ActionRefused, match=rf"person: {stranger.pk} neither on this meeting's list nor a member"):
        actions.record_attendance(meeting=meeting, people=[members[0], stranger], by=BY)
    assert not meeting.attendance.filter(status="present").exists()
    actions.record_attendance(meeting=meeting, people=[members[0], guest], by=BY)
    again = actions.record_attendance(meeting=meeting, people=[members[0]], by=BY)
    assert again == []
    rows = {row.person_id: row for row in meeting.attendance.all()}
    assert len(rows) == 4
    assert (rows[members[0].pk].status, rows[members[0].pk].method) == ("present", "paper")
    assert rows[guest.pk].guest is True
    assert list(guest.memberships.values_list("status", flat=True)) == ["supporter"]
    assert AuditRecord.objects.filter(action="meeting.attend", target_id=str(meeting.pk)).count() == 1
    held = actions.mark_held(meeting=meeting, by=BY)
    statuses = sorted(held.attendance.values_list("status", flat=True))
    assert statuses == ["absent", "absent", "present", "present"]
    listed = meetings_of_unit(Operator("t"), elm).get(pk=meeting.pk)
    assert (listed.present, listed.expected) == (2, 4)


def test_attendance_is_not_recorded_before_check_in_opens(elm):
    members = [m.person for m in elm.memberships.filter(end=None)]
    meeting = actions.schedule_meeting(unit=elm, title="Later", start=_local(2), by=BY)
    with pytest.raises(ActionRefused, match="attendance opens two hours before"):
        actions.record_attendance(meeting=meeting, people=members, by=BY)
    assert meeting.attendance.filter(status="present").count() == 0


def test_a_decision_stores_its_quorum_and_is_flagged_without_it(org, elm):
    """The tenants' federation asks half the members in good standing, and at least 3."""
    members = [m.person for m in elm.memberships.filter(end=None)]
    meeting = actions.schedule_meeting(unit=elm, title="Monthly", start=_local(0, hour=0), by=BY)
    actions.record_attendance(meeting=meeting, people=members[:2], by=BY)
    short = actions.record_decision(meeting=meeting, text="Paint the hall", outcome="carried", yes=2, by=BY)
    assert (short.present, short.required, short.quorate) == (2, 3, False)
    actions.record_attendance(meeting=meeting, people=members[2:], by=BY)
    full = actions.record_decision(meeting=meeting, text="Fix the lift", outcome="carried", by=BY)
    assert (full.present, full.required, full.quorate) == (3, 3, True)
    with pytest.raises(ActionRefused, match=r"outcome: 'maybe' is not one of carried, failed, deferred"):
        actions.record_decision(meeting=meeting, text="x", outcome="maybe", by=BY)


def test_minutes_are_versioned_and_approved_by_a_later_meeting(elm):
    members = [m.person for m in elm.memberships.filter(end=None)]
    first = _held(elm, 40, members)
    actions.write_minutes(meeting=first, text="Draft one", by=BY)
    latest = actions.write_minutes(meeting=first, text="Draft two", by=BY)
    assert latest.version == 2
    same_day = actions.record_decision(meeting=first, text="Approve", outcome="carried", by=BY)
    with pytest.raises(ActionRefused, match="a later meeting of the same unit"):
        actions.approve_minutes(minutes=latest, decision=same_day, by=BY)
    second = _held(elm, 10, members)
    decision = actions.record_decision(meeting=second, text="Minutes approved", outcome="carried", by=BY)
    actions.approve_minutes(minutes=latest, decision=decision, by=BY)
    first.refresh_from_db()
    assert (first.status, first.minutes_versions.get(version=2).status) == ("approved", "approved")


def test_open_agenda_items_are_offered_next_time(elm):
    members = [m.person for m in elm.memberships.filter(end=None)]
    meeting = actions.schedule_meeting(unit=elm, title="Monthly", start=_local(-3), by=BY)
    rent = actions.add_agenda_item(meeting=meeting, title="Rent increase", by=BY)
    actions.add_agenda_item(meeting=meeting, title="Letter to the landlord", parent=rent, by=BY)
    lift = actions.add_agenda_item(meeting=meeting, title="Lift", by=BY)
    actions.close_agenda_item(item=lift, by=BY)
    actions.record_attendance(meeting=meeting, people=members, by=BY)
    actions.mark_held(meeting=meeting, by=BY)
    nxt = actions.schedule_meeting(unit=elm, title="Next", start=_local(20), by=BY)
    assert [item.title for item in open_items_before(nxt)] == ["Rent increase"]
    with pytest.raises(ActionRefused, match="one level|same meeting"):
        sub = rent.sub_items.get()
        actions.add_agenda_item(meeting=meeting, title="Too deep", parent=sub, by=BY)


def test_standing_counts_meetings_attended_in_the_window(org, elm):
    """Standing: at least 3 meetings attended in the 12 months before the day."""
    members = [m.person for m in elm.memberships.filter(end=None)]
    for days_ago in (400, 200, 100, 30):
        _held(elm, days_ago, members[:2] if days_ago != 30 else members[:1])
    today = timezone.localdate()
    first = standing_of(members[0], on=today)
    assert (first.attended, first.required, first.in_good_standing) == (3, 3, True)
    second = standing_of(members[1], on=today)
    assert (second.attended, second.in_good_standing) == (2, False)
    year_ago = standing_of(members[0], on=today - dt.timedelta(days=150))
    assert year_ago.attended == 2  # the meetings 400 and 200 days ago
    assert members_in_good_standing(elm, on=today) == 1
    # The third founding member was at the founding meeting only, years ago.
    assert standing_of(members[2], on=today).as_dict()["attended"] == 0
    # The same for a whole subtree at once: every member with their standing.
    whole = standing_in(BY, elm, on=today)
    assert {pk: (s.attended, s.in_good_standing) for pk, s in whole.items()} == {
        members[0].pk: (3, True),
        members[1].pk: (2, False),
        members[2].pk: (0, False),
    }
    # From the parent: its other building committees' members too (who attended nothing).
    wider = standing_in(BY, elm.parent, on=today)
    assert wider[members[0].pk].in_good_standing and len(wider) > 3
    assert sum(s.in_good_standing for s in wider.values()) == 1


def test_attendance_of_someone_outside_the_actors_scope_is_refused(org, elm):
    from grassroots.accounts.actions import create_account

    tree_south = builders.unit(org, "district", "Far South", elm.parent.parent)
    outsider = builders.members(org, builders.founded_basic_unit(org, "Far House", tree_south), 1)[0]
    secretary = elm.posts.get(post="secretary", end=None).person
    user = create_account(email="sec@example.org", organization=org, person=secretary, by=BY).user
    meeting = actions.schedule_meeting(unit=elm, title="Monthly", start=_local(0, hour=0), by=user)
    with pytest.raises(ActionRefused, match=f"no person {outsider.pk} in {org.slug}"):
        actions.record_attendance(meeting=meeting, people=[outsider], by=user)
    assert not meeting.attendance.filter(person=outsider).exists()
