"""Reads at organizing scale: `python bench/reads.py [MEMBERS] [--units N] [--database sqlite|postgres|both]`.

On the shared scale organization (`bench/scale.py`: about 10,000 units in four levels and
MEMBERS members, default 1,000,000), every list, detail and dashboard read of the pages and
the API, as the organization's administrator and as a district secretary, each against its
floor: the one query a perfect implementation would run for the same answer, measured in the
same process. Median of three runs after one warm-up; prints ms, the floor, the ratio, the
number of queries, and the query plans of the slowest queries of the slowest reads. `--only A,B`
measures only the reads whose name contains A or B (and the baseline row).

Before measuring, yesterday's health snapshot is written where it is missing, as the daily job
has by then in a running installation (the pages read the units' consolidation from it).

Each database is measured in a child process (Django reads its database once per process).
PostgreSQL is measured when one answers (DATABASE_URL, or 127.0.0.1:5432) in the database
GRASSROOTS_BENCH_PG_DB (default grassroots_bench_scale), created if missing and kept, like the
SQLite file under var/bench, so the organization is built only once per size.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

PG_DEFAULT = "postgres://postgres:postgres@127.0.0.1:5432/postgres"
RUNS = 3
TARGET_RATIO = 3.0
TARGET_MS = 100.0
PLANS_SHOWN = 4


@dataclass
class Read:
    """One read: who asks, the URL, and the floor's SQL (with its parameters)."""

    name: str
    user: str  # "admin" or "secretary"
    url: str
    floor: str
    params: tuple = ()
    api: bool = False


