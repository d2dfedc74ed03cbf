"""REST endpoints of delegations, credentials and presence (issue 17), scoped by the convening
unit: whoever sees the conference reads its figures; electing a delegation needs the right to
manage the electing unit (its officers reach the conference through it), the credentials and
presence the right to manage the convening unit, the names (delegates, credentials report,
participants) the right to see its people. Unknown or out of scope is a 404; a rule's refusal a
409 naming the field."""

from __future__ import annotations

from typing import Annotated, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status
from pydantic import Field

from grassroots.access import OutOfScope, Right
from grassroots.api.schemas import READ_ERRORS, WRITE_ERRORS, Body
from grassroots.errors import ActionRefused
from grassroots.meetings.models import Decision
from grassroots.meetings.selectors import meetings_visible_to
from grassroots.organizations.api import referenced_people, referenced_unit
from grassroots.organizations.selectors import may, organization_for

from . import delegations, selectors
from .api import RowId, caller
from .models import Conference, Delegation

router = Router(tags=["conferences"])
PersonId = Annotated[int, Field(ge=1, le=2**63 - 1)]


class DelegateOut(Schema):
    id: int
    person: int = Field(validation_alias="person_id")
    name: str = Field(validation_alias="person.name")
    unit: str = Field(validation_alias="delegation.unit.slug")
    role: Literal["delegate", "alternate"]
    rank: int
    weight: int = Field(description="Member votes the seat carries.")
    credential: Literal["submitted", "verified", "challenged", "seated", "refused"]
    grounds: str
    ruling: str
    present: bool
    seated_for: int | None = Field(validation_alias="seated_for_id", description="The delegate whose seat it holds.")


class DelegationOut(Schema):
    id: int
    unit: str = Field(validation_alias="unit.slug")
    decision: int = Field(validation_alias="decision_id")
    chair: int | None = Field(validation_alias="chair_id")
    seats: int = Field(validation_alias="allocation.seats")


class DelegationIn(Body):
    unit: str = Field(max_length=80, description="Slug of the unit that elected it.")
    decision: PersonId = Field(description="The carried decision of its meeting after the call.")
    delegates: list[PersonId] = Field(max_length=1000, description="Person ids, in rank order.")
    alternates: list[PersonId] = Field(default=[], max_length=1000, description="Person ids, ranked.")
    chair: PersonId = Field(description="One of the delegates.")


class CredentialIn(Body):
    action: Literal["verify", "challenge", "rule", "seat"]
    grounds: str = Field(default="", max_length=5000, description="With challenge: required.")
    ruling: str = Field(default="", max_length=5000, description="With rule: the committee's decision.")
    seat: bool | None = Field(default=None, description="With rule: seat (true) or refuse (false).")


class PresenceIn(Body):
    present: bool


class PresenceOut(Schema):
    seats: int
    seated_weight: int
    present_seats: int
    present_weight: int
    quorum: int = Field(description="The present weight needed: more than half the seated weight.")
    quorate: bool


class SeatOut(Schema):
    delegate: int
    name: str
    unit: str
    weight: int
    role: str
    present: bool
    seated_for: str | None = Field(description="Name of the delegate whose seat an alternate holds.")


class CredentialsReportOut(PresenceOut):
    seated: list[SeatOut]


def _conference(request: HttpRequest, org_slug: str, conference_id: int) -> Conference:
    user = caller(request)
    return selectors.conference_for(user, organization_for(user, org_slug), conference_id)


def _names_visible(request: HttpRequest, conference: Conference) -> None:
    """Names of delegates are for who sees the people of the convening unit's subtree: 403 else."""
    if not may(caller(request), Right.VIEW_PEOPLE, conference.unit):
        unit = conference.unit
        raise OutOfScope(f"you may not see the delegates of {unit.name}", organization=unit.organization, unit=unit)


def _delegation(delegation: Delegation) -> Delegation:
    return Delegation.objects.select_related("unit", "allocation").get(pk=delegation.pk)


@router.get(
    "/{org_slug}/conferences/{conference_id}/delegations",
    response={200: list[DelegationOut], **READ_ERRORS},
    summary="A conference's delegations",
)
def list_delegations(request: HttpRequest, org_slug: str, conference_id: RowId):
    """Each unit's delegation: its unit, the decision that elected it, its chair and seats."""
    conference = _conference(request, org_slug, conference_id)
    return list(selectors.delegations_of(conference).select_related("allocation"))


@router.post(
    "/{org_slug}/conferences/{conference_id}/delegations",
    response={201: DelegationOut, **WRITE_ERRORS},
    summary="Record a unit's elected delegation",
)
def elect_delegation(request: HttpRequest, org_slug: str, conference_id: RowId, payload: DelegationIn):
    """The delegation `unit` elected by `decision` (a carried decision of its meeting after the
    call): delegates in rank order (at most its seats), ranked alternates, a chair among the
    delegates. Its officers may record it; electing again replaces it until a credential is handled."""
    user = caller(request)
    organization = organization_for(user, org_slug)
    try:
        unit = referenced_unit(request, organization, payload.unit, field="unit")
    except ActionRefused:
        selectors.conference_for(user, organization, conference_id)  # a hidden conference stays a 404
        raise
    assert unit is not None
    conference = selectors.conference_for_unit(user, organization, conference_id, unit)
    if not may(user, Right.MANAGE_UNITS, unit):
        # Before the body's references are looked up: who may not elect learns nothing from them.
        raise OutOfScope(f"you may not record the delegation of {unit.name}", organization=organization, unit=unit)
    decision = Decision.objects.filter(
        pk=payload.decision, meeting__in=meetings_visible_to(user, organization)
    ).select_related("meeting").first()  # fmt: skip
    if decision is None:
        raise ActionRefused(f"decision: no decision {payload.decision} in {organization.slug}", field="decision")
    delegates = referenced_people(request, organization, payload.delegates, field="delegates")
    alternates = referenced_people(request, organization, payload.alternates, field="alternates")
    (chair,) = referenced_people(request, organization, [payload.chair], field="chair")
    delegation = delegations.elect_delegation(
        conference=conference,
        unit=unit,
        decision=decision,
        delegates=delegates,
        alternates=alternates,
        chair=chair,
        by=user,
    )
    return Status(201, _delegation(delegation))


