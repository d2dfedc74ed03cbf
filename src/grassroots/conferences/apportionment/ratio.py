"""Ratio formulas, as organizations write them in their rules: no fixed house, each unit's
delegates follow from its own members.

- One delegate per N members, with a rounding rule: `floor`, `ceiling` ("or fraction
  thereof"), `half-up` (half or more counts) or `major-fraction` (more than half counts).
- Brackets: "1-14 members: 1 delegate, 15-24: 2, ..."; the last bracket may be open-ended and
  add one delegate per N members (or part) above it ("51+: 3 + 1 per 50").
- At-large seats added to every unit, then the minimum and maximum per unit.
- Weighted delegates: each carries at most N member votes, the last one the remainder.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from .result import (
    MOST_MEMBERS,
    MOST_SEATS,
    Apportionment,
    ApportionmentError,
    bounds_text,
    build,
    check_bounds,
    check_members,
    check_whole,
)

ROUNDINGS = {
    "floor": "a fraction of N not counting",
    "ceiling": "a fraction of N counting as one",
    "half-up": "half of N or more counting as one",
    "major-fraction": "more than half of N (a major fraction) counting as one",
}


def round_quota(quota: Fraction, rounding: str) -> int:
    """`quota` rounded to a whole number of delegates by `rounding` (one of ROUNDINGS)."""
    whole, rest = divmod(quota.numerator, quota.denominator)
    if rounding == "floor":
        return whole
    if rounding == "ceiling":
        return whole + (rest > 0)
    if rounding == "half-up":
        return whole + (2 * rest >= quota.denominator)
    if rounding == "major-fraction":
        return whole + (2 * rest > quota.denominator)
    raise ApportionmentError(f"rounding: unknown rounding {rounding!r}; use one of {', '.join(ROUNDINGS)}", "rounding")


def apportion_per(
    members: Mapping[str, int],
    *,
    per: int,
    rounding: str = "floor",
    at_large: int = 0,
    minimum: int | Mapping[str, int] = 0,
    maximum: int | Mapping[str, int] | None = None,
) -> Apportionment:
    """One delegate per `per` members, rounded by `rounding`, plus `at_large` per unit, then
    held between `minimum` and `maximum`."""
    units = check_members(members)
    check_whole(per, "per", at_least=1, at_most=MOST_MEMBERS)
    check_whole(at_large, "at_large")
    round_quota(Fraction(0), rounding)  # an unknown rounding is refused before any unit
    low, high = check_bounds(units, minimum, maximum)
    quotas = {unit: Fraction(count, per) for unit, count in units.items()}
    base = {unit: round_quota(quota, rounding) for unit, quota in quotas.items()}
    rule = f"One delegate per {per} members, {ROUNDINGS[rounding].replace('N', str(per))}"
    return _finish(
        "per", units, base, quotas, rule, low, high, at_large, {"per": per, "rounding": rounding}, minimum, maximum
    )


@dataclass(frozen=True)
class Bracket:
    """`low`-`high` members give `seats` delegates; an open-ended last bracket (`high` None)
    adds one delegate per `step` members, or part, above `low` - 1."""

    low: int
    high: int | None
    seats: int
    step: int | None = None

    def delegates(self, members: int) -> int:
        if self.step is None:
            return self.seats
        return self.seats + -(-(members - self.low + 1) // self.step)

    def __str__(self) -> str:
        span = f"{self.low}+" if self.high is None else f"{self.low}-{self.high}"
        return f"{span}: {self.seats}" + (f" + 1 per {self.step}" if self.step is not None else "")


_BRACKET = re.compile(r"^(\d+)\s*(?:-\s*(\d+)|(\+|-))\s*:\s*(\d+)(?:\s*\+\s*1\s+per\s+(\d+))?$")


def parse_brackets(text: str) -> tuple[Bracket, ...]:
    """Brackets from text, one a line: `1-14: 1`, ..., and optionally last `51+: 3 + 1 per 50`.
    Blank lines and `#` comments are skipped; errors name the line."""
    brackets = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = _BRACKET.match(line)
        if not match:
            raise ApportionmentError(
                f"brackets line {number}: '{line}' is not 'LOW-HIGH: SEATS' or 'LOW+: SEATS [+ 1 per N]'", "brackets"
            )
        low, high, open_end, seats, step = match.groups()
        brackets.append(Bracket(int(low), None if open_end else int(high), int(seats), int(step) if step else None))
        try:
            check_brackets(brackets)
        except ApportionmentError as error:
            raise ApportionmentError(f"brackets line {number}: {error}", "brackets") from None
    return check_brackets(brackets)


def check_brackets(brackets: Sequence[Bracket]) -> tuple[Bracket, ...]:
    """Brackets in order, contiguous and not overlapping; only the last may be open-ended."""
    if not brackets:
        raise ApportionmentError("brackets: give at least one bracket", "brackets")
    for index, bracket in enumerate(brackets):
        if bracket.high is not None and bracket.high < bracket.low:
            raise ApportionmentError(f"bracket {bracket}: ends before it starts", "brackets")
        for value, what, most in ((bracket.low, "starts at", MOST_MEMBERS), (bracket.seats, "gives", MOST_SEATS)):
            if value > most:
                raise ApportionmentError(f"bracket {bracket}: {what} {value:,}, more than {most:,}", "brackets")
        if bracket.high is not None and bracket.high > MOST_MEMBERS:
            raise ApportionmentError(
                f"bracket {bracket}: ends at {bracket.high:,}, more than {MOST_MEMBERS:,}", "brackets"
            )
        if bracket.step is not None and bracket.high is not None:
            raise ApportionmentError(f"bracket {bracket}: only an open-ended last bracket adds per N", "brackets")
        if bracket.step is not None and not 1 <= bracket.step <= MOST_MEMBERS:
            raise ApportionmentError(
                f"bracket {bracket}: adds one per {bracket.step:,}; N must be from 1 to {MOST_MEMBERS:,}", "brackets"
            )
        if index == 0:
            continue
        before = brackets[index - 1]
        if before.high is None:
            raise ApportionmentError(f"bracket {bracket}: comes after the open-ended bracket {before}", "brackets")
        if bracket.low < before.low:
            raise ApportionmentError(
                f"bracket {bracket}: not in order, it comes after {before}; list the brackets from the fewest members",
                "brackets",
            )
        if bracket.low <= before.high:
            raise ApportionmentError(f"bracket {bracket}: overlaps {before}", "brackets")
        if bracket.low > before.high + 1:
            gap = range(before.high + 1, bracket.low)
            missing = f"{gap[0]}" if len(gap) == 1 else f"{gap[0]}-{gap[-1]}"
            raise ApportionmentError(
                f"bracket {bracket}: leaves {missing} members uncovered after {before}", "brackets"
            )
    return tuple(brackets)


def apportion_brackets(
    members: Mapping[str, int],
    *,
    brackets: Sequence[Bracket] | str,
    at_large: int = 0,
    minimum: int | Mapping[str, int] = 0,
    maximum: int | Mapping[str, int] | None = None,
) -> Apportionment:
    """Delegates from the bracket a unit's members fall in, plus `at_large`, held between
    `minimum` and `maximum`. Units below the first bracket get none from the brackets; a unit
    above a closed last bracket is refused (the rules do not say what it gets)."""
    units = check_members(members)
    table = parse_brackets(brackets) if isinstance(brackets, str) else check_brackets(brackets)
    check_whole(at_large, "at_large")
    low, high = check_bounds(units, minimum, maximum)
    base = {}
    for unit, count in units.items():
        found = [b for b in table if b.low <= count and (b.high is None or count <= b.high)]
        if found:
            base[unit] = found[0].delegates(count)
        elif count < table[0].low:
            base[unit] = 0
        else:
            raise ApportionmentError(
                f"unit '{unit}': {count} members is above the last bracket ({table[-1]})", field=unit
            )
    rule = "Delegates by brackets of members: " + "; ".join(str(b) for b in table)
    parameters = {"brackets": [str(b) for b in table]}
    return _finish(
        "brackets", units, base, dict.fromkeys(units), rule, low, high, at_large, parameters, minimum, maximum
    )


def delegate_votes(members: int, most: int) -> tuple[int, ...]:
    """The member votes of each delegate when each carries at most `most`: 47 and 10 give
    (10, 10, 10, 10, 7)."""
    whole, rest = divmod(members, most)
    return (most,) * whole + ((rest,) if rest else ())


def apportion_weighted(members: Mapping[str, int], *, votes: int) -> Apportionment:
    """Weighted delegates: one per `votes` members or part, each carrying at most `votes`
    member votes and the last one the remainder, so a unit's delegates carry all its members."""
    units = check_members(members)
    check_whole(votes, "votes", at_least=1, at_most=MOST_SEATS)
    for unit, count in units.items():
        if -(-count // votes) > MOST_SEATS:
            raise ApportionmentError(
                f"votes: {votes:,} votes a delegate would give '{unit}' more than {MOST_SEATS:,} delegates",
                field="votes",
            )
    weights = {unit: delegate_votes(count, votes) for unit, count in units.items()}
    return build(
        method="weighted",
        units=units,
        seats={unit: len(weight) for unit, weight in weights.items()},
        quotas={unit: Fraction(count, votes) for unit, count in units.items()},
        rule=f"Weighted delegates: one per {votes} members or part, each carrying at most {votes} member votes, "
        "the last one the remainder.",
        parameters={"votes": votes},
        votes=weights,
    )


def _finish(method, units, base, quotas, rule, low, high, at_large, parameters, minimum, maximum) -> Apportionment:
    """At-large seats, then the minimum and maximum, on top of the formula's delegates."""
    seats = {}
    for unit in units:
        seats[unit] = max(base[unit] + at_large, low[unit])
        if high[unit] is not None:
            seats[unit] = min(seats[unit], high[unit])
    if at_large:
        rule += f", plus {at_large} at large per unit"
    bounds = bounds_text(low, high)
    if bounds:
        rule += f"; seats per unit: {bounds}"
    every = {**parameters, "at_large": at_large, "minimum": minimum, "maximum": maximum}
    return build(
        method=method,
        units=units,
        seats=seats,
        quotas=quotas,
        rule=rule + ".",
        parameters=every,
    )
