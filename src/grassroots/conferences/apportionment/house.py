"""House-size methods: a fixed number of seats shared out in proportion to members.

Largest remainder (Hamilton/Hare), D'Hondt (Jefferson), Sainte-Laguë (Webster) and
Huntington-Hill, all in exact integer arithmetic: quotas and remainders are fractions over
one denominator, and divisor priorities are compared by cross-multiplying (Huntington-Hill's
members / sqrt(n(n+1)) by its square, members² / (n(n+1))), so no float decides a seat.

Minimum and maximum seats per unit: the divisor methods start every unit at its minimum and
give each further seat to the highest priority, skipping units at their maximum. Largest
remainder fixes the units whose quota falls below their minimum (or above their maximum) at
that bound and re-apportions the rest of the seats over the rest of the units, until every
free unit's quota is within its bounds. Units with no members keep their minimum.

Ties for the last seats go to the larger membership, then to a lot drawn from a seed (by
default the input's SHA-256), and are listed in the result.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from fractions import Fraction

from .result import (
    Apportionment,
    ApportionmentError,
    Tie,
    bounds_text,
    build,
    check_bounds,
    check_members,
    check_whole,
    decimal,
    input_sha256,
    lot_order,
)

METHODS = {
    "hamilton": "largest remainder (Hamilton/Hare)",
    "dhondt": "D'Hondt (Jefferson)",
    "sainte-lague": "Sainte-Laguë (Webster)",
    "huntington-hill": "Huntington-Hill",
}
_PRIORITY = {
    "dhondt": "members / (seats + 1)",
    "sainte-lague": "members / (2 × seats + 1)",
    "huntington-hill": "members / √(seats × (seats + 1)), units without a seat first (the larger first)",
}


def apportion(
    members: Mapping[str, int],
    *,
    seats: int,
    method: str,
    minimum: int | Mapping[str, int] = 0,
    maximum: int | Mapping[str, int] | None = None,
    seed: int | str | None = None,
) -> Apportionment:
    """Share `seats` among the units of `members` (unit → members at the cut-off) by `method`,
    each unit getting at least `minimum` and at most `maximum` seats (one number for all, or
    per unit). Ties are broken by larger membership, then by a lot drawn from `seed`."""
    units = check_members(members)
    check_whole(seats, "seats", at_least=1)
    if method not in METHODS:
        raise ApportionmentError(f"method: unknown method {method!r}; use one of {', '.join(METHODS)}", field="method")
    low, high = check_bounds(units, minimum, maximum)
    floor = sum(low.values())
    if seats < floor:
        raise ApportionmentError(f"seats: {seats} is fewer than the minimums add up to ({floor})", field="seats")
    if all(high[unit] is not None for unit, count in units.items() if count):
        ceiling = sum((high[unit] or 0) if count else low[unit] for unit, count in units.items())
        if seats > ceiling:
            raise ApportionmentError(
                f"seats: {seats} is more than the maximums allow ({ceiling}; units without members keep their minimum)",
                field="seats",
            )
    sha256 = input_sha256(units)
    lot = lot_order(units, sha256 if seed is None else seed)
    if method == "hamilton":
        shares, ties, fixed = _largest_remainder(units, seats, low, high, lot)
        rule = _hamilton_rule(fixed, low, high)
    else:
        shares, ties = _divisor(units, seats, method, low, high, lot)
        rule = _divisor_rule(method, low, high)
    total = sum(units.values())
    quotas = {unit: Fraction(count * seats, total) for unit, count in units.items()}
    warnings = _quota_warnings(units, shares, quotas, low, high)
    if method == "hamilton" and seats - 1 >= max(1, floor):
        smaller, _, _ = _largest_remainder(units, seats - 1, low, high, lot)
        losers = [unit for unit in units if smaller[unit] > shares[unit]]
        if losers:
            lost = ", ".join(f"'{unit}' would have {smaller[unit]} seats, not {shares[unit]}" for unit in losers)
            warnings = (f"Alabama paradox: with one seat fewer ({seats - 1}) {lost}.", *warnings)
    parameters = {"seats": seats, "minimum": minimum, "maximum": maximum, "seed": sha256 if seed is None else seed}
    return build(
        method=method,
        units=units,
        seats=shares,
        quotas=quotas,
        rule=rule,
        parameters=parameters,
        ties=ties,
        warnings=warnings,
        sha256=sha256,
    )


class _Claim:
    """A unit's claim on its next seat under a divisor method: priority num/den (or infinite,
    `first`), compared exactly; equal priorities rank larger membership, then the lot, first."""

    __slots__ = ("first", "num", "den", "members", "lot", "unit")

    def __init__(self, unit: str, members: int, lot: int, first: bool, num: int, den: int) -> None:
        self.unit, self.members, self.lot, self.first, self.num, self.den = unit, members, lot, first, num, den

    def same_priority(self, other: _Claim) -> bool:
        if self.first or other.first:  # infinite priorities: the larger membership is the stronger claim
            return self.first and other.first and self.members == other.members
        return self.num * other.den == other.num * self.den

    def __lt__(self, other: _Claim) -> bool:  # "comes before" in the heap: the stronger claim
        if self.first != other.first:
            return self.first
        if not self.first:
            difference = self.num * other.den - other.num * self.den
            if difference:
                return difference > 0
        if self.members != other.members:
            return self.members > other.members
        return self.lot < other.lot

    def describe(self) -> str:
        return (
            f"a first seat, {self.members} members"
            if self.first
            else f"priority {decimal(Fraction(self.num, self.den))}"
        )


def _claim(method: str, unit: str, members: int, lot: int, seats: int) -> _Claim:
    if method == "dhondt":
        return _Claim(unit, members, lot, False, members, seats + 1)
    if method == "sainte-lague":
        return _Claim(unit, members, lot, False, members, 2 * seats + 1)
    if seats == 0:  # Huntington-Hill: the divisor √0 makes a unit without a seat come first
        return _Claim(unit, members, lot, True, 1, 1)
    return _Claim(unit, members, lot, False, members * members, seats * (seats + 1))


def _divisor(units, house, method, low, high, lot) -> tuple[dict[str, int], tuple[Tie, ...]]:
    shares = dict(low)
    heap = [
        _claim(method, unit, count, lot[unit], shares[unit])
        for unit, count in units.items()
        if count and (high[unit] is None or shares[unit] < high[unit])
    ]
    heapq.heapify(heap)
    last: list[_Claim] = []  # the claims that won at the priority of the last seat given
    for _ in range(house - sum(shares.values())):
        claim = heapq.heappop(heap)
        shares[claim.unit] += 1
        last = [*last, claim] if last and claim.same_priority(last[-1]) else [claim]
        if high[claim.unit] is None or shares[claim.unit] < high[claim.unit]:
            heapq.heappush(heap, _claim(method, claim.unit, claim.members, claim.lot, shares[claim.unit]))
    losers = []
    while heap and last and heap[0].same_priority(last[-1]):
        losers.append(heapq.heappop(heap))
    if not losers:
        return shares, ()
    tied = sorted(last + losers)
    return shares, (_tie([(claim.unit, claim.members) for claim in tied], len(last), last[-1].describe()),)


def _tie(ranked: list[tuple[str, int]], seats: int, claim: str) -> Tie:
    """A tie among `ranked` (unit, members) for `seats` seats, already in the rule's order."""
    by_members = ranked[seats - 1][1] > ranked[seats][1]
    return Tie(tuple(unit for unit, _ in ranked), seats, "members" if by_members else "lot", claim)


