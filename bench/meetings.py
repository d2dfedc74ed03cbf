"""Meetings at organizing scale: `python bench/meetings.py [--units N] [--members N] [--database sqlite|postgres|both]`.

On the shared scale organization (`bench/scale.py`: about 10,000 units and 1,000,000 members by
default) with two years of meetings added by `scale.add_meetings` (every unit meets every
fortnight: about 500,000 meetings and 10,000,000 attendance rows at full size, written
set-based), measures each of these against its floor, the one indexed query a perfect
implementation would run for the same answer, measured in the same run:

- a branch's meetings page (upcoming and past, with present / expected counts), as the district secretary;
- a meeting page with 200 on its attendance list, as the district secretary;
- one check-in tap through the host link (mark present, then undo; target under 20 ms and at
  most 5 queries);
- the subtree calendar feed of the district (iCalendar, a year back and ahead): polled again,
  polled with its ETag, its first request in a process, written again from the events kept,
  and with nothing kept anywhere;
- the standing of every member of the district today (the selector later issues use).

Median of five runs after a warm-up, with the number of queries of each and the query plan of
the slowest query of each read. Each database runs in a child process; PostgreSQL is measured
in the database `DATABASE_URL` names (or GRASSROOTS_BENCH_PG_DB, as `bench/reads.py` does).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reads import child_environment, explain, measure, signed_in, slowest_query  # noqa: E402

RUNS = 5
TARGET_RATIO = 3.0
TAP_TARGET_MS = 20.0
TAP_TARGET_QUERIES = 5


@dataclass
class Case:
    """One read (or the tap): what runs, and the floor's SQL with its parameters."""

    name: str
    run: Callable[[], None]
    floor: str
    params: tuple


def _fetch(client, url: str, *, post: dict | None = None, expect: int = 200) -> None:
    response = client.post(url, post) if post is not None else client.get(url)
    if response.status_code != expect:
        raise SystemExit(f"{url}: {response.status_code}")
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)