def reads_of(scale) -> list[Read]:
    """The reads measured, with their floors, on this organization."""
    from grassroots.people.models import Membership

    org = scale.organization.slug
    district, branch, centre = scale.district, scale.branch, scale.centre
    organization_id = scale.organization.pk
    someone = Membership.objects.current().filter(unit=branch).order_by("id").values_list("person_id", flat=True)[0]
    d_lo, d_hi = district.path, district.path + "~"

    half = scale.members // 2  # deep in the organization's list
    in_district = Membership.objects.current().filter(unit__path__gte=d_lo, unit__path__lt=d_hi).count()
    district_deep = in_district * 3 // 4  # deep in the district's (1,900 of 2,500 at full size)

    def deep(unit, offset: int) -> str:
        """The cursor of the row at `offset` of the people list (of `unit`'s subtree, or everyone)."""
        from urllib.parse import quote

        from grassroots.keyset import encode_cursor
        from grassroots.people.models import Person

        people = Person.objects.filter(organization=scale.organization)
        if unit is not None:
            people = people.filter(unit_path__gte=unit.path, unit_path__lt=unit.path + "~")
        name, pk = people.order_by("name", "id").values_list("name", "id")[offset]
        return quote(encode_cursor(name, pk))

    # The floors: one query each, what a perfect implementation would run.
    members_page = (
        "SELECT p.id, p.name, p.email, m.status, m.start FROM people_membership m "
        "JOIN people_person p ON p.id = m.person_id WHERE m.unit_id = %s AND m.end IS NULL "
        "ORDER BY p.name, p.id LIMIT 50"
    )
    # `name || ''`: sorted after a range scan of the scope, which a perfect plan does for a district
    # (for the whole organization the two plans cost the same: its name index).
    people_page = (
        "SELECT id, name, email, unit_path FROM people_person WHERE organization_id = %s "
        "AND unit_path >= %s AND unit_path < %s ORDER BY name || '', id LIMIT 50"
    )
    everyone_page = (
        "SELECT id, name, email, unit_path FROM people_person WHERE organization_id = %s ORDER BY name, id LIMIT 50"
    )
    search = (
        "SELECT id, name, email, unit_path FROM people_person WHERE organization_id = %s "
        "AND unit_path >= %s AND unit_path < %s AND (name LIKE %s OR email LIKE %s) ORDER BY name || '', id LIMIT 50"
    )
    subtree = (
        "SELECT u.id, u.slug, u.name, u.kind, u.state, u.parent_id FROM organizations_unit u "
        "WHERE u.path >= %s AND u.path < %s ORDER BY u.path"
    )
    children = "SELECT id, slug, name, kind, state FROM organizations_unit WHERE parent_id = %s ORDER BY name, id"
    tree_top = (
        "SELECT id, slug, name, kind, state, parent_id FROM organizations_unit WHERE organization_id = %s "
        "AND length(path) <= 14 ORDER BY path"
    )
    units_page = (
        "SELECT id, slug, name, kind, state FROM organizations_unit WHERE organization_id = %s ORDER BY path LIMIT 100"
    )
    one_unit = (
        "SELECT id, slug, name, kind, state, path FROM organizations_unit WHERE organization_id = %s AND slug = %s"
    )
    one_person = "SELECT id, name, email, unit_path FROM people_person WHERE id = %s"
    audit = "SELECT id, action, at FROM audit_auditrecord WHERE organization_id = %s ORDER BY at DESC, id DESC LIMIT 50"
    export = "SELECT id, name, email, phone, unit_path FROM people_person WHERE unit_path >= %s AND unit_path < %s"

    # The fixed cost of any request through the stack (sessions, second factor, scope): the
    # smallest list there is, against a one-row query.
    reads = [
        Read(
            "baseline: API organizations",
            "admin",
            "/api/orgs",
            "SELECT id, slug FROM organizations_organization WHERE id = %s",
            (organization_id,),
            True,
        )
    ]
    for user in ("admin", "secretary"):
        # The secretary's scope is the district: its people and units, not the whole organization.
        p_lo, p_hi = (d_lo, d_hi) if user == "secretary" else ("", "~")
        # The whole organization: its name index, in order.
        if user == "secretary":
            people_floor, search_floor = people_page, search
            scope = (organization_id, p_lo, p_hi)
        else:  # the whole organization: its name index, in order, with no range on the path
            people_floor = everyone_page
            search_floor = everyone_page.replace("ORDER BY", "AND (name LIKE %s OR email LIKE %s) ORDER BY")
            scope = (organization_id,)
        reads += [
            Read("organization page (tree)", user, f"/o/{org}/", tree_top, (organization_id,)),
            Read("district page", user, f"/o/{org}/u/{district.slug}/", children, (district.pk,)),
            Read("branch page", user, f"/o/{org}/u/{branch.slug}/", members_page, (branch.pk,)),
            Read("people list, first page", user, f"/o/{org}/people/", people_floor, scope),
            Read(
                "people search",
                user,
                f"/o/{org}/people/?q=anna",
                search_floor,
                (*scope, "%anna%", "%anna%"),
            ),
            Read("person page", user, f"/o/{org}/people/{someone}/", one_person, (someone,)),
            Read(
                "post candidates (district)",
                user,
                f"/o/{org}/u/{district.slug}/posts/candidates/?q=zoe",
                search,
                (organization_id, d_lo, d_hi, "%zoe%", "%zoe%"),
            ),
            Read("audit trail", user, f"/o/{org}/audit/", audit, (organization_id,)),
            Read("members export page", user, f"/o/{org}/imports/export/?unit={district.slug}", export, (d_lo, d_hi)),
            Read("API organization", user, f"/api/orgs/{org}", one_unit, (organization_id, centre.slug), True),
            Read("API units, first page", user, f"/api/orgs/{org}/units", units_page, (organization_id,), True),
            Read(
                "API district",
                user,
                f"/api/orgs/{org}/units/{district.slug}",
                one_unit,
                (organization_id, district.slug),
                True,
            ),
            Read(
                "API district subtree",
                user,
                f"/api/orgs/{org}/units/{district.slug}/subtree",
                subtree,
                (d_lo, d_hi),
                True,
            ),
            Read(
                "API district readiness",
                user,
                f"/api/orgs/{org}/units/{district.slug}/readiness",
                children,
                (district.pk,),
                True,
            ),
            Read(
                "API branch readiness",
                user,
                f"/api/orgs/{org}/units/{branch.slug}/readiness",
                members_page,
                (branch.pk,),
                True,
            ),
            Read(
                "API branch members",
                user,
                f"/api/orgs/{org}/units/{branch.slug}/members",
                members_page,
                (branch.pk,),
                True,
            ),
            Read(
                "API district events",
                user,
                f"/api/orgs/{org}/units/{district.slug}/events",
                one_unit,
                (organization_id, district.slug),
                True,
            ),
            Read(
                "API district posts",
                user,
                f"/api/orgs/{org}/units/{district.slug}/posts",
                one_unit,
                (organization_id, district.slug),
                True,
            ),
            Read(
                "API people, first page",
                user,
                f"/api/orgs/{org}/people?limit=50",
                people_floor,
                scope,
                True,
            ),
            Read(
                "API people search",
                user,
                f"/api/orgs/{org}/people?limit=50&q=anna",
                search_floor,
                (*scope, "%anna%", "%anna%"),
                True,
            ),
            Read("API person", user, f"/api/orgs/{org}/people/{someone}", one_person, (someone,), True),
            Read(
                "API person memberships",
                user,
                f"/api/orgs/{org}/people/{someone}/memberships",
                one_person,
                (someone,),
                True,
            ),
            Read("API audit", user, f"/api/orgs/{org}/audit?limit=50", audit, (organization_id,), True),
        ]
        if user == "admin":
            reads += [
                Read("tree of the whole organization (API)", user, f"/api/orgs/{org}/tree", subtree, ("", "~"), True),
                Read(
                    "readiness of the top body (API)",
                    user,
                    f"/api/orgs/{org}/units/centre/readiness",
                    children,
                    (centre.pk,),
                    True,
                ),
                Read(
                    f"API people, offset {half:,}",
                    user,
                    f"/api/orgs/{org}/people?limit=50&offset={half}",
                    everyone_page,
                    (organization_id,),
                    True,
                ),
                Read(
                    f"API people, page after {half:,} (cursor)",
                    user,
                    f"/api/orgs/{org}/people?limit=50&after={deep(None, half)}",
                    everyone_page,
                    (organization_id,),
                    True,
                ),
                Read(
                    f"people list, page after {half:,} (cursor)",
                    user,
                    f"/o/{org}/people/?after={deep(None, half)}",
                    everyone_page,
                    (organization_id,),
                ),
                Read("centre page", user, f"/o/{org}/u/centre/", children, (centre.pk,)),
            ]
        else:
            reads += [
                Read(
                    f"API people, offset {district_deep:,}",
                    user,
                    f"/api/orgs/{org}/people?limit=50&offset={district_deep}",
                    people_floor,
                    scope,
                    True,
                ),
                Read(
                    f"API people, page after {district_deep:,} (cursor)",
                    user,
                    f"/api/orgs/{org}/people?limit=50&after={deep(district, district_deep)}",
                    people_floor,
                    scope,
                    True,
                ),
            ]
    return reads


