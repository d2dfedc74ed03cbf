"""Scheduled issues: confirmed when scheduled, sent by the job once due, to the audience as it is then."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from grassroots.bulletin import jobs
from grassroots.bulletin.models import Issue
from grassroots.errors import ActionRefused
from grassroots.outbox.jobs import deliver
from tests.support.bulletin import newsroom

pytestmark = pytest.mark.django_db


def test_a_scheduled_issue_waits_for_its_time_then_goes(smtp):
    room = newsroom()
    at = timezone.now() + dt.timedelta(hours=2)
    jobs.schedule(issue=room.issue, at=at, by="test", confirm=3)
    room.issue.refresh_from_db()
    assert (room.issue.status, room.issue.scheduled_for) == (Issue.Status.SCHEDULED, at)
    job = DBTaskResult.objects.get(task_path="grassroots.bulletin.jobs.send_scheduled")
    assert job.run_after == at  # the worker does not take it before its time
    assert jobs.send_scheduled.call(room.issue.pk) is False  # not due yet: nothing happens
    assert room.issue.mailing_id is None
    Issue.objects.filter(pk=room.issue.pk).update(scheduled_for=timezone.now() - dt.timedelta(seconds=1))
    assert jobs.send_scheduled.call(room.issue.pk) is True
    deliver()
    room.issue.refresh_from_db()
    assert room.issue.status == Issue.Status.SENT
    assert sorted(smtp.recipients) == ["ann@example.org", "bob@example.org", "cy@example.org"]


def test_a_time_past_or_without_zone_is_refused():
    room = newsroom()
    with pytest.raises(ActionRefused, match="has passed"):
        jobs.schedule(issue=room.issue, at=timezone.now() - dt.timedelta(minutes=1), by="test", confirm=3)
    with pytest.raises(ActionRefused, match="with its zone"):
        jobs.schedule(issue=room.issue, at=dt.datetime(2030, 1, 1, 9), by="test", confirm=3)  # noqa: DTZ001
    assert not DBTaskResult.objects.exists()