@router.get(
    "/{org_slug}/conferences/{conference_id}/delegates",
    response={200: list[DelegateOut], **WRITE_ERRORS},
    summary="A conference's delegates and alternates",
)
def list_delegates(request: HttpRequest, org_slug: str, conference_id: RowId):
    """Every delegate and alternate with their credential and presence, by unit, role and rank."""
    conference = _conference(request, org_slug, conference_id)
    _names_visible(request, conference)
    return list(selectors.delegates_of(conference))


@router.post(
    "/{org_slug}/conferences/{conference_id}/delegates/{delegate_id}/credential",
    response={200: DelegateOut, **WRITE_ERRORS},
    summary="Verify, challenge, rule on or seat a credential",
)
def handle_credential(
    request: HttpRequest, org_slug: str, conference_id: RowId, delegate_id: RowId, payload: CredentialIn
):
    """`verify` a submitted credential; `challenge` one (with `grounds`); `rule` on a challenge
    (with the committee's `ruling` and `seat` true or false); `seat` a verified one."""
    conference = _conference(request, org_slug, conference_id)
    delegate = selectors.delegate_in(conference, delegate_id)
    by = caller(request)
    if payload.action == "verify":
        delegations.verify_credential(delegate=delegate, by=by)
    elif payload.action == "challenge":
        delegations.challenge_credential(delegate=delegate, grounds=payload.grounds, by=by)
    elif payload.action == "rule":
        if payload.seat is None:
            raise ActionRefused("seat: required with rule (true seats, false refuses)", field="seat")
        delegations.rule_on_challenge(delegate=delegate, ruling=payload.ruling, seat=payload.seat, by=by)
    else:
        delegations.seat_delegate(delegate=delegate, by=by)
    return selectors.delegate_in(conference, delegate_id)


@router.post(
    "/{org_slug}/conferences/{conference_id}/delegates/{delegate_id}/presence",
    response={200: PresenceOut, **WRITE_ERRORS},
    summary="Check a delegate in or out",
)
def check_in(request: HttpRequest, org_slug: str, conference_id: RowId, delegate_id: RowId, payload: PresenceIn):
    """Mark a delegate or alternate present or absent; an absent delegate's seat goes to the first
    present alternate of the delegation. Returns the hall's figures."""
    conference = _conference(request, org_slug, conference_id)
    delegate = selectors.delegate_in(conference, delegate_id)
    delegations.check_in(delegate=delegate, present=payload.present, by=caller(request))
    return selectors.presence_of(conference).as_json()


@router.get(
    "/{org_slug}/conferences/{conference_id}/presence",
    response={200: PresenceOut, **READ_ERRORS},
    summary="The hall's live figures",
)
def presence(request: HttpRequest, org_slug: str, conference_id: RowId):
    """Seated and present weight, the quorum (more than half the seated weight) and whether it is met."""
    return selectors.presence_of(_conference(request, org_slug, conference_id)).as_json()


@router.get(
    "/{org_slug}/conferences/{conference_id}/credentials",
    response={200: CredentialsReportOut, **WRITE_ERRORS},
    summary="The credentials report",
)
def credentials_report(request: HttpRequest, org_slug: str, conference_id: RowId):
    """The seated delegates (name, unit, weight, role, presence), the seated weight and the quorum."""
    conference = _conference(request, org_slug, conference_id)
    _names_visible(request, conference)
    lines, figures = selectors.credentials_report(conference)
    return {**figures.as_json(), "seated": [line.as_json() for line in lines]}


@router.get(
    "/{org_slug}/conferences/{conference_id}/participants",
    response={200: None, **WRITE_ERRORS},
    summary="Participants for OpenSlides (CSV)",
    openapi_extra={
        "responses": {200: {"description": "CSV: name, unit, weight, role, present", "content": {"text/csv": {}}}}
    },
)
def participants(request: HttpRequest, org_slug: str, conference_id: RowId):
    """Every delegate and alternate not refused, as CSV (name, unit, weight, delegate|alternate,
    present yes|no), for an assembly tool's user import; audited."""
    conference = _conference(request, org_slug, conference_id)
    return participants_response(delegations.export_participants(conference=conference, by=caller(request)), conference)


def participants_response(rows: list[tuple[str, str, int, str, str]], conference: Conference) -> HttpResponse:
    """The participants as a CSV download named after the conference."""
    response = HttpResponse(selectors.participants_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="conference-{conference.pk}-participants.csv"'
    return response
