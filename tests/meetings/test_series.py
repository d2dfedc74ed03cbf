"""Meeting series: occurrences by python-dateutil's rrule in local time, a rolling window filled by
the series job, edits that change only future unheld occurrences."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from grassroots.errors import ActionRefused
from grassroots.meetings import actions
from grassroots.meetings.jobs import queue_series_job, roll_series
from grassroots.meetings.models import Meeting
from tests.support import builders
from tests.support.meetings import second_tuesdays

pytestmark = pytest.mark.django_db
BY = builders.BY
FAR = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def elm():
    return builders.federation(builders.organization())["elm"]


def test_second_tuesday_in_berlin_keeps_its_local_time_across_the_clock_change(elm):
    """Known values: the second Tuesdays of January to June 2027 are the 12th, 9th, 9th, 13th, 11th
    and 8th; Berlin is UTC+1 until 28 March 2027 and UTC+2 after, and 13 April is excluded."""
    series = second_tuesdays(elm)
    starts = list(series.occurrences.order_by("start").values_list("start", flat=True))
    utc = dt.UTC
    assert starts == [
        dt.datetime(2027, 1, 12, 18, 0, tzinfo=utc),
        dt.datetime(2027, 2, 9, 18, 0, tzinfo=utc),
        dt.datetime(2027, 3, 9, 18, 0, tzinfo=utc),
        dt.datetime(2027, 5, 11, 17, 0, tzinfo=utc),
        dt.datetime(2027, 6, 8, 17, 0, tzinfo=utc),
    ]
    assert {m.local_start.time() for m in series.occurrences.all()} == {dt.time(19, 0)}
    assert series.occurrences.first().attendance.filter(status="invited").count() == 3
    again = actions.extend_series(series=series, by=BY, until=FAR)
    assert again == []  # one occurrence per series and start


def test_a_first_start_in_the_clock_change_gap_is_refused(elm):
    with pytest.raises(ActionRefused, match=r"start: 2027-03-28 02:30 does not exist in Europe/Berlin"):
        actions.schedule_series(
            unit=elm,
            title="Night shift",
            start=dt.datetime(2027, 3, 28, 2, 30),
            time_zone="Europe/Berlin",
            rule="FREQ=WEEKLY",
            by=BY,
        )
    assert not elm.meeting_series.exists()


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("FREQ=HOURLY", "repeat: meetings repeat at most daily"),
        ("FREQ=SOMETIMES", "repeat: 'FREQ=SOMETIMES' is not a recurrence rule"),
        ("DTSTART:20270101T000000\nRRULE:FREQ=DAILY", "repeat: give an RRULE value"),
        ("FREQ=WEEKLY;COUNT=1", "repeat: the rule gives no meeting"),
    ],
)
def test_bad_rules_are_refused_and_nothing_is_written(elm, rule, message):
    with pytest.raises(ActionRefused, match=message):
        actions.schedule_series(
            unit=elm,
            title="Bad",
            start=dt.datetime(2027, 1, 5, 19, 0),
            rule=rule,
            excluded=[dt.date(2027, 1, 5)],
            by=BY,
        )
    assert not elm.meeting_series.exists()
    assert not Meeting.objects.filter(title="Bad").exists()


def test_the_window_rolls_with_the_series_job(elm, settings):
    settings.GRASSROOTS_SERIES_WINDOW_DAYS = 30
    today = timezone.localdate()
    series = actions.schedule_series(
        unit=elm, title="Weekly", start=dt.datetime.combine(today, dt.time(18, 0)), rule="FREQ=WEEKLY", by=BY
    )
    assert series.occurrences.count() in (4, 5)  # the weeks starting in the next 30 days
    settings.GRASSROOTS_SERIES_WINDOW_DAYS = 60
    assert queue_series_job() is True
    assert queue_series_job() is False  # one waiting is enough
    assert builders.run_jobs() == 1
    assert series.occurrences.count() in (8, 9)
    # The run queued the next one, a day later.
    waiting = DBTaskResult.objects.get(task_path=roll_series.module_path, status="READY")
    assert waiting.run_after > timezone.now() + dt.timedelta(hours=23)


def test_editing_a_series_changes_only_future_unheld_unchanged_occurrences(elm):
    today = timezone.localdate()
    start = dt.datetime.combine(today - dt.timedelta(days=14), dt.time(18, 0))
    series = actions.schedule_series(unit=elm, title="Weekly", start=start, rule="FREQ=WEEKLY;COUNT=6", by=BY)
    past = series.occurrences.order_by("start")[0]
    actions.mark_held(meeting=past, by=BY)
    future = list(series.occurrences.filter(start__gt=timezone.now()).order_by("start"))
    moved_alone = actions.reschedule_meeting(meeting=future[1], place="Garden", by=BY)
    actions.edit_series(series=series, start=start.replace(hour=19), place="Hall", by=BY)
    past.refresh_from_db()
    assert (past.local_start.hour, past.status, past.place) == (18, "held", "")
    moved_alone.refresh_from_db()
    assert (moved_alone.local_start.hour, moved_alone.place, moved_alone.changed) == (18, "Garden", True)
    followed = Meeting.objects.get(pk=future[2].pk)
    assert (followed.local_start.hour, followed.place, followed.sequence) == (19, "Hall", 1)
    # Excluding a future date removes its unheld occurrence.
    actions.edit_series(series=series, excluded=[future[2].on], by=BY)
    assert not Meeting.objects.filter(pk=future[2].pk).exists()
    assert Meeting.objects.filter(pk=moved_alone.pk).exists()


def test_a_series_starts_at_the_rules_first_occurrence(elm):
    """A calendar counts DTSTART as an occurrence: the series begins where the rule does."""
    series = actions.schedule_series(
        unit=elm, title="Tuesdays", start=dt.datetime(2027, 1, 1, 19, 0), rule="FREQ=MONTHLY;BYDAY=2TU;COUNT=2", by=BY
    )
    assert series.first_start == dt.datetime(2027, 1, 12, 19, 0, tzinfo=dt.UTC)
