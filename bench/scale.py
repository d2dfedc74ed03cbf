"""The shared scale organization every benchmark measures: `python bench/scale.py [--units N] [--members N]`.

Builds (once; a later call with the same size reuses it) an organization under the party
constitution with a four-level tree: a centre, regions, districts and branches (the basic
units), about `units` in all (default 10,000), and `members` people (default 1,000,000) placed
in the branches by the member import itself. On SQLite the database is a file under the bench
data directory (`GRASSROOTS_BENCH_DIR`, default `var/bench`); on PostgreSQL it is the database
`DATABASE_URL` names.

The tree is written set-based with the rows the actions write (the unit with its materialized
path, a `created`, `preparing` and `founded` event for each founded unit); the people go through
`import_members`, the path a real organization takes. Other benchmarks call:

    from scale import build_organization, setup_django
    setup_django()                     # before importing grassroots models
    scale = build_organization(units=10_000, members=1_000_000)
    scale.organization, scale.district, scale.branch, scale.administrator, scale.secretary
    meetings = add_meetings(scale)     # two years of meetings and attendance (bench/meetings.py)
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BY = "bench"
FIRST = ["Anna", "Bob", "Carla", "Dev", "Emeka", "Fatima", "Gus", "Hana", "Ivan", "Jana", "Kofi", "Lena"]
FIRST += ["Maria", "Nadia", "Omar", "Priya", "Rosa", "Sam", "Tariq", "Zoe"]
LAST = ["Smith", "Müller", "Jones", "Okafor", "Novak", "Garcia", "Khan", "Rossi", "Dubois", "Kowalski"]
LAST += ["Nguyen", "Silva", "Brown", "Patel", "Haddad"]
STATUSES = ["supporter", "candidate", "member", "member", "member", "member", "lapsed"]
REGIONS = 20
DISTRICTS_PER_REGION = 20


def setup_django(database_url: str | None = None) -> str:
    """Point Django at the bench database (SQLite file under the bench directory unless
    DATABASE_URL names PostgreSQL), set it up and migrate; returns the database's vendor."""
    sys.path.insert(0, str(ROOT / "src"))
    bench_dir = Path(os.environ.get("GRASSROOTS_BENCH_DIR", ROOT / "var" / "bench"))
    bench_dir.mkdir(parents=True, exist_ok=True)
    url = database_url or os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        url = f"sqlite:///{bench_dir / 'scale.sqlite3'}"
    else:
        _create_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("GRASSROOTS_DATA_DIR", str(bench_dir / "data"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "grassroots.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    return connection.vendor


def _create_database(url: str) -> None:
    """Create the PostgreSQL database `url` names when it does not exist yet (connecting to the
    server's `postgres` database to do it), so a first benchmark run on a machine needs no setup."""
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1].split("?", 1)[0]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as server:
        if server.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


@dataclass
class ScaleOrganization:
    """Handles to the built organization for the benchmarks."""

    organization: object
    centre: object
    region: object
    district: object  # a district of about average size
    branch: object  # a branch of that district
    administrator: object  # a user administering the whole organization
    secretary: object  # a user who is secretary of `district`
    units: int
    members: int


def _slug(units: int, members: int) -> str:
    return f"scale-{units}-{members}"


def _shape(units: int) -> tuple[int, int, int]:
    """Regions, districts per region, branches per district for about `units` units."""
    regions = min(REGIONS, max(2, units // 500))
    per_region = min(DISTRICTS_PER_REGION, max(2, units // (regions * 25)))
    districts = regions * per_region
    branches = max(3, (units - 1 - regions - districts) // districts)
    return regions, per_region, branches


def _build_tree(organization, units: int) -> None:
    """The centre through the action; the rest set-based, with the rows the actions write."""
    from django.db import transaction

    from grassroots.organizations import actions
    from grassroots.organizations.models import Unit, UnitEvent, UnitState, path_segment

    regions, per_region, branches = _shape(units)
    founded_on = dt.date(2024, 1, 15)
    created_on = dt.date(2023, 6, 1)
    centre = actions.add_unit(organization=organization, kind="centre", name="Centre", slug="centre", by=BY)
    actions.start_preparing(unit=centre, by=BY)

    def level(parents: list, kind: str, count: int, name: str, state_of) -> list:
        rows = []
        for parent in parents:
            for number in range(count):
                label = f"{parent.name} {name} {number + 1}" if parent.kind != "centre" else f"{name} {number + 1}"
                rows.append(
                    Unit(
                        organization=organization,
                        parent=parent,
                        kind=kind,
                        name=label,
                        slug=f"{parent.slug}-{kind[0]}{number + 1}" if parent.kind != "centre" else f"r{number + 1}",
                        state=state_of(number),
                        created_on=created_on,
                        founded_on=founded_on if state_of(number) == UnitState.FOUNDED else None,
                        path=f"new:{parent.pk}:{kind}:{number}",
                    )
                )
        made = Unit.objects.bulk_create(rows, batch_size=2000)
        for unit in made:
            unit.path = unit.parent.path + path_segment(unit.pk)
        Unit.objects.bulk_update(made, ["path"], batch_size=1000)
        events = []
        for unit in made:
            steps = [UnitEvent.Kind.CREATED]
            if unit.state in (UnitState.PREPARING, UnitState.FOUNDED):
                steps.append(UnitEvent.Kind.PREPARING)
            if unit.state == UnitState.FOUNDED:
                steps.append(UnitEvent.Kind.FOUNDED)
            for step in steps:
                state = {"created": UnitState.PLANNED, "preparing": UnitState.PREPARING}.get(step, UnitState.FOUNDED)
                on = founded_on if step == UnitEvent.Kind.FOUNDED else created_on
                events.append(UnitEvent(unit=unit, kind=step, on=on, state=state, parent=unit.parent, name=unit.name))
        UnitEvent.objects.bulk_create(events, batch_size=2000)
        return made

    with transaction.atomic():
        top = level([centre], "region", regions, "Region", lambda n: UnitState.FOUNDED)
        middle = level(top, "district", per_region, "District", lambda n: UnitState.FOUNDED)
        # Every tenth branch is still preparing, every fiftieth only planned: the tree has states to filter.
        level(
            middle,
            "branch",
            branches,
            "Branch",
            lambda n: UnitState.PLANNED if n % 50 == 49 else UnitState.PREPARING if n % 10 == 9 else UnitState.FOUNDED,
        )


def _member_file(path: Path, organization, members: int, seed: int = 12) -> None:
    """A member file for the import: names (many shared), emails, statuses, join dates, a branch each."""
    from grassroots.organizations.models import Unit, UnitState

    branches = list(
        Unit.objects.filter(organization=organization, kind="branch")
        .exclude(state=UnitState.PLANNED)
        .order_by("path")
        .values_list("slug", flat=True)
    )
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["first_name", "last_name", "email", "unit", "status", "joined"])
        for number in range(members):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            email = f"{first.lower()}.{number}@example.org"
            day = f"20{rng.randrange(15, 25)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
            writer.writerow([first, last, email, branches[number % len(branches)], rng.choice(STATUSES), day])


def _officers(organization) -> tuple[object, object]:
    """The administrator and a district secretary, each with an account; the secretary holds the
    post through the action, as a member of a branch of that district."""
    from django.contrib.auth import get_user_model

    from grassroots.accounts.actions import create_account
    from grassroots.organizations.actions import assign_post
    from grassroots.organizations.models import Unit
    from grassroots.people.models import Membership

    district = _district(organization)
    secretary = (
        Membership.objects.current()
        .filter(unit__path__gte=district.path, unit__path__lt=district.path + "~")
        .select_related("person")
        .order_by("id")
        .first()
        .person
    )
    assign_post(unit=Unit.objects.get(pk=district.pk), person=secretary, post="secretary", by=BY)
    create_account(email="admin@scale.example", organization=organization, is_admin=True, by=BY)
    create_account(email="secretary@scale.example", organization=organization, person=secretary, by=BY)
    users = get_user_model().objects
    return users.get(email="admin@scale.example"), users.get(email="secretary@scale.example")


def _district(organization):
    from grassroots.organizations.models import Unit

    return Unit.objects.filter(organization=organization, kind="district").order_by("path")[1]


def build_organization(*, units: int = 10_000, members: int = 1_000_000, quiet: bool = False) -> ScaleOrganization:
    """The scale organization of this size: built on the first call, found on later ones."""
    from django.contrib.auth import get_user_model

    from grassroots.constitution import load_constitution_text
    from grassroots.database import refresh_statistics
    from grassroots.organizations import actions
    from grassroots.organizations.models import Organization, Unit

    def say(text: str) -> None:
        if not quiet:
            print(text, flush=True)

    slug = _slug(units, members)
    organization = Organization.objects.filter(slug=slug).first()
    if organization is None:
        started = time.perf_counter()
        organization = actions.create_organization(
            slug=slug, name=f"Scale {units:,} / {members:,}", constitution_yaml=load_constitution_text("party"), by=BY
        )
        _build_tree(organization, units)
        built = Unit.objects.filter(organization=organization).count()
        say(f"  {built:,} units in {time.perf_counter() - started:.1f} s")
        from grassroots.imports.actions import import_members

        with tempfile.TemporaryDirectory(prefix="grassroots-scale-") as tmp:
            path = Path(tmp) / "members.csv"
            _member_file(path, organization, members)
            started = time.perf_counter()
            result = import_members(organization=organization, path=path, by=BY, valid_rows=True)
            say(f"  {members:,} members imported in {time.perf_counter() - started:.1f} s: {result.as_json()}")
        _officers(organization)
    # Fresh planner statistics, as a large import leaves them and as autovacuum (PostgreSQL) or
    # `PRAGMA optimize` (SQLite) keep them; also for tables a migration filled since the build.
    refresh_statistics()
    users = get_user_model().objects
    if not users.filter(email="secretary@scale.example", accounts__organization=organization).exists():
        raise SystemExit(f"{slug} was left half-built by an interrupted run: remove the bench database")
    district = _district(organization)
    return ScaleOrganization(
        organization=organization,
        centre=Unit.objects.get(organization=organization, slug="centre"),
        region=district.parent,
        district=district,
        branch=Unit.objects.filter(parent=district, state="founded").order_by("path")[3],
        administrator=users.get(email="admin@scale.example"),
        secretary=users.get(email="secretary@scale.example"),
        units=Unit.objects.filter(organization=organization).count(),
        members=members,
    )


# Two years of meetings: every unit that is not merely planned meets every fortnight, from
# MEETING_DAYS_BACK days ago to a few weeks ahead; a branch's meeting has about a fifth of its
# members on its attendance list (a tenth in a fading branch, every fourth).
MEETING_EVERY_DAYS = 14
MEETING_DAYS_BACK = 700
MEETINGS_PER_UNIT = 52
BENCH_MEETING = "Bench district assembly"
STANDING_RULE = "\nmeetings:\n  standing: {attended_at_least: 3, in_months: 12}\n"


@dataclass
class ScaleMeetings:
    """Handles to the meetings `add_meetings` wrote."""

    meetings: int
    attendance: int
    assembly: object  # a meeting of `scale.district` today, with 200 on its list and a host link
    host_token: str


def _meeting_sql(vendor: str, organization_id: int, first: dt.datetime, now: dt.datetime) -> tuple[str, list]:
    """One INSERT ... SELECT writing every unit's fortnightly meetings (held, minutes approved after
    two months, one in 25 cancelled, planned ahead)."""
    if vendor == "postgresql":
        numbers = f"generate_series(0, {MEETINGS_PER_UNIT - 1}) AS n(i)"
        start = "(%s::timestamptz + (n.i * {every} + u.id %% {every}) * interval '1 day')"
        uid = "gen_random_uuid()"
    else:
        last = MEETINGS_PER_UNIT - 1
        numbers = (
            f"(WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < {last}) SELECT i FROM k) AS n"
        )
        start = "datetime(%s, '+' || (n.i * {every} + u.id %% {every}) || ' days')"
        uid = "lower(hex(randomblob(16)))"
    start = start.format(every=MEETING_EVERY_DAYS)
    sql = f"""
        INSERT INTO meetings_meeting (uid, unit_id, kind, title, start, time_zone, duration, place,
            place_visibility, online_link, status, sequence, series_id, series_start, changed, walk_ins,
            host_key, created_at, updated_at)
        SELECT {uid}, u.id, 'regular', 'Regular meeting', {start}, 'Europe/Berlin', 120,
            'Community hall, room ' || (u.id %% 9 + 1), CASE WHEN u.id %% 5 = 0 THEN 'officers' ELSE 'members' END,
            '', CASE WHEN {start} >= %s THEN 'planned' WHEN (u.id + n.i) %% 25 = 0 THEN 'cancelled'
                     WHEN {start} < %s THEN 'approved' ELSE 'held' END,
            CASE WHEN {start} >= %s THEN 0 ELSE 1 END, NULL, NULL, false, 0, '', %s, %s
        FROM organizations_unit u, {numbers}
        WHERE u.organization_id = %s AND u.state <> 'planned'
        ORDER BY u.id, n.i"""
    approved_before = now - dt.timedelta(days=60)
    # The start expression appears five times, each with the first start as its parameter.
    params: list = [first, first, now, first, approved_before, first, now, now, now, organization_id]
    if vendor != "postgresql":  # compared as text with what SQLite's datetime() writes
        params = [
            p.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S") if isinstance(p, dt.datetime) else p for p in params
        ]
    return sql, params


def _attendance_sql(vendor: str, organization_id: int) -> str:
    """One INSERT ... SELECT writing the attendance of every branch meeting from the branch's
    current members: present at a meeting that took place (one in twelve excused), registered for
    one ahead; none at a cancelled one."""
    arrived = "m.start + interval '5 minutes'" if vendor == "postgresql" else "datetime(m.start, '+5 minutes')"
    return f"""
        INSERT INTO meetings_attendance (meeting_id, person_id, status, arrived_at, method, guest,
            recorded_by, recorded_at, code)
        SELECT m.id, r.person_id,
            CASE WHEN m.status = 'planned' THEN 'registered'
                 WHEN (r.k + m.id) %% 12 = 0 THEN 'excused' ELSE 'present' END,
            CASE WHEN m.status = 'planned' OR (r.k + m.id) %% 12 = 0 THEN NULL ELSE {arrived} END,
            CASE WHEN m.status = 'planned' THEN '' ELSE 'paper' END, false, '{BY}', m.start, NULL
        FROM meetings_meeting m
        JOIN organizations_unit u ON u.id = m.unit_id AND u.kind = 'branch'
        JOIN (SELECT ms.unit_id, ms.person_id, row_number() OVER (PARTITION BY ms.unit_id ORDER BY ms.person_id) AS k
              FROM people_membership ms JOIN organizations_unit b ON b.id = ms.unit_id
              WHERE b.organization_id = %s AND ms."end" IS NULL) r ON r.unit_id = m.unit_id
        WHERE u.organization_id = %s AND m.status <> 'cancelled'
          AND (r.k + m.id) %% (CASE WHEN m.unit_id %% 4 = 0 THEN 10 ELSE 5 END) = 0"""


def add_meetings(scale: ScaleOrganization, *, quiet: bool = False) -> ScaleMeetings:
    """Two years of meetings and attendance for the scale organization (built on the first call,
    found on later ones), written set-based: one INSERT ... SELECT for the meetings (about 52 per
    unit), one for the attendance (about 10 million rows at full size). The organization's
    constitution gains a standing rule (3 meetings in 12 months), so standing reads attendance.
    Then, through the actions, an assembly of the district today with 200 of its members invited
    and a host link for it."""
    from django.db import connection, transaction
    from django.utils import timezone

    from grassroots.database import refresh_statistics
    from grassroots.meetings.actions import issue_host_link, record_attendance, schedule_meeting
    from grassroots.meetings.models import Attendance, Meeting
    from grassroots.organizations.models import Organization
    from grassroots.people.models import Person

    organization = scale.organization
    assembly = Meeting.objects.filter(unit=scale.district, title=BENCH_MEETING).first()
    if assembly is None:
        started = time.perf_counter()
        now = timezone.now().replace(microsecond=0)
        first = (now - dt.timedelta(days=MEETING_DAYS_BACK)).replace(hour=17, minute=0, second=0)
        with transaction.atomic():
            if "standing:" not in organization.constitution_yaml:
                Organization.objects.filter(pk=organization.pk).update(
                    constitution_yaml=organization.constitution_yaml.rstrip("\n") + STANDING_RULE
                )
            sql, params = _meeting_sql(connection.vendor, organization.pk, first, now)
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                meetings = cursor.rowcount
        if not quiet:
            print(f"  {meetings:,} meetings in {time.perf_counter() - started:.1f} s", flush=True)
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_attendance_sql(connection.vendor, organization.pk), [organization.pk, organization.pk])
            rows = cursor.rowcount
        if not quiet:
            print(f"  {rows:,} attendance rows in {time.perf_counter() - started:.1f} s", flush=True)
        organization.refresh_from_db()
        # refresh_from_db keeps cached properties: without this the constitution read before the
        # standing rule was added stays, and a snapshot on this object reads no attendance.
        organization.__dict__.pop("constitution", None)
        assembly = schedule_meeting(
            unit=scale.district, title=BENCH_MEETING, start=now + dt.timedelta(minutes=30), by=scale.administrator
        )
        invited = Person.objects.filter(
            organization=organization, unit_path__gte=scale.district.path, unit_path__lt=scale.district.path + "~"
        ).order_by("id")[:200]
        record_attendance(
            meeting=assembly,
            people=list(invited),
            status=Attendance.Status.INVITED,
            method="host",
            by=scale.administrator,
        )
    refresh_statistics()
    token = issue_host_link(meeting=assembly, by=scale.administrator)
    return ScaleMeetings(
        meetings=Meeting.objects.filter(unit__organization=organization).count(),
        attendance=Attendance.objects.filter(meeting__unit__organization=organization).count(),
        assembly=assembly,
        host_token=token,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", nargs="?", help="members, as `make bench BENCH_ARGS=200000` gives them")
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=1_000_000)
    args = parser.parse_args()
    if args.size:
        args.members = int(args.size.replace("_", "").replace(",", ""))
    started = time.perf_counter()
    vendor = setup_django()
    scale = build_organization(units=args.units, members=args.members)
    print(
        f"{vendor}: {scale.organization.slug}: {scale.units:,} units, {scale.members:,} members "
        f"(ready in {time.perf_counter() - started:.1f} s)"
    )


if __name__ == "__main__":
    main()
