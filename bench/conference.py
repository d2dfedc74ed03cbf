"""Conferences at organizing scale: `python bench/conference.py [SIZE] [--units N] [--members N] [--database D]`.

Measures, in one run:

- the apportionment engine: 435 seats over 10,000 units (`--house-units`; members drawn from a
  fixed seed, many equal counts so ties happen) with Huntington-Hill and with D'Hondt, in exact
  arithmetic (target under 1 s each), beside the floor of building and sorting the 10,000 exact
  quotas once;
- on the shared scale organization (`bench/scale.py`: about 10,000 units and 1,000,000 members
  by default, or SIZE members with units in proportion), the members counted at a cut-off date
  for every branch of a conference convened by the centre (`selectors.members_at_cutoff`: the
  memberships running that day, their status as it stood then, grouped by unit), against the
  floor of one grouped range-scan query over the memberships of the subtree (running that day,
  today's status counted, grouped by unit) measured in the same run (target within 3x); and the
  whole apportionment from the records (`compute_apportionment`: the founded units, the counts,
  the engine) for the record;
- closing a poll of 2,000 weighted named votes through the database (`assembly.close_poll`,
  see `poll_figures`; target under 200 ms).

Median of five runs after a warm-up for the reads. Each database runs in a child process (D:
sqlite, postgres or both); PostgreSQL is measured in the database `DATABASE_URL` names. The
conference the run plans is rolled back at its end. A small SIZE (e.g. 20000) runs in seconds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reads import measure, ratio_table, report_children  # noqa: E402

RUNS = 5
SEATS = 435
ENGINE_TARGET_S = 1.0
TARGET_RATIO = 3.0
POLL_TARGET_MS = 200
CUTOFF = dt.date(2024, 6, 1)  # after the scale organization's branches were founded (2024-01-15)
FLOOR = (
    "SELECT m.unit_id, COUNT(*) FROM people_membership m JOIN organizations_unit u ON u.id = m.unit_id"
    ' WHERE u.path >= %s AND u.path < %s AND m.start <= %s AND (m."end" IS NULL OR m."end" > %s)'
    " AND m.status IN ({statuses}) GROUP BY m.unit_id"
)


def best_of(work, runs: int = RUNS) -> float:
    """The fastest of `runs` calls, in seconds."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def engine_figures(units: int) -> dict:
    """435 seats over `units` units by Huntington-Hill and D'Hondt, and the floor of the quotas."""
    from grassroots.conferences.apportionment import apportion

    draw = random.Random(17)
    members = {f"unit-{n:05d}": int(draw.lognormvariate(4.5, 1.0)) + 1 for n in range(units)}
    total = sum(members.values())
    floor = best_of(lambda: sorted(Fraction(count, total) for count in members.values()))
    methods = {}
    for method in ("huntington-hill", "dhondt"):
        result = apportion(members, seats=SEATS, method=method)
        methods[method] = {
            "seconds": best_of(lambda method=method: apportion(members, seats=SEATS, method=method)),
            "seated": sum(1 for line in result.units if line.seats),
            "ties": len(result.ties),
        }
    return {"units": units, "members": total, "floor": floor, "methods": methods}


