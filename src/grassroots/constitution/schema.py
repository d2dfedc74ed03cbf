"""The constitution: an organization's rules as typed data, loaded from YAML.

Plain Python with no database access. A file is parsed with PyYAML (safe loader) and
validated with pydantic; every error names the key that is wrong. Rules are declarative:
each rule is a one-key mapping naming a rule type and its parameters; nothing in the
file is ever evaluated as code.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from .brackets import MOST_MEMBERS, MOST_SEATS, BracketError, parse_brackets

TEMPLATES_DIR = Path(__file__).parent / "templates"
UNIT_STATES = ("planned", "preparing", "founded", "dormant", "dissolved")


class ConstitutionError(ValueError):
    """A constitution file that cannot be used; `errors` names each key and what is wrong."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("; ".join(errors))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AtLeast(_Strict):
    at_least: Annotated[int, Field(ge=0)]


class ChildrenParams(_Strict):
    kind: str
    state: Literal["preparing", "founded"] = "founded"
    at_least: Annotated[int, Field(ge=1)]


class FoundingMembersRule(_Strict):
    """At least N founding members (for a basic unit: its founding core)."""

    founding_members: AtLeast


class OfficerRule(_Strict):
    """The named officer post must be held."""

    officer: str


class FoundingMeetingRule(_Strict):
    """A founding meeting must be held (it is recorded when the unit is founded)."""

    founding_meeting: Literal[True]


class ChildrenRule(_Strict):
    """At least N child units of a kind in a state (e.g. founded districts)."""

    children: ChildrenParams


class MembersInSubtreeRule(_Strict):
    """At least N current members in the unit's whole subtree."""

    members_in_subtree: AtLeast


class ConsolidatedChildrenParams(_Strict):
    kind: str
    at_least: Annotated[int, Field(ge=1)]


class ConsolidatedChildrenRule(_Strict):
    """At least N founded child units of a kind that are consolidated (their health indicators pass)."""

    consolidated_children: ConsolidatedChildrenParams


FoundingRule = (
    FoundingMembersRule
    | OfficerRule
    | FoundingMeetingRule
    | ChildrenRule
    | MembersInSubtreeRule
    | ConsolidatedChildrenRule
)
FOUNDING_RULE_TYPES: dict[str, type[_Strict]] = {
    "founding_members": FoundingMembersRule,
    "officer": OfficerRule,
    "founding_meeting": FoundingMeetingRule,
    "children": ChildrenRule,
    "members_in_subtree": MembersInSubtreeRule,
    "consolidated_children": ConsolidatedChildrenRule,
}


class MeetingsCriterion(_Strict):
    at_least: Annotated[int, Field(ge=1)]
    per_days: Annotated[int, Field(ge=1)]


class Consolidation(_Strict):
    """The older form of a kind's health criteria, still read: `UnitKind.health_indicators` turns
    it into indicators (all required, weight 1). `education_completed_rate` names no course and
    is not carried over; declare an `education_share` indicator instead."""

    window_days: Annotated[int, Field(ge=1)] = 90
    meetings: MeetingsCriterion | None = None
    attendance_rate: Annotated[float, Field(ge=0, le=1)] | None = None
    officers_filled: list[str] = []
    retention_rate: Annotated[float, Field(ge=0, le=1)] | None = None
    education_completed_rate: Annotated[float, Field(ge=0, le=1)] | None = None


# Health indicators: each is a one-key mapping naming its type, with a threshold, a comparator,
# whether it is required for the unit to count as consolidated, and a weight in its tier.

Comparator = Literal[">=", ">", "<=", "<"]
Share = Annotated[float, Field(ge=0, le=1)]


class _Indicator(_Strict):
    comparator: Comparator = ">="
    required: bool = True
    weight: Annotated[int, Field(ge=0, le=100)] = 1


class MeetingsHeldParams(_Indicator):
    """Meetings of the unit that took place (held, or minutes approved) in the last `window_days`."""

    window_days: Annotated[int, Field(ge=1, le=3660)] = 90
    threshold: Annotated[int, Field(ge=0)]


class AttendanceRateParams(_Indicator):
    """Members present over members in good standing, each summed over the window's meetings held."""

    window_days: Annotated[int, Field(ge=1, le=3660)] = 90
    threshold: Share


class OfficersFilledParams(_Indicator):
    """The share of the named posts held on the day."""

    posts: Annotated[list[str], Field(min_length=1)]
    threshold: Share = 1.0


