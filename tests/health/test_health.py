"""Unit health from the records, with the issue's known values: attendance over the window's
held meetings, retention and growth from dated memberships, posts held, a past day as it was;
read by the command line and the API in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from grassroots.accounts.actions import create_api_token
from grassroots.cli import main
from grassroots.constitution import load_constitution_text
from grassroots.errors import ActionRefused
from grassroots.health.selectors import health_of, health_of_units
from grassroots.meetings import actions as meetings
from grassroots.meetings.models import Attendance
from grassroots.organizations import actions as units
from grassroots.organizations.models import Unit
from grassroots.organizations.selectors import readiness_of
from grassroots.people import actions as people
from tests.support import builders

pytestmark = pytest.mark.django_db
BY = "test"
# The tenants' federation with no standing rule: every member counts as in good standing.
NO_STANDING = load_constitution_text("tenants_federation").replace(
    "  standing: {attended_at_least: 3, in_months: 12}\n", ""
)
MEETING_DAYS = (dt.date(2024, 2, 13), dt.date(2024, 3, 12), dt.date(2024, 4, 9))
ON = dt.date(2024, 4, 30)


def organization(text: str = NO_STANDING, slug: str = "riverside"):
    return units.create_organization(slug=slug, name=slug.title(), constitution_yaml=text, by=BY)


def held_meeting(unit: Unit, day: dt.date, present: list, *, absent: list = ()):
    meeting = meetings.schedule_meeting(
        unit=unit, title=f"Meeting {day:%d %b}", start=dt.datetime.combine(day, dt.time(19, 0)), by=BY
    )
    if present:
        meetings.record_attendance(meeting=meeting, people=present, by=BY)
    if absent:
        meetings.record_attendance(meeting=meeting, people=list(absent), by=BY, status=Attendance.Status.ABSENT)
    return meetings.mark_held(meeting=meeting, by=BY)


@pytest.fixture
def committee():
    """Elm House, founded on 2024-01-31 with 3 founders and a secretary, and 17 more members
    (20 in all, from 2024-01-01); three meetings held with 12, 10 and 8 of them present."""
    org = organization()
    district = builders.unit(org, "district", "North", builders.unit(org, "federation", "Federation"))
    elm = builders.founded_basic_unit(org, "Elm House", district)
    members = [membership.person for membership in elm.memberships.order_by("pk")]
    members += builders.members(org, elm, 17)
    held = [held_meeting(elm, day, members[:count]) for day, count in zip(MEETING_DAYS, (12, 10, 8), strict=True)]
    return {"org": org, "district": district, "elm": elm, "members": members, "meetings": held}


def result_of(health, name: str):
    (found,) = [result for result in health.results if result.indicator == name]
    return found


def test_12_10_and_8_of_20_present_is_an_attendance_rate_of_50_percent(committee):
    health = health_of(BY, committee["elm"], on=ON)
    attendance = result_of(health, "attendance_rate")
    assert attendance.value == 0.5 and attendance.passed is True
    assert attendance.actual == "30 present of 60 members in good standing at 3 meetings: 50.0 %"
    assert [(m.on, m.present, m.members) for m in attendance.meetings] == [
        (dt.date(2024, 2, 13), 12, 20),
        (dt.date(2024, 3, 12), 10, 20),
        (dt.date(2024, 4, 9), 8, 20),
    ]
    held = result_of(health, "meetings_held")
    assert (held.value, held.passed) == (3, True)  # the founding meeting of 2024-01-31 is outside the 90 days
    officers = result_of(health, "officers_filled")
    assert officers.passed is True and officers.actual.startswith("secretary: ")
    assert health.consolidated
    # No members a year before: no retention (growth is +20); coverage: 1 secretary of 20 is 5 %.
    assert [r.indicator for r in health.failed] == ["retention", "coverage"]
    assert result_of(health, "net_growth").value == 20
    assert result_of(health, "coverage").actual == "1 of 20 members hold a post: 5.0 %"
    # Weights 2 + 2 + 1 + 1 (growth) of 8: tier 4.
    assert health.score == 0.75 and health.tier == 4 and health.tier_label == "Steady"


def test_with_7_instead_of_8_it_is_48_3_percent_and_the_committee_is_not_consolidated(committee):
    meetings.record_attendance(
        meeting=committee["meetings"][2], people=[committee["members"][7]], by=BY, status=Attendance.Status.ABSENT
    )
    health = health_of(BY, committee["elm"], on=ON)
    attendance = result_of(health, "attendance_rate")
    assert attendance.as_dict()["value"] == 0.4833 and attendance.passed is False
    assert attendance.actual.endswith("29 present of 60 members in good standing at 3 meetings: 48.3 %")
    assert attendance.missing == "48.3 %, at least 50.0 % needed"
    assert not health.consolidated


def test_a_past_day_gives_what_was_true_then(committee):
    elm, members = committee["elm"], committee["members"]
    # Later: a newcomer joins (not counted before), the secretary's post ends.
    newcomer = builders.person(committee["org"], "New Comer")
    people.join_unit(person=newcomer, unit=elm, by=BY, on=dt.date(2024, 3, 20), status="member")
    units.end_post(holding=elm.posts.get(post="secretary"), by=BY, on=dt.date(2024, 4, 20))
    then = health_of(BY, elm, on=dt.date(2024, 3, 1))
    # The founding meeting of 2024-01-31 (its 3 founders present) and the one of 13 February.
    assert result_of(then, "meetings_held").value == 2
    assert result_of(then, "attendance_rate").value == pytest.approx((3 + 12) / 40)
    assert result_of(then, "officers_filled").passed is True
    now = health_of(BY, elm, on=ON)
    assert result_of(now, "officers_filled").passed is False
    assert result_of(now, "officers_filled").missing == "0.0 %, at least 100.0 % needed"
    # The April meeting had 21 members (the newcomer joined on 20 March): 30 of 61.
    assert result_of(now, "attendance_rate").meetings[2].members == 21
    assert len(members) == 20


def test_retention_of_34_of_40_is_85_percent_and_net_growth_plus_4():
    org = organization()
    district = builders.unit(org, "district", "North", builders.unit(org, "federation", "Federation"))
    elm = builders.unit(org, "building_committee", "Elm House", district, state="preparing")
    oak = builders.unit(org, "building_committee", "Oak Court", district, state="preparing")
    forty = []
    for number in range(40):
        person = builders.person(org, f"Member {number:02}")
        people.join_unit(person=person, unit=elm, by=BY, on=dt.date(2024, 6, 1), status="member")
        forty.append(person)
    left = dt.date(2025, 6, 1)
    people.end_membership(person=forty[0], by=BY, on=left, status="resigned")
    people.end_membership(person=forty[1], by=BY, on=left, status="resigned")
    people.transfer_member(person=forty[2], to_unit=oak, by=BY, on=left)  # left Elm House, still a member
    for person in forty[3:6]:
        people.change_status(person=person, status="lapsed", by=BY, on=left)  # lapsed is not counted
    for number in range(10):
        newcomer = builders.person(org, f"Newcomer {number}")
        people.join_unit(person=newcomer, unit=elm, by=BY, on=dt.date(2025, 9, 1), status="member")

    health = health_of(BY, elm, on=dt.date(2026, 1, 1))
    retention = result_of(health, "retention")
    assert (retention.value, retention.passed) == (0.85, True)
    assert retention.actual == "34 of 40 members on 2025-01-01 still members: 85.0 %"
    assert sorted(person.name for person in retention.members) == [f"Member {n:02}" for n in range(6)]
    growth = result_of(health, "net_growth")
    assert (growth.value, growth.passed) == (4, True)
    # The district counts its whole subtree: the one transferred to Oak Court stays in it.
    district_health = health_of(BY, district, on=dt.date(2026, 1, 1))
    assert result_of(district_health, "net_growth").value == 5
    # Before the departures, everyone was still there.
    before = health_of(BY, elm, on=dt.date(2025, 5, 31))
    assert result_of(before, "net_growth").value == 40  # none a year before (2024-05-31)
    assert result_of(before, "retention").value is None


def test_good_standing_follows_the_constitutions_rule_on_each_meetings_day():
    """With the template's rule (3 meetings attended in the 12 months before), only those who
    attended 3 meetings by that day are in good standing at it."""
    org = organization(load_constitution_text("tenants_federation"), slug="standing")
    district = builders.unit(org, "district", "North", builders.unit(org, "federation", "Federation"))
    elm = builders.unit(org, "building_committee", "Elm House", district, state="preparing")
    regulars = builders.members(org, elm, 4)
    rare = builders.members(org, elm, 2)
    days = [dt.date(2024, 2, 6), dt.date(2024, 2, 20), dt.date(2024, 3, 5), dt.date(2024, 3, 19)]
    for day in days[:3]:
        held_meeting(elm, day, regulars)
    held_meeting(elm, days[3], regulars[:2] + rare)
    attendance = result_of(health_of(BY, elm, on=dt.date(2024, 3, 31)), "attendance_rate")
    # Good standing counts the meeting of the day itself: at the third, the 4 regulars have 3.
    assert [(m.present, m.members) for m in attendance.meetings] == [(0, 0), (0, 0), (4, 4), (2, 4)]
    assert attendance.value == pytest.approx(6 / 8)


def test_a_unit_with_no_members_under_a_standing_rule_has_its_health_with_nothing_counted():
    """Nobody to look up for good standing: no meeting's attendance is read, and the unit is not consolidated."""
    org = organization(load_constitution_text("tenants_federation"), slug="empty")
    district = builders.unit(org, "district", "North", builders.unit(org, "federation", "Federation"))
    empty = builders.unit(org, "building_committee", "Empty House", district, state="preparing")
    health = health_of(BY, empty, on=dt.date(2024, 3, 31))
    assert not health.consolidated
    assert result_of(health, "attendance_rate").meetings == ()


