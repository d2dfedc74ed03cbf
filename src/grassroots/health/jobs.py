"""The daily health snapshot job: on the job workers (`grassroots worker`, the django-tasks
mechanism of imports and meeting series), each run writes, for every organization, the snapshot
of its last complete day (yesterday where the organization is) unless it was written already,
then queues the next run for the next day; a worker starting queues one if none is waiting."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from grassroots.health.actions import write_snapshots
from grassroots.health.selectors.snapshots import snapshot_complete, today_of
from grassroots.organizations.models import Organization

BY = "job:health"


def _waiting() -> bool:
    return DBTaskResult.objects.filter(task_path=snapshot_health.module_path, status="READY").exists()


def write_due_snapshots() -> dict[str, int]:
    """Write yesterday's snapshot of each organization whose snapshot of that day is missing or
    incomplete (a run that failed part-way); returns the units written by organization slug."""
    written = {}
    for organization in Organization.objects.order_by("pk"):
        day = today_of(organization) - dt.timedelta(days=1)
        if not snapshot_complete(organization, day):
            written[organization.slug] = write_snapshots(organization=organization, on=day, by=BY)
    return written


@task()
def snapshot_health() -> dict[str, int]:
    """The job: the due snapshots; then the next run, shortly after the next midnight (UTC)."""
    written = write_due_snapshots()
    if not _waiting():
        now = timezone.now()
        following = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(0, 15), tzinfo=dt.UTC)
        snapshot_health.using(run_after=following).enqueue()
    return written


def queue_snapshot_job() -> bool:
    """Queue a run now unless one is waiting (called by each worker when it starts)."""
    if _waiting():
        return False
    snapshot_health.enqueue()
    return True