def cases(scale, meetings) -> list[Case]:
    from django.test import Client
    from django.utils import timezone

    from grassroots.meetings.actions import create_feed
    from grassroots.meetings.feeds import _event_bytes
    from grassroots.meetings.models import Attendance, FeedToken, MeetingEvent
    from grassroots.meetings.selectors import standing_in

    org = scale.organization.slug
    district, branch, assembly = scale.district, scale.branch, meetings.assembly
    secretary = signed_in(scale.secretary)
    # One client for the requests without a sign-in (a new one builds the middleware again).
    door = Client(SERVER_NAME="localhost")
    feed, secret = create_feed(owner=scale.secretary, organization=scale.organization, scope="subtree", unit=district)
    now = timezone.now()
    d_lo, d_hi = district.path, district.path + "~"
    tapped = Attendance.objects.filter(meeting=assembly).order_by("person_id").values_list("person_id", flat=True)[0]
    taps = {"present": True}

    def tap() -> None:
        # Alternately mark present and undo, so that every tap changes the row.
        present = "1" if taps["present"] else "0"
        taps["present"] = not taps["present"]
        _fetch(door, f"/h/{meetings.host_token}/tap/", post={"person": tapped, "present": present}, expect=302)

    def standing() -> None:
        rows = standing_in(scale.secretary, district, on=timezone.localdate())
        assert rows, "the district has members"

    def cold_feed() -> None:
        # Calendar clients ask for a feed again and again; its body is kept with the feed under
        # its ETag, and each event it writes with its meeting (grassroots.meetings.views, .feeds).
        # The first request of a process: nothing kept in its memory.
        _event_bytes.cache_clear()
        _fetch(door, f"/feeds/{secret}.ics")

    def rewritten_feed() -> None:
        # The body written again from the events kept in the database (after a change, e.g.).
        FeedToken.objects.filter(pk=feed.pk).update(kept_etag="")
        _event_bytes.cache_clear()
        _fetch(door, f"/feeds/{secret}.ics")

    def unkept_feed() -> None:
        # Nothing kept anywhere: every event written through icalendar, and kept.
        FeedToken.objects.filter(pk=feed.pk).update(kept_etag="")
        MeetingEvent.objects.filter(meeting__unit__path__startswith=district.path).delete()
        _event_bytes.cache_clear()
        _fetch(door, f"/feeds/{secret}.ics")

    etag = {}

    def conditional_feed() -> None:
        # A calendar client that kept the ETag of its last answer: 304 while nothing changed.
        if "value" not in etag:
            etag["value"] = door.get(f"/feeds/{secret}.ics")["ETag"]
        response = door.get(f"/feeds/{secret}.ics", headers={"If-None-Match": etag["value"]})
        if response.status_code != 304:
            raise SystemExit(f"the feed asked with its ETag: {response.status_code}")

    year_ago = now - dt.timedelta(days=365)
    since = now - dt.timedelta(days=365)
    administrator = signed_in(scale.administrator)
    return [
        # The fixed cost of any signed-in request (session, second factor, grants, routing), as
        # bench/reads.py measures it: the smallest API list, against a one-row query.
        Case(
            "baseline: API organizations",
            lambda: _fetch(administrator, "/api/orgs"),
            "SELECT id, slug FROM organizations_organization WHERE id = %s",
            (scale.organization.pk,),
        ),
        Case(
            "branch meetings page",
            lambda: _fetch(secretary, f"/o/{org}/u/{branch.slug}/meetings/"),
            # The 20 last meetings with their counts (the upcoming ones are the same query the other way).
            "SELECT m.id, m.title, m.start, m.status, "
            "SUM(CASE WHEN a.status = 'present' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN a.status IN ('invited', 'registered', 'present', 'absent') THEN 1 ELSE 0 END) "
            "FROM meetings_meeting m LEFT JOIN meetings_attendance a ON a.meeting_id = m.id "
            "WHERE m.unit_id = %s AND m.start < %s GROUP BY m.id, m.title, m.start, m.status "
            "ORDER BY m.start DESC LIMIT 20",
            (branch.pk, now),
        ),
        Case(
            "meeting page, 200 on the list",
            lambda: _fetch(secretary, f"/o/{org}/meetings/{assembly.pk}/"),
            "SELECT a.id, a.status, p.id, p.name FROM meetings_attendance a JOIN people_person p ON p.id = a.person_id "
            "WHERE a.meeting_id = %s ORDER BY p.name, p.id",
            (assembly.pk,),
        ),
        Case(
            "check-in tap (host link)",
            tap,
            "UPDATE meetings_attendance SET status = status WHERE meeting_id = %s AND person_id = %s",
            (assembly.pk, tapped),
        ),
        Case(
            "district subtree feed (iCal), polled again",
            lambda: _fetch(door, f"/feeds/{secret}.ics"),
            "SELECT m.id, m.uid, m.title, m.start, m.duration, m.place, m.status, m.sequence, u.name "
            "FROM meetings_meeting m JOIN organizations_unit u ON u.id = m.unit_id "
            "WHERE u.path >= %s AND u.path < %s AND m.start >= %s ORDER BY m.start, m.id",
            (d_lo, d_hi, year_ago),
        ),
        Case(
            "district subtree feed, polled with its ETag (304)",
            conditional_feed,
            "SELECT m.id, m.uid, m.title, m.start, m.duration, m.place, m.status, m.sequence, u.name "
            "FROM meetings_meeting m JOIN organizations_unit u ON u.id = m.unit_id "
            "WHERE u.path >= %s AND u.path < %s AND m.start >= %s ORDER BY m.start, m.id",
            (d_lo, d_hi, year_ago),
        ),
        Case(
            "district subtree feed, first request of a process",
            cold_feed,
            "SELECT m.id, m.uid, m.title, m.start, m.duration, m.place, m.status, m.sequence, u.name "
            "FROM meetings_meeting m JOIN organizations_unit u ON u.id = m.unit_id "
            "WHERE u.path >= %s AND u.path < %s AND m.start >= %s ORDER BY m.start, m.id",
            (d_lo, d_hi, year_ago),
        ),
        Case(
            "district subtree feed, written again from the kept events",
            rewritten_feed,
            "SELECT m.id, m.uid, m.title, m.start, m.duration, m.place, m.status, m.sequence, u.name "
            "FROM meetings_meeting m JOIN organizations_unit u ON u.id = m.unit_id "
            "WHERE u.path >= %s AND u.path < %s AND m.start >= %s ORDER BY m.start, m.id",
            (d_lo, d_hi, year_ago),
        ),
        Case(
            "district subtree feed, nothing kept anywhere",
            unkept_feed,
            "SELECT m.id, m.uid, m.title, m.start, m.duration, m.place, m.status, m.sequence, u.name "
            "FROM meetings_meeting m JOIN organizations_unit u ON u.id = m.unit_id "
            "WHERE u.path >= %s AND u.path < %s AND m.start >= %s ORDER BY m.start, m.id",
            (d_lo, d_hi, year_ago),
        ),
        Case(
            "standing of the district's members",
            standing,
            "SELECT p.id, COUNT(a.id) FROM people_person p "
            "LEFT JOIN meetings_attendance a ON a.person_id = p.id AND a.status = 'present' "
            "AND a.meeting_id IN "
            "(SELECT id FROM meetings_meeting WHERE start >= %s AND status IN ('held', 'approved')) "
            "WHERE p.organization_id = %s AND p.unit_path >= %s AND p.unit_path < %s GROUP BY p.id",
            (since, scale.organization.pk, d_lo, d_hi),
        ),
    ]


