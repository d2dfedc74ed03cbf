"""Typed shapes of the API for organizations, units, readiness and officer posts.

Input schemas forbid unknown keys, so a body cannot try to set what the API decides itself
(the organization, a primary key, a unit's state): such a body gets 422 naming the key.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

from grassroots.api.schemas import Body, IsoDate, PersonId
from grassroots.constitution import UNIT_STATES

from .models import Organization, Unit
from .selectors import current_posts, event_parent, members_in_subtree, visible_parent_slug

UnitStateName = Literal[UNIT_STATES]  # type: ignore[valid-type]

# Organizations and their constitutions.


class OrganizationOut(Schema):
    slug: str
    name: str


class UnitKindOut(Schema):
    kind: str
    label: str
    body_label: str | None
    basic: bool
    parents: list[str] = Field(description="Kinds this kind may stand under; empty for the top of the tree.")


class MemberStatusesOut(Schema):
    initial: str
    founding: str | None
    counted: list[str] = Field(description="Statuses that count as membership.")
    transitions: dict[str, list[str]] = Field(description="For each status, the statuses it may change to.")


class ConstitutionOut(Schema):
    name: str
    unit_kinds: list[UnitKindOut]
    officer_posts: list[str]
    member_statuses: MemberStatusesOut
    max_members_per_basic_unit: int


class OrganizationDetailOut(OrganizationOut):
    constitution: ConstitutionOut

    @staticmethod
    def resolve_constitution(organization: Organization) -> dict:
        constitution = organization.constitution
        return {
            "name": constitution.name,
            "unit_kinds": [
                {
                    "kind": key,
                    "label": kind.label,
                    "body_label": kind.body_label,
                    "basic": kind.basic,
                    "parents": kind.parents,
                }
                for key, kind in constitution.unit_kinds.items()
            ],
            "officer_posts": constitution.officer_posts,
            "member_statuses": constitution.member_statuses.model_dump(),
            "max_members_per_basic_unit": constitution.max_members_per_basic_unit,
        }


# Units.


class PersonRef(Schema):
    id: int
    name: str


class UnitOut(Schema):
    slug: str
    name: str
    kind: str
    kind_label: str
    state: UnitStateName
    state_label: str = Field(description="The state as this kind says it: 'constituted' for a founded body.")
    parent: str | None = Field(description="The parent unit's slug; null at the top of the tree.")
    created_on: dt.date
    founded_on: dt.date | None

    @staticmethod
    def resolve_parent(unit: Unit, context) -> str | None:
        return visible_parent_slug(context["request"].auth, unit)


class CurrentPostOut(Schema):
    id: int = Field(description="The holding's id, to end it with POST .../posts/{post_id}/end.")
    post: str
    person: PersonRef
    start: dt.date


class UnitDetailOut(UnitOut):
    members: int = Field(description="Current members (of counted statuses) in the unit's whole subtree.")
    posts: list[CurrentPostOut] = Field(description="Officer posts held now.")

    @staticmethod
    def resolve_members(unit: Unit) -> int:
        return members_in_subtree(unit)

    @staticmethod
    def resolve_posts(unit: Unit) -> list:
        return list(current_posts(unit))


class TreeRowOut(Schema):
    """One unit of the tree, as `grassroots tree --json` prints it."""

    slug: str
    name: str
    kind: str
    state: UnitStateName
    parent: str | None
    members: int = Field(description="Current members (of counted statuses) in the unit's subtree.")


class SubtreeRowOut(TreeRowOut):
    state_label: str
    depth: int = Field(description="Levels below the unit asked for, which is 0.")


class RuleOut(Schema):
    rule: str
    required: str
    actual: str
    passed: bool
    missing: str


class ReadinessOut(Schema):
    unit: str
    ready: bool
    rules: list[RuleOut]


class HealthMeetingOut(Schema):
    meeting: int = Field(description="The meeting's number.")
    on: dt.date = Field(description="Its day where it was held.")
    title: str
    present: int = Field(description="Members in good standing that day who were present.")
    members: int = Field(description="Members of the unit in good standing that day.")


class HealthPersonOut(Schema):
    id: int
    name: str
    note: str = Field(description="Why they are listed: 'left', a post they hold, 'holds a post'.")


class IndicatorOut(Schema):
    indicator: str = Field(description="The indicator type of the constitution, e.g. attendance_rate.")
    title: str
    value: int | float | None = Field(
        description="A share from 0 to 1 for rates, else a count; null when not measured."
    )
    threshold: int | float
    comparator: Literal[">=", ">", "<=", "<"]
    passed: bool | None = Field(description="null: not measured.")
    required: bool = Field(description="Whether the unit is consolidated only when it passes.")
    weight: int
    window_days: int | None = Field(description="The days up to `on` it looks at; null for a measure of the day.")
    required_text: str
    actual: str
    missing: str
    meetings: list[HealthMeetingOut] = Field(description="The meetings behind the figure.")
    members: list[HealthPersonOut] = Field(
        description="The people behind the figure, for a caller who may see the unit's people (else empty)."
    )


class HealthOut(Schema):
    unit: str
    on: dt.date
    consolidated: bool = Field(description="Every required indicator passes.")
    tier: int | None = Field(description="1 to 5 from the weighted passes; null when nothing is measured.")
    tier_label: str
    score: float | None = Field(description="Weight of the indicators passed over the weight of those measured.")
    indicators: list[IndicatorOut]


class UnitEventOut(Schema):
    on: dt.date
    kind: str
    state: UnitStateName = Field(description="The unit's state after this event.")
    name: str = Field(description="The unit's name after this event.")
    parent: str | None = Field(description="The parent's slug after this event.")
    note: str
    recorded_at: dt.datetime

    @staticmethod
    def resolve_parent(event, context) -> str | None:
        parent = event_parent(context["request"].auth, event)
        return parent.slug if parent is not None else None


class OfficerPostOut(Schema):
    id: int = Field(description="The holding's id: one person's term in one post.")
    unit: str
    post: str
    person: PersonRef
    start: dt.date
    end: dt.date | None = Field(description="The day the term ended, or is set to end; null while open.")

    @staticmethod
    def resolve_unit(holding) -> str:
        return holding.unit.slug


# Request bodies.


class UnitIn(Body):
    kind: str = Field(description="A unit kind of the constitution.")
    name: str
    parent: str | None = Field(None, description="The parent unit's slug; null or absent for the top of the tree.")
    on: IsoDate | None = Field(None, description="Date of creation; today when absent.")
    slug: str | None = Field(None, description="Chosen from the name when absent.")


class DatedIn(Body):
    on: IsoDate | None = Field(None, description="The day it happened; today when absent.")


class FoundingIn(DatedIn):
    founding_members: list[PersonId] | None = Field(
        None, description="Ids of the people at the founding meeting; for a basic unit, its current members if absent."
    )
    officers: dict[str, PersonId] = Field(
        default_factory=dict, description="Posts appointed at the meeting: post to person id."
    )
    minutes: str = ""


class RenameIn(DatedIn):
    name: str


class MoveIn(DatedIn):
    parent: str | None = Field(description="The new parent's slug, or null for the top of the tree. Required.")


class PostIn(DatedIn):
    person: PersonId = Field(description="Id of the person appointed.")
    post: str = Field(description="An officer post of the constitution.")
    until: IsoDate | None = Field(None, description="The day the term ends, after `on`; open when absent.")
