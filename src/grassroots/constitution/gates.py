"""Gated status changes: what a move such as candidate → member still lacks on a day.

Plain Python with no database access: given the gate, the day the person entered their current
status and the courses they hold on the day, say every unmet requirement in words.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Collection

from .schema import StatusGate

NUMBER_WORDS = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
)


def months_later(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months later (the month's last day when it has no such day)."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def months_in_words(months: int) -> str:
    """'six months', 'one month', '18 months'."""
    number = NUMBER_WORDS[months] if months < len(NUMBER_WORDS) else str(months)
    return f"{number} month{'' if months == 1 else 's'}"


def unmet_requirements(
    gate: StatusGate, *, status: str, since: dt.date, on: dt.date, held: Collection[str]
) -> list[str]:
    """Every requirement of `gate` not met on `on` by someone in `status` since `since` who holds
    completions of the courses in `held` on that day: the missing courses in the gate's order,
    then the time in status, e.g. "six months as candidate reached on 2027-07-10". Empty: the move
    may go ahead."""
    unmet = [f"course {code} not completed" for code in gate.courses if code not in held]
    if gate.months_in_status:
        reached = months_later(since, gate.months_in_status)
        if on < reached:
            unmet.append(f"{months_in_words(gate.months_in_status)} as {status} reached on {reached.isoformat()}")
    return unmet