def signed_in(user):
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    device = device or TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def measure(run, runs: int = RUNS) -> float:
    """Median milliseconds of `runs` calls after one warm-up."""
    run()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def ratio_table(reads: list[dict], target: float) -> bool:
    """Print the reads as a Markdown table, each against its floor measured in the same run
    (`ms`, `floor`: None for a read measured for the record, `queries`); True when every read
    with a floor is within `target` times it."""
    print(f"| read | ms | floor ms | ratio | queries | within {target:g}x |")
    print("|---|---|---|---|---|---|")
    good = True
    for read in reads:
        if read["floor"] is None:
            print(f"| {read['name']} | {read['ms']:,.1f} | | | {read['queries']} | |")
            continue
        ratio = read["ms"] / max(read["floor"], 0.001)
        ok = ratio <= target
        good &= ok
        print(
            f"| {read['name']} | {read['ms']:,.1f} | {read['floor']:,.2f} | {ratio:,.1f} | {read['queries']} | "
            f"{'yes' if ok else 'NO'} |"
        )
    return good


def slowest_query(queries: list[str]) -> tuple[float, str]:
    """The slowest of a request's SELECTs, each run again with its rows fetched (Django's own
    timing stops before the fetch, where SQLite does most of its work)."""
    from django.db import connection

    timed = []
    for sql in queries:
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        try:
            with connection.cursor() as cursor:
                started = time.perf_counter()
                cursor.execute(sql)
                cursor.fetchall()
                timed.append(((time.perf_counter() - started) * 1000, sql))
        except Exception:  # printed with parameters it cannot run again as text
            continue
    return max(timed, default=(0.0, ""))


