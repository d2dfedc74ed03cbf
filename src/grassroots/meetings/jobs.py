"""The series job: keeps every meeting series' rolling window of occurrences filled. It runs on
the job workers (`grassroots worker`, the same django-tasks mechanism as imports); each run
queues the next one for a day later, and a worker starting queues one if none is waiting."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from .actions import extend_all_series


def _waiting() -> bool:
    return DBTaskResult.objects.filter(task_path=roll_series.module_path, status="READY").exists()


@task()
def roll_series() -> int:
    """The job: create the occurrences now inside the window; then queue the next run."""
    created = extend_all_series(by="job:series")
    if not _waiting():
        roll_series.using(run_after=timezone.now() + dt.timedelta(days=1)).enqueue()
    return created


def queue_series_job() -> bool:
    """Queue a run now unless one is waiting (called by each worker when it starts)."""
    if _waiting():
        return False
    roll_series.enqueue()
    return True
