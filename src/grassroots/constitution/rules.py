"""Evaluation of founding rules against facts about one unit.

Plain Python with no database access: the selectors gather `UnitFacts`, this module says
for each rule what it requires, what is there, whether it passes and what is missing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .schema import (
    ChildrenRule,
    ConsolidatedChildrenRule,
    FoundingMeetingRule,
    FoundingMembersRule,
    FoundingRule,
    MembersInSubtreeRule,
    OfficerRule,
)


@dataclass(frozen=True)
class ChildFact:
    slug: str
    name: str
    kind: str
    state: str
    consolidated: bool = False


@dataclass(frozen=True)
class UnitFacts:
    """What the rules look at: the founding core, posts held, children, subtree members."""

    founding_members: list[str] = field(default_factory=list)
    founding_meeting: bool = False
    officers: dict[str, str] = field(default_factory=dict)
    children: list[ChildFact] = field(default_factory=list)
    members_in_subtree: int = 0


@dataclass(frozen=True)
class RuleResult:
    """One rule's verdict. `rule` is its key for scripts; `title` is what a person reads."""

    rule: str
    required: str
    actual: str
    passed: bool
    missing: str
    title: str = ""

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        del data["title"]
        return data


@dataclass(frozen=True)
class Readiness:
    unit: str
    results: list[RuleResult]

    @property
    def ready(self) -> bool:
        return all(result.passed for result in self.results)

    @property
    def ready_to_found(self) -> bool:
        """Whether founding the unit now succeeds: every rule holds but the founding meeting,
        which the founding itself records. The founding action decides on the same evaluation."""
        return all(result.passed or result.rule == "founding_meeting" for result in self.results)

    @property
    def failed(self) -> list[RuleResult]:
        return [result for result in self.results if not result.passed]

    def as_dict(self) -> dict[str, object]:
        return {
            "unit": self.unit,
            "ready": self.ready,
            "rules": [result.as_dict() for result in self.results],
        }


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {_plurals(word)}"


def _plurals(word: str) -> str:
    return word if word.endswith("s") else word + "s"


def evaluate_rule(
    rule: FoundingRule, facts: UnitFacts, *, kind_labels: dict[str, str], basic_kinds: frozenset[str] = frozenset()
) -> RuleResult:
    """Say what one rule requires of these facts and what is missing."""
    if isinstance(rule, FoundingMembersRule):
        need, have = rule.founding_members.at_least, len(facts.founding_members)
        short = max(0, need - have)
        return RuleResult(
            rule="founding_members",
            title="Founding members",
            required=f"at least {_plural(need, 'founding member')}",
            actual=_plural(have, "founding member"),
            passed=short == 0,
            missing=f"{_plural(short, 'more founding member')}" if short else "",
        )
    if isinstance(rule, OfficerRule):
        holder = facts.officers.get(rule.officer)
        return RuleResult(
            rule=f"officer: {rule.officer}",
            title=rule.officer.capitalize(),
            required=f"a {rule.officer}",
            actual=f"{rule.officer}: {holder}" if holder else f"no {rule.officer}",
            passed=holder is not None,
            missing="" if holder else f"appoint a {rule.officer}",
        )
    if isinstance(rule, FoundingMeetingRule):
        return RuleResult(
            rule="founding_meeting",
            title="Founding meeting",
            required="a founding meeting",
            actual="held" if facts.founding_meeting else "not held",
            passed=facts.founding_meeting,
            missing="" if facts.founding_meeting else "hold the founding meeting (recorded when the unit is founded)",
        )
    if isinstance(rule, ChildrenRule):
        params = rule.children
        label = kind_labels.get(params.kind, params.kind).lower()
        # Bodies above the basic level are constituted rather than founded.
        word = "constituted" if params.state == "founded" and params.kind not in basic_kinds else params.state
        of_kind = [child for child in facts.children if child.kind == params.kind]
        counted = [child for child in of_kind if _state_counts(child.state, params.state)]
        waiting = [child for child in of_kind if child not in counted and child.state != "dissolved"]
        return _children_result(
            f"children: {params.kind}", word, label, params.at_least, counted, waiting, of_kind=len(of_kind)
        )
    if isinstance(rule, MembersInSubtreeRule):
        need, have = rule.members_in_subtree.at_least, facts.members_in_subtree
        short = max(0, need - have)
        return RuleResult(
            rule="members_in_subtree",
            title="Members in its subtree",
            required=f"at least {_plural(need, 'member')}",
            actual=_plural(have, "member"),
            passed=short == 0,
            missing=f"{_plural(short, 'more member')}" if short else "",
        )
    if isinstance(rule, ConsolidatedChildrenRule):
        kind, need = rule.consolidated_children.kind, rule.consolidated_children.at_least
        label = kind_labels.get(kind, kind).lower()
        word = "founded" if kind in basic_kinds else "constituted"
        founded = [child for child in facts.children if child.kind == kind and child.state == "founded"]
        counted = [child for child in founded if child.consolidated]
        weak = [child for child in founded if not child.consolidated]
        return _children_result(
            f"consolidated_children: {kind}",
            "consolidated",
            label,
            need,
            counted,
            weak,
            of_kind=len(founded),
            of_word=word,
        )
    raise TypeError(f"no evaluation for rule {rule!r}")


def _children_result(
    rule: str,
    word: str,
    label: str,
    need: int,
    counted: list[ChildFact],
    waiting: list[ChildFact],
    *,
    of_kind: int,
    of_word: str = "",
) -> RuleResult:
    """The result of a rule counting children in some state (`word`: founded, constituted,
    consolidated...): `counted` pass, `waiting` are named in what is missing; `actual` reads
    "2 consolidated of 3 founded" (with `of_word`) or "2 founded of 3"."""
    short = max(0, need - len(counted))
    missing = ""
    if short:
        missing = f"{short} more {word} {label if short == 1 else _plurals(label)}"
        if waiting:
            missing += f" (not yet {word}: {', '.join(child.name for child in waiting)})"
    return RuleResult(
        rule=rule,
        title=f"{word.capitalize()} {_plurals(label)}",
        required=f"at least {need} {word} {label if need == 1 else _plurals(label)}",
        actual=f"{len(counted)} {word} of {of_kind}" + (f" {of_word}" if of_word else ""),
        passed=short == 0,
        missing=missing,
    )


def _state_counts(actual: str, wanted: str) -> bool:
    # A founded child also satisfies a rule that asks only for preparing ones.
    if wanted == "preparing":
        return actual in ("preparing", "founded")
    return actual == wanted


def evaluate(
    rules: list[FoundingRule],
    facts: UnitFacts,
    *,
    unit: str,
    kind_labels: dict[str, str],
    basic_kinds: frozenset[str] = frozenset(),
) -> Readiness:
    """Evaluate every rule; the unit is ready when all pass."""
    return Readiness(
        unit=unit,
        results=[evaluate_rule(rule, facts, kind_labels=kind_labels, basic_kinds=basic_kinds) for rule in rules],
    )
