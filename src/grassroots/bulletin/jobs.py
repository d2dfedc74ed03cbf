"""The bulletin's background work: scheduled issues, sent by a job due at their time."""

from __future__ import annotations

from django.db import transaction
from django_tasks import task

from grassroots.outbox.jobs import start_delivery

from . import actions
from .models import Issue


@task()
def send_scheduled(issue_id: int) -> bool:
    """Send the issue if it is still scheduled and due; then start delivering it."""
    issue = Issue.objects.select_related("publication__organization", "audience_unit").filter(pk=issue_id).first()
    if issue is None or actions.send_scheduled_issue(issue=issue) is None:
        return False
    start_delivery()
    return True


def schedule(**arguments) -> Issue:
    """Schedule an issue (the action) and queue the job that sends it at its time."""
    with transaction.atomic():
        issue = actions.schedule_issue(**arguments)
        send_scheduled.using(run_after=issue.scheduled_for).enqueue(issue.pk)
    return issue
