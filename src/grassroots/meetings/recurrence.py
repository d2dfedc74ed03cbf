"""Recurrence of a meeting series: an RFC 5545 RRULE expanded by python-dateutil in the series'
local time, so that 19:00 stays 19:00 across clock changes. Plain Python, no database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

from grassroots.errors import ActionRefused

# A series never yields more occurrences in one window than this (a daily rule over a year).
MOST_IN_A_WINDOW = 400


def rule_of(text: str, first: dt.datetime, *, field: str = "repeat") -> rrule:
    """The recurrence rule `text` (an RRULE value such as FREQ=MONTHLY;BYDAY=2TU;COUNT=6) from the
    naive local start `first`, or a refusal naming the field. Rules more frequent than daily, and
    rules that carry their own DTSTART, are refused."""
    text = text.strip().removeprefix("RRULE:")
    if not text or "DTSTART" in text.upper() or "\n" in text:
        raise ActionRefused(f"{field}: give an RRULE value such as FREQ=WEEKLY;BYDAY=TU", field=field)
    try:
        rule = rrulestr(text, dtstart=first)
    except (ValueError, TypeError) as error:
        raise ActionRefused(f"{field}: '{text}' is not a recurrence rule ({error})", field=field) from None
    if not isinstance(rule, rrule):
        raise ActionRefused(f"{field}: give one RRULE value", field=field)
    if any(f"FREQ={freq}" in text.upper() for freq in ("HOURLY", "MINUTELY", "SECONDLY")):
        raise ActionRefused(f"{field}: meetings repeat at most daily", field=field)
    return rule


def normalized(text: str) -> str:
    return text.strip().removeprefix("RRULE:").upper()


def local_occurrences(
    rule_text: str, first: dt.datetime, excluded: set[dt.date], *, until: dt.datetime | None = None
) -> Iterator[dt.datetime]:
    """The naive local starts the rule gives from `first`, leaving out excluded dates, up to the
    naive local `until` (exclusive)."""
    for count, local in enumerate(rule_of(rule_text, first)):
        if until is not None and local >= until:
            return
        if count > 10 * MOST_IN_A_WINDOW and until is None:
            return
        if local.date() not in excluded:
            yield local


def aware(local: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """A local occurrence as an aware time. An occurrence inside a clock change's gap moves forward
    by the gap (02:30 becomes 03:30), as RFC 5545 reads such a time; a repeated hour is the first."""
    return local.replace(tzinfo=zone, fold=0).astimezone(dt.UTC).astimezone(zone)
