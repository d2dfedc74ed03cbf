"""Polls of a conference: yes/no/abstain, yes/no or yes only, by a show of hands counted
(entered totals) or by named votes of the present delegates with their weights.

Plain Python, exact integer and `Fraction` arithmetic, no database. `close_poll` takes the
poll's rules (`Poll`: kind, base of 100 %, required majority), the list of the entitled as
it stands when the poll closes (`Voter`: id, weight, present, delegation), the proxies and
either the entered `Totals` or the named `Vote`s, and returns a `PollResult` that keeps all
of its input, its SHA-256, the totals, the base, exact percentages, passed or failed, and an
explanation in words.

The base of 100 % (what a percentage and a majority are a share of). OpenSlides offers the
same among its "100 % bases" (`onehundred_percent_base`: Y, YN, YNA, N, valid, cast,
entitled, entitled_present), where `valid` and `cast` count ballots, abstentions included;
the `valid` and `cast` here are its YN and YNA:

- `valid`: yes + no; abstentions are not counted. Robert's Rules of Order Newly Revised
  (12th ed., 44:1-3): a majority "of the votes cast" leaves out blanks and abstentions.
- `cast`: yes + no + abstain, every vote given.
- `entitled`: the weight of everyone on the entitled list, present or not (RONR §44 on the
  bases for a voting result: "a majority of the entire membership").
- `present`: the weight of the entitled who are present (RONR §44: "a majority of the
  members present").

The required majority (see `Majority` and `parse_majority`): `simple` (more yes than no),
`absolute` (yes more than half of the base), `two-thirds` (yes at least two thirds of the
base) or a custom fraction (yes at least that share of the base).

Proxies: a voter may give their vote to another voter of the same delegation; the holder
casts it with their own, and it counts only while the holder is present. A voter who gave a
proxy cannot vote. A voter marked `may_split=False` casts all they carry one way. Errors
name the voter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from ..apportionment.result import decimal
from .errors import VotingError, canonical_sha256, check_weight

KINDS = {
    "yes-no-abstain": "yes, no or abstain",
    "yes-no": "yes or no",
    "yes": "yes only",
}
_CHOICES = {"yes-no-abstain": ("yes", "no", "abstain"), "yes-no": ("yes", "no"), "yes": ("yes",)}
BASES = {
    "valid": "valid votes (yes + no; abstentions not counted)",
    "cast": "votes cast (yes + no + abstain)",
    "entitled": "the weight of all the entitled",
    "present": "the weight of the entitled present",
}


@dataclass(frozen=True)
class Majority:
    """A required majority, measured against the poll's base of 100 %.

    - `simple`: more yes than no (yes > no); abstentions do not count against. This is Robert's
      Rules' "majority vote" (RONR 12th ed. 44:1: "more than half of the votes cast by
      persons entitled to vote, excluding blanks or abstentions"). It does not depend on the
      base; a tie fails.
    - `absolute`: yes > 1/2 of the base ("more than half"; with the base `entitled`, RONR's
      "majority of the entire membership"). OpenSlides calls this its "simple majority",
      measured against the chosen base (`simple_majority` in its poll/majority.js); against
      the base `valid` it is the same as `simple`.
    - `two-thirds`: yes ≥ 2/3 of the base (RONR 44:3: "at least two thirds of the votes cast";
      OpenSlides' `two-thirds_majority`).
    - `fraction`: yes ≥ `share` of the base, a custom share in (0, 1], e.g. 3/4 (OpenSlides'
      `three-quarters_majority`).
    """

    name: str
    share: Fraction
    strict: bool  # yes must be more than share × base (True) or at least (False)

    def threshold(self, base: int) -> Fraction | None:
        """The yes weight the base asks for (None for `simple`, which compares yes with no)."""
        return None if self.name == "simple" else self.share * base

    def passes(self, yes: int, no: int, base: int) -> bool:
        if self.name == "simple":
            return yes > no
        if base == 0:
            return False
        needed = self.share * base
        return yes > needed if self.strict else yes >= needed

    def describe(self) -> str:
        if self.name == "simple":
            return "simple majority (more yes than no)"
        if self.name == "absolute":
            return "absolute majority (yes more than half of the base)"
        if self.name == "two-thirds":
            return "two-thirds majority (yes at least 2/3 of the base)"
        return f"a majority of {self.share} (yes at least {self.share} of the base)"

    def as_json(self) -> dict[str, object]:
        return {"name": self.name, "share": str(self.share), "strict": self.strict}


_FRACTION = re.compile(r"(?P<p>[0-9]{1,9})(?:[ \t]*/[ \t]*(?P<q>[0-9]{1,9}))?")
MAJORITIES = {
    "simple": Majority("simple", Fraction(1, 2), True),
    "absolute": Majority("absolute", Fraction(1, 2), True),
    "two-thirds": Majority("two-thirds", Fraction(2, 3), False),
}


def parse_majority(value: str | Fraction | Majority) -> Majority:
    """A `Majority` from its name ("simple", "absolute", "two-thirds"), a `Fraction` or a
    fraction's text p/q in whole numbers ("3/4", or "1"; spaces around it are dropped, no
    decimals or exponents): a custom share means yes at least that share of the base, 0 < share ≤ 1.
    `str(majority.share)` is its normalized text ("6/8" is "3/4")."""
    if isinstance(value, Majority):
        return value
    if isinstance(value, str) and value.strip() in MAJORITIES:
        return MAJORITIES[value.strip()]
    refusal = VotingError(
        f"majority: {value!r} is not one of {', '.join(MAJORITIES)} or a fraction p/q like 3/4", field="majority"
    )
    if isinstance(value, str):
        match = _FRACTION.fullmatch(value.strip())
        if match is None or int(match["q"] or 1) == 0:
            raise refusal
        share = Fraction(int(match["p"]), int(match["q"] or 1))
    elif isinstance(value, Fraction):
        share = value
    else:
        raise refusal
    if not 0 < share <= 1:
        raise VotingError(f"majority: the share {share} must be more than 0 and at most 1", field="majority")
    return Majority("fraction", share, False)


@dataclass(frozen=True)
class Poll:
    """What a poll asks and how it is decided: `kind` (one of KINDS), `base` (one of BASES)
    and the required `majority` (a name, a fraction or a `Majority`)."""

    kind: str
    base: str
    majority: Majority

    def __init__(self, kind: str, base: str, majority: str | Fraction | Majority) -> None:
        if kind not in KINDS:
            raise VotingError(f"kind: unknown kind {kind!r}; use one of {', '.join(KINDS)}", field="kind")
        if base not in BASES:
            raise VotingError(f"base: unknown base {base!r}; use one of {', '.join(BASES)}", field="base")
        rule = parse_majority(majority)
        if kind == "yes" and base in ("valid", "cast"):
            raise VotingError(
                "base: a yes-only poll counts only yes votes, so its base is 'entitled' or 'present'", field="base"
            )
        if kind == "yes" and rule.name == "simple":
            raise VotingError(
                "majority: a yes-only poll has no no-votes to compare; use absolute, two-thirds or a fraction",
                field="majority",
            )
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "base", base)
        object.__setattr__(self, "majority", rule)


@dataclass(frozen=True)
class Voter:
    """One line of the entitled list, as frozen when the poll closes: `weight` is the votes
    the voter carries (a whole number, at least 1), `delegation` the unit whose delegation they
    sit in (proxies stay within it). `may_split` False is a voter who casts all their votes
    one way (issue 17: a delegation chair casts votes that cannot be split)."""

    id: str
    weight: int = 1
    present: bool = True
    delegation: str | None = None
    may_split: bool = True

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "weight": self.weight,
            "present": self.present,
            "delegation": self.delegation,
            "may_split": self.may_split,
        }


@dataclass(frozen=True)
class Proxy:
    """`giver` gives their vote to `holder` (of the same delegation)."""

    giver: str
    holder: str


@dataclass(frozen=True)
class Vote:
    """A named vote. Either `choice` ("yes", "no" or "abstain"), which casts the whole weight
    the voter carries (their own and the proxies they hold), or a split: `yes`, `no` and
    `abstain` parts adding up to at most that weight (what is left is not cast)."""

    voter: str
    choice: str | None = None
    yes: int = 0
    no: int = 0
    abstain: int = 0

    def as_json(self) -> dict[str, object]:
        if self.choice is not None:
            return {"voter": self.voter, "choice": self.choice}
        return {"voter": self.voter, "yes": self.yes, "no": self.no, "abstain": self.abstain}


@dataclass(frozen=True)
class Totals:
    """Entered totals: a show of hands counted (weights, not heads, when delegates are weighted)."""

    yes: int = 0
    no: int = 0
    abstain: int = 0

    def as_json(self) -> dict[str, int]:
        return {"yes": self.yes, "no": self.no, "abstain": self.abstain}


@dataclass(frozen=True)
class PollResult:
    """A closed poll: its rules and input (the entitled list, proxies, votes or totals), the
    yes/no/abstain weights, the base, percentages of the base (exact, and as text with two
    decimals), passed or failed, and the explanation."""

    poll: Poll
    entitled: tuple[Voter, ...]
    proxies: tuple[Proxy, ...]
    votes: tuple[Vote, ...] | None
    totals: Totals | None
    yes: int
    no: int
    abstain: int
    base: int
    entitled_weight: int
    present_weight: int
    counted_proxies: tuple[Proxy, ...]
    passed: bool
    input_sha256: str

    def share(self, choice: str) -> Fraction | None:
        """`choice`'s share of the base (yes, no, or abstain where the base counts abstentions);
        None when the base is 0 or does not include the choice."""
        if self.base == 0 or choice not in _CHOICES[self.poll.kind]:
            return None
        if choice == "abstain" and self.poll.base == "valid":
            return None
        return Fraction({"yes": self.yes, "no": self.no, "abstain": self.abstain}[choice], self.base)

    def percent(self, choice: str) -> str | None:
        """`choice`'s share of the base in percent, two decimals ("74.07"), or None."""
        share = self.share(choice)
        return None if share is None else decimal(share * 100, 2)

    @property
    def threshold(self) -> Fraction | None:
        return self.poll.majority.threshold(self.base)

    @property
    def explanation(self) -> str:
        """The count in words: what was counted, the totals, the base and percentages, the verdict."""
        return _explain(self)

    def as_json(self) -> dict[str, object]:
        """The result as JSON values: weights as numbers, shares as exact fractions and percent text."""
        threshold = self.threshold
        return {
            "kind": self.poll.kind,
            "base": self.poll.base,
            "majority": self.poll.majority.as_json(),
            "yes": self.yes,
            "no": self.no,
            "abstain": self.abstain,
            "base_weight": self.base,
            "entitled_weight": self.entitled_weight,
            "present_weight": self.present_weight,
            "percent": {choice: self.percent(choice) for choice in ("yes", "no", "abstain")},
            "share": {choice: _text(self.share(choice)) for choice in ("yes", "no", "abstain")},
            "threshold": _text(threshold),
            "passed": self.passed,
            "explanation": self.explanation,
            "entitled": [voter.as_json() for voter in self.entitled],
            "proxies": [{"giver": p.giver, "holder": p.holder} for p in self.proxies],
            "counted_proxies": [{"giver": p.giver, "holder": p.holder} for p in self.counted_proxies],
            "votes": None if self.votes is None else [vote.as_json() for vote in self.votes],
            "totals": None if self.totals is None else self.totals.as_json(),
            "input_sha256": self.input_sha256,
        }


