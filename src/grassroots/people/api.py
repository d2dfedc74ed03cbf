"""REST endpoints for people and their memberships in basic units.

Mounted beside the organizations router under `/orgs/`: people are addressed by numeric id
within their organization. Every endpoint resolves the organization, person and unit through
the selectors with the caller, so anything unknown or out of scope is a JSON 404; a unit or
recruiter named in the body that is not in scope is refused (409) naming the body key.
`POST /people` answers 201; the membership moves (join, transfer, status, end) answer 200
with the membership as it now is.
"""

from django.http import HttpRequest
from django.views.decorators.cache import cache_control
from ninja import Router, Status
from ninja.decorators import decorate_view

from grassroots.api.errors import require_choice
from grassroots.api.pagination import paginated, paginated_by_name
from grassroots.api.schemas import QUERY_ERRORS, READ_ERRORS, WRITE_ERRORS, ErrorOut, Text
from grassroots.organizations.api import referenced_people, referenced_unit
from grassroots.organizations.selectors import organization_for, unit_for

from . import actions, merging
from .models import Person
from .schemas import (
    CompletionIn,
    CompletionOut,
    ConsentIn,
    ConsentOut,
    DuplicateOut,
    EndIn,
    JoinIn,
    MembershipOut,
    MergeIn,
    MergeOut,
    PersonEditIn,
    PersonIn,
    PersonOut,
    PersonRecordOut,
    StatusIn,
    TransferIn,
)
from .selectors import (
    completions_of,
    consent_for,
    consents_of,
    course_for,
    duplicates_visible_to,
    history_of,
    members_of_unit,
    person_for,
    search_people,
)

router = Router(tags=["people and memberships"])


# One person's record: kept by no cache, shared or the browser's own (`Cache-Control: private, no-store`).
PRIVATE = cache_control(private=True, no_store=True)


def _person(request: HttpRequest, org_slug: str, person_id: int) -> Person:
    return person_for(request.auth, organization_for(request.auth, org_slug), person_id)


@router.get("/{org_slug}/people", response={200: list[PersonOut], **QUERY_ERRORS}, summary="List people")
@paginated_by_name
def list_people(request: HttpRequest, org_slug: str, q: Text = "", unit: Text = "", status: Text = ""):
    """People by name, each with their current membership and their status. `q`: names, family
    names or emails that begin with it, ignoring case, accents and Unicode form; `unit`: only people
    of that unit's subtree (by slug); `status`: only people with that status (their current
    membership's or, with none, the one their last membership ended with: `resigned` lists those
    who resigned; `unit` then applies to that last membership's unit). To go deep, page by
    `after` (the previous page's `next`) rather than by `offset`. A status that is not one of
    the organization's constitution (its statuses differ from one organization to another, so
    the schema cannot list them) is a 422 naming `status`; an unknown unit is a 404."""
    organization = organization_for(request.auth, org_slug)
    status = status.strip()
    require_choice("status", status, organization.constitution.statuses)
    within = unit_for(request.auth, organization, unit) if unit else None
    return search_people(request.auth, organization, q.strip(), unit=within, status=status)


@router.post("/{org_slug}/people", response={201: PersonOut, **WRITE_ERRORS}, summary="Add a person")
def add_person(request: HttpRequest, org_slug: str, payload: PersonIn):
    """Record a person; only the name is required. The recruiter is named by id within the organization."""
    organization = organization_for(request.auth, org_slug)
    recruiter = None
    if payload.recruiter is not None:
        (recruiter,) = referenced_people(request, organization, [payload.recruiter], field="recruiter")
    person = actions.add_person(
        organization=organization,
        name=payload.name,
        email=payload.email,
        phone=payload.phone,
        address=payload.address,
        recruiter=recruiter,
        unit=referenced_unit(request, organization, payload.unit, field="unit"),
        status=payload.status,
        on=payload.on,
        allow_duplicate=payload.allow_duplicate,
        by=request.auth,
    )
    return Status(201, person)


@router.get(
    "/{org_slug}/people/duplicates", response={200: list[DuplicateOut], **QUERY_ERRORS}, summary="Possible duplicates"
)
@paginated
def list_duplicates(request: HttpRequest, org_slug: str):
    """Pairs of people in the caller's scope who may be one person, with why: the same email,
    phone or name. Merge a pair with `POST .../people/{id}/merge`."""
    pairs = duplicates_visible_to(request.auth, organization_for(request.auth, org_slug))
    return [
        {
            "first": {"id": pair.first_id, "name": pair.first_name},
            "second": {"id": pair.second_id, "name": pair.second_name},
            "reasons": list(pair.reasons),
        }
        for pair in pairs
    ]


