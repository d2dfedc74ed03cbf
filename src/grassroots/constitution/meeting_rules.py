"""Quorum and standing: the constitution's meeting rules applied to counts.

Plain Python with no database access: the selectors count members and attendance, these
functions say what the rules require of those counts.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from .schema import QuorumRule, StandingRule


def quorum_required(rule: QuorumRule | None, members: int) -> int:
    """How many must be present for a decision, out of `members` in good standing (0: no quorum rule)."""
    if rule is None:
        return 0
    share = math.ceil(rule.share_of_members * members - 1e-9) if rule.share_of_members is not None else 0
    return max(share, rule.at_least or 0)


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` months earlier (the month's last day when it is shorter)."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    next_month = dt.date(year + month // 12, month % 12 + 1, 1)
    last = (next_month - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


@dataclass(frozen=True)
class Standing:
    """A member's standing on a day: the meetings attended in the rule's window against what it asks."""

    on: dt.date
    attended: int
    required: int
    window_start: dt.date | None
    in_good_standing: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "on": self.on.isoformat(),
            "attended": self.attended,
            "required": self.required,
            "since": self.window_start.isoformat() if self.window_start else None,
            "in_good_standing": self.in_good_standing,
        }


def standing_window(rule: StandingRule, on: dt.date) -> dt.date:
    """The day `in_months` months before `on`: meetings after it, up to `on` inclusive, count."""
    return months_before(on, rule.in_months)


def standing(rule: StandingRule | None, *, on: dt.date, attended: int, member: bool) -> Standing:
    """Whether a member is in good standing: a current member, and (with a rule) enough meetings attended."""
    if rule is None:
        return Standing(on=on, attended=attended, required=0, window_start=None, in_good_standing=member)
    return Standing(
        on=on,
        attended=attended,
        required=rule.attended_at_least,
        window_start=standing_window(rule, on),
        in_good_standing=member and attended >= rule.attended_at_least,
    )