def _text(value: Fraction | None) -> str | None:
    return None if value is None else str(value)


def close_poll(
    poll: Poll,
    *,
    entitled: Iterable[Voter],
    votes: Iterable[Vote] | None = None,
    totals: Totals | None = None,
    proxies: Iterable[Proxy] = (),
) -> PollResult:
    """Count a poll: `entitled` as frozen at the close, `proxies` given, and either `votes`
    (named) or `totals` (entered). Raises VotingError naming the voter, proxy or field."""
    if (votes is None) == (totals is None):
        raise VotingError("votes: give either the named votes or the entered totals, not both or neither", "votes")
    voters = _check_entitled(entitled)
    proxy_list = tuple(proxies)
    counted, carried = _check_proxies(voters, proxy_list)
    givers = {proxy.giver: proxy.holder for proxy in proxy_list}
    if votes is not None:
        vote_list = tuple(votes)
        yes, no, abstain = _count_votes(poll, voters, givers, carried, vote_list)
    else:
        assert totals is not None
        vote_list = None
        yes, no, abstain = _check_totals(poll, totals, sum(carried.values()))
    entitled_weight = sum(voter.weight for voter in voters.values())
    present_weight = sum(voter.weight for voter in voters.values() if voter.present)
    base = {
        "valid": yes + no,
        "cast": yes + no + abstain,
        "entitled": entitled_weight,
        "present": present_weight,
    }[poll.base]
    return PollResult(
        poll=poll,
        entitled=tuple(voters.values()),
        proxies=proxy_list,
        votes=vote_list,
        totals=totals,
        yes=yes,
        no=no,
        abstain=abstain,
        base=base,
        entitled_weight=entitled_weight,
        present_weight=present_weight,
        counted_proxies=counted,
        passed=poll.majority.passes(yes, no, base),
        input_sha256=canonical_sha256(
            {
                "kind": poll.kind,
                "base": poll.base,
                "majority": poll.majority.as_json(),
                "entitled": sorted(
                    [v.id, v.weight, v.present, v.delegation or "", v.may_split] for v in voters.values()
                ),
                "proxies": sorted((p.giver, p.holder) for p in proxy_list),
                "votes": None
                if vote_list is None
                else sorted([v.voter, v.choice or "", v.yes, v.no, v.abstain] for v in vote_list),
                "totals": None if totals is None else totals.as_json(),
            }
        ),
    )


