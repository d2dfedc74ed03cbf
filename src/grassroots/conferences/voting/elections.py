"""Elections of the leading body: plurality, approval, instant runoff and single transferable vote.

Plain Python, exact `Fraction` arithmetic, no database, weighted ballots (a delegate's ballot
carries their weight). `elect(method, candidates=..., ballots=..., seats=...)` returns an
`ElectionResult` that keeps its input and its SHA-256, the votes of every round, what each
round did, the ties and how they were broken, and the rule in words.

- `plurality`: each voter marks at most `seats` candidates (one when one seat is filled);
  the `seats` candidates with the most votes are elected (block voting when seats > 1).
- `approval`: each voter marks any number of candidates; the most approved are elected.
- `instant-runoff` (one seat): first preferences are counted; a candidate with more than half
  of the votes still in the count (ballots not exhausted) is elected; otherwise the candidate
  with the fewest votes is excluded and their ballots pass to the next preference still in
  the count.
- `stv` (single transferable vote): the Droop quota floor(valid votes / (seats + 1)) + 1, in
  whole votes, as the Scottish and Irish STV rules count it. A candidate reaching the quota
  is elected; the largest surplus waiting is transferred first, by the weighted inclusive
  Gregory method of the Scottish Local Government Elections Order 2007 (every ballot the
  candidate holds passes on at its value × surplus / the candidate's votes, kept exact where
  the Order rounds to five decimals); when no surplus waits, the candidate with the fewest
  votes is excluded and their ballots pass on at their value. When no more candidates are
  left in the count than seats to fill, they are all elected. The published worked examples
  in the tests (Wikipedia's food election and Droop quota example) come out round by round.

`pyrankvote` was considered and not used: it counts in floats, takes no ballot weights,
elects in instant runoff with exactly half of the votes, and breaks ties by unseeded
`random.choice`; the tests use it as an oracle only, for instant-runoff counts without ties.

Ties: for exclusion, the candidate with fewer votes in the latest earlier round where the
tied candidates differed goes out first; for the first of equal surpluses, the one with more
votes there; otherwise (and for the last seat in plurality and approval) a lot drawn from
`seed` (by default the input's SHA-256) decides. Every tie is listed in the result. When
several candidates reach the quota together, they are elected in order of their votes, then
by the lot.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType

from ..apportionment.result import decimal, lot_order
from .errors import VotingError, canonical_sha256, check_weight

METHODS = {
    "plurality": "plurality (the most votes; at most one mark per seat)",
    "approval": "approval (the most approvals; any number of marks)",
    "instant-runoff": "instant runoff (ranked; a majority of the votes still in the count)",
    "stv": "single transferable vote (ranked; Droop quota, weighted inclusive Gregory transfers)",
}
_RANKED = ("instant-runoff", "stv")


@dataclass(frozen=True)
class Ballot:
    """One voter's ballot: `choices` in order of preference (ranked methods) or the candidates
    marked (plurality, approval); `weight` is the votes the voter carries. An empty ballot is blank."""

    voter: str
    choices: tuple[str, ...]
    weight: int = 1

    def as_json(self) -> dict[str, object]:
        return {"voter": self.voter, "choices": list(self.choices), "weight": self.weight}


@dataclass(frozen=True)
class Tie:
    """Candidates with equal votes where only some could be `chosen` (elected to the last
    seats, excluded, or the first whose surplus is transferred), `decided_by` "earlier round"
    or "lot", in round `round`."""

    candidates: tuple[str, ...]
    chosen: tuple[str, ...]
    outcome: str  # "elected", "excluded" or "surplus transferred first"
    decided_by: str
    votes: Fraction
    round: int

    def as_json(self) -> dict[str, object]:
        return {
            "candidates": list(self.candidates),
            "chosen": list(self.chosen),
            "outcome": self.outcome,
            "decided_by": self.decided_by,
            "votes": decimal(self.votes),
            "round": self.round,
        }


@dataclass(frozen=True)
class Round:
    """One round of the count: each candidate's votes at its start (those still in the count
    and those elected), the votes of exhausted ballots, who was elected or excluded, and the
    transfer made, in words."""

    number: int
    votes: Mapping[str, Fraction]
    exhausted: Fraction
    elected: tuple[str, ...]
    excluded: tuple[str, ...]
    transfer: str

    def as_json(self) -> dict[str, object]:
        return {
            "round": self.number,
            "votes": {candidate: decimal(votes) for candidate, votes in self.votes.items()},
            "votes_exact": {candidate: str(votes) for candidate, votes in self.votes.items()},
            "exhausted": decimal(self.exhausted),
            "elected": list(self.elected),
            "excluded": list(self.excluded),
            "transfer": self.transfer,
        }


@dataclass(frozen=True)
class ElectionResult:
    """The elected, in the order they were elected, with the count that elected them."""

    method: str
    seats: int
    candidates: tuple[str, ...]
    ballots: tuple[Ballot, ...]
    elected: tuple[str, ...]
    quota: Fraction | None
    valid: int  # the weight of the ballots that are not blank
    blank: int  # the weight of the blank ballots
    rounds: tuple[Round, ...]
    ties: tuple[Tie, ...]
    rule: str
    seed: int | str
    input_sha256: str

    @property
    def explanation(self) -> str:
        """The count in words, one line per round."""
        lines = [self.rule, f"Valid votes {self.valid}, blank {self.blank}."]
        if self.quota is not None:
            lines.append(f"Quota {decimal(self.quota)}.")
        for count in self.rounds:
            votes = ", ".join(f"{name} {decimal(value)}" for name, value in count.votes.items())
            line = f"Round {count.number}: {votes}."
            if count.elected:
                line += f" Elected: {', '.join(count.elected)}."
            if count.transfer:
                line += f" {count.transfer}"
            lines.append(line)
        for tie in self.ties:
            lines.append(
                f"Tie in round {tie.round} at {decimal(tie.votes)} votes between {', '.join(tie.candidates)}: "
                f"{', '.join(tie.chosen)} {tie.outcome}, decided by {tie.decided_by}."
            )
        lines.append(f"Elected: {', '.join(self.elected)}." if self.elected else "Nobody is elected.")
        return "\n".join(lines)

    def as_json(self) -> dict[str, object]:
        return {
            "method": self.method,
            "seats": self.seats,
            "candidates": list(self.candidates),
            "elected": list(self.elected),
            "quota": None if self.quota is None else decimal(self.quota),
            "valid": self.valid,
            "blank": self.blank,
            "rounds": [count.as_json() for count in self.rounds],
            "ties": [tie.as_json() for tie in self.ties],
            "rule": self.rule,
            "seed": self.seed,
            "ballots": [ballot.as_json() for ballot in self.ballots],
            "input_sha256": self.input_sha256,
        }


def elect(
    method: str,
    *,
    candidates: Sequence[str],
    ballots: Iterable[Ballot],
    seats: int = 1,
    seed: int | str | None = None,
) -> ElectionResult:
    """Count `ballots` for `candidates` by `method` (one of METHODS) to fill `seats`. Ties are
    broken by earlier rounds, then by a lot drawn from `seed` (default: the input's SHA-256).
    With no ballot that marks a candidate, nobody is elected. Raises VotingError naming the
    parameter, the candidate or the voter."""
    if method not in METHODS:
        raise VotingError(f"method: unknown method {method!r}; use one of {', '.join(METHODS)}", field="method")
    names = _check_candidates(candidates)
    check_weight(seats, "seats", "seats")
    if seats > len(names):
        raise VotingError(f"seats: {seats} seats but only {len(names)} candidate(s)", field="seats")
    if method == "instant-runoff" and seats != 1:
        raise VotingError("seats: instant runoff fills one seat; use stv for more", field="seats")
    papers = _check_ballots(method, names, tuple(ballots), seats)
    sha256 = canonical_sha256(
        {
            "method": method,
            "seats": seats,
            "candidates": sorted(names),
            "ballots": sorted(
                [b.voter, list(b.choices) if method in _RANKED else sorted(b.choices), b.weight] for b in papers
            ),
        }
    )
    drawn = sha256 if seed is None else seed
    lot = lot_order(dict.fromkeys(names, 0), drawn)
    valid = sum(ballot.weight for ballot in papers if ballot.choices)
    quota: Fraction | None
    elected: tuple[str, ...]
    rounds: tuple[Round, ...]
    ties: tuple[Tie, ...]
    if not valid:
        # No ballot marks a candidate (none cast, or all blank): the count ends with nobody
        # elected, so that an election nobody voted in can still be closed.
        quota, elected, rounds, ties = None, (), (), ()
    elif method in _RANKED:
        count = _Count(names, papers, lot)
        quota = None if method == "instant-runoff" else Fraction(valid // (seats + 1) + 1)
        count.run(seats, quota)
        elected, rounds, ties = tuple(count.elected), tuple(count.rounds), tuple(count.ties)
    else:
        quota = None
        elected, rounds, ties = _most_votes(names, papers, seats, lot)
    return ElectionResult(
        method=method,
        seats=seats,
        candidates=names,
        ballots=papers,
        elected=elected,
        quota=quota,
        valid=valid,
        blank=sum(ballot.weight for ballot in papers if not ballot.choices),
        rounds=rounds,
        ties=ties,
        rule=_rule(method, seats, quota) if valid else f"{METHODS[method].capitalize()}: no ballot marks a candidate.",
        seed=drawn,
        input_sha256=sha256,
    )


def _check_candidates(candidates: Sequence[str]) -> tuple[str, ...]:
    names: list[str] = []
    for name in candidates:
        if not isinstance(name, str) or not name.strip():
            raise VotingError(f"candidates: {name!r} is not a name", field="candidates")
        if name in names:
            raise VotingError(f"candidates: '{name}' is listed twice", field="candidates")
        names.append(name)
    if not names:
        raise VotingError("candidates: there are no candidates", field="candidates")
    return tuple(names)


def _check_ballots(method: str, names: tuple[str, ...], ballots: tuple[Ballot, ...], seats: int) -> tuple[Ballot, ...]:
    known = set(names)
    voters: set[str] = set()
    for ballot in ballots:
        who = ballot.voter
        if not isinstance(who, str) or not who.strip():
            raise VotingError(f"ballots: a ballot's voter {who!r} has no id", field="ballots")
        if who in voters:
            raise VotingError(f"voter '{who}' has more than one ballot", field="ballots")
        voters.add(who)
        check_weight(ballot.weight, f"voter '{who}'", "ballots")
        for choice in ballot.choices:
            if choice not in known:
                raise VotingError(f"voter '{who}': '{choice}' is not a candidate", field="ballots")
        if len(set(ballot.choices)) != len(ballot.choices):
            raise VotingError(f"voter '{who}': a candidate is marked more than once", field="ballots")
        if method == "plurality" and len(ballot.choices) > seats:
            raise VotingError(
                f"voter '{who}': {len(ballot.choices)} candidates marked, at most {seats} in plurality", "ballots"
            )
    return ballots


def _tie_order(
    tied: list[str], history: Sequence[Round], lot: Mapping[str, int], *, fewest_first: bool
) -> tuple[list[str], str]:
    """`tied` ranked by their votes in the latest earlier round where they differed (fewest
    first to exclude, most first to transfer a surplus), then by the lot; and what decided."""
    sign = 1 if fewest_first else -1
    for earlier in reversed(history):
        if all(name in earlier.votes for name in tied) and len({earlier.votes[name] for name in tied}) > 1:
            return sorted(tied, key=lambda name: (sign * earlier.votes[name], lot[name])), "earlier round"
    return sorted(tied, key=lambda name: lot[name]), "lot"


def _most_votes(
    names: tuple[str, ...], ballots: tuple[Ballot, ...], seats: int, lot: Mapping[str, int]
) -> tuple[tuple[str, ...], tuple[Round, ...], tuple[Tie, ...]]:
    votes = dict.fromkeys(names, Fraction(0))
    for ballot in ballots:
        for choice in ballot.choices:
            votes[choice] += ballot.weight
    ranked = sorted(names, key=lambda name: (-votes[name], lot[name]))
    elected = ranked[:seats]
    ties: tuple[Tie, ...] = ()
    if seats < len(ranked) and votes[ranked[seats - 1]] == votes[ranked[seats]]:
        cut = votes[ranked[seats]]
        tied = [name for name in ranked if votes[name] == cut]
        chosen = tuple(name for name in tied if name in elected)
        ties = (Tie(tuple(tied), chosen, "elected", "lot", cut, 1),)
    count = Round(1, MappingProxyType(votes), Fraction(0), tuple(elected), (), "")
    return tuple(elected), (count,), ties


class _Paper:
    """A ballot in a ranked count: where it stands in its preferences and what it is worth now."""

    __slots__ = ("choices", "at", "value")

    def __init__(self, choices: tuple[str, ...], value: Fraction) -> None:
        self.choices, self.at, self.value = choices, 0, value


class _Count:
    """A ranked count in rounds: piles of papers per candidate, moved on by surplus transfers
    (value × surplus / votes) and exclusions (at their value)."""

    def __init__(self, names: tuple[str, ...], ballots: tuple[Ballot, ...], lot: Mapping[str, int]) -> None:
        self.lot, self.names = lot, names
        self.continuing = list(names)
        self.elected: list[str] = []
        self.piles: dict[str, list[_Paper]] = {name: [] for name in names}
        self.votes = dict.fromkeys(names, Fraction(0))
        self.exhausted = Fraction(0)
        self.rounds: list[Round] = []
        self.ties: list[Tie] = []
        for ballot in ballots:
            if ballot.choices:
                self._place(_Paper(ballot.choices, Fraction(ballot.weight)))

    def _place(self, paper: _Paper) -> None:
        while paper.at < len(paper.choices) and paper.choices[paper.at] not in self.continuing:
            paper.at += 1
        if paper.at == len(paper.choices):
            self.exhausted += paper.value
            return
        name = paper.choices[paper.at]
        self.piles[name].append(paper)
        self.votes[name] += paper.value

    def _pass_on(self, name: str, factor: Fraction) -> Fraction:
        """Move every paper `name` holds to its next preference still in the count, at its value × `factor`."""
        pile, self.piles[name] = self.piles[name], []
        moved = Fraction(0)
        for paper in pile:
            paper.value *= factor
            moved += paper.value
            self._place(paper)
        return moved

    def run(self, seats: int, quota: Fraction | None) -> None:
        """Count until `seats` are filled; `quota` None is instant runoff's majority of the votes in the count."""
        waiting: list[str] = []  # elected with a surplus not yet transferred
        while True:
            counted = set(self.elected + self.continuing)
            start = MappingProxyType({name: self.votes[name] for name in self.names if name in counted})
            exhausted = self.exhausted
            newly = self._reach(seats, quota)
            waiting += newly
            left = seats - len(self.elected)
            transfer = ""
            excluded: tuple[str, ...] = ()
            if left and len(self.continuing) <= left:
                newly += self.continuing
                transfer = "No more candidates left in the count than seats: all elected."
                self.elected += self.continuing
                self.continuing = []
                left = 0
            waiting = [name for name in waiting if quota is not None and self.votes[name] > quota]
            if left and waiting:
                name = self._pick(waiting, len(self.rounds) + 1, fewest=False)
                waiting.remove(name)
                assert quota is not None
                surplus = self.votes[name] - quota
                factor = surplus / self.votes[name]
                self._pass_on(name, factor)
                self.votes[name] = quota
                transfer = f"Surplus of {name} ({decimal(surplus)}) transferred at {factor} of each ballot's value."
            elif left:
                name = self._pick(self.continuing, len(self.rounds) + 1, fewest=True)
                self.continuing.remove(name)
                moved = self._pass_on(name, Fraction(1))
                self.votes[name] = Fraction(0)
                excluded = (name,)
                transfer = f"{name} excluded; {decimal(moved)} votes passed on."
            self.rounds.append(Round(len(self.rounds) + 1, start, exhausted, tuple(newly), excluded, transfer))
            if not left:
                return

    def _reach(self, seats: int, quota: Fraction | None) -> list[str]:
        """Elect the candidates in the count who reach the quota (or, in instant runoff, a majority)."""
        if quota is None:
            active = sum(self.votes[name] for name in self.continuing)
            reached = [name for name in self.continuing if 2 * self.votes[name] > active]
        else:
            reached = [name for name in self.continuing if self.votes[name] >= quota]
        reached.sort(key=lambda name: (-self.votes[name], self.lot[name]))
        reached = reached[: seats - len(self.elected)]
        for name in reached:
            self.continuing.remove(name)
            self.elected.append(name)
        return reached

    def _pick(self, among: list[str], number: int, *, fewest: bool) -> str:
        """The candidate to exclude (`fewest`) or whose surplus goes first (the most votes, so
        the largest surplus), a tie broken by earlier rounds and then the lot, and listed."""
        votes = (min if fewest else max)(self.votes[name] for name in among)
        tied = [name for name in among if self.votes[name] == votes]
        if len(tied) == 1:
            return tied[0]
        order, decided_by = _tie_order(tied, self.rounds, self.lot, fewest_first=fewest)
        outcome = "excluded" if fewest else "surplus transferred first"
        self.ties.append(Tie(tuple(order), (order[0],), outcome, decided_by, votes, number))
        return order[0]


def _rule(method: str, seats: int, quota: Fraction | None) -> str:
    if method == "plurality":
        return f"Plurality: each voter marks at most {seats} candidate(s); the {seats} with the most votes are elected."
    if method == "approval":
        return f"Approval: each voter marks any number of candidates; the {seats} most approved are elected."
    if method == "instant-runoff":
        return (
            "Instant runoff: a candidate with more than half of the votes still in the count is elected; "
            "otherwise the fewest votes are excluded and pass to the next preference."
        )
    assert quota is not None
    return (
        f"Single transferable vote for {seats} seats: Droop quota {quota} (valid votes / (seats + 1), "
        "rounded down, + 1); surpluses pass on by the weighted inclusive Gregory method, largest first; "
        "otherwise the fewest votes are excluded."
    )
