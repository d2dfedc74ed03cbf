"""Recurrence of a meeting series: an RFC 5545 RRULE expanded by python-dateutil in the series'
local time, so that 19:00 stays 19:00 across clock changes. Plain Python, no database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from dateutil.parser import parse as parse_datetime
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
    if any(part in text.upper() for part in ("BYHOUR", "BYMINUTE", "BYSECOND")):
        # One meeting a day at most, at the start's time: an occurrence is known by its date.
        raise ActionRefused(
            f"{field}: the time of day comes from the start (no BYHOUR, BYMINUTE or BYSECOND)", field=field
        )
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


def nominal(day: dt.date, first: dt.datetime) -> dt.datetime:
    """The naive local time the rule gives on `day`: the first start's time of day (what a
    calendar's RECURRENCE-ID and EXDATE name, even inside a clock change's gap)."""
    return dt.datetime.combine(day, first.time())


def calendar_rule(text: str, zone: ZoneInfo) -> str:
    """The rule as a calendar reads it beside a DTSTART with a time zone: an UNTIL (kept in local
    time here, as python-dateutil wants it with a naive start) written in UTC, as RFC 5545 asks."""
    parts = []
    for part in normalized(text).split(";"):
        name, _, value = part.partition("=")
        if name == "UNTIL" and not value.endswith("Z"):
            # Read as python-dateutil reads it (a bare date is its midnight), so both agree.
            local = parse_datetime(value).replace(tzinfo=None)
            value = aware(local, zone).astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        parts.append(f"{name}={value}")
    return ";".join(parts)