def carried(entitled: Iterable[Voter], proxies: Iterable[Proxy] = ()) -> dict[str, int]:
    """Voter id -> the weight each present voter who gave no proxy carries (their own and the
    proxies they hold whose giver is entitled), the proxies checked as `close_poll` checks them
    (an election's ballots carry the same weights). Raises VotingError naming the voter."""
    return _check_proxies(_check_entitled(entitled), tuple(proxies))[1]


def _check_entitled(entitled: Iterable[Voter]) -> dict[str, Voter]:
    voters: dict[str, Voter] = {}
    for voter in entitled:
        if not isinstance(voter.id, str) or not voter.id.strip():
            raise VotingError(f"entitled: voter {voter.id!r} has no id", field="entitled")
        if voter.id in voters:
            raise VotingError(f"entitled: voter '{voter.id}' is listed twice", field="entitled")
        check_weight(voter.weight, f"voter '{voter.id}'", "entitled")
        voters[voter.id] = voter
    if not voters:
        raise VotingError("entitled: the list of the entitled is empty", field="entitled")
    return voters


def _check_proxies(voters: Mapping[str, Voter], proxies: Sequence[Proxy]) -> tuple[tuple[Proxy, ...], dict[str, int]]:
    """The proxies that count (their holder is present), and the weight each present voter who
    did not give a proxy carries (their own and the proxies they hold)."""
    givers: set[str] = set()
    for proxy in proxies:
        for who, role in ((proxy.giver, "giver"), (proxy.holder, "holder")):
            if who not in voters:
                raise VotingError(f"proxy: {role} '{who}' is not on the entitled list", field="proxies")
        if proxy.giver == proxy.holder:
            raise VotingError(f"proxy: voter '{proxy.giver}' cannot hold their own proxy", field="proxies")
        if proxy.giver in givers:
            raise VotingError(f"proxy: voter '{proxy.giver}' gave more than one proxy", field="proxies")
        givers.add(proxy.giver)
        giver, holder = voters[proxy.giver], voters[proxy.holder]
        if giver.delegation is None or giver.delegation != holder.delegation:
            raise VotingError(
                f"proxy: '{proxy.giver}' ({giver.delegation or 'no delegation'}) and '{proxy.holder}' "
                f"({holder.delegation or 'no delegation'}) are not of the same delegation",
                field="proxies",
            )
    for proxy in proxies:
        if proxy.holder in givers:
            raise VotingError(
                f"proxy: '{proxy.holder}' gave a proxy and cannot hold one (from '{proxy.giver}')", field="proxies"
            )
    carried = {voter.id: voter.weight for voter in voters.values() if voter.present and voter.id not in givers}
    counted = tuple(proxy for proxy in proxies if proxy.holder in carried)
    for proxy in counted:
        carried[proxy.holder] += voters[proxy.giver].weight
    return counted, carried