def test_coverage_and_posts_of_a_union_committee():
    org = organization(load_constitution_text("union"), slug="union")
    local = builders.unit(org, "local", "Local 1", builders.unit(org, "national", "National"))
    plant = builders.unit(org, "workplace_committee", "Plant", local, state="preparing")
    crew = builders.members(org, plant, 10)
    units.assign_post(unit=plant, person=crew[0], post="steward", by=BY, on=dt.date(2024, 2, 1))
    health = health_of(BY, plant, on=dt.date(2024, 3, 1))
    coverage = result_of(health, "coverage")
    assert (coverage.value, coverage.passed) == (0.1, True)
    assert coverage.actual == "1 of 10 members hold a post: 10.0 %"
    assert [person.id for person in coverage.members] == [crew[0].pk]


def test_many_units_in_a_fixed_number_of_queries(committee, django_assert_max_num_queries):
    org, district = committee["org"], committee["district"]
    others = [builders.founded_basic_unit(org, f"Committee {n}", district) for n in range(3)]
    for other in others:
        held_meeting(other, MEETING_DAYS[2], [m.person for m in other.memberships.all()][:2])
    every = [committee["elm"], *others, district]
    for unit in every:
        unit.organization = org
    with django_assert_max_num_queries(7):
        health = health_of_units(every, on=ON)
    assert [result_of(health[other.pk], "attendance_rate").value for other in others] == [2 / 3] * 3
    assert result_of(health[district.pk], "meetings_held").value == 0


