"""Typed shapes of the API for people and their memberships."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from grassroots.access.indirect import visible_person
from grassroots.api.schemas import Body, IsoDate, PersonId, Text
from grassroots.organizations.schemas import PersonRef

from .models import Membership, Person
from .selectors import current_membership, latest_membership, sees_lineage


class UnitRef(Schema):
    slug: str
    name: str


class CurrentMembershipOut(Schema):
    unit: str = Field(description="The basic unit's slug.")
    status: str
    start: dt.date

    @staticmethod
    def resolve_unit(membership: Membership) -> str:
        return membership.unit.slug


class PersonOut(Schema):
    id: int
    name: str
    email: str
    phone: str
    address: str
    recruiter: int | None = Field(
        description="Id of the person who brought them in; null unless the caller may see recruitment lineage."
    )
    membership: CurrentMembershipOut | None = Field(description="The current membership, if any.")
    status: str | None = Field(
        description="Their status: the current membership's or, with none, the one their last membership "
        "ended with (what the list's `status` filter matches); null if they never had a membership."
    )

    @staticmethod
    def resolve_recruiter(person: Person, context) -> int | None:
        request = context["request"]
        if person.recruiter_id is None or not sees_lineage(request.auth, person):
            return None
        # A recruiter the caller could not read is as if there were none (`access.indirect`).
        return person.recruiter_id if visible_person(request.auth, person.recruiter) is not None else None

    @staticmethod
    def resolve_membership(person: Person) -> Membership | None:
        return current_membership(person)

    @staticmethod
    def resolve_status(person: Person) -> str | None:
        membership = latest_membership(person)
        return membership.status if membership else None


class MembershipOut(Schema):
    id: int
    person: PersonRef
    unit: UnitRef
    status: str
    start: dt.date
    end: dt.date | None


class PersonIn(Body):
    name: str
    email: str = ""
    phone: str = ""
    address: str = ""
    recruiter: PersonId | None = Field(None, description="Id of the person who brought them in.")
    unit: str | None = Field(
        None, description="Slug of the basic unit they join at once; only administrators record people without one."
    )
    status: str | None = Field(None, description="Their status in that unit; the constitution's initial one if absent.")
    on: IsoDate | None = Field(None, description="The day they joined; today when absent.")
    allow_duplicate: bool = Field(
        False,
        description="Record them even though a known person has the same name and email or phone "
        "(refused with 409 naming that person otherwise).",
    )


class PersonEditIn(Body):
    name: str | None = Field(None, description="The corrected name; unchanged when absent.")
    email: str | None = Field(None, description="The corrected email; empty to remove it; unchanged when absent.")
    phone: str | None = Field(None, description="The corrected phone; empty to remove it; unchanged when absent.")
    address: str | None = Field(None, description="The corrected address; unchanged when absent.")
    allow_duplicate: bool = Field(False, description="As for adding a person.")


class MergeIn(Body):
    other: PersonId = Field(description="Id of the other record of this person: it moves here and goes.")


class MergeOut(Schema):
    person: PersonOut = Field(description="The kept person, with everything of the other now theirs.")
    not_kept: dict[str, str] = Field(
        description="The other record's values that differed from the kept person's and were not kept "
        "(name, email, phone, address, recruiter: the recruiter's id), by field; also in the merge's "
        "audit record."
    )


class DuplicateOut(Schema):
    first: PersonRef
    second: PersonRef
    reasons: list[str] = Field(description="'same email', 'same phone', 'same name'.")


class JoinIn(Body):
    unit: str = Field(description="Slug of the basic unit they join.")
    on: IsoDate | None = Field(None, description="The day it happened; today when absent.")
    status: str | None = Field(None, description="A status of the constitution; its initial status when absent.")


class TransferIn(Body):
    unit: str = Field(description="Slug of the basic unit they transfer to.")
    on: IsoDate | None = Field(None, description="The day it happened; today when absent.")


class StatusIn(Body):
    status: str = Field(description="The new status; the constitution says which moves are allowed.")
    on: IsoDate | None = Field(None, description="The day it happened; today when absent.")
    override_decision: int | None = Field(
        None, description="A carried decision (id) of the next body up that overrides the move's unmet requirements."
    )
    reason: Text = Field("", description="Why the requirements are overridden (with override_decision).")


class EndIn(Body):
    on: IsoDate | None = Field(None, description="The day it ends; today when absent.")
    status: str | None = Field(None, description="A final status to change to first (e.g. resigned).")


class ConsentOut(Schema):
    id: int
    purpose: str
    policy_version: str
    given_at: dt.datetime
    withdrawn_at: dt.datetime | None = Field(description="When it was withdrawn; null while it holds.")


class ConsentIn(Body):
    purpose: str = Field(description="What the person consents to, e.g. 'email bulletins'.")
    policy_version: str = Field(description="The version of the privacy policy they consented under.")


class CompletionOut(Schema):
    id: int
    course: str = Field(description="The course's code.", alias="course.code")
    course_title: str = Field(alias="course.title")
    completed_on: dt.date
    how: str = Field(
        description="attendance, marked (by an officer), reviewed (self-declared and reviewed) or imported."
    )
    expires_on: dt.date | None = Field(description="The first day it no longer holds; null: valid for good.")


class CompletionIn(Body):
    course: str = Field(description="The course's code, e.g. 'basics'.")
    on: dt.date | None = Field(default=None, description="The day it was completed (default today; not in the future).")
    how: str = Field(default="marked", description="attendance, marked, reviewed or imported.")


# The subject access export: everything held about one person.


class RecordUnitOut(Schema):
    slug: str
    name: str


class RecordPersonOut(Schema):
    id: int
    name: str
    email: str
    phone: str
    address: str
    created_at: str
    erased_at: str | None


class RecordStatusChangeOut(Schema):
    on: str
    old: str
    new: str


class RecordMembershipOut(Schema):
    id: int
    unit: RecordUnitOut | None = Field(description="Null when the caller may not see the unit.")
    status: str
    start: str
    end: str | None
    status_changes: list[RecordStatusChangeOut]


class RecordPostOut(Schema):
    id: int
    unit: RecordUnitOut | None = Field(description="Null when the caller may not see the unit.")
    post: str
    start: str
    end: str | None


class RecordMeetingOut(Schema):
    id: int
    unit: RecordUnitOut | None = Field(description="Null when the caller may not see the unit.")
    on: str
    kind: str


class RecordConsentOut(Schema):
    id: int
    purpose: str
    policy_version: str
    given_at: str
    withdrawn_at: str | None


class RecordCompletionOut(Schema):
    course: str
    completed_on: str
    how: str
    expires_on: str | None


class RecordAccountOut(Schema):
    username: str
    administrator: bool
    created_at: str


class RecordAuditOut(Schema):
    action: str
    at: str
    actor: str = Field(description="Who acted, as the audit trail names them.")
    target_type: str
    changes: dict = Field(description="{field: [old, new]} as the action recorded it.")


class PersonRecordOut(Schema):
    """Everything the organization holds about one person; dates and times are ISO 8601 text."""

    organization: RecordUnitOut
    person: RecordPersonOut
    recruiter: PersonRef | None
    recruits: list[int] = Field(description="Ids of the people they brought in.")
    memberships: list[RecordMembershipOut]
    officer_posts: list[RecordPostOut]
    meetings_attended: list[RecordMeetingOut]
    consents: list[RecordConsentOut]
    course_completions: list[RecordCompletionOut]
    accounts: list[RecordAccountOut]
    audit_records: list[RecordAuditOut] = Field(description="The audit records about them, oldest first.")
