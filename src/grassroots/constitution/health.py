"""Unit health: the constitution's indicators applied to facts about one unit on one day.

Plain Python with no database access: the selectors gather `HealthFacts` from the dated
records (meetings that took place and who was present, memberships and their statuses by day,
officer posts held), and this module says for each indicator its value, what it requires,
whether it passes, and the meetings and members behind the figure; then whether the unit is
consolidated (every required indicator passes) and its tier (from the weighted passes).

Rates are shares from 0 to 1 (shown as percentages); a rate with nothing to divide by has no
value and fails, since nothing shows the unit meets it. Education share counts the members on
the day who hold, that day, a completion of every course the indicator names (a completion
holds from its day until its expiry).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .schema import (
    AttendanceRateIndicator,
    CoverageIndicator,
    EducationShareIndicator,
    Indicator,
    MeetingsHeldIndicator,
    NetGrowthIndicator,
    OfficersFilledIndicator,
    RetentionIndicator,
    Tier,
    indicator_params,
    indicator_type,
)

TITLES = {
    "meetings_held": "Meetings held",
    "attendance_rate": "Attendance rate",
    "officers_filled": "Officer posts filled",
    "retention": "Retention",
    "net_growth": "Net growth",
    "coverage": "Coverage",
    "education_share": "Education share",
}
RATES = frozenset({"attendance_rate", "officers_filled", "retention", "coverage", "education_share"})
COMPARATOR_WORDS = {">=": "at least", ">": "more than", "<=": "at most", "<": "less than"}


@dataclass(frozen=True)
class MeetingFigure:
    """A meeting that took place: its members in good standing that day and how many of them were present."""

    meeting: int
    on: dt.date
    title: str
    present: int
    members: int

    def as_dict(self) -> dict[str, object]:
        return {
            "meeting": self.meeting,
            "on": self.on.isoformat(),
            "title": self.title,
            "present": self.present,
            "members": self.members,
        }


@dataclass(frozen=True)
class PersonRef:
    """Someone behind a figure: their number, name and why they are listed ('left', 'secretary')."""

    id: int
    name: str
    note: str

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "note": self.note}


@dataclass(frozen=True)
class HealthFacts:
    """What the indicators look at, for one unit on day `on`.

    `meetings`: the unit's meetings that took place up to `on`, reaching back at least the
    longest meetings window. `members`: for each day asked, the people counted as members of the
    unit (of its subtree, for a body above the basic level) that day. `posts`: each post of the
    unit itself held on `on`, with its holder's number. `post_holders`: each post held on `on`
    anywhere in the unit's subtree, with the numbers of its holders. `completed`: for each course
    code, the people (among the members on `on`, at least) holding a completion of it on `on`.
    `names`: people's names.
    """

    on: dt.date
    meetings: tuple[MeetingFigure, ...] = ()
    members: dict[dt.date, frozenset[int]] = field(default_factory=dict)
    posts: dict[str, int] = field(default_factory=dict)
    post_holders: dict[str, frozenset[int]] = field(default_factory=dict)
    completed: dict[str, frozenset[int]] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class IndicatorResult:
    """One indicator's verdict: `value` (a share from 0 to 1 for rates, else a count), `passed`
    (None: not measured), and in words what it requires, what there is and what is missing."""

    indicator: str
    title: str
    value: float | int | None
    threshold: float | int
    comparator: str
    passed: bool | None
    required: bool
    weight: int
    window_days: int | None
    required_text: str
    actual: str
    missing: str
    meetings: tuple[MeetingFigure, ...] = ()
    members: tuple[PersonRef, ...] = ()

    def as_dict(self, *, with_people: bool = True) -> dict[str, object]:
        return {
            "indicator": self.indicator,
            "title": self.title,
            "value": round(self.value, 4) if isinstance(self.value, float) else self.value,
            "threshold": self.threshold,
            "comparator": self.comparator,
            "passed": self.passed,
            "required": self.required,
            "weight": self.weight,
            "window_days": self.window_days,
            "required_text": self.required_text,
            "actual": self.actual,
            "missing": self.missing,
            "meetings": [meeting.as_dict() for meeting in self.meetings],
            "members": [person.as_dict() for person in self.members] if with_people else [],
        }


@dataclass(frozen=True)
class Health:
    """A unit's health on a day: each indicator, whether it is consolidated, its tier (1 to 5,
    None when its kind declares no indicators) and the tier's label."""

    unit: str
    on: dt.date
    results: list[IndicatorResult]
    score: float | None
    tier: int | None
    tier_label: str
    members: int = 0
    in_good_standing: int = 0

    @property
    def consolidated(self) -> bool:
        """Every required indicator passes (one not measured is left out); never with no indicators."""
        measured = [result for result in self.results if result.passed is not None]
        return bool(measured) and all(result.passed for result in measured if result.required)

    @property
    def failed(self) -> list[IndicatorResult]:
        return [result for result in self.results if result.passed is False]

    def as_dict(self, *, with_people: bool = True) -> dict[str, object]:
        return {
            "unit": self.unit,
            "on": self.on.isoformat(),
            "consolidated": self.consolidated,
            "tier": self.tier,
            "tier_label": self.tier_label,
            "score": round(self.score, 4) if self.score is not None else None,
            "indicators": [result.as_dict(with_people=with_people) for result in self.results],
        }