class RetentionParams(_Indicator):
    """The share of the members of `window_days` ago who are members still."""

    window_days: Annotated[int, Field(ge=1, le=3660)] = 365
    threshold: Share


class NetGrowthParams(_Indicator):
    """Members on the day minus members `window_days` before."""

    window_days: Annotated[int, Field(ge=1, le=3660)] = 365
    threshold: int


class CoverageParams(_Indicator):
    """The share of members who hold a post (of `posts`, or any) in the unit's subtree."""

    posts: list[str] = []
    threshold: Share


class EducationShareParams(_Indicator):
    """The share of members who completed every course named."""

    courses: Annotated[list[str], Field(min_length=1)]
    threshold: Share


class MeetingsHeldIndicator(_Strict):
    meetings_held: MeetingsHeldParams


class AttendanceRateIndicator(_Strict):
    attendance_rate: AttendanceRateParams


class OfficersFilledIndicator(_Strict):
    officers_filled: OfficersFilledParams


class RetentionIndicator(_Strict):
    retention: RetentionParams


class NetGrowthIndicator(_Strict):
    net_growth: NetGrowthParams


class CoverageIndicator(_Strict):
    coverage: CoverageParams


class EducationShareIndicator(_Strict):
    education_share: EducationShareParams


Indicator = (
    MeetingsHeldIndicator
    | AttendanceRateIndicator
    | OfficersFilledIndicator
    | RetentionIndicator
    | NetGrowthIndicator
    | CoverageIndicator
    | EducationShareIndicator
)
INDICATOR_TYPES: dict[str, type[_Strict]] = {
    "meetings_held": MeetingsHeldIndicator,
    "attendance_rate": AttendanceRateIndicator,
    "officers_filled": OfficersFilledIndicator,
    "retention": RetentionIndicator,
    "net_growth": NetGrowthIndicator,
    "coverage": CoverageIndicator,
    "education_share": EducationShareIndicator,
}


def indicator_params(indicator: Indicator) -> _Indicator:
    """The parameters of an indicator (its one field)."""
    (name,) = type(indicator).model_fields
    return getattr(indicator, name)


def indicator_type(indicator: Indicator) -> str:
    (name,) = type(indicator).model_fields
    return name


class Tier(_Strict):
    """A tier of unit health: its label and the least weighted share of indicators passed it needs."""

    label: str
    at_least: Share


DEFAULT_TIERS = (
    Tier(label="Fading", at_least=0),
    Tier(label="Weak", at_least=0.25),
    Tier(label="Building", at_least=0.5),
    Tier(label="Steady", at_least=0.75),
    Tier(label="Strong", at_least=1),
)


# Meeting kinds every organization has; a constitution may add its own under `meetings.kinds`.
MEETING_KINDS: dict[str, str] = {
    "regular": "Regular meeting",
    "founding": "Founding meeting",
    "extraordinary": "Extraordinary meeting",
    "education": "Education session",
}


class QuorumRule(_Strict):
    """How many must be present for a meeting's decision to count: a share of the unit's members
    in good standing, an absolute number, or (both given) the larger of the two."""

    share_of_members: Annotated[float, Field(gt=0, le=1)] | None = None
    at_least: Annotated[int, Field(ge=1)] | None = None

    @model_validator(mode="after")
    def _one_measure(self) -> QuorumRule:
        if self.share_of_members is None and self.at_least is None:
            raise ValueError("meetings.quorum: give share_of_members (e.g. 0.5), at_least (e.g. 5), or both")
        return self


class StandingRule(_Strict):
    """A member is in good standing on a day when they attended at least N meetings in the months before it."""

    attended_at_least: Annotated[int, Field(ge=1)]
    in_months: Annotated[int, Field(ge=1, le=120)]


class MeetingRules(_Strict):
    """The constitution's rules for meetings: the kinds it adds, the quorum of decisions, standing."""

    kinds: dict[str, str] = {}
    quorum: QuorumRule | None = None
    standing: StandingRule | None = None


# The apportionment rules a constitution may name (the engine's, in grassroots.conferences.apportionment).
HOUSE_METHODS = ("hamilton", "dhondt", "sainte-lague", "huntington-hill")
APPORTIONMENT_METHODS = (*HOUSE_METHODS, "per", "brackets")
ApportionmentMethod = Literal["hamilton", "dhondt", "sainte-lague", "huntington-hill", "per", "brackets"]
Rounding = Literal["floor", "ceiling", "half-up", "major-fraction"]