def _largest_remainder(units, house, low, high, lot) -> tuple[dict[str, int], tuple[Tie, ...], dict[str, str]]:
    """Hamilton with bounds; also returns the units fixed at a bound ("minimum" or "maximum")."""
    shares = {unit: low[unit] for unit, count in units.items() if not count}
    free = {unit: count for unit, count in units.items() if count}
    fixed: dict[str, str] = {}
    while free:
        seats, total = house - sum(shares.values()), sum(free.values())
        # Quotas seats × members / total are compared with the bounds multiplied by total.
        below = [unit for unit, count in free.items() if seats * count < low[unit] * total]
        above = [unit for unit, count in free.items() if high[unit] is not None and seats * count > high[unit] * total]
        if not below and not above:
            break
        # Fixing the side that pulls harder is always right: if the minimums raised the total
        # more than the maximums lowered it, the fair share falls, so units below stay below.
        pull = sum(low[u] * total - seats * free[u] for u in below) - sum(
            seats * free[u] - high[u] * total for u in above
        )
        for unit in below if pull >= 0 else ():
            shares[unit], fixed[unit] = low[unit], "minimum"
            del free[unit]
        for unit in above if pull <= 0 else ():
            shares[unit], fixed[unit] = high[unit], "maximum"
            del free[unit]
    if not free:
        return shares, (), fixed
    seats, total = house - sum(shares.values()), sum(free.values())
    remainders = {}
    for unit, count in free.items():
        shares[unit], remainders[unit] = divmod(seats * count, total)
    left = seats - sum(shares[unit] for unit in free)
    ranked = sorted(free, key=lambda unit: (-remainders[unit], -free[unit], lot[unit]))
    for unit in ranked[:left]:
        shares[unit] += 1
    ties: tuple[Tie, ...] = ()
    if 0 < left < len(ranked) and remainders[ranked[left - 1]] == remainders[ranked[left]]:
        cut = remainders[ranked[left]]
        tied = [unit for unit in ranked if remainders[unit] == cut]
        winners = set(ranked[:left])
        won = sum(unit in winners for unit in tied)
        claim = f"remainder {decimal(Fraction(cut, total))}"
        ties = (_tie([(unit, free[unit]) for unit in tied], won, claim),)
    return shares, ties, fixed


def _hamilton_rule(fixed: dict[str, str], low, high) -> str:
    rule = (
        "Largest remainder (Hamilton/Hare): each unit's quota is seats × members / total members; "
        "each unit gets the whole part of its quota and the seats left go to the largest remainders."
    )
    bounds = bounds_text(low, high)
    if bounds:
        rule += (
            f" Seats per unit: {bounds}. Units whose quota falls below their minimum (or above their maximum) "
            "are fixed there and the other seats re-apportioned among the other units, until every quota fits."
        )
        if fixed:
            names = [f"'{unit}' ({bound})" for unit, bound in fixed.items()]
            shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
            rule += f" Fixed: {shown}."
    return rule


def _divisor_rule(method: str, low, high) -> str:
    rule = f"{METHODS[method]}: each seat in turn goes to the unit with the highest priority {_PRIORITY[method]}."
    bounds = bounds_text(low, high)
    if bounds:
        rule += f" Seats per unit: {bounds}; every unit starts at its minimum and units at their maximum are skipped."
    return rule


def _quota_warnings(units, shares, quotas, low, high) -> tuple[str, ...]:
    warnings = []
    for unit in units:
        quota, seats = quotas[unit], shares[unit]
        lower, upper = quota.numerator // quota.denominator, -(-quota.numerator // quota.denominator)
        if lower <= seats <= upper:
            continue
        cause = ""
        if seats > upper and seats == low[unit]:
            cause = f" (its minimum is {low[unit]})"
        elif seats < lower and seats == high[unit]:
            cause = f" (its maximum is {high[unit]})"
        warnings.append(f"'{unit}' has {seats} seats, outside its quota {decimal(quota)}{cause}.")
    return tuple(warnings)
