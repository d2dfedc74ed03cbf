"""REST endpoints of conferences, scoped by the convening unit: whoever sees it sees the
conference and its apportionment table; adding, apportioning, calling and stepping it on need
the right to manage it. Anything unknown or out of scope is a 404 and changes nothing; a rule's
refusal is a 409 naming the field."""

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Router, Status
from pydantic import Field

from grassroots.api.pagination import paginated
from grassroots.api.schemas import READ_ERRORS, WRITE_ERRORS
from grassroots.organizations.api import referenced_unit
from grassroots.organizations.selectors import organization_for

from . import actions, selectors
from .models import Conference
from .schemas import AllocationOut, ApportionmentOut, ConferenceIn, ConferenceOut, ConferenceStatusIn

router = Router(tags=["conferences"])
RowId = Annotated[int, Field(ge=1, le=2**63 - 1)]


def caller(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _conference(request: HttpRequest, org_slug: str, conference_id: int) -> Conference:
    user = caller(request)
    return selectors.conference_for(user, organization_for(user, org_slug), conference_id)


@router.get("/{org_slug}/conferences", response={200: list[ConferenceOut], **READ_ERRORS}, summary="List conferences")
@paginated
def list_conferences(request: HttpRequest, org_slug: str):
    """The conferences convened by units the caller sees, the latest cut-off first."""
    user = caller(request)
    return selectors.conferences_visible_to(user, organization_for(user, org_slug)).order_by("-cutoff", "-pk")


@router.post("/{org_slug}/conferences", response={201: ConferenceOut, **WRITE_ERRORS}, summary="Plan a conference")
def add_conference(request: HttpRequest, org_slug: str, payload: ConferenceIn):
    """Plan a conference convened by `unit` over its subtree, its members counted on `cutoff`, by
    `method` (a house-size method with `seats`, `per` with `per` and `rounding`, or `brackets`).
    A refusal is a 409 naming the field."""
    user = caller(request)
    organization = organization_for(user, org_slug)
    unit = referenced_unit(request, organization, payload.unit, field="unit")
    assert unit is not None
    fields = payload.model_dump(exclude={"unit"})
    conference = actions.add_conference(unit=unit, by=user, **fields)
    return Status(201, conference)


@router.get(
    "/{org_slug}/conferences/{conference_id}", response={200: ConferenceOut, **READ_ERRORS}, summary="Read a conference"
)
def get_conference(request: HttpRequest, org_slug: str, conference_id: RowId):
    return _conference(request, org_slug, conference_id)


@router.get(
    "/{org_slug}/conferences/{conference_id}/allocations",
    response={200: list[AllocationOut], **READ_ERRORS},
    summary="A conference's apportionment table",
)
def conference_allocations(request: HttpRequest, org_slug: str, conference_id: RowId):
    """Each unit's line: members counted at the cut-off, quota, seats, lower and upper quota."""
    return list(selectors.allocations_of(_conference(request, org_slug, conference_id)))


@router.post(
    "/{org_slug}/conferences/{conference_id}/apportion",
    response={200: ApportionmentOut, **WRITE_ERRORS},
    summary="Apportion a conference's delegates",
)
def apportion_conference(request: HttpRequest, org_slug: str, conference_id: RowId):
    """Apportion (again) from the members on the cut-off date, while the conference is planned:
    the same JSON as `grassroots apportion --json`."""
    conference = _conference(request, org_slug, conference_id)
    return actions.apportion_conference(conference=conference, by=caller(request)).as_json()


@router.post(
    "/{org_slug}/conferences/{conference_id}/call",
    response={200: ConferenceOut, **WRITE_ERRORS},
    summary="Call a conference",
)
def call_conference(request: HttpRequest, org_slug: str, conference_id: RowId):
    """Freeze the apportionment and tell each unit's officers its seats (through the outbox)."""
    conference = _conference(request, org_slug, conference_id)
    return actions.call_conference(conference=conference, by=caller(request))


@router.post(
    "/{org_slug}/conferences/{conference_id}/status",
    response={200: ConferenceOut, **WRITE_ERRORS},
    summary="Step a conference on",
)
def conference_status(request: HttpRequest, org_slug: str, conference_id: RowId, payload: ConferenceStatusIn):
    """called -> credentialing -> in_session -> closed, one step at a time."""
    conference = _conference(request, org_slug, conference_id)
    return actions.set_conference_status(conference=conference, status=payload.status, by=caller(request))


def _mount_delegations() -> None:
    """Delegations, credentials and presence live in `api_delegations`, under the same prefix."""
    from .api_delegations import router as delegations_router

    router.add_router("", delegations_router)


_mount_delegations()

# The conference in session (motions, polls, proxies, elections): conferences/api_assembly.py.
from .api_assembly import router as assembly_router  # noqa: E402

router.add_router("", assembly_router)