class ApportionmentRule(_Strict):
    """How a conference's delegates are shared among the units, as the constitution writes it: a
    house of `seats` by a house-size `method` (hamilton, dhondt, sainte-lague, huntington-hill), one
    delegate `per` N members with a `rounding` (default floor), or `brackets` ('1-14: 1' a line,
    last optionally '51+: 3 + 1 per 50'); with `minimum` and `maximum` seats per unit. A conference
    planned without a rule of its own uses this one; the bracket lines are read by the engine then."""

    method: ApportionmentMethod
    seats: Annotated[StrictInt, Field(ge=1, le=MOST_SEATS)] | None = None
    minimum: Annotated[StrictInt, Field(ge=0, le=MOST_SEATS)] = 0
    maximum: Annotated[StrictInt, Field(ge=1, le=MOST_SEATS)] | None = None
    per: Annotated[StrictInt, Field(ge=1, le=MOST_MEMBERS)] | None = None
    rounding: Rounding | None = None
    brackets: Annotated[StrictStr, Field(max_length=10_000)] | None = None

    @model_validator(mode="after")
    def _parameters_of_the_method(self) -> ApportionmentRule:
        where = "conferences.apportionment"
        wanted = (
            {"seats"} if self.method in HOUSE_METHODS else {"per", "rounding"} if self.method == "per" else {"brackets"}
        )
        errors = [
            f"{where}.{name}: does not apply to the method {self.method}"
            for name in ("seats", "per", "rounding", "brackets")
            if getattr(self, name) is not None and name not in wanted
        ]
        required = "seats" if self.method in HOUSE_METHODS else "per" if self.method == "per" else "brackets"
        if getattr(self, required) is None:
            errors.append(f"{where}.{required}: required with the method {self.method}")
        if self.maximum is not None and self.maximum < self.minimum:
            errors.append(f"{where}.minimum: {self.minimum} is more than the maximum {self.maximum}")
        if self.seats is not None and self.minimum > self.seats:
            errors.append(f"{where}.minimum: {self.minimum} is more than the seats, {self.seats}")
        if self.brackets is not None:
            try:
                parse_brackets(self.brackets)
            except BracketError as error:  # "brackets line 2: ..." or "brackets: ..."
                errors.append(f"{where}.{error}")
        if errors:
            raise ValueError("\n".join(errors))
        return self


class ConferenceRules(_Strict):
    """The constitution's rules for conferences: the apportionment of delegates (none: each
    conference names its own)."""

    apportionment: ApportionmentRule | None = None