def _count_votes(
    poll: Poll,
    voters: Mapping[str, Voter],
    givers: Mapping[str, str],
    carried: Mapping[str, int],
    votes: Sequence[Vote],
) -> tuple[int, int, int]:
    """The yes, no and abstain weights of named `votes`, each checked: the voter is entitled,
    present, votes once, gave no proxy, and splits (if at all) within what they carry."""
    totals = {"yes": 0, "no": 0, "abstain": 0}
    seen: set[str] = set()
    for vote in votes:
        who = vote.voter
        if who not in voters:
            raise VotingError(f"voter '{who}' is not on the entitled list", field="votes")
        if who in seen:
            raise VotingError(f"voter '{who}' voted twice", field="votes")
        seen.add(who)
        if who in givers:
            raise VotingError(f"voter '{who}' gave a proxy to '{givers[who]}' and cannot vote", field="votes")
        if not voters[who].present:
            raise VotingError(f"voter '{who}' is not present", field="votes")
        for choice, part in check_vote(poll, voters[who], carried[who], vote).items():
            totals[choice] += part
    return totals["yes"], totals["no"], totals["abstain"]


def check_vote(poll: Poll, voter: Voter, weight: int, vote: Vote) -> dict[str, int]:
    """What one named `vote` of `voter`, who carries `weight` (their own and the proxies they
    hold), gives each choice: its choice is one the poll offers, or its split is whole parts of
    offered choices adding up to at most `weight`, and all one way for a voter who may not
    split. Raises VotingError naming the voter (`close_poll` checks every vote so)."""
    allowed = _CHOICES[poll.kind]
    who = vote.voter
    if vote.choice is not None:
        if vote.yes or vote.no or vote.abstain:
            raise VotingError(f"voter '{who}': give a choice or a split, not both", field="votes")
        if vote.choice not in allowed:
            raise VotingError(
                f"voter '{who}': {vote.choice!r} is not a choice in a {KINDS[poll.kind]} poll", field="votes"
            )
        return {vote.choice: weight}
    parts = {"yes": vote.yes, "no": vote.no, "abstain": vote.abstain}
    for choice, part in parts.items():
        check_weight(part, f"voter '{who}' {choice}", "votes", at_least=0)
        if part and choice not in allowed:
            raise VotingError(f"voter '{who}': {choice} is not a choice in a {KINDS[poll.kind]} poll", "votes")
    split = sum(parts.values())
    if split == 0:
        raise VotingError(f"voter '{who}': the vote gives neither a choice nor a split", field="votes")
    if split > weight:
        raise VotingError(
            f"voter '{who}': the split adds up to {split}, more than the weight {weight} they carry", "votes"
        )
    if not voter.may_split and (split != weight or max(parts.values()) != split):
        raise VotingError(f"voter '{who}' casts all {weight} votes one way and cannot split them", "votes")
    return parts


