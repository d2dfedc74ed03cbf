"""The voting engine of a conference: polls (motions) and elections (the leading body).

Plain Python with exact integer and `Fraction` arithmetic, no database, in the style of the
apportionment engine: frozen dataclasses, results that keep their input (and its SHA-256)
and explain themselves, and one error, `VotingError`, whose `field` names what is wrong.

- `close_poll(Poll(kind, base, majority), entitled=[Voter...], votes=[Vote...] | totals=Totals(...),
  proxies=[Proxy...])` → `PollResult` (see `polls`).
- `elect(method, candidates=[...], ballots=[Ballot...], seats=N, seed=...)` → `ElectionResult`:
  plurality, approval, instant runoff, single transferable vote (see `elections`).
"""

from .elections import METHODS, Ballot, ElectionResult, Round, Tie, elect
from .errors import VotingError
from .polls import (
    BASES,
    KINDS,
    MAJORITIES,
    Majority,
    Poll,
    PollResult,
    Proxy,
    Totals,
    Vote,
    Voter,
    carried,
    check_vote,
    close_poll,
    parse_majority,
)

__all__ = [
    "BASES",
    "KINDS",
    "MAJORITIES",
    "METHODS",
    "Ballot",
    "ElectionResult",
    "Majority",
    "Poll",
    "PollResult",
    "Proxy",
    "Round",
    "Tie",
    "Totals",
    "Vote",
    "Voter",
    "VotingError",
    "carried",
    "check_vote",
    "close_poll",
    "elect",
    "parse_majority",
]
