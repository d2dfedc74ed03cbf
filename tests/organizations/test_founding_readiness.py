"""Property test: readiness and the founding gate are one evaluation. For any unit that may be
founded, readiness says it is ready to found exactly when founding it succeeds, and once founded
its readiness says every rule holds."""

import datetime as dt
import itertools

from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from grassroots.constitution import load_constitution_text
from grassroots.errors import ActionRefused
from grassroots.meetings import actions as meetings
from grassroots.organizations import actions as units
from grassroots.organizations.selectors import readiness_of
from grassroots.people import actions as people
from tests.support import builders

BY = "test"
ON = builders.START + dt.timedelta(days=60)
# Few names, so founders often share one: two people with the same name are two founders.
NAMES = st.sampled_from(["Ann Lee", "Bo Chan", "Cy Diaz"])
STATUSES = st.sampled_from(["supporter", "candidate", "member"])
PROPERTY = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def founding_succeeds(unit, on=ON) -> bool:
    try:
        units.found_unit(unit=unit, by=BY, on=on)
    except ActionRefused:
        return False
    return True


def check(unit, on=ON) -> None:
    """Readiness (today) says ready to found exactly when founding on `on` succeeds."""
    ready = readiness_of(BY, unit).ready_to_found
    assert founding_succeeds(unit, on) is ready
    unit.refresh_from_db()
    assert (unit.state == "founded") is ready
    if ready:
        assert readiness_of(BY, unit).ready


@PROPERTY
@given(members=st.lists(st.tuples(NAMES, STATUSES), max_size=5), secretary=st.booleans())
def test_a_basic_unit_is_ready_exactly_when_it_can_be_founded(db, members, secretary):
    org = builders.organization()
    district = builders.unit(org, "district", "North", builders.unit(org, "federation", "Federation"))
    unit = builders.unit(org, "building_committee", "Elm House", district, state="preparing")
    joined = []
    for name, status in members:
        person = builders.person(org, name)
        people.join_unit(person=person, unit=unit, by=BY, on=builders.START, status=status)
        joined.append(person)
    if secretary and joined:
        units.assign_post(unit=unit, person=joined[0], post="secretary", by=BY, on=builders.START)
    check(unit)


@PROPERTY
@given(
    children=st.lists(st.sampled_from(["planned", "preparing", "founded"]), max_size=4),
    secretary=st.booleans(),
    members=st.integers(0, 3),
)
def test_a_committee_is_ready_exactly_when_it_can_be_constituted(db, children, secretary, members):
    org = builders.organization("party")
    region = builders.unit(org, "region", "Region", builders.unit(org, "centre", "Centre"))
    district = builders.unit(org, "district", "North", region, state="preparing")
    holder = None
    for number, state in enumerate(children):
        if state == "founded":
            branch = builders.unit(org, "branch", f"Branch {number}", district, state="preparing")
            core = [builders.person(org, "Ann Lee") for _ in range(3)]
            units.found_unit(
                unit=branch, by=BY, on=builders.START, founding_members=core, officers={"secretary": core[0]}
            )
            holder = holder or core[0]
        else:
            branch = builders.unit(org, "branch", f"Branch {number}", district, state=state)
        if state != "planned":
            builders.members(org, branch, members)
    if secretary and holder is not None:
        units.assign_post(unit=district, person=holder, post="secretary", by=BY, on=builders.START)
    check(district)


# A party whose district needs 2 consolidated branches, a branch being consolidated while it
# has held a meeting in the last 90 days.
SLUGS = itertools.count(1)
PARTY = load_constitution_text("party")
BRANCH_INDICATORS = PARTY[
    PARTY.index("      - meetings_held: {window_days: 90, threshold: 6") : PARTY.index("  district:")
]
CONSOLIDATING_PARTY = PARTY.replace(
    BRANCH_INDICATORS, "      - meetings_held: {window_days: 90, threshold: 1}\n"
).replace(
    "      - children: {kind: branch, state: founded, at_least: 3}\n",
    "      - children: {kind: branch, state: founded, at_least: 1}\n",
)


@PROPERTY
@given(
    children=st.lists(st.tuples(st.sampled_from(["preparing", "founded"]), st.booleans()), max_size=4),
    secretary=st.booleans(),
)
@example(children=[("founded", True), ("founded", True), ("founded", False)], secretary=True)  # ready
@example(children=[("founded", True), ("preparing", True), ("founded", False)], secretary=True)  # one short
def test_a_committee_needing_consolidated_units_is_ready_exactly_when_it_can_be_constituted(db, children, secretary):
    slug = f"party-{next(SLUGS)}"  # the examples share one test's database
    org = units.create_organization(slug=slug, name="Party", constitution_yaml=CONSOLIDATING_PARTY, by=BY)
    region = builders.unit(org, "region", "Region", builders.unit(org, "centre", "Centre"))
    district = builders.unit(org, "district", "North", region, state="preparing")
    holder = None
    recently = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0) - dt.timedelta(days=10)
    for number, (state, meets) in enumerate(children):
        branch = builders.unit(org, "branch", f"Branch {number}", district, state="preparing")
        if state == "founded":
            core = [builders.person(org, "Ann Lee") for _ in range(3)]
            units.found_unit(
                unit=branch, by=BY, on=builders.START, founding_members=core, officers={"secretary": core[0]}
            )
            holder = holder or core[0]
        if meets:  # a meeting held 10 days ago: consolidated, if founded
            start = recently.replace(tzinfo=None)
            meeting = meetings.schedule_meeting(unit=branch, title="Branch meeting", start=start, by=BY)
            meetings.mark_held(meeting=meeting, by=BY)
    if secretary and holder is not None:
        units.assign_post(unit=district, person=holder, post="secretary", by=BY, on=builders.START)
    result = readiness_of(BY, district)
    (rule,) = [found for found in result.results if found.rule == "consolidated_children: branch"]
    consolidated = sum(1 for state, meets in children if state == "founded" and meets)
    assert rule.passed is (consolidated >= 2)
    check(district, timezone.localdate())  # consolidation as of the founding day: today's
