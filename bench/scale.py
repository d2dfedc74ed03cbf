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
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("GRASSROOTS_DATA_DIR", str(bench_dir / "data"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "grassroots.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    return connection.vendor


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