def explain(sql: str, vendor: str) -> str:
    from django.db import connection

    prefix = "EXPLAIN QUERY PLAN " if vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        try:
            cursor.execute(prefix + sql)
        except Exception as error:  # a query Django printed with parameters it cannot re-run as text
            return f"(no plan: {error})"
        rows = cursor.fetchall()
    if vendor == "sqlite":
        return "\n".join(f"    {row[-1]}" for row in rows)
    return "\n".join(f"    {row[0]}" for row in rows)


def child(units: int, members: int, only: str = "") -> None:
    from scale import build_organization, setup_django

    vendor = setup_django()
    started = time.perf_counter()
    scale = build_organization(units=units, members=members)
    print(f"organization ready in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from grassroots.health.jobs import write_due_snapshots

    # What the daily job has written by now in a running installation: yesterday's health
    # snapshot, which the pages read for the consolidation of the units they show.
    started = time.perf_counter()
    if write_due_snapshots():
        print(f"yesterday's health snapshot written in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    clients = {"admin": signed_in(scale.administrator), "secretary": signed_in(scale.secretary)}
    results = []
    # The baseline row stays: every read is judged against it.
    wanted = [part.strip().lower() for part in only.split(",")]
    chosen = [read for i, read in enumerate(reads_of(scale)) if not i or any(w in read.name.lower() for w in wanted)]
    for read in chosen:
        client = clients[read.user]

        def request(read=read, client=client):
            response = client.get(read.url)
            if response.status_code != 200:
                raise SystemExit(f"{read.url} as {read.user}: {response.status_code}")
            if getattr(response, "streaming", False):
                b"".join(response.streaming_content)

        def floor(read=read):
            with connection.cursor() as cursor:
                cursor.execute(read.floor, read.params)
                cursor.fetchall()

        ms = measure(request)
        floor_ms = measure(floor)
        with CaptureQueriesContext(connection) as captured:
            request()
        results.append(
            {
                "name": read.name,
                "user": read.user,
                "url": read.url,
                "ms": ms,
                "floor": floor_ms,
                "queries": len(captured.captured_queries),
                "sql": [query["sql"] for query in captured.captured_queries],
            }
        )
    for result in sorted(results, key=lambda r: r["ms"], reverse=True)[:PLANS_SHOWN]:
        result["slowest_ms"], result["slowest_sql"] = slowest_query(result["sql"])
        result["plan"] = explain(result["slowest_sql"], vendor)
    for result in results:
        del result["sql"]
    print("FIGURES " + json.dumps({"vendor": vendor, "units": scale.units, "members": members, "reads": results}))


def report(figures: dict) -> bool:
    """Print the table; True when every read is at its target."""
    reads = figures["reads"]
    # What any request costs before it reads anything (sessions, second factor, grants, routing):
    # a read is at its target under TARGET_MS and within TARGET_RATIO of its floor, or of this.
    fixed = reads[0]["ms"]
    print(f"\n== {figures['vendor']}: {figures['units']:,} units, {figures['members']:,} members ==")
    print(
        f"at target: under {TARGET_MS:g} ms and within {TARGET_RATIO:g}x of the floor or of the fixed cost "
        f"of a request ({fixed:.1f} ms, the baseline row)"
    )
    print("| read | as | ms | floor ms | ratio | queries | at target |")
    print("|---|---|---|---|---|---|---|")
    all_good = True
    for read in reads:
        ratio = read["ms"] / max(read["floor"], 0.001)
        good = read["ms"] <= TARGET_MS and read["ms"] <= TARGET_RATIO * max(read["floor"], fixed)
        all_good &= good
        print(
            f"| {read['name']} | {read['user']} | {read['ms']:,.1f} | {read['floor']:,.2f} | {ratio:,.1f} | "
            f"{read['queries']} | {'yes' if good else 'NO'} |"
        )
    print("\nQuery plans of the slowest query of the slowest reads:")
    for read in reads:
        if "plan" in read:
            print(
                f"- {read['name']} ({read['user']}): {read['ms']:,.0f} ms, slowest query {read['slowest_ms']:,.1f} ms"
            )
            print(f"    {read['slowest_sql'][:400]}")
            print(read["plan"])
    return all_good


def postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    url = url if url.startswith("postgres") else PG_DEFAULT
    try:
        import psycopg

        name = os.environ.get("GRASSROOTS_BENCH_PG_DB", "grassroots_bench_scale")
        with psycopg.connect(url, connect_timeout=3, autocommit=True) as admin:
            if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                admin.execute(f'CREATE DATABASE "{name}"')
    except Exception:
        return None
    return url.rsplit("/", 1)[0] + "/" + name


def children_figures(script: str, databases: list[str], arguments: list[str]):
    """Run `script ARGUMENTS --child` once per database ("sqlite", "postgres"), each in its own
    process with `child_environment(keep_url=True)`; yields the figures each printed (a
    `FIGURES {json}` line), or None for a PostgreSQL that does not answer."""
    for database in databases:
        env = child_environment(database, keep_url=True)
        if env is None:
            yield None
            continue
        done = subprocess.run(
            [sys.executable, script, *arguments, "--child"], env=env, stdout=subprocess.PIPE, text=True
        )
        if done.returncode:
            raise SystemExit(f"the {database} run failed")
        line = next(line for line in done.stdout.splitlines() if line.startswith("FIGURES "))
        yield json.loads(line[len("FIGURES ") :])


def report_children(script: str, database: str, arguments: list[str], report) -> None:
    """Measure `script` on `database` ("sqlite", "postgres" or "both") through `children_figures`,
    print each run's figures with `report(figures) -> bool` (all at their targets) and a last line
    saying whether every figure met its target."""
    databases = ["sqlite", "postgres"] if database == "both" else [database]
    all_good = True
    for figures in children_figures(script, databases, arguments):
        if figures is None:
            print("\nPostgreSQL does not answer: SQLite figures only")
            continue
        all_good &= report(figures)
    print("\nevery figure at its target" if all_good else "\nsome figures miss their target (NO above)")


def child_environment(database: str, *, keep_url: bool = False) -> dict[str, str] | None:
    """The environment of the child process that measures `database` ("sqlite" or "postgres"):
    PostgreSQL in the bench database (`postgres_url`), or with `keep_url` the one DATABASE_URL
    names; None when PostgreSQL does not answer."""
    env = dict(os.environ)
    if database != "postgres":
        env.pop("DATABASE_URL", None)
        return env
    given = env.get("DATABASE_URL", "")
    url = given if keep_url and given.startswith("postgres") else postgres_url()
    if url is None:
        return None
    env["DATABASE_URL"] = url
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("members", nargs="?", default="1000000")
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--only", default="", help="only the reads whose name contains one of these (A,B)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    members = int(args.members.replace("_", "").replace(",", ""))
    if args.child:
        child(args.units, members, args.only)
        return
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    all_good = True
    for database in databases:
        env = child_environment(database)
        if env is None:
            print("\nPostgreSQL does not answer: SQLite figures only")
            continue
        command = [sys.executable, __file__, str(members), "--units", str(args.units), "--only", args.only, "--child"]
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        sys.stderr.write(done.stderr[-4000:] if done.returncode else "")
        if done.returncode:
            raise SystemExit(f"the {database} run failed")
        line = next(line for line in done.stdout.splitlines() if line.startswith("FIGURES "))
        all_good &= report(json.loads(line[len("FIGURES ") :]))
    print("\nevery read at its target" if all_good else "\nsome reads miss their target (NO above)")


if __name__ == "__main__":
    main()
