"""Unit health at organizing scale: `python bench/health.py [SIZE] [--units N] [--members N] [--database D]`.

On the shared scale organization (`bench/scale.py`: about 10,000 units and 1,000,000 members by
default, or SIZE members with units in proportion) with two years of meetings and attendance
(`scale.add_meetings`, as the meetings benchmark), measures:

- the daily snapshot of the whole organization (`write_snapshots`: every founded unit's health
  written for a day, in a few queries per batch of units), once, against its target of 60 s;
- `health UNIT` for a basic unit (the branch), against the floor of one grouped range scan:
  the branch's attendance over its held meetings of the window;
- `health rollup` for the top body (the centre), read from the day's snapshot, against the floor
  of one grouped range scan of the snapshot rows of its subtree.

Median of five runs after a warm-up for the reads, with their numbers of queries. Each database
runs in a child process (D: sqlite, postgres or both); PostgreSQL is measured in the database
`DATABASE_URL` names.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reads import measure, report_children, signed_in  # noqa: E402

RUNS = 5
SNAPSHOT_TARGET_S = 60.0
DASHBOARD_TARGET_MS = 100.0
TARGET_RATIO = 3.0


def child(units: int, members: int) -> None:
    from scale import add_meetings, build_organization, setup_django

    vendor = setup_django()
    started = time.perf_counter()
    scale = build_organization(units=units, members=members, quiet=True)
    meetings = add_meetings(scale, quiet=True)
    print(f"organization and meetings ready in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from grassroots.health.actions import write_snapshots
    from grassroots.health.models import HealthSnapshot
    from grassroots.health.selectors import health_of
    from grassroots.health.selectors.snapshots import rollup_of, today_of

    organization, centre, branch = scale.organization, scale.centre, scale.branch
    admin = scale.administrator
    today = today_of(organization)
    day = today - dt.timedelta(days=1)

    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        written = write_snapshots(organization=organization, on=day, by="bench")
        snapshot_s = time.perf_counter() - started
    snapshot_queries = len(captured.captured_queries)
    assert HealthSnapshot.objects.filter(organization=organization, on=day).count() == written

    since = dt.datetime.combine(today - dt.timedelta(days=90), dt.time.min, tzinfo=dt.UTC)
    reads = [
        (
            "health UNIT (a branch, today, live)",
            lambda: health_of(admin, branch, on=today),
            "SELECT a.meeting_id, count(*) FROM meetings_attendance a JOIN meetings_meeting m ON m.id = a.meeting_id "
            "WHERE m.unit_id = %s AND m.start >= %s AND m.status IN ('held', 'approved') AND a.status = 'present' "
            "GROUP BY a.meeting_id",
            (branch.pk, since),
        ),
        (
            "health rollup (the centre, from the day's snapshot)",
            lambda: rollup_of(admin, centre, on=day),
            "SELECT tier, count(*), sum(present), sum(expected) FROM health_healthsnapshot "
            'WHERE organization_id = %s AND "on" = %s AND path >= %s AND path < %s AND basic GROUP BY tier',
            (organization.pk, day, centre.path, centre.path + "~"),
        ),
    ]
    results = []
    for name, run, floor_sql, params in reads:

        def floor(sql=floor_sql, params=params):
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                cursor.fetchall()

        ms = measure(run, RUNS)
        floor_ms = measure(floor, RUNS)
        with CaptureQueriesContext(connection) as captured:
            run()
        results.append({"name": name, "ms": ms, "floor": floor_ms, "queries": len(captured.captured_queries)})
    # The dashboard (the home page in the organization) as its server renders it, signed in as
    # the district's secretary and as the administrator of the whole organization (the centre's
    # panel): the day's snapshots plus today's live figures.
    dashboards = []
    for name, user in (
        ("dashboard of the district (its secretary)", scale.secretary),
        ("dashboard of the centre (an administrator)", admin),
    ):
        client = signed_in(user)
        url = f"/o/{organization.slug}/dashboard/"

        def get(client=client, url=url):
            response = client.get(url)
            assert response.status_code == 200, response.status_code

        ms = measure(get, RUNS)
        with CaptureQueriesContext(connection) as captured:
            get()
        dashboards.append({"name": name, "ms": ms, "queries": len(captured.captured_queries)})
    figures = {
        "vendor": vendor,
        "dashboards": dashboards,
        "units": scale.units,
        "members": members,
        "meetings": meetings.meetings,
        "attendance": meetings.attendance,
        "snapshot": {"seconds": snapshot_s, "units": written, "queries": snapshot_queries},
        "reads": results,
    }
    print("FIGURES " + json.dumps(figures))


def report(figures: dict) -> bool:
    """Print the figures; True when each is at its target."""
    print(
        f"\n== {figures['vendor']}: {figures['units']:,} units, {figures['members']:,} members, "
        f"{figures['meetings']:,} meetings, {figures['attendance']:,} attendance rows =="
    )
    snapshot = figures["snapshot"]
    good = snapshot["seconds"] <= SNAPSHOT_TARGET_S
    print(
        f"daily snapshot of the whole organization: {snapshot['seconds']:.1f} s for {snapshot['units']:,} units "
        f"in {snapshot['queries']} queries (target {SNAPSHOT_TARGET_S:g} s): {'yes' if good else 'NO'}"
    )
    print(f"| read | ms | floor ms | ratio | queries | within {TARGET_RATIO:g}x |")
    print("|---|---|---|---|---|---|")
    for read in figures["reads"]:
        ratio = read["ms"] / max(read["floor"], 0.001)
        ok = ratio <= TARGET_RATIO
        good &= ok
        print(
            f"| {read['name']} | {read['ms']:,.1f} | {read['floor']:,.2f} | {ratio:,.1f} | {read['queries']} | "
            f"{'yes' if ok else 'NO'} |"
        )
    print(f"| page | ms | queries | under {DASHBOARD_TARGET_MS:g} ms |")
    print("|---|---|---|---|")
    for page in figures["dashboards"]:
        ok = page["ms"] <= DASHBOARD_TARGET_MS
        good &= ok
        print(f"| {page['name']} | {page['ms']:,.1f} | {page['queries']} | {'yes' if ok else 'NO'} |")
    return good


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", nargs="?", type=int, help="members (units in proportion: one per 100 members)")
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.size:
        args.members, args.units = args.size, max(50, args.size // 100)
    if args.child:
        child(args.units, args.members)
        return
    report_children(__file__, args.database, ["--units", str(args.units), "--members", str(args.members)], report)


if __name__ == "__main__":
    main()