def compare(value: float, comparator: str, threshold: float) -> bool:
    """`value comparator threshold`, with rates compared to a millionth (1/3 of 3 is not below 1/3)."""
    slack = 1e-9
    if comparator == ">=":
        return value >= threshold - slack
    if comparator == ">":
        return value > threshold + slack
    if comparator == "<=":
        return value <= threshold + slack
    return value < threshold - slack


def percent(value: float) -> str:
    return f"{value * 100:.1f} %"


def _plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else (words or word + 's')}"


def _shown(name: str, value: float | int) -> str:
    if name in RATES:
        return percent(value)
    if name == "net_growth":
        return f"{value:+d}"
    return str(value)


def _in_window(on: dt.date, day: dt.date, window_days: int) -> bool:
    return on - dt.timedelta(days=window_days) < day <= on


def evaluate_indicator(indicator: Indicator, facts: HealthFacts) -> IndicatorResult:
    """Say what one indicator finds in these facts."""
    name = indicator_type(indicator)
    params = indicator_params(indicator)
    threshold = params.threshold  # type: ignore[attr-defined]
    window = getattr(params, "window_days", None)
    required_text = f"{COMPARATOR_WORDS[params.comparator]} {_shown(name, threshold)}"
    if window is not None:
        required_text += f" over the last {window} days"
    value: float | int | None = None
    actual, meetings, people = "", (), ()  # type: tuple[str, tuple[MeetingFigure, ...], tuple[PersonRef, ...]]
    end = facts.members.get(facts.on, frozenset())
    if isinstance(indicator, MeetingsHeldIndicator):
        meetings = tuple(m for m in facts.meetings if _in_window(facts.on, m.on, indicator.meetings_held.window_days))
        value = len(meetings)
        actual = _plural(value, "meeting") + " held"
    elif isinstance(indicator, AttendanceRateIndicator):
        meetings = tuple(m for m in facts.meetings if _in_window(facts.on, m.on, indicator.attendance_rate.window_days))
        present, members = sum(m.present for m in meetings), sum(m.members for m in meetings)
        value = present / members if members else None
        actual = (
            f"{present} present of {_plural(members, 'member')} in good standing at {_plural(len(meetings), 'meeting')}"
        )
        actual += f": {percent(value)}" if value is not None else ""
    elif isinstance(indicator, OfficersFilledIndicator):
        posts = indicator.officers_filled.posts
        held = [post for post in posts if post in facts.posts]
        value = len(held) / len(posts)
        actual = "; ".join(
            f"{post}: {facts.names.get(facts.posts[post], '?')}" if post in facts.posts else f"no {post}"
            for post in posts
        )
        people = tuple(PersonRef(facts.posts[post], facts.names.get(facts.posts[post], ""), post) for post in held)
    elif isinstance(indicator, RetentionIndicator | NetGrowthIndicator):
        since = facts.on - dt.timedelta(days=window or 0)
        start = facts.members.get(since, frozenset())
        if isinstance(indicator, RetentionIndicator):
            stayed = start & end
            value = len(stayed) / len(start) if start else None
            actual = f"{len(stayed)} of {_plural(len(start), 'member')} on {since.isoformat()} still members"
            actual += f": {percent(value)}" if value is not None else ""
            people = tuple(PersonRef(pk, facts.names.get(pk, ""), "left") for pk in sorted(start - end))
        else:
            value = len(end) - len(start)
            actual = f"{_plural(len(end), 'member')}, {len(start)} on {since.isoformat()}: {value:+d}"
    elif isinstance(indicator, CoverageIndicator):
        wanted = indicator.coverage.posts or list(facts.post_holders)
        holders = frozenset().union(*(facts.post_holders.get(post, frozenset()) for post in wanted)) & end
        value = len(holders) / len(end) if end else None
        actual = f"{len(holders)} of {_plural(len(end), 'member')} hold a post"
        actual += f": {percent(value)}" if value is not None else ""
        people = tuple(PersonRef(pk, facts.names.get(pk, ""), "holds a post") for pk in sorted(holders))
    elif isinstance(indicator, EducationShareIndicator):
        courses = indicator.education_share.courses
        done = frozenset(end).intersection(*(facts.completed.get(code, frozenset()) for code in courses))
        value = len(done) / len(end) if end else None
        actual = f"{len(done)} of {_plural(len(end), 'member')} completed {', '.join(courses)}"
        actual += f": {percent(value)}" if value is not None else ""
    passed = value is not None and compare(value, params.comparator, threshold)
    missing = ""
    if not passed:
        shown = "no value" if value is None else _shown(name, value)
        missing = f"{shown}, {required_text.split(' over ')[0]} needed"
    return IndicatorResult(
        indicator=name,
        title=TITLES[name],
        value=value,
        threshold=threshold,
        comparator=params.comparator,
        passed=passed,
        required=params.required,
        weight=params.weight,
        window_days=window,
        required_text=required_text,
        actual=actual,
        missing=missing,
        meetings=meetings,
        members=people,
    )


