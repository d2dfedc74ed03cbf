"""Writes of the health app: the daily snapshot of every unit's health, and its backfill.

Units are evaluated by batches in path order (`health_of_units`, a fixed number of queries per
batch, never one per unit, read outside any transaction) and each batch is written in its own
short transaction: its units' rows of the day are deleted and inserted again in one bulk insert.
So a run never holds SQLite's one write lock for longer than a batch's insert (a day of a
million members took about 17 s to evaluate; pages' and the API's writes wait for the lock at
most the busy timeout of the settings), and a day that was written before stays whole while it
is rebuilt: every unit keeps its old row until its batch replaces it. A run that fails part-way
leaves each unit's row old or new and a second run gives the same rows; a new day appears batch
by batch, and the daily job takes a day as written only once every unit measured has its row
(`snapshot_complete`).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from grassroots.access import authorize
from grassroots.audit.actions import Actor, write_audit_record
from grassroots.constitution.health import meetings_window
from grassroots.errors import ActionRefused
from grassroots.health.models import HealthSnapshot
from grassroots.health.selectors import health_of_units, standing_history
from grassroots.health.selectors.snapshots import attendance_sums, today_of, units_measured
from grassroots.organizations.models import PATH_END, Organization, Unit

# Basic units evaluated together: bounded memory, and a few queries per this many units.
BATCH = 5000
# A backfill rebuilds at most this many days in one command.
MAX_BACKFILL_DAYS = 800


def _rows(organization: Organization, units: list[Unit], on: dt.date, history) -> list[HealthSnapshot]:
    basic = set(organization.constitution.basic_kinds)
    found = health_of_units(units, on=on, history=history)
    rows = []
    for unit in units:
        health = found[unit.pk]
        present, expected = attendance_sums(health)
        rows.append(
            HealthSnapshot(
                organization=organization,
                unit=unit,
                on=on,
                path=unit.path,
                kind=unit.kind,
                basic=unit.kind in basic,
                consolidated=health.consolidated,
                tier=health.tier,
                score=health.score,
                members=health.members,
                in_good_standing=health.in_good_standing,
                present=present,
                expected=expected,
                indicators=[
                    {
                        "indicator": result.indicator,
                        "value": round(result.value, 6) if isinstance(result.value, float) else result.value,
                        "threshold": result.threshold,
                        "passed": result.passed,
                        "required": result.required,
                    }
                    for result in health.results
                ],
            )
        )
    return rows


def write_snapshots(*, organization: Organization, on: dt.date, by: Actor, path: str = "") -> int:
    """Write the health snapshot of day `on` for the organization (or the subtree at `path`),
    replacing its rows of that day one batch of units per transaction (see the module's
    docstring); returns the number of units written.

    Refuses a day after today (no records say what a future day holds)."""
    authorize(by, "manage_units", organization=organization)
    if on > today_of(organization):
        raise ActionRefused(
            f"on: {on.isoformat()} is in the future; a snapshot records a day that has come", field="on"
        )
    basic = set(organization.constitution.basic_kinds)
    measured = units_measured(organization, on=on, path=path)
    day = HealthSnapshot.objects.filter(organization=organization, on=on)
    if path:
        day = day.filter(path__gte=path, path__lt=path + PATH_END)
    with transaction.atomic():
        # Rows of units no longer measured that day (dissolved since, or of a kind without
        # indicators now): one anti-join, whatever the number of units.
        day.exclude(unit_id__in=measured.order_by().values("pk")).delete()
    units = list(measured)
    bodies = [unit for unit in units if unit.kind not in basic]
    basic_units = [unit for unit in units if unit.kind in basic]
    kinds = organization.constitution.unit_kinds.values()
    # Bodies together (their subtrees are read as a few ranges), basic units by batches.
    batches = [bodies] + [basic_units[start : start + BATCH] for start in range(0, len(basic_units), BATCH)]
    # Good standing looks at the same attendance for every batch: read once for the day.
    window = max((meetings_window(kind.health_indicators()) for kind in kinds), default=0)
    history = standing_history(organization, first=on - dt.timedelta(days=window), last=on)
    written = 0
    for batch in batches:
        if batch:
            rows = _rows(organization, batch, on, history)
            with transaction.atomic():
                day.filter(unit_id__in=[unit.pk for unit in batch]).delete()
                written += len(HealthSnapshot.objects.bulk_create(rows, batch_size=1000))
    write_audit_record(
        by=by,
        action="health.snapshot",
        target=organization,
        organization=organization,
        changes={"on": [None, on.isoformat()], "units": [None, written], "path": [None, path or None]},
    )
    return written


def backfill_snapshots(
    *, organization: Organization, since: dt.date, until: dt.date, by: Actor, progress=None
) -> dict[dt.date, int]:
    """Rebuild the snapshots of every day from `since` to `until` (both included), day after
    day, each by `write_snapshots` (one transaction per batch of units, never one for the whole
    run); returns the units written per day.
    Running it again gives the same rows. `progress(day, units)` is called after each day."""
    if until < since:
        raise ActionRefused(f"--to: {until.isoformat()} is before --from {since.isoformat()}", field="to")
    if until > today_of(organization):
        raise ActionRefused(f"--to: {until.isoformat()} is in the future", field="to")
    days = (until - since).days + 1
    if days > MAX_BACKFILL_DAYS:
        raise ActionRefused(f"--from: {days} days asked, at most {MAX_BACKFILL_DAYS} at once", field="from")
    written = {}
    for offset in range(days):
        day = since + dt.timedelta(days=offset)
        written[day] = write_snapshots(organization=organization, on=day, by=by)
        if progress is not None:
            progress(day, written[day])
    return written