class UnitKind(_Strict):
    label: str
    body_label: str | None = None
    basic: bool = False
    parents: list[str] = []
    founding_rules: list[dict[str, Any]] = []
    indicators: list[dict[str, Any]] = []
    consolidation: Consolidation | None = None

    def rules(self) -> list[FoundingRule]:
        return [_parse_rule(rule) for rule in self.founding_rules]

    def health_indicators(self) -> list[Indicator]:
        """The kind's health indicators: its `indicators`, or those the older `consolidation` block says."""
        if self.indicators or self.consolidation is None:
            return [_parse_indicator(raw) for raw in self.indicators]
        old = self.consolidation
        found: list[Indicator] = []
        if old.meetings is not None:
            held = -(-old.meetings.at_least * old.window_days // old.meetings.per_days)
            found.append(
                MeetingsHeldIndicator(meetings_held=MeetingsHeldParams(window_days=old.window_days, threshold=held))
            )
        if old.attendance_rate is not None and self.basic:
            rate = AttendanceRateParams(window_days=old.window_days, threshold=old.attendance_rate)
            found.append(AttendanceRateIndicator(attendance_rate=rate))
        if old.officers_filled:
            found.append(OfficersFilledIndicator(officers_filled=OfficersFilledParams(posts=old.officers_filled)))
        if old.retention_rate is not None:
            found.append(RetentionIndicator(retention=RetentionParams(threshold=old.retention_rate)))
        return found


class StatusGate(_Strict):
    """What a move between two statuses needs beyond being allowed: the courses completed (by
    code, holding on the day of the move) and the calendar months spent in the current status."""

    courses: list[str] = []
    months_in_status: Annotated[int, Field(ge=0, le=600)] = 0


class MemberStatuses(_Strict):
    """The status pipeline: where people start, which statuses count as members, the moves allowed,
    and the gates some moves pass (`gates[from][to]`)."""

    initial: str
    founding: str | None = None
    counted: list[str]
    transitions: dict[str, list[str]]
    gates: dict[str, dict[str, StatusGate]] = {}


Right = Literal[
    "view_people", "edit_people", "manage_units", "import_export", "view_audit", "view_lineage", "issue_directives"
]
RIGHTS: tuple[str, ...] = Right.__args__  # type: ignore[attr-defined]
# What a post grants over its unit's subtree when the constitution does not say.
DEFAULT_POST_RIGHTS: tuple[str, ...] = ("view_people", "edit_people", "manage_units")
RosterField = Literal["name", "email", "phone"]


class Constitution(_Strict):
    """An organization's rules: unit kinds, founding rules, posts and their rights, member statuses."""

    name: str
    unit_kinds: dict[str, UnitKind]
    officer_posts: list[str]
    officer_rights: dict[str, list[Right]] = {}
    member_roster_fields: list[RosterField] = ["name"]
    member_statuses: MemberStatuses
    max_members_per_basic_unit: Annotated[int, Field(ge=1)]
    meetings: MeetingRules = MeetingRules()
    conferences: ConferenceRules = ConferenceRules()
    health_tiers: list[Tier] = list(DEFAULT_TIERS)

    @field_validator("meetings", "conferences", mode="before")
    @classmethod
    def _empty_section(cls, value: Any) -> Any:
        """A section written with nothing under it (`conferences:`) says nothing: its defaults."""
        return {} if value is None else value

    @model_validator(mode="after")
    def _check_references(self) -> Constitution:
        errors: list[str] = []
        kinds = self.unit_kinds
        if not any(kind.basic for kind in kinds.values()):
            errors.append("unit_kinds: no kind is marked basic: true")
        for key, kind in kinds.items():
            for parent in kind.parents:
                if parent not in kinds:
                    errors.append(f"unit_kinds.{key}.parents: unknown unit kind '{parent}'")
                elif kinds[parent].basic:
                    errors.append(f"unit_kinds.{key}.parents: '{parent}' is basic and cannot have children")
            for index, raw in enumerate(kind.founding_rules):
                where = f"unit_kinds.{key}.founding_rules[{index}]"
                try:
                    rule = _parse_rule(raw)
                except ConstitutionError as error:
                    errors.extend(f"{where}: {message}" for message in error.errors)
                    continue
                if isinstance(rule, OfficerRule) and rule.officer not in self.officer_posts:
                    errors.append(f"{where}.officer: '{rule.officer}' is not in officer_posts")
                if isinstance(rule, ChildrenRule) and rule.children.kind not in kinds:
                    errors.append(f"{where}.children.kind: unknown unit kind '{rule.children.kind}'")
                if isinstance(rule, ChildrenRule | ConsolidatedChildrenRule) and kind.basic:
                    errors.append(f"{where}: a basic unit has no children")
                if isinstance(rule, ConsolidatedChildrenRule):
                    errors.extend(self._check_consolidated_children(where, rule.consolidated_children.kind))
            if kind.consolidation:
                for post in kind.consolidation.officers_filled:
                    if post not in self.officer_posts:
                        errors.append(
                            f"unit_kinds.{key}.consolidation.officers_filled: '{post}' is not in officer_posts"
                        )
            errors.extend(self._check_indicators(key, kind))
        for post in self.officer_rights:
            if post not in self.officer_posts:
                errors.append(f"officer_rights.{post}: '{post}' is not in officer_posts")
        for key in self.meetings.kinds:
            if not key or not all(c.isascii() and (c.isalnum() or c == "_") for c in key) or len(key) > 40:
                errors.append(f"meetings.kinds.{key}: a kind's key is at most 40 letters, digits or underscores")
            elif key in MEETING_KINDS:
                errors.append(f"meetings.kinds.{key}: '{key}' is a built-in meeting kind")
        errors.extend(self._check_parent_cycles())
        errors.extend(self._check_statuses())
        errors.extend(self._check_tiers())
        if errors:
            raise ValueError("\n".join(errors))
        return self

    def _check_consolidated_children(self, where: str, child: str) -> list[str]:
        if child not in self.unit_kinds:
            return [f"{where}.consolidated_children.kind: unknown unit kind '{child}'"]
        if not self.unit_kinds[child].indicators and self.unit_kinds[child].consolidation is None:
            return [
                f"{where}.consolidated_children.kind: '{child}' declares no indicators, so none can be consolidated"
            ]
        return []

    def _check_indicators(self, key: str, kind: UnitKind) -> list[str]:
        errors: list[str] = []
        if kind.indicators and kind.consolidation is not None:
            errors.append(f"unit_kinds.{key}: give indicators or the older consolidation block, not both")
        weights, broken = 0, False
        for index, raw in enumerate(kind.indicators):
            where = f"unit_kinds.{key}.indicators[{index}]"
            try:
                indicator = _parse_indicator(raw)
            except ConstitutionError as error:
                errors.extend(f"{where}: {message}" for message in error.errors)
                broken = True
                continue
            params = indicator_params(indicator)
            weights += params.weight
            name = indicator_type(indicator)
            for post in getattr(params, "posts", []):
                if post not in self.officer_posts:
                    errors.append(f"{where}.{name}.posts: '{post}' is not in officer_posts")
            if isinstance(indicator, AttendanceRateIndicator) and not kind.basic:
                errors.append(
                    f"{where}: attendance_rate is for basic units, whose members meet; "
                    "a committee's health can count its meetings_held"
                )
        if kind.indicators and not broken and not weights:
            errors.append(f"unit_kinds.{key}.indicators: every weight is 0; give at least one a weight")
        return errors

    def _check_tiers(self) -> list[str]:
        tiers = self.health_tiers
        if len(tiers) != 5:
            return [f"health_tiers: give 5 tiers, lowest first (there are {len(tiers)})"]
        errors = []
        if tiers[0].at_least != 0:
            errors.append("health_tiers[0].at_least: the lowest tier starts at 0")
        for index in range(1, 5):
            if tiers[index].at_least <= tiers[index - 1].at_least:
                errors.append(f"health_tiers[{index}].at_least: must be above the tier before it")
        return errors

    def _check_parent_cycles(self) -> list[str]:
        def reaches(start: str, target: str, seen: set[str]) -> bool:
            for parent in self.unit_kinds.get(start, UnitKind(label="")).parents:
                if parent == target or (parent not in seen and reaches(parent, target, seen | {parent})):
                    return True
            return False

        return [
            f"unit_kinds.{key}.parents: a kind cannot be its own ancestor"
            for key in self.unit_kinds
            if reaches(key, key, set())
        ]

    def _check_statuses(self) -> list[str]:
        statuses = self.member_statuses
        known = set(statuses.transitions) | {s for targets in statuses.transitions.values() for s in targets}
        known |= set(statuses.counted) | {statuses.initial} | ({statuses.founding} if statuses.founding else set())
        declared = set(statuses.transitions)
        errors = [
            f"member_statuses.transitions: status '{status}' is used but has no entry"
            for status in sorted(known - declared)
        ]
        for old, targets in statuses.gates.items():
            for new, gate in targets.items():
                where = f"member_statuses.gates.{old}.{new}"
                if new not in statuses.transitions.get(old, []):
                    errors.append(f"{where}: the transitions allow no move from {old} to {new}")
                if not gate.courses and not gate.months_in_status:
                    errors.append(f"{where}: give courses or months_in_status (or drop the gate)")
                errors.extend(
                    f"{where}.courses: '{code}' is not a course code (letters, digits, '-' and '_')"
                    for code in gate.courses
                    if not is_course_code(code)
                )
        return errors

    # Questions the domain asks of the constitution.

    def kind(self, key: str) -> UnitKind:
        return self.unit_kinds[key]

    def kind_key(self, text: str) -> str | None:
        """The key of the unit kind named `text`, by its key or its label, in any case; None if none."""
        wanted = text.strip().casefold()
        for key, kind in self.unit_kinds.items():
            if wanted in (key.casefold(), kind.label.casefold()):
                return key
        return None

    def kind_in_words(self, key: str) -> str:
        """'a building committee': the kind's label in lower case, with its article."""
        label = self.unit_kinds[key].label.lower() if key in self.unit_kinds else key
        return f"{'an' if label[:1] in 'aeiou' else 'a'} {label}"

    @property
    def basic_kinds(self) -> list[str]:
        return [key for key, kind in self.unit_kinds.items() if kind.basic]

    def kinds_below(self, kind: str) -> list[str]:
        """The kinds a unit of `kind` may have anywhere below it (children, their children...),
        in the order the constitution lists them; none for a basic kind."""
        below: set[str] = set()
        frontier = {kind}
        while frontier:
            found = {key for key, child in self.unit_kinds.items() if frontier & set(child.parents)} - below
            below |= found
            frontier = found
        return [key for key in self.unit_kinds if key in below]

    def may_be_child(self, *, kind: str, parent_kind: str | None) -> bool:
        parents = self.unit_kinds[kind].parents
        return (not parents) if parent_kind is None else parent_kind in parents

    def state_label(self, *, kind: str, state: str) -> str:
        """'founded' reads 'constituted' for bodies above the basic level."""
        if state == "founded" and not self.unit_kinds[kind].basic:
            return "constituted"
        return state

    def rights_of_post(self, post: str) -> frozenset[str]:
        """The rights an officer post grants over its unit's whole subtree."""
        return frozenset(self.officer_rights.get(post, DEFAULT_POST_RIGHTS))

    @property
    def meeting_kinds(self) -> dict[str, str]:
        """Every meeting kind of this organization, key to label: the built-in ones, then its own."""
        return {**MEETING_KINDS, **self.meetings.kinds}

    @property
    def statuses(self) -> list[str]:
        return list(self.member_statuses.transitions)

    def may_change_status(self, old: str, new: str) -> bool:
        return new in self.member_statuses.transitions.get(old, [])

    def status_gate(self, old: str, new: str) -> StatusGate | None:
        """The gate of the move from `old` to `new`, or None when it has none."""
        return self.member_statuses.gates.get(old, {}).get(new)


def is_course_code(code: str) -> bool:
    """A course code: 1 to 40 letters, digits, '-' and '_' (as constitutions name courses)."""
    return 0 < len(code) <= 40 and all(c.isalnum() or c in "-_" for c in code)


def _parse_rule(raw: Any) -> FoundingRule:
    return _parse_one_of(raw, FOUNDING_RULE_TYPES, "a rule", "officer: secretary")  # type: ignore[return-value]


def _parse_indicator(raw: Any) -> Indicator:
    return _parse_one_of(raw, INDICATOR_TYPES, "an indicator", "meetings_held: {threshold: 3}")  # type: ignore[return-value]


def _parse_one_of(raw: Any, types: Mapping[str, type[BaseModel]], what: str, example: str) -> BaseModel:
    """`what` ("a rule"): a mapping with exactly one key, the type's name (`officer: secretary`),
    validated by that type; ConstitutionError naming the unknown type or every bad key."""
    if not isinstance(raw, dict) or len(raw) != 1:
        raise ConstitutionError([f"{what} is a mapping with exactly one {what.split()[-1]} type, e.g. {example}"])
    (name,) = raw
    model = types.get(name)
    if model is None:
        raise ConstitutionError([f"unknown {what.split()[-1]} type '{name}' (known: {', '.join(types)})"])
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        raise ConstitutionError(_messages(error)) from None


def _messages(error: ValidationError) -> list[str]:
    messages = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"])
        text = item["msg"]
        if item["type"] == "value_error":
            # Our own cross-checks already carry their key paths, one per line.
            messages.extend(text.removeprefix("Value error, ").splitlines())
            continue
        if item["type"] == "extra_forbidden":
            text = "unknown key"
        messages.append(f"{where}: {text}" if where else text)
    return messages


def parse_constitution(text: str) -> Constitution:
    """Parse and validate constitution YAML; raise ConstitutionError naming every bad key."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConstitutionError([f"not valid YAML: {error}"]) from None
    if not isinstance(data, dict):
        raise ConstitutionError(["the file must be a mapping with keys such as name and unit_kinds"])
    try:
        return Constitution.model_validate(data)
    except ValidationError as error:
        raise ConstitutionError(_messages(error)) from None


def template_names() -> list[str]:
    return sorted(path.stem for path in TEMPLATES_DIR.glob("*.yaml"))


def load_constitution_text(file_or_template: str) -> str:
    """Read a constitution from a shipped template name or a file path."""
    if file_or_template in template_names():
        return (TEMPLATES_DIR / f"{file_or_template}.yaml").read_text(encoding="utf-8")
    path = Path(file_or_template)
    if not path.is_file():
        known = ", ".join(template_names())
        raise ConstitutionError([f"'{file_or_template}' is neither a file nor a template ({known})"])
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConstitutionError([f"'{file_or_template}' cannot be read as UTF-8 text: {error}"]) from None