def child(units: int, members: int, house_units: int) -> None:
    from scale import build_organization, setup_django

    vendor = setup_django()
    started = time.perf_counter()
    scale = build_organization(units=units, members=members, quiet=True)
    print(f"organization ready in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from grassroots.conferences import actions, selectors

    engine = engine_figures(house_units)
    reads = []
    with transaction.atomic():
        conference = actions.add_conference(
            unit=scale.centre, name="Bench conference", cutoff=CUTOFF, by="bench", method="dhondt", seats=SEATS
        )
        statuses = selectors.counted_statuses(conference)
        floor_sql = FLOOR.format(statuses=", ".join(["%s"] * len(statuses)))
        params = [scale.centre.path, scale.centre.path + "~", CUTOFF, CUTOFF, *statuses]

        def floor():
            with connection.cursor() as cursor:
                cursor.execute(floor_sql, params)
                return cursor.fetchall()

        counts = selectors.members_at_cutoff(conference)
        for name, run, floored in [
            ("members at the cut-off, every branch (one grouped query)",
             lambda: selectors.members_at_cutoff(conference), True),
            ("apportionment from the records (units, counts, engine)",
             lambda: actions.compute_apportionment(conference), False),
        ]:  # fmt: skip
            with CaptureQueriesContext(connection) as captured:
                run()
            reads.append(
                {
                    "name": name,
                    "ms": measure(run, RUNS),
                    "floor": measure(floor, RUNS) if floored else None,
                    "queries": len(captured.captured_queries),
                }
            )
        floor_rows = dict(floor())
        poll = poll_figures(scale, conference)
        transaction.set_rollback(True)
    figures = {
        "vendor": vendor,
        "units": scale.units,
        "members": members,
        "counted": sum(counts.values()),
        "counted_today_status": sum(floor_rows.values()),
        "branches_counted": len(counts),
        "engine": engine,
        "reads": reads,
        "poll": poll,
    }
    print("FIGURES " + json.dumps(figures))


def poll_figures(scale, conference, delegations: int = 200, size: int = 10) -> dict:
    """Close a poll of 2,000 weighted named votes through the database (`assembly.close_poll`:
    the entitled list, the proxies and the votes read, the engine's count, the frozen lists and
    result written, the audit record), each run in a savepoint rolled back. `delegations` of
    `size` seated delegates each (weights 1 to 20, every seventh splitting), plus an absent one
    per delegation whose proxy its first delegate holds. Median of five after a warm-up."""
    from django.db import connection, transaction
    from django.db.models import Max
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from grassroots.conferences import assembly
    from grassroots.conferences.models import Allocation, Conference, Delegate, Delegation, PollVote, Proxy
    from grassroots.meetings.actions import schedule_meeting
    from grassroots.meetings.models import Decision
    from grassroots.organizations.models import Unit
    from grassroots.people.models import Person

    now = timezone.now()
    start = (timezone.localtime() - dt.timedelta(hours=1)).replace(tzinfo=None, second=0, microsecond=0)
    meeting = schedule_meeting(unit=scale.centre, title="Bench", start=start, by="bench")
    decision = Decision.objects.create(meeting=meeting, text="Delegates", outcome="carried", present=1, required=1,
                                       quorate=True)  # fmt: skip
    units = list(Unit.objects.filter(organization=scale.organization, kind="branch").order_by("path")[:delegations])
    Allocation.objects.filter(conference=conference).delete()
    allocations = Allocation.objects.bulk_create(
        Allocation(conference=conference, unit=unit, unit_path=unit.path, members=size, seats=size) for unit in units
    )
    rows = Delegation.objects.bulk_create(
        Delegation(
            conference=conference, allocation=allocation, unit=allocation.unit, decision=decision, elected_at=now
        )  # fmt: skip
        for allocation in allocations
    )
    people = iter(
        Person.objects.filter(organization=scale.organization).values_list("pk", flat=True)[: len(rows) * (size + 1)]
    )
    seated, absent = [], []
    for delegation in rows:
        for rank in range(1, size + 2):
            delegate = Delegate(delegation=delegation, conference=conference, person_id=next(people), role="delegate",
                                rank=rank, weight=1 + (len(seated) % 20), credential="seated", present=rank <= size,
                                checked_in_at=now)  # fmt: skip
            (seated if rank <= size else absent).append(delegate)
    Delegate.objects.bulk_create(seated + absent, batch_size=1000)
    Proxy.objects.bulk_create(
        Proxy(conference=conference, giver=giver, holder=seated[size * n], given_at=now)
        for n, giver in enumerate(absent)
    )
    Conference.objects.filter(pk=conference.pk).update(status="in_session")
    conference.refresh_from_db()
    poll = assembly.open_poll(
        poll=assembly.add_poll(conference=conference, by="bench", subject="Bench", majority="two-thirds"), by="bench"
    )
    PollVote.objects.bulk_create(
        (
            PollVote(poll=poll, delegate=delegate, yes=n % 20 % delegate.weight, no=1, cast_at=now)
            if n % 7 == 0 and delegate.weight > 1
            else PollVote(poll=poll, delegate=delegate, choice=("yes", "no", "abstain")[n % 3], cast_at=now)
            for n, delegate in enumerate(seated)
        ),
        batch_size=1000,
    )
    closed = {}

    def close():
        with transaction.atomic():
            closed["result"] = assembly.close_poll(poll=poll, by="bench").result
            transaction.set_rollback(True)

    with CaptureQueriesContext(connection) as captured:
        close()
    ms = measure(close, RUNS)
    result = closed["result"]
    assert Delegate.objects.filter(conference=conference).aggregate(Max("weight"))["weight__max"] == 20
    return {"votes": len(seated), "ms": ms, "queries": len(captured.captured_queries), "yes": result["yes"],
            "no": result["no"], "abstain": result["abstain"], "passed": result["passed"]}  # fmt: skip


def report(figures: dict) -> bool:
    """Print the figures; True when each is at its target."""
    engine = figures["engine"]
    print(
        f"\n== {figures['vendor']}: {figures['units']:,} units, {figures['members']:,} members; "
        f"counted on {CUTOFF}: {figures['counted']:,} in {figures['branches_counted']:,} branches "
        f"(today's status: {figures['counted_today_status']:,}) =="
    )
    print(
        f"engine, {SEATS} seats over {engine['units']:,} units ({engine['members']:,} members); "
        f"floor (build and sort the exact quotas): {engine['floor'] * 1000:.1f} ms"
    )
    good = True
    for method, run in engine["methods"].items():
        ok = run["seconds"] <= ENGINE_TARGET_S
        good &= ok
        print(
            f"  {method}: {run['seconds'] * 1000:,.1f} ms, {run['seconds'] / engine['floor']:.1f}x the floor, "
            f"{run['seated']:,} units seated, {run['ties']} tie(s) (target {ENGINE_TARGET_S:g} s): "
            f"{'yes' if ok else 'NO'}"
        )
    good &= ratio_table(figures["reads"], TARGET_RATIO)
    poll = figures["poll"]
    ok = poll["ms"] < POLL_TARGET_MS
    print(
        f"close a poll of {poll['votes']:,} weighted named votes through the database ({poll['queries']} queries): "
        f"{poll['ms']:.1f} ms (target {POLL_TARGET_MS} ms): {'yes' if ok else 'NO'}; yes {poll['yes']}, "
        f"no {poll['no']}, abstain {poll['abstain']}, {'passed' if poll['passed'] else 'failed'}"
    )
    return good and ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", nargs="?", type=int, help="members (units in proportion: one per 100 members)")
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--house-units", type=int, default=10_000, help="units the engine shares 435 seats over")
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.size:
        args.members, args.units = args.size, max(50, args.size // 100)
    if args.child:
        child(args.units, args.members, args.house_units)
        return
    arguments = ["--units", str(args.units), "--members", str(args.members), "--house-units", str(args.house_units)]
    report_children(__file__, args.database, arguments, report)


if __name__ == "__main__":
    main()
