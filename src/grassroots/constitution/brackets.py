"""Brackets of members, as organizations write them in their rules and their constitution's
`conferences: apportionment` section: "1-14 members: 1 delegate, 15-24: 2, ..."; the last
bracket may be open-ended and add one delegate per N members (or part) above it ("51+: 3 + 1 per
50"). Plain Python: the grammar and its checks, read by the constitution when a file is loaded
and by the apportionment engine (grassroots.conferences.apportionment) when it apportions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# The bounds of every input, the same through the constitution, the CLI, the API, the web form
# and the engine: seats (a house, a minimum, a maximum, at-large or a bracket's seats) and the
# members an input counts (a unit's members, per N, a bracket's bounds, a delegate's votes).
MOST_SEATS = 1_000_000
MOST_MEMBERS = 1_000_000_000


class BracketError(ValueError):
    """Brackets that cannot be used; the message starts with "brackets" or "bracket" and names the line or bracket."""


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


# ASCII digits only (`\d` would take other scripts' digits too).
_BRACKET = re.compile(r"^([0-9]+)\s*(?:-\s*([0-9]+)|(\+|-))\s*:\s*([0-9]+)(?:\s*\+\s*1\s+per\s+([0-9]+))?$")


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
            raise BracketError(
                f"brackets line {number}: '{line}' is not 'LOW-HIGH: SEATS' or 'LOW+: SEATS [+ 1 per N]'"
            )
        low, high, open_end, seats, step = match.groups()
        brackets.append(Bracket(int(low), None if open_end else int(high), int(seats), int(step) if step else None))
        try:
            check_brackets(brackets)
        except BracketError as error:
            raise BracketError(f"brackets line {number}: {error}") from None
    return check_brackets(brackets)


def check_brackets(brackets: Sequence[Bracket]) -> tuple[Bracket, ...]:
    """Brackets in order, contiguous and not overlapping; only the last may be open-ended."""
    if not brackets:
        raise BracketError("brackets: give at least one bracket")
    for index, bracket in enumerate(brackets):
        if bracket.high is not None and bracket.high < bracket.low:
            raise BracketError(f"bracket {bracket}: ends before it starts")
        for value, what, most in ((bracket.low, "starts at", MOST_MEMBERS), (bracket.seats, "gives", MOST_SEATS)):
            if value > most:
                raise BracketError(f"bracket {bracket}: {what} {value:,}, more than {most:,}")
        if bracket.high is not None and bracket.high > MOST_MEMBERS:
            raise BracketError(f"bracket {bracket}: ends at {bracket.high:,}, more than {MOST_MEMBERS:,}")
        if bracket.step is not None and bracket.high is not None:
            raise BracketError(f"bracket {bracket}: only an open-ended last bracket adds per N")
        if bracket.step is not None and not 1 <= bracket.step <= MOST_MEMBERS:
            raise BracketError(
                f"bracket {bracket}: adds one per {bracket.step:,}; N must be from 1 to {MOST_MEMBERS:,}"
            )
        if index == 0:
            continue
        before = brackets[index - 1]
        if before.high is None:
            raise BracketError(f"bracket {bracket}: comes after the open-ended bracket {before}")
        if bracket.low < before.low:
            raise BracketError(
                f"bracket {bracket}: not in order, it comes after {before}; list the brackets from the fewest members",
            )
        if bracket.low <= before.high:
            raise BracketError(f"bracket {bracket}: overlaps {before}")
        if bracket.low > before.high + 1:
            gap = range(before.high + 1, bracket.low)
            missing = f"{gap[0]}" if len(gap) == 1 else f"{gap[0]}-{gap[-1]}"
            raise BracketError(f"bracket {bracket}: leaves {missing} members uncovered after {before}")
    return tuple(brackets)