def test_a_district_needs_consolidated_committees_to_be_constituted(committee):
    # The template's district: 3 founded building committees, 2 of them consolidated.
    org = committee["org"]
    district = Unit.objects.get(pk=committee["district"].pk)
    secretary = builders.district_ready_to_constitute(org, district)
    units.assign_post(unit=district, person=secretary, post="secretary", by=BY, on=dt.date(2024, 5, 1))
    readiness = readiness_of(BY, district)
    (rule,) = [result for result in readiness.results if result.rule.startswith("consolidated_children")]
    # Two of its committees held 3 meetings in the last 90 days, everyone present: consolidated today.
    assert rule.passed and rule.actual == "2 consolidated of 3 founded"
    # On 2024-06-01 none was: Elm House held 2 meetings in the 90 days before (12 March, 9 April).
    with pytest.raises(ActionRefused, match="Consolidated building committees") as refused:
        units.found_unit(unit=district, by=BY, on=dt.date(2024, 6, 1))
    assert "needs at least 2 consolidated building committees, has 0 consolidated of 3 founded" in str(refused.value)
    assert units.found_unit(unit=district, by=BY).state == "founded"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_command_line_prints_the_health_as_json_and_as_a_table(committee, capsys):
    code, out, _err = run(capsys, "unit", "health", "riverside", "elm-house", "--as-of", "2024-04-30", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["unit"] == "elm-house" and data["on"] == "2024-04-30"
    assert data["consolidated"] is True and data["tier"] == 4
    attendance = next(row for row in data["indicators"] if row["indicator"] == "attendance_rate")
    assert (attendance["value"], attendance["threshold"], attendance["passed"], attendance["window_days"]) == (
        0.5,
        0.5,
        True,
        90,
    )
    code, out, _err = run(capsys, "unit", "health", "riverside", "elm-house", "--on", "2024-04-30")
    assert code == 0
    assert "Elm House (building committee) on 2024-04-30: consolidated, tier 4 (Steady)" in out
    assert "48.3" not in out and "50.0 %" in out
    code, _out, err = run(capsys, "unit", "health", "riverside", "elm-house", "--as-of", "30/04/2024")
    assert code != 0 and "--as-of" in err


def api_get(user, path: str, **params):
    _record, token = create_api_token(user=user, organization=user.accounts.get().organization, by=BY)
    return Client().get(f"/api{path}", params, headers={"Authorization": f"Bearer {token}"})


def test_the_api_reads_the_health_in_scope_only(committee, django_assert_max_num_queries):
    org, elm = committee["org"], committee["elm"]
    staff = builders.account(org, "staff@example.org", is_admin=True)
    response = api_get(staff, "/orgs/riverside/units/elm-house/health", as_of="2024-04-30")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["consolidated"] is True and data["on"] == "2024-04-30"
    attendance = next(row for row in data["indicators"] if row["indicator"] == "attendance_rate")
    assert attendance["value"] == 0.5 and [m["present"] for m in attendance["meetings"]] == [12, 10, 8]
    held = next(row for row in data["indicators"] if row["indicator"] == "meetings_held")
    assert (held["value"], held["threshold"], held["window_days"]) == (3, 3, 90)
    assert json.dumps(held["threshold"]) == "3"
    officers = next(row for row in data["indicators"] if row["indicator"] == "officers_filled")
    assert officers["members"][0]["note"] == "secretary"
    assert api_get(staff, "/orgs/riverside/units/elm-house/health", as_of="yesterday").status_code == 422

    # A member of Elm House sees its health (counts), but not who is behind the figures.
    member = builders.account(org, "member@example.org", person=committee["members"][5])
    data = api_get(member, "/orgs/riverside/units/elm-house/health", as_of="2024-04-30").json()
    assert all(row["members"] == [] for row in data["indicators"])
    assert next(row for row in data["indicators"] if row["indicator"] == "attendance_rate")["value"] == 0.5
    # The secretary of another committee does not see Elm House at all.
    oak = builders.founded_basic_unit(org, "Oak Court", committee["district"])
    outsider = builders.account(org, "oak@example.org", person=oak.posts.get(post="secretary").person)
    assert api_get(outsider, "/orgs/riverside/units/elm-house/health").status_code == 404
    assert elm.pk
