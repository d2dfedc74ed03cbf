"""Directives at organizing scale: `python bench/directives.py [--units N] [--members N] [--database D]`.

`--database` is sqlite, postgres or both (the default).

On the shared scale organization (`bench/scale.py`: about 10,000 units, 9,600 of them branches,
and 1,000,000 members by default), with a secretary in every branch (written set-based for the
run), measures:

- issuing a directive from the centre to every branch: the assignments written in one
  INSERT ... SELECT and the notice to every branch secretary queued in the outbox (target
  under 2 s);
- with 60 % of the assignments reported (a number field), the roll-up of the centre and of a
  district (`selectors.rollup`) and the table of every committee under the district
  (`selectors.committee_rollup`), each against its floor: the one grouped range-scan query
  (counts per status over the path range) measured in the same run (target within 3x).

Median of five runs after a warm-up. Everything the run writes is rolled back at its end, so the
shared organization stays as `bench/scale.py` built it. Each database runs in a child process.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reads import measure, report_children  # noqa: E402

RUNS = 5
ISSUE_TARGET_S = 2.0
TARGET_RATIO = 3.0
FIELD = "Leaflets distributed"


def _branch_secretaries(organization) -> int:
    """A secretary in every branch without one: the branch's first current member (set-based)."""
    from django.db import connection

    from grassroots.organizations.models import OfficerPost, Unit
    from grassroots.people.models import Membership

    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {OfficerPost._meta.db_table} (unit_id, person_id, post, start)"
            f" SELECT m.unit_id, MIN(m.person_id), 'secretary', %s FROM {Membership._meta.db_table} m"
            f" JOIN {Unit._meta.db_table} u ON u.id = m.unit_id"
            " WHERE u.organization_id = %s AND u.kind = 'branch' AND m.\"end\" IS NULL"
            f" AND NOT EXISTS (SELECT 1 FROM {OfficerPost._meta.db_table} p WHERE p.unit_id = u.id"
            " AND p.post = 'secretary' AND p.\"end\" IS NULL)"
            " GROUP BY m.unit_id",
            [dt.date(2020, 1, 1), organization.pk],
        )
        return cursor.rowcount


def _report_sixty_percent(directive) -> int:
    """60 % of the assignments done with a figure (set-based: the bench's data, not the path measured)."""
    from django.db import connection

    from grassroots.directives.models import Assignment

    value = "jsonb_build_object(%s, a.id %% 100)" if connection.vendor == "postgresql" else "json_object(%s, id %% 100)"
    table = Assignment._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} a SET status = 'done', latest_values = {value}"
                " WHERE a.directive_id = %s AND a.id %% 5 < 3",
                [FIELD, directive.pk],
            )
        else:
            cursor.execute(
                f"UPDATE {table} SET status = 'done', latest_values = {value} WHERE directive_id = %s AND id %% 5 < 3",
                [FIELD, directive.pk],
            )
        return cursor.rowcount


FLOOR = (
    "SELECT status, COUNT(*) FROM directives_assignment WHERE directive_id = %s"
    " AND unit_path >= %s AND unit_path < %s GROUP BY status"
)


def child(units: int, members: int) -> None:
    from scale import build_organization, setup_django

    vendor = setup_django()
    scale = build_organization(units=units, members=members)
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from grassroots.directives import actions, selectors
    from grassroots.organizations.models import Unit

    centre, district = Unit.objects.get(pk=scale.centre.pk), Unit.objects.get(pk=scale.district.pk)
    results: list[dict] = []
    with transaction.atomic():
        secretaries = _branch_secretaries(scale.organization)
        due = (timezone.localtime() + dt.timedelta(days=30)).replace(tzinfo=None, second=0, microsecond=0)
        directive = actions.create_directive(
            issuer=centre,
            title="Count the leaflets",
            due=due,
            by="bench",
            kind="report",
            target_kind="branch",
            form=[{"name": FIELD, "type": "number", "required": True}],
        )
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            assignments = actions.issue_directive(directive=directive, by="bench")
        issue_s = time.perf_counter() - started
        reported = _report_sixty_percent(directive)
        if vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE directives_assignment")
        directive.refresh_from_db()
        directive.unit, directive.organization = centre, scale.organization
        for name, run, root in [
            ("roll-up of the centre", lambda: selectors.rollup(directive), centre),
            ("roll-up of a district", lambda: selectors.rollup(directive, unit=district), district),
            ("table of the district's committees", lambda: selectors.committee_rollup(directive, unit=district),
             district),
            ("table of every committee under the centre", lambda: selectors.committee_rollup(directive), centre),
        ]:  # fmt: skip

            def floor(root=root):
                with connection.cursor() as cursor:
                    cursor.execute(FLOOR, [directive.pk, root.path, root.path + "~"])
                    cursor.fetchall()

            with CaptureQueriesContext(connection) as counted:
                answer = run()
            results.append(
                {
                    "name": name,
                    "ms": measure(run, RUNS),
                    "floor": measure(floor, RUNS),
                    "queries": len(counted.captured_queries),
                    "answer": answer if isinstance(answer, dict) else {"rows": len(answer), "first": answer[0]},
                }
            )
        transaction.set_rollback(True)
    figures = {
        "vendor": vendor,
        "units": scale.units,
        "members": members,
        "secretaries": secretaries,
        "assignments": assignments,
        "issue_s": issue_s,
        "issue_queries": len(captured.captured_queries),
        "reported": reported,
        "reads": results,
    }
    print("FIGURES " + json.dumps(figures, default=str))


def report(figures: dict) -> bool:
    print(f"\n== {figures['vendor']}: {figures['units']:,} units, {figures['members']:,} members ==")
    issue_ok = figures["issue_s"] <= ISSUE_TARGET_S
    print(
        f"issue to {figures['assignments']:,} branches ({figures['secretaries']:,} secretaries told): "
        f"{figures['issue_s']:.3f} s in {figures['issue_queries']} queries (target {ISSUE_TARGET_S:g} s: "
        f"{'yes' if issue_ok else 'NO'})"
    )
    print(f"reported: {figures['reported']:,} of {figures['assignments']:,}")
    print("| read | ms | floor ms | ratio | queries | at target |")
    print("|---|---|---|---|---|---|")
    good = issue_ok
    for read in figures["reads"]:
        ratio = read["ms"] / max(read["floor"], 0.001)
        # The issue's targets are the two roll-ups; the committee tables are measured beside them.
        targeted = read["name"].startswith("roll-up")
        ok = ratio <= TARGET_RATIO
        good &= ok or not targeted
        verdict = ("yes" if ok else "NO") if targeted else "not a target"
        print(
            f"| {read['name']} | {read['ms']:,.2f} | {read['floor']:,.2f} | {ratio:,.1f} | {read['queries']} | "
            f"{verdict} |"
        )
    district = next(read for read in figures["reads"] if read["name"] == "roll-up of a district")["answer"]
    print(
        f"district: {district['done']} of {district['targets']} done ({district['completion']:.0%}), "
        f"{FIELD}: {district['fields'][FIELD]}"
    )
    return good


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.units, args.members)
        return
    report_children(__file__, args.database, ["--units", str(args.units), "--members", str(args.members)], report)


if __name__ == "__main__":
    main()