def tier_of(score: float, tiers: list[Tier]) -> int:
    """The highest tier (1 to len(tiers)) whose `at_least` the score reaches."""
    reached = [number for number, tier in enumerate(tiers, start=1) if score >= tier.at_least - 1e-9]
    return reached[-1]


def evaluate_health(
    indicators: list[Indicator],
    facts: HealthFacts,
    *,
    unit: str,
    tiers: list[Tier],
    in_good_standing: int | None = None,
) -> Health:
    """Every indicator of the unit's kind on `facts.on`, the unit's consolidation and its tier.

    The score is the weight of the indicators passed over the weight of those measured; with no
    indicator measured (or none declared) there is no score and no tier. `in_good_standing`: how
    many of the members on the day are in good standing (all of them when not given)."""
    results = [evaluate_indicator(indicator, facts) for indicator in indicators]
    measured = [result for result in results if result.passed is not None]
    total = sum(result.weight for result in measured)
    score = sum(result.weight for result in measured if result.passed) / total if total else None
    tier = tier_of(score, tiers) if score is not None else None
    return Health(
        unit=unit,
        on=facts.on,
        results=results,
        score=score,
        tier=tier,
        tier_label=tiers[tier - 1].label if tier is not None else "",
        members=len(facts.members.get(facts.on, ())),
        in_good_standing=len(facts.members.get(facts.on, ())) if in_good_standing is None else in_good_standing,
    )


def dates_needed(indicators: list[Indicator], on: dt.date) -> set[dt.date]:
    """The days whose members the indicators compare: `on`, and the start of each retention or growth window."""
    days = {on}
    for indicator in indicators:
        if isinstance(indicator, RetentionIndicator | NetGrowthIndicator):
            days.add(on - dt.timedelta(days=indicator_params(indicator).window_days))  # type: ignore[attr-defined]
    return days


def meetings_window(indicators: list[Indicator]) -> int:
    """The longest meetings window of these indicators, in days (0: none looks at meetings)."""
    windows = [
        indicator_params(indicator).window_days  # type: ignore[attr-defined]
        for indicator in indicators
        if isinstance(indicator, MeetingsHeldIndicator | AttendanceRateIndicator)
    ]
    return max(windows, default=0)