@router.get("/{org_slug}/people/{person_id}", response={200: PersonOut, **QUERY_ERRORS}, summary="Person")
@decorate_view(PRIVATE)
def get_person(request: HttpRequest, org_slug: str, person_id: int):
    return _person(request, org_slug, person_id)


@router.post("/{org_slug}/people/{person_id}/edit", response={200: PersonOut, **WRITE_ERRORS}, summary="Edit")
def edit_person(request: HttpRequest, org_slug: str, person_id: int, payload: PersonEditIn):
    """Correct the person's name, email, phone or address (absent keys stay as they are), in the
    same normal form as when adding; a same-name duplicate is refused (409) unless allowed."""
    return actions.edit_person(
        person=_person(request, org_slug, person_id),
        name=payload.name,
        email=payload.email,
        phone=payload.phone,
        address=payload.address,
        allow_duplicate=payload.allow_duplicate,
        by=request.auth,
    )


@router.post("/{org_slug}/people/{person_id}/merge", response={200: MergeOut, **WRITE_ERRORS}, summary="Merge")
def merge_people(request: HttpRequest, org_slug: str, person_id: int, payload: MergeIn):
    """Merge `other` into this person: memberships, status changes, posts, consents, recruits,
    attendance and audit references move here, and `other` goes; the answer is the kept `person`
    and the other's values that were not kept. An `other` the caller cannot see is 404, as the
    person of the path is. Refused (409, naming both) when a membership of one overlaps one of
    the other: a person is a member of one basic unit at a time."""
    keep = _person(request, org_slug, person_id)
    other = person_for(request.auth, keep.organization, payload.other)
    return merging.merge_people(keep=keep, other=other, by=request.auth)


@router.get(
    "/{org_slug}/people/{person_id}/memberships",
    response={200: list[MembershipOut], **QUERY_ERRORS},
    summary="Membership history",
)
@paginated
def list_memberships(request: HttpRequest, org_slug: str, person_id: int):
    """Every membership of the person, latest first; the current one has no end."""
    return history_of(request.auth, _person(request, org_slug, person_id))


@router.get(
    "/{org_slug}/units/{unit_slug}/members", response={200: list[MembershipOut], **QUERY_ERRORS}, summary="Members"
)
@paginated
def list_members(request: HttpRequest, org_slug: str, unit_slug: str):
    """The current memberships of one unit (whatever their status), by name."""
    unit = unit_for(request.auth, organization_for(request.auth, org_slug), unit_slug)
    return members_of_unit(request.auth, unit)


@router.post(
    "/{org_slug}/people/{person_id}/join", response={200: MembershipOut, **WRITE_ERRORS}, summary="Join a unit"
)
def join_unit(request: HttpRequest, org_slug: str, person_id: int, payload: JoinIn):
    """Start the person's membership in a basic unit; refused while they have one (transfer them instead)."""
    person = _person(request, org_slug, person_id)
    unit = referenced_unit(request, person.organization, payload.unit, field="unit")
    return actions.join_unit(person=person, unit=unit, on=payload.on, status=payload.status, by=request.auth)


@router.post(
    "/{org_slug}/people/{person_id}/transfer", response={200: MembershipOut, **WRITE_ERRORS}, summary="Transfer"
)
def transfer_member(request: HttpRequest, org_slug: str, person_id: int, payload: TransferIn):
    """End the current membership and start the next, with the same status, in another basic unit that day."""
    person = _person(request, org_slug, person_id)
    unit = referenced_unit(request, person.organization, payload.unit, field="unit")
    return actions.transfer_member(person=person, to_unit=unit, on=payload.on, by=request.auth)


@router.post(
    "/{org_slug}/people/{person_id}/status", response={200: MembershipOut, **WRITE_ERRORS}, summary="Change status"
)
def change_status(request: HttpRequest, org_slug: str, person_id: int, payload: StatusIn):
    """Change the current membership's status, only along a move the constitution allows; a gated
    move with unmet requirements is refused (409) listing them all, unless `override_decision`
    names a carried decision of the next body up and `reason` says why."""
    person = _person(request, org_slug, person_id)
    return actions.change_status(
        person=person,
        status=payload.status,
        on=payload.on,
        override_decision=payload.override_decision,
        reason=payload.reason,
        by=request.auth,
    )


