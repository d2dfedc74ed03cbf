"""Small builders for test data, going through the actions as a user would."""

from __future__ import annotations

import datetime as dt
import itertools

from grassroots.constitution import load_constitution_text
from grassroots.organizations import actions as units
from grassroots.organizations.models import Organization, Unit
from grassroots.organizations.selectors import members_in_subtree
from grassroots.people import actions as people
from grassroots.people.models import Person

BY = "test"
_counter = itertools.count(1)
START = dt.date(2024, 1, 1)


def organization(template: str = "tenants_federation", slug: str | None = None) -> Organization:
    slug = slug or f"org-{next(_counter)}"
    return units.create_organization(
        slug=slug, name=slug.title(), constitution_yaml=load_constitution_text(template), by=BY
    )


def unit(org: Organization, kind: str, name: str, parent: Unit | None = None, *, state: str = "planned") -> Unit:
    """A unit of `kind`; state 'preparing' also starts its preparation."""
    new = units.add_unit(organization=org, kind=kind, name=name, parent=parent, by=BY, on=START)
    if state == "preparing":
        new = units.start_preparing(unit=new, by=BY, on=START)
    return new


def person(org: Organization, name: str | None = None, **fields) -> Person:
    return people.add_person(organization=org, name=name or f"Person {next(_counter)}", by=BY, **fields)


def members(org: Organization, basic_unit: Unit, count: int, *, status: str = "member") -> list[Person]:
    """`count` new people joined to a preparing or founded basic unit."""
    joined = []
    for _ in range(count):
        new = person(org)
        people.join_unit(person=new, unit=basic_unit, by=BY, on=START, status=status)
        joined.append(new)
    return joined


def founded_basic_unit(org: Organization, name: str, parent: Unit | None, *, size: int = 3) -> Unit:
    """A building committee founded with `size` founding members and a secretary."""
    committee = unit(org, "building_committee", name, parent, state="preparing")
    core = [person(org) for _ in range(size)]
    return units.found_unit(
        unit=committee,
        by=BY,
        on=START + dt.timedelta(days=30),
        founding_members=core,
        officers={"secretary": core[0]},
    )


def federation(org: Organization) -> dict[str, Unit]:
    """A small federation: one planned federation, two districts, three committees under north."""
    top = unit(org, "federation", "Federation")
    north = unit(org, "district", "North", top)
    south = unit(org, "district", "South", top)
    return {
        "federation": top,
        "north": north,
        "south": south,
        "elm": founded_basic_unit(org, "Elm House", north),
        "oak": founded_basic_unit(org, "Oak Court", north),
        "ash": unit(org, "building_committee", "Ash Tower", south, state="preparing"),
    }


def consolidate(unit: Unit, *, meetings: int = 3, on: dt.date | None = None) -> Unit:
    """Hold `meetings` meetings of a founded basic unit in the 90 days before `on` (default
    today), every current member present, so that a tenants' federation committee is
    consolidated on `on` (3 meetings held, attendance 100 % of those in good standing)."""
    from grassroots.meetings import actions as meeting_actions

    day = on or dt.date.today()
    present = [m.person for m in unit.memberships.filter(end__isnull=True).order_by("pk")]
    for number in range(meetings):
        start = dt.datetime.combine(day - dt.timedelta(days=80 - number * (70 // max(1, meetings - 1))), dt.time(19))
        meeting = meeting_actions.schedule_meeting(unit=unit, title=f"Meeting {number + 1}", start=start, by=BY)
        meeting_actions.record_attendance(meeting=meeting, people=present, by=BY)
        meeting_actions.mark_held(meeting=meeting, by=BY)
    return unit


def district_ready_to_constitute(org: Organization, district: Unit) -> Person:
    """Found building committees under `district` and add members until every founding rule of a
    tenants' federation district holds (3 founded committees, 2 of them consolidated today, 40
    members) but its secretary.

    Returns the secretary of one of its committees, who may become the district's secretary.
    """
    committees = list(district.children.filter(kind="building_committee", state="founded").order_by("pk"))
    while len(committees) < 3:
        committees.append(founded_basic_unit(org, f"{district.name} Committee {len(committees) + 1}", district))
    members(org, committees[0], max(0, 40 - members_in_subtree(district)))
    for committee in committees[:2]:
        consolidate(committee)
    return committees[0].posts.get(post="secretary", end__isnull=True).person


APPOINTED = START + dt.timedelta(days=90)  # after every date the stories use


def account(org: Organization, email: str, *, person: Person | None = None, is_admin: bool = False):
    """A user with an account in `org`: an administrator, or whoever `person` is there."""
    from grassroots.accounts.actions import create_account

    created = create_account(
        email=email, organization=org, person=person, is_admin=is_admin, password="pw-test-1", by=BY
    )
    return created.user


def officer(
    org: Organization, unit: Unit, post: str, email: str, *, member_of: Unit | None = None, on: dt.date = APPOINTED
):
    """A user whose person is a member of `member_of` (default: `unit`, a basic unit) and holds
    `post` of `unit` from `on`; returns the user, whose `person` is set on it for the tests."""
    (holder,) = members(org, member_of or unit, 1)
    units.assign_post(unit=unit, person=holder, post=post, by=BY, on=on)
    user = account(org, email, person=holder)
    user.person = holder
    return user


def run_jobs() -> int:
    """Claim and run every queued job with the database backend's worker, one by one, as
    `grassroots worker` does (without its sleeping and reconnecting, which a test transaction
    cannot take). Returns how many ran; a job that failed fails the test with its traceback."""
    from django.db import transaction
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    ran = 0
    while True:
        with transaction.atomic():
            job = DBTaskResult.objects.ready().get_locked()
            if job is None:
                return ran
            job.claim(worker.worker_id)
        worker.run_task(job)
        job.refresh_from_db()
        assert job.status == "SUCCESSFUL", job.traceback
        ran += 1


def former_members(org: Organization, tree: dict[str, Unit]) -> dict[str, Person]:
    """People whose status comes from an ended membership, and one whose does not:
    Rosa resigned from Elm House (north) on 2024-06-30; Kofi moved from Elm House to Ash Tower
    (south) on 2024-03-01 as a member and lapsed there on 2024-09-30; Ada resigned from Oak Court
    on 2024-02-01 and joined Elm House again as a candidate on 2024-04-01 (so she is a candidate)."""
    rosa = person(org, "Rosa Former", unit=tree["elm"], status="member", on=START)
    people.end_membership(person=rosa, by=BY, on=dt.date(2024, 6, 30), status="resigned")
    kofi = person(org, "Kofi Former", unit=tree["elm"], status="member", on=START)
    people.transfer_member(person=kofi, to_unit=tree["ash"], by=BY, on=dt.date(2024, 3, 1))
    people.end_membership(person=kofi, by=BY, on=dt.date(2024, 9, 30), status="lapsed")
    ada = person(org, "Ada Former", unit=tree["oak"], status="member", on=START)
    people.end_membership(person=ada, by=BY, on=dt.date(2024, 2, 1), status="resigned")
    people.join_unit(person=ada, unit=tree["elm"], by=BY, on=dt.date(2024, 4, 1), status="candidate")
    return {"rosa": rosa, "kofi": kofi, "ada": ada}
