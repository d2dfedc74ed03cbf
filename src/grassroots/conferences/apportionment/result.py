"""What an apportionment returns, and the checks every method's input goes through first.

The result keeps its input (each unit's members counted at the cut-off), a SHA-256 of a
canonical encoding of that input, each unit's quota as an exact `Fraction`, its seats and
its lower and upper quota, the method, its parameters, the rule used in words, the ties and
how they were broken, and warnings. `as_json()` gives the same as plain JSON values, quotas
as decimal strings (four places) beside their exact fraction.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType

from grassroots.constitution.brackets import MOST_MEMBERS, MOST_SEATS  # the bounds of every input


class ApportionmentError(ValueError):
    """Input an apportionment cannot work with; the message names the parameter or the unit."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class UnitSeats:
    """One unit's line of the result: its members, quota (None when the rule has none) and seats."""

    unit: str
    members: int
    quota: Fraction | None
    seats: int
    votes: tuple[int, ...] = ()  # weighted delegates only: the member votes each delegate carries

    @property
    def lower_quota(self) -> int | None:
        return None if self.quota is None else self.quota.numerator // self.quota.denominator

    @property
    def upper_quota(self) -> int | None:
        return None if self.quota is None else -(-self.quota.numerator // self.quota.denominator)

    def as_json(self) -> dict[str, object]:
        line: dict[str, object] = {
            "unit": self.unit,
            "members": self.members,
            "quota": None if self.quota is None else decimal(self.quota),
            "quota_exact": None if self.quota is None else str(self.quota),
            "lower_quota": self.lower_quota,
            "upper_quota": self.upper_quota,
            "seats": self.seats,
        }
        if self.votes:
            line["votes"] = list(self.votes)
        return line


@dataclass(frozen=True)
class Tie:
    """Units that had an equal claim on the last seats: `units` in the order the tie rule ranked
    them (larger membership first, then the lot), the first `seats` of them got a seat."""

    units: tuple[str, ...]
    seats: int
    decided_by: str  # "members" or "lot"
    claim: str  # what was equal, e.g. "priority 25000" or "remainder 0.5000"

    @property
    def winners(self) -> tuple[str, ...]:
        return self.units[: self.seats]

    def as_json(self) -> dict[str, object]:
        return {
            "units": list(self.units),
            "winners": list(self.winners),
            "seats": self.seats,
            "decided_by": self.decided_by,
            "claim": self.claim,
        }


@dataclass(frozen=True)
class Apportionment:
    """Seats per unit with everything needed to check them: input, its hash, quotas, rule, ties."""

    method: str
    seats: int
    units: tuple[UnitSeats, ...]
    rule: str
    parameters: Mapping[str, object]
    ties: tuple[Tie, ...]
    warnings: tuple[str, ...]
    input_sha256: str

    @property
    def members(self) -> Mapping[str, int]:
        """The input: each unit's members, in the order given."""
        return MappingProxyType({line.unit: line.members for line in self.units})

    @property
    def seats_by_unit(self) -> dict[str, int]:
        return {line.unit: line.seats for line in self.units}

    def as_json(self) -> dict[str, object]:
        """The result as JSON values (a dict ready for `json.dumps`)."""
        return {
            "method": self.method,
            "seats": self.seats,
            "units": [line.as_json() for line in self.units],
            "ties": [tie.as_json() for tie in self.ties],
            "rule": self.rule,
            "parameters": dict(self.parameters),
            "warnings": list(self.warnings),
            "input_sha256": self.input_sha256,
        }


def decimal(value: Fraction, places: int = 4) -> str:
    """`value` rounded (half to even, exactly) to `places` decimals, as a string."""
    scaled = round(value * 10**places)
    whole, part = divmod(abs(scaled), 10**places)
    return f"{'-' if scaled < 0 else ''}{whole}.{part:0{places}d}"


def input_sha256(members: Mapping[str, int]) -> str:
    """SHA-256 of the input encoded canonically: JSON of [unit, members] pairs sorted by unit,
    no spaces, UTF-8. The same counts give the same hash whatever order they came in."""
    canonical = json.dumps(sorted(members.items()), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def check_whole(value: object, name: str, *, at_least: int = 0, at_most: int = MOST_SEATS) -> int:
    """`value` as a whole number from `at_least` to `at_most`, refused naming `name` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApportionmentError(f"{name}: {value!r} is not a whole number", field=name)
    if value < at_least:
        raise ApportionmentError(f"{name}: must be at least {at_least}, not {value}", field=name)
    if value > at_most:
        raise ApportionmentError(f"{name}: must be at most {at_most:,}, not {value:,}", field=name)
    return value


def check_members(members: Mapping[str, int]) -> dict[str, int]:
    """The unit → members input, checked: named units, whole non-negative counts, some members."""
    if not isinstance(members, Mapping) or not members:
        raise ApportionmentError("members: give at least one unit and its members", field="members")
    for unit, count in members.items():
        if not isinstance(unit, str) or not unit.strip():
            raise ApportionmentError(f"members: unit {unit!r} has no name", field="members")
        if any(not character.isprintable() for character in unit):
            raise ApportionmentError(f"members: unit {unit!r} has a control character in its name", field="members")
        if isinstance(count, bool) or not isinstance(count, int):
            raise ApportionmentError(f"unit '{unit}': members {count!r} is not a whole number", field=unit)
        if count < 0:
            raise ApportionmentError(f"unit '{unit}': members cannot be negative ({count})", field=unit)
        if count > MOST_MEMBERS:
            raise ApportionmentError(
                f"unit '{unit}': members must be at most {MOST_MEMBERS:,}, not {count:,}", field=unit
            )
    if not any(members.values()):
        raise ApportionmentError("members: the units have no members between them (total 0)", field="members")
    return dict(members)


def check_bounds(
    units: Mapping[str, int], minimum: int | Mapping[str, int], maximum: int | Mapping[str, int] | None
) -> tuple[dict[str, int], dict[str, int | None]]:
    """Each unit's minimum and maximum seats, from one number for all or a unit → number mapping."""

    def per_unit(value, name: str, default):
        if isinstance(value, Mapping):
            unknown = [unit for unit in value if unit not in units]
            if unknown:
                raise ApportionmentError(f"{name}: no unit '{unknown[0]}' in the input", field=name)
            return {unit: value.get(unit, default) for unit in units}
        return dict.fromkeys(units, value)

    low = per_unit(minimum, "minimum", 0)
    high = per_unit(maximum, "maximum", None)
    for unit in units:
        check_whole(low[unit], "minimum")
        if high[unit] is not None:
            check_whole(high[unit], "maximum")
            if high[unit] < low[unit]:
                raise ApportionmentError(
                    f"minimum: {low[unit]} is more than the maximum {high[unit]} (unit '{unit}')", field="minimum"
                )
    return low, high


def bounds_text(low: Mapping[str, int], high: Mapping[str, int | None]) -> str:
    """The minimum and maximum in words ("at least 1 and at most 4"), empty when there are none."""
    lows, highs = set(low.values()), set(high.values())
    parts = []
    if lows != {0}:
        parts.append(f"at least {lows.pop()}" if len(lows) == 1 else "at least each unit's minimum")
    if highs != {None}:
        parts.append(f"at most {highs.pop()}" if len(highs) == 1 else "at most each unit's maximum")
    return " and ".join(parts)


def lot_order(units: Mapping[str, int], seed: int | str) -> dict[str, int]:
    """Each unit's place in one lot drawn from `seed` (units sorted by name, then shuffled by
    `random.Random(seed)`), so the same seed always draws the same lot."""
    order = sorted(units)
    random.Random(seed).shuffle(order)
    return {unit: place for place, unit in enumerate(order)}


def build(
    *,
    method: str,
    units: Mapping[str, int],
    seats: Mapping[str, int],
    quotas: Mapping[str, Fraction | None],
    rule: str,
    parameters: Mapping[str, object],
    ties: tuple[Tie, ...] = (),
    warnings: tuple[str, ...] = (),
    votes: Mapping[str, tuple[int, ...]] | None = None,
    sha256: str | None = None,
) -> Apportionment:
    lines = tuple(
        UnitSeats(unit, members, quotas[unit], seats[unit], votes[unit] if votes else ())
        for unit, members in units.items()
    )
    return Apportionment(
        method=method,
        seats=sum(line.seats for line in lines),
        units=lines,
        rule=rule,
        # Per-unit bounds are copied, so the result does not change with the caller's mapping.
        parameters=MappingProxyType(
            {key: dict(value) if isinstance(value, Mapping) else value for key, value in parameters.items()}
        ),
        ties=ties,
        warnings=warnings,
        input_sha256=sha256 or input_sha256(units),
    )
