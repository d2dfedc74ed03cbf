"""The one error every action raises when a rule refuses a change, and the input guards that
raise it the same way on every path (pages, API, command line, imports)."""

import datetime as dt
import unicodedata
from zoneinfo import ZoneInfo

from django.utils import timezone

# No organization Grassroots serves has records from before this day: an earlier date is a typo
# (0001-01-01, 0200 for 2000) that would only distort ages, durations and counts.
EARLIEST_DAY = dt.date(1900, 1, 1)
# An address is a postal address, not a document: what a field may hold, on every path.
ADDRESS_MAX_LENGTH = 500


class ActionRefused(Exception):
    """An action refused: nothing was changed. `reasons` lists every rule that failed."""

    def __init__(self, message: str, *, reasons: list[str] | None = None, field: str | None = None):
        self.message = message
        self.reasons = reasons or []
        self.field = field
        super().__init__(self.full_message)

    @property
    def full_message(self) -> str:
        if not self.reasons:
            return self.message
        return f"{self.message}: " + "; ".join(self.reasons)


class InvalidFields(ActionRefused):
    """Input refused field by field: `errors` maps every field found wrong to its message
    (`field: why`), all of them at once, so the caller fixes them in one go. The API answers it
    422 with one entry per field; pages show each under its field."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(errors.values()), field=next(iter(errors)))


def refuse_overlong(field: str, value: str, limit: int) -> None:
    """Refuse text longer than its column holds, naming the field (PostgreSQL would fail late)."""
    if len(value) > limit:
        raise ActionRefused(f"{field}: at most {limit} characters ({len(value)} given)", field=field)


def refuse_too_early(field: str, day: dt.date) -> None:
    """Refuse a date before `EARLIEST_DAY`, naming the field."""
    if day < EARLIEST_DAY:
        raise ActionRefused(f"{field}: {day} is before {EARLIEST_DAY}, earlier than any record kept here", field=field)


def local_today(time_zone: str) -> dt.date:
    """Today in `time_zone` (an IANA zone)."""
    return timezone.localdate(timezone=ZoneInfo(time_zone))


def refuse_unknown_day(field: str, day: dt.date, *, time_zone: str) -> dt.date:
    """Refuse a day to read figures on (health, roll-up, trend, growth, education) that is after
    today in `time_zone` (the organization's IANA zone: nothing is recorded yet, the figures would
    be made up) or before `EARLIEST_DAY`, naming the field; return the day when it is neither."""
    today = local_today(time_zone)
    if day > today:
        raise ActionRefused(f"{field}: {day} is in the future (today is {today} in {time_zone})", field=field)
    refuse_too_early(field, day)
    return day


def day_or_today(field: str, day: dt.date | None, *, time_zone: str) -> dt.date:
    """`day`, refused as `refuse_unknown_day` does, or today in `time_zone` when it is None."""
    if day is None:
        return local_today(time_zone)
    return refuse_unknown_day(field, day, time_zone=time_zone)


def control_character(value: str) -> str | None:
    """The first line break or control character of `value` (a title goes into mail headers,
    where one is refused at every delivery), or None."""
    return next((c for c in value if unicodedata.category(c) in ("Cc", "Zl", "Zp")), None)


def refuse_multiline(field: str, value: str) -> None:
    """Refuse a one-line text (a title) that holds a line break or control character, naming the field."""
    bad = control_character(value)
    if bad is not None:
        raise ActionRefused(
            f"{field}: one line, without line breaks or control characters (found U+{ord(bad):04X})", field=field
        )
