"""Notices of directives through the outbox, to a real SMTP server: the officers of the target
units told of a new directive, reminded three days before it is due and once it is overdue,
each reminder once per assignment however often the job runs."""

from __future__ import annotations

import datetime as dt
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from grassroots.directives import actions, jobs
from grassroots.directives.models import Assignment, Reminder
from grassroots.outbox.jobs import deliver
from grassroots.outbox.models import Mailing
from tests.support import builders
from tests.support.directives import DUE, region

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


def _subjects(smtp) -> list[tuple[str, str]]:
    return sorted((received.recipients[0], str(received.message["Subject"])) for received in smtp.received)


def test_officers_are_told_and_reminded_once(smtp):
    scene = region()
    district = scene.districts[0]
    directive = actions.create_directive(
        issuer=district, title="Leaflets", due=DUE, by="t", target_kind="building_committee", body="Hand *them* out"
    )
    jobs.issue(directive=directive, by="t")
    deliver()
    houses = [unit.slug for unit in scene.committees[district.slug]]
    assert _subjects(smtp) == [
        (f"sec-{slug}@example.org", "New directive from District 1: Leaflets") for slug in houses
    ]
    html = smtp.received[0].message.get_body(("html",)).get_content()
    assert "<em>them</em>" in html and "Due: 2027-05-01 23:59 (Europe/Berlin)" in html
    smtp.received.clear()
    done = Assignment.objects.select_related("unit", "directive").get(directive=directive, unit__slug=houses[0])
    actions.set_assignment_status(assignment=done, status="done", by="t")

    four_days_before = dt.datetime(2027, 4, 27, 23, 0, tzinfo=BERLIN)
    assert jobs.run_reminders(now=four_days_before) == {"due_soon": 0, "overdue": 0}
    two_days_before = dt.datetime(2027, 4, 29, 12, 0, tzinfo=BERLIN)
    assert jobs.run_reminders(now=two_days_before) == {"due_soon": 3, "overdue": 0}
    assert jobs.run_reminders(now=two_days_before + dt.timedelta(hours=5)) == {"due_soon": 0, "overdue": 0}
    deliver()
    assert _subjects(smtp) == [
        (f"sec-{slug}@example.org", "Reminder: due in three days: Leaflets") for slug in houses[1:]
    ]
    smtp.received.clear()

    at_due = dt.datetime(2027, 5, 1, 23, 59, tzinfo=BERLIN)
    assert jobs.run_reminders(now=at_due)["overdue"] == 0
    midnight = dt.datetime(2027, 5, 2, 0, 0, tzinfo=BERLIN)
    assert jobs.run_reminders(now=midnight)["overdue"] == 3
    assert jobs.run_reminders(now=midnight + dt.timedelta(hours=1))["overdue"] == 0
    deliver()
    assert _subjects(smtp) == [(f"sec-{slug}@example.org", "Overdue: Leaflets") for slug in houses[1:]]
    assert Reminder.objects.filter(kind="overdue").count() == 3


def test_running_the_reminder_job_twice_sends_exactly_one_overdue_reminder(smtp):
    scene = region()
    unit = scene.committees[scene.districts[0].slug][0]
    directive = actions.create_directive(issuer=scene.top, title="Count", due=DUE, by="t", targets=[unit])
    actions.issue_directive(directive=directive, by="t")
    deliver()
    smtp.received.clear()
    midnight = dt.datetime(2027, 5, 2, 0, 0, tzinfo=BERLIN)
    for _ in range(2):  # the job, as the workers run it
        jobs.remind_officers.enqueue(midnight.isoformat())
        builders.run_jobs()
        deliver()
    assert [(r.recipients, str(r.message["Subject"])) for r in smtp.received] == [
        ([f"sec-{unit.slug}@example.org"], "Overdue: Count")
    ]


def test_a_reissue_tells_the_units_that_had_acknowledged_it(smtp):
    scene = region()
    houses = scene.committees[scene.districts[1].slug]
    directive = actions.create_directive(
        issuer=scene.districts[1], title="Survey", due=DUE, by="t", target_kind="building_committee"
    )
    actions.issue_directive(directive=directive, by="t")
    for unit, status in zip(houses[:2], ["acknowledged", "in_progress"], strict=True):
        assignment = Assignment.objects.select_related("unit", "directive").get(directive=directive, unit=unit)
        actions.set_assignment_status(assignment=assignment, status=status, by="t")
    deliver()
    smtp.received.clear()
    jobs.reissue(directive=directive, by="t", title="Survey, second round")
    deliver()
    assert directive.version == 2
    assert _subjects(smtp) == [
        (f"sec-{unit.slug}@example.org", "Directive changed (version 2) by District 2: Survey, second round")
        for unit in houses[:2]
    ]
    assert Mailing.objects.filter(source=f"directives.directive:{directive.pk}:v2").count() == 1


def test_a_directive_issued_within_three_days_of_its_due_time_gets_no_due_soon_reminder(smtp):
    """Issued at 12:00 on 29 April 2027 (Berlin) and due the same day at 12:30, or two days later:
    the notice of the new directive said when; no "due in three days" follows. One issued on
    27 April for 1 May 23:59 (4.5 days) is reminded as usual."""
    scene = region()
    unit = scene.committees[scene.districts[0].slug][0]
    issued_at = dt.datetime(2027, 4, 29, 12, 0, tzinfo=BERLIN)
    for title, due in [("Minutes", dt.datetime(2027, 4, 29, 12, 30)), ("Days", dt.datetime(2027, 5, 1, 12, 0))]:
        with mock.patch("django.utils.timezone.now", return_value=issued_at - dt.timedelta(minutes=1)):
            directive = actions.create_directive(issuer=scene.top, title=title, due=due, by="t", targets=[unit])
            actions.issue_directive(directive=directive, by="t")
    assert jobs.run_reminders(now=issued_at) == {"due_soon": 0, "overdue": 0}
    with mock.patch("django.utils.timezone.now", return_value=dt.datetime(2027, 4, 27, 12, 0, tzinfo=BERLIN)):
        early = actions.create_directive(issuer=scene.top, title="Early", due=DUE, by="t", targets=[unit])
        actions.issue_directive(directive=early, by="t")
    assert jobs.run_reminders(now=issued_at) == {"due_soon": 1, "overdue": 0}
    assert Reminder.objects.get().assignment.directive == early
