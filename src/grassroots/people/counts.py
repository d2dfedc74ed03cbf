"""Per-unit member counts by status (`MemberCount`): kept in step with the memberships, and checked.

The writes call `count_changes` in their own transaction with what they changed; the import
calls it once per batch. `recount` says where the kept counts and the memberships disagree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django.db import connection
from django.db.models import Count, F

from grassroots.organizations.models import Unit

from .models import MemberCount, Membership

# Rows of counts written by one statement (three parameters each: well under SQLite's limit).
CHUNK = 2000


def _upsert(rows: int) -> str:
    """Statuses' counts of units, each plus a delta, in one statement: `rows` (unit id, status,
    delta) triples; a new row takes the unit's path."""
    table, units = MemberCount._meta.db_table, Unit._meta.db_table
    values = ", ".join(["(%s, %s, %s)"] * rows)
    cast = "CAST(v.unit_id AS bigint)" if connection.vendor == "postgresql" else "v.unit_id"
    return (
        f"WITH v (unit_id, status, delta) AS (VALUES {values}) "
        f"INSERT INTO {table} (unit_id, status, members, path) "
        f"SELECT u.id, v.status, v.delta, u.path FROM v JOIN {units} u ON u.id = {cast} WHERE true "
        f"ON CONFLICT (unit_id, status) DO UPDATE SET members = {table}.members + excluded.members"
    )


def count_changes(changes: Iterable[tuple[int, str, int]]) -> None:
    """Add to the unit's count of each status: (unit id, status, +1 or -1) per changed membership,
    summed first, so a batch writes one row per unit and status it touched, in one statement per
    `CHUNK` rows, in (unit, status) order (two writers lock rows in the same order)."""
    totals: Counter[tuple[int, str]] = Counter()
    for unit_id, status, delta in changes:
        totals[unit_id, status] += delta
    rows = [(unit_id, status, delta) for (unit_id, status), delta in sorted(totals.items()) if delta]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            cursor.execute(_upsert(len(chunk)), [value for row in chunk for value in row])


def count_status_changes(changes: Iterable[tuple[int, str, str]]) -> None:
    """For status changes of current memberships given as (person id, old, new), before the
    memberships are updated: the old status loses one in the person's unit, the new gains one."""
    table, memberships, units = MemberCount._meta.db_table, Membership._meta.db_table, Unit._meta.db_table
    end = connection.ops.quote_name("end")
    sql = (
        f"INSERT INTO {table} (unit_id, status, members, path) "
        f"SELECT m.unit_id, %s, %s, u.path FROM {memberships} m JOIN {units} u ON u.id = m.unit_id "
        f"WHERE m.person_id = %s AND m.{end} IS NULL "
        f"ON CONFLICT (unit_id, status) DO UPDATE SET members = {table}.members + excluded.members"
    )
    rows = [row for person, old, new in changes for row in ((old, -1, person), (new, 1, person))]
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)


def recount(organization) -> list[tuple[int, str, int, int]]:
    """Where the kept counts disagree with the current memberships of the organization's units:
    (unit id, status, kept, actual) for each, in unit and status order; empty when they agree."""
    grouped = (
        Membership.objects.current()
        .filter(unit__organization=organization)
        .order_by()
        .values_list("unit_id", "status")
        .annotate(n=Count("id"))
    )
    actual = {(unit_id, status): n for unit_id, status, n in grouped}
    kept_rows = MemberCount.objects.filter(unit__organization=organization).values_list("unit_id", "status", "members")
    kept = {(unit_id, status): members for unit_id, status, members in kept_rows}
    return [
        (unit_id, status, kept.get((unit_id, status), 0), actual.get((unit_id, status), 0))
        for unit_id, status in sorted(set(actual) | set(kept))
        if kept.get((unit_id, status), 0) != actual.get((unit_id, status), 0)
    ]


def stale_paths(organization) -> list[int]:
    """The units of the organization whose kept counts carry a path other than the unit's own
    (which subtree totals would then miscount), in id order; empty when every path agrees."""
    stale = MemberCount.objects.filter(unit__organization=organization).exclude(path=F("unit__path"))
    return sorted(set(stale.values_list("unit_id", flat=True)))
