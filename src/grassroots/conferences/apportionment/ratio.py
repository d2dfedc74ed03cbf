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

from collections.abc import Mapping, Sequence
from fractions import Fraction

from grassroots.constitution import brackets
from grassroots.constitution.brackets import Bracket

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


def parse_brackets(text: str) -> tuple[Bracket, ...]:
    """Brackets from text, one a line: `1-14: 1`, ..., and optionally last `51+: 3 + 1 per 50`.
    Blank lines and `#` comments are skipped; errors name the line (the constitution's grammar,
    `grassroots.constitution.brackets`, refused as this engine's error naming `brackets`)."""
    try:
        return brackets.parse_brackets(text)
    except brackets.BracketError as error:
        raise ApportionmentError(str(error), "brackets") from None


def check_brackets(table: Sequence[Bracket]) -> tuple[Bracket, ...]:
    """Brackets in order, contiguous and not overlapping; only the last may be open-ended."""
    try:
        return brackets.check_brackets(table)
    except brackets.BracketError as error:
        raise ApportionmentError(str(error), "brackets") from None


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
    total = sum(seats.values())
    if total > MOST_SEATS:
        raise ApportionmentError(
            f"seats: the rule gives {total:,} seats in all, more than {MOST_SEATS:,}; "
            f"check the {'brackets' if method == 'brackets' else 'per'}",
            method if method in ("brackets", "per") else "seats",
        )
    every = {**parameters, "at_large": at_large, "minimum": minimum, "maximum": maximum}
    return build(
        method=method,
        units=units,
        seats=seats,
        quotas=quotas,
        rule=rule + ".",
        parameters=every,
    )