def _check_totals(poll: Poll, totals: Totals, votable: int) -> tuple[int, int, int]:
    allowed = _CHOICES[poll.kind]
    for choice in ("yes", "no", "abstain"):
        value = getattr(totals, choice)
        check_weight(value, f"totals {choice}", choice, at_least=0)
        if value and choice not in allowed:
            raise VotingError(f"totals: {choice} is not a choice in a {KINDS[poll.kind]} poll", field=choice)
    given = totals.yes + totals.no + totals.abstain
    if given > votable:
        raise VotingError(
            f"totals: {given} votes entered, more than the {votable} the present voters carry", field="totals"
        )
    return totals.yes, totals.no, totals.abstain


def _counted(number: int, one: str, many: str) -> str:
    """ "1 proxy", "2 proxies"."""
    return f"{number} {one if number == 1 else many}"


def _explain(result: PollResult) -> str:
    poll = result.poll
    if result.votes is None:
        source = "Entered totals (a show of hands counted)"
    else:
        source = f"Named votes of {_counted(len(result.votes), 'voter', 'voters')}"
    lines = [
        f"{source}; {KINDS[poll.kind]}. Entitled weight {result.entitled_weight}, "
        f"present {result.present_weight}"
        + (f", {_counted(len(result.counted_proxies), 'proxy', 'proxies')} counted" if result.counted_proxies else "")
        + (
            f", {len(result.proxies) - len(result.counted_proxies)} not counted (holder absent)"
            if len(result.counted_proxies) < len(result.proxies)
            else ""
        )
        + ".",
        f"Yes {result.yes}, no {result.no}, abstain {result.abstain}.",
        f"Base of 100 %: {BASES[poll.base]} = {result.base}."
        + (
            " "
            + ", ".join(
                f"{choice.capitalize() if n == 0 else choice} {result.percent(choice)} %"
                for n, choice in enumerate(c for c in ("yes", "no", "abstain") if result.share(c) is not None)
            )
            + "."
            if result.base
            else ""
        ),
    ]
    rule = poll.majority
    if rule.name == "simple":
        verdict = f"{result.yes} {'>' if result.passed else '≤'} {result.no}"
    elif result.base == 0:
        verdict = "the base is 0"
    else:
        needed = rule.threshold(result.base)
        assert needed is not None
        sign = (">" if result.passed else "≤") if rule.strict else ("≥" if result.passed else "<")
        verdict = f"yes {result.yes} {sign} {decimal(needed, 2)} ({needed} = {rule.share} × {result.base})"
    lines.append(f"Required: {rule.describe()}. {'Passed' if result.passed else 'Failed'}: {verdict}.")
    return " ".join(lines)