@router.post(
    "/{org_slug}/people/{person_id}/end", response={200: MembershipOut, **WRITE_ERRORS}, summary="End membership"
)
def end_membership(request: HttpRequest, org_slug: str, person_id: int, payload: EndIn):
    """End the current membership, optionally changing first to a final status the constitution allows."""
    person = _person(request, org_slug, person_id)
    return actions.end_membership(person=person, on=payload.on, status=payload.status, by=request.auth)


# The person's own data: subject access, erasure, consents.


@router.get(
    "/{org_slug}/people/{person_id}/export",
    response={200: PersonRecordOut, **READ_ERRORS, 403: ErrorOut},
    summary="Subject access export",
)
@decorate_view(PRIVATE)
def export_person(request: HttpRequest, org_slug: str, person_id: int):
    """Everything the organization holds about the person, for a subject access request.

    A GET that writes: each call is recorded in the audit trail as `person.export`, with how
    many items of each kind went out (never their values). Needs import_export and
    view_lineage over every unit the person has been a member or officer of (403 otherwise).
    """
    return actions.export_person_record(person=_person(request, org_slug, person_id), by=request.auth)


@router.post(
    "/{org_slug}/people/{person_id}/erase", response={200: PersonOut, **WRITE_ERRORS}, summary="Erase a person"
)
def erase_person(request: HttpRequest, org_slug: str, person_id: int):
    """Erase the person for good (administrators only; no body): name, contacts and consents go,
    and their name leaves the audit trail. Memberships stay without a name, so counts stay true.
    A second erasure is refused (409)."""
    return actions.erase_person(person=_person(request, org_slug, person_id), by=request.auth)


@router.get(
    "/{org_slug}/people/{person_id}/consents", response={200: list[ConsentOut], **QUERY_ERRORS}, summary="Consents"
)
@paginated
def list_consents(request: HttpRequest, org_slug: str, person_id: int):
    """The person's consents, latest first, withdrawn ones included (with when)."""
    return consents_of(request.auth, _person(request, org_slug, person_id))


@router.post(
    "/{org_slug}/people/{person_id}/consents", response={201: ConsentOut, **WRITE_ERRORS}, summary="Record a consent"
)
def record_consent(request: HttpRequest, org_slug: str, person_id: int, payload: ConsentIn):
    """Record that the person consents to a purpose under a version of the policy, as of now."""
    person = _person(request, org_slug, person_id)
    consent = actions.record_consent(
        person=person, purpose=payload.purpose, policy_version=payload.policy_version, by=request.auth
    )
    return Status(201, consent)


@router.post(
    "/{org_slug}/people/{person_id}/consents/{consent_id}/withdraw",
    response={200: ConsentOut, **WRITE_ERRORS},
    summary="Withdraw a consent",
)
def withdraw_consent(request: HttpRequest, org_slug: str, person_id: int, consent_id: int):
    """Date the withdrawal of one of the person's consents (no body); a second withdrawal is refused (409)."""
    person = _person(request, org_slug, person_id)
    return actions.withdraw_consent(consent=consent_for(request.auth, person, consent_id), by=request.auth)


# Member education: the person's course completions.


@router.get(
    "/{org_slug}/people/{person_id}/completions",
    response={200: list[CompletionOut], **QUERY_ERRORS},
    summary="Course completions",
)
@paginated
def list_completions(request: HttpRequest, org_slug: str, person_id: int):
    """The person's course completions, latest first: course, day, how recorded, expiry."""
    return completions_of(request.auth, _person(request, org_slug, person_id))


@router.post(
    "/{org_slug}/people/{person_id}/completions",
    response={201: CompletionOut, **WRITE_ERRORS},
    summary="Record a course completion",
)
def record_completion(request: HttpRequest, org_slug: str, person_id: int, payload: CompletionIn):
    """Record that the person completed a course (by its code) on a day; an unknown course is a
    404, a second completion of it on the same day a 409."""
    person = _person(request, org_slug, person_id)
    course = course_for(person.organization, payload.course)
    completion = actions.record_completion(
        person=person, course=course, on=payload.on, how=payload.how, by=request.auth
    )
    return Status(201, completion)
