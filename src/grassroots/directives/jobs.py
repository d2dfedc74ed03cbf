"""Background work of directives: the reminder job (three days before the due time, and once
overdue; each reminder once per assignment however often it runs), and issuing with the
outbox's sending started once the transaction has committed."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from grassroots.outbox.jobs import start_delivery

from . import actions
from .models import Directive

REMIND_EVERY = dt.timedelta(hours=1)


def _waiting() -> bool:
    return DBTaskResult.objects.filter(task_path=remind_officers.module_path, status="READY").exists()


def run_reminders(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Queue the reminders due now and start sending them; returns how many, by kind."""
    sent = actions.send_reminders(now=now)
    if any(sent.values()):
        transaction.on_commit(start_delivery)
    return sent


@task()
def remind_officers(now: str | None = None) -> dict[str, int]:
    """The job: remind whoever is due a reminder (as at `now`, an ISO time, by default the
    present), then queue the next run an hour later."""
    sent = run_reminders(now=dt.datetime.fromisoformat(now) if now else None)
    if not _waiting():
        remind_officers.using(run_after=timezone.now() + REMIND_EVERY).enqueue()
    return sent


def queue_reminder_job() -> bool:
    """Queue a run now unless one is waiting (called by each worker when it starts)."""
    if _waiting():
        return False
    remind_officers.enqueue()
    return True


def issue(*, directive: Directive, by) -> int:
    """Issue the directive (the action) and start sending its notices after the commit."""
    with transaction.atomic():
        count = actions.issue_directive(directive=directive, by=by)
        transaction.on_commit(start_delivery)
    return count


def create_and_issue(*, draft: bool = False, **arguments) -> tuple[Directive, int]:
    """Draft the directive (`actions.create_directive` with `arguments`) and, unless `draft`, issue
    it, in one transaction: a refused issue (no unit to send it to...) writes nothing, not even the
    draft. Returns the directive and its number of assignments (0 for a draft)."""
    with transaction.atomic():
        directive = actions.create_directive(**arguments)
        count = 0 if draft else actions.issue_directive(directive=directive, by=arguments["by"])
        if not draft:
            transaction.on_commit(start_delivery)
    return directive, count


def pass_on(**arguments) -> Directive:
    """Pass an assignment on (the action) and start sending the notices after the commit."""
    with transaction.atomic():
        child = actions.pass_on(**arguments)
        transaction.on_commit(start_delivery)
    return child


def reissue(**arguments) -> Directive:
    """Re-issue (the action) and start sending the notices after the commit."""
    with transaction.atomic():
        directive = actions.reissue_directive(**arguments)
        transaction.on_commit(start_delivery)
    return directive
