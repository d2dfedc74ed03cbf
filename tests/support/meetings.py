"""The meeting series the issue's known values are about, for the tests that check them."""

from __future__ import annotations

import datetime as dt

from grassroots.meetings import actions
from grassroots.meetings.models import MeetingSeries
from grassroots.organizations.models import Unit
from tests.support.builders import BY

FAR = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)


def second_tuesdays(unit: Unit, **extra) -> MeetingSeries:
    """Second Tuesday 19:00 Europe/Berlin from 2027-01-12, six times, 13 April left out: five
    meetings, at 18:00 UTC from January to March and 17:00 UTC in May and June. All are created
    (up to 2030) unless `until` says otherwise."""
    return actions.schedule_series(
        unit=unit,
        title="Second Tuesday",
        start=dt.datetime(2027, 1, 12, 19, 0),
        time_zone="Europe/Berlin",
        rule="FREQ=MONTHLY;BYDAY=2TU;COUNT=6",
        excluded=[dt.date(2027, 4, 13)],
        by=BY,
        **{"until": FAR, **extra},
    )