def child(units: int, members: int) -> None:
    from scale import add_meetings, build_organization, setup_django

    vendor = setup_django()
    started = time.perf_counter()
    scale = build_organization(units=units, members=members)
    meetings = add_meetings(scale)
    print(f"organization and meetings ready in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    results = []
    for case in cases(scale, meetings):

        def floor(case=case):
            with connection.cursor() as cursor:
                cursor.execute(case.floor, case.params)
                if cursor.description:
                    cursor.fetchall()

        ms = measure(case.run, RUNS)
        floor_ms = measure(floor, RUNS)
        with CaptureQueriesContext(connection) as captured:
            case.run()
        sql = [query["sql"] for query in captured.captured_queries]
        slowest_ms, slowest_sql = slowest_query(sql)
        results.append(
            {
                "name": case.name,
                "ms": ms,
                "floor": floor_ms,
                "queries": len(sql),
                "slowest_ms": slowest_ms,
                "slowest_sql": slowest_sql,
                "plan": explain(slowest_sql, vendor) if slowest_sql else "",
            }
        )
    figures = {
        "vendor": vendor,
        "units": scale.units,
        "members": members,
        "meetings": meetings.meetings,
        "attendance": meetings.attendance,
        "reads": results,
    }
    print("FIGURES " + json.dumps(figures))


def at_target(read: dict, fixed: float) -> bool:
    """The tap: under its time in at most its queries. A read: within TARGET_RATIO of its floor,
    or of the fixed cost of a request when that is more (a request's own cost is no read's)."""
    if read["name"].startswith("check-in tap"):
        return read["ms"] <= TAP_TARGET_MS and read["queries"] <= TAP_TARGET_QUERIES
    return read["ms"] <= TARGET_RATIO * max(read["floor"], fixed)


def report(figures: dict, plans: bool) -> bool:
    """Print the table; True when every read is at its target."""
    print(
        f"\n== {figures['vendor']}: {figures['units']:,} units, {figures['members']:,} members, "
        f"{figures['meetings']:,} meetings, {figures['attendance']:,} attendance rows =="
    )
    fixed = figures["reads"][0]["ms"]
    print(
        f"at target: within {TARGET_RATIO:g}x of the floor, or of the fixed cost of a request ({fixed:.1f} ms, "
        f"the baseline row) for a request; the tap under {TAP_TARGET_MS:g} ms in at most {TAP_TARGET_QUERIES} queries"
    )
    print("| read | ms | floor ms | ratio | queries | at target |")
    print("|---|---|---|---|---|---|")
    good = True
    for read in figures["reads"]:
        ratio = read["ms"] / max(read["floor"], 0.001)
        ok = at_target(read, fixed)
        good &= ok
        print(
            f"| {read['name']} | {read['ms']:,.1f} | {read['floor']:,.2f} | {ratio:,.1f} | {read['queries']} | "
            f"{'yes' if ok else 'NO'} |"
        )
    if plans:
        print("\nThe slowest query of each, with its plan:")
        for read in figures["reads"]:
            print(f"- {read['name']}: slowest query {read['slowest_ms']:,.1f} ms")
            print(f"    {read['slowest_sql'][:400]}")
            print(read["plan"])
    return good


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--plans", action="store_true", help="print the slowest query of each read with its plan")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.units, args.members)
        return
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    all_good = True
    for database in databases:
        env = child_environment(database, keep_url=True)
        if env is None:
            print("\nPostgreSQL does not answer: SQLite figures only")
            continue
        command = [sys.executable, __file__, "--units", str(args.units), "--members", str(args.members), "--child"]
        done = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True)
        if done.returncode:
            raise SystemExit(f"the {database} run failed")
        line = next(line for line in done.stdout.splitlines() if line.startswith("FIGURES "))
        all_good &= report(json.loads(line[len("FIGURES ") :]), args.plans)
    print("\nevery read at its target" if all_good else "\nsome reads miss their target (NO above)")


if __name__ == "__main__":
    main()
