"""REST endpoints for organizations, their units, founding rules and officer posts.

Each endpoint resolves the organization and unit through the selectors with the caller
(`request.auth`, the user of the session or the bearer token), so anything unknown or out of
scope is a JSON 404, then calls one action or selector and returns a typed schema. Writes
on a collection (`POST /units`, `POST /posts`) answer 201; a transition on a unit answers 200
with the unit as it now is, and `prepare`, `found`, `dormant` and `dissolve` may be posted
with no body at all (it happened today). A refusal by the rules is a 409 listing every reason;
a unit or person the body names (by slug or id) that is not in scope is refused the same way,
with `field` naming the body key. Lists take `limit` (default 100, at most 500) and `offset`
and answer `{"items": [...], "count": n}`; the tree and a subtree come whole, as they roll up.
"""

from collections.abc import Sequence

from django.http import Http404, HttpRequest, JsonResponse
from ninja import Router, Status

from grassroots.api.errors import require_choice
from grassroots.api.pagination import paginated
from grassroots.api.schemas import DAY_ERRORS, QUERY_ERRORS, READ_ERRORS, WRITE_ERRORS, IsoDate, Text
from grassroots.audit.actions import record_refusal
from grassroots.errors import ActionRefused, day_or_today
from grassroots.health.selectors import health_of, sees_people_of
from grassroots.people.models import Person
from grassroots.people.selectors import people_by_ids

from . import actions
from .models import Organization, Unit
from .schemas import (
    DatedIn,
    FoundingIn,
    HealthOut,
    MoveIn,
    OfficerPostOut,
    OrganizationDetailOut,
    OrganizationOut,
    PostIn,
    ReadinessOut,
    RenameIn,
    SubtreeRowOut,
    TreeRowOut,
    UnitDetailOut,
    UnitEventOut,
    UnitIn,
    UnitOut,
    UnitStateName,
)
from .selectors import (
    organization_for,
    organizations_visible_to,
    post_for,
    posts_of_unit,
    readiness_of,
    subtree_of,
    tree_of,
    unit_events,
    unit_for,
    units_listed,
)

# What a transition posted with no body means: it happened today (founding: with the current members).
TODAY = DatedIn()
FOUNDED_TODAY = FoundingIn()

router = Router(tags=["organizations and units"])


# Resolving what the path and the body name, always within the caller's scope.


def _unit(request: HttpRequest, org_slug: str, unit_slug: str) -> Unit:
    return unit_for(request.auth, organization_for(request.auth, org_slug), unit_slug)


def referenced_unit(request: HttpRequest, organization: Organization, slug: str | None, *, field: str) -> Unit | None:
    """The unit a body names by slug (None stays None); one not in scope is refused naming `field`."""
    if slug is None:
        return None
    try:
        return unit_for(request.auth, organization, slug)
    except Http404 as missing:
        record_refusal(user=request.auth, refusal=missing, request=request)
        raise ActionRefused(f"{field}: no unit '{slug}' in {organization.slug}", field=field) from None


def referenced_people(
    request: HttpRequest, organization: Organization, ids: Sequence[int], *, field: str
) -> list[Person]:
    """The people a body names by id, in its order; any not in scope are refused, all named at once."""
    found = people_by_ids(request.auth, organization, ids)
    unknown = [str(pk) for pk in ids if pk not in found]
    if unknown:
        raise ActionRefused(
            f"{field}: no person with id {', '.join(unknown)} in {organization.slug}",
            field=field,
        )
    return [found[pk] for pk in ids]


# Organizations.


@router.get("", response={200: list[OrganizationOut], **READ_ERRORS}, summary="List organizations")
@paginated
def list_organizations(request: HttpRequest):
    return organizations_visible_to(request.auth)


@router.get("/{org_slug}", response={200: OrganizationDetailOut, **READ_ERRORS}, summary="Organization")
def get_organization(request: HttpRequest, org_slug: str):
    """The organization with a summary of its constitution: unit kinds, officer posts, member statuses."""
    return organization_for(request.auth, org_slug)


@router.get("/{org_slug}/tree", response={200: list[TreeRowOut], **QUERY_ERRORS}, summary="Tree")
def get_tree(request: HttpRequest, org_slug: str, as_of: IsoDate | None = None):
    """Every unit in tree order with its subtree's member count, as `grassroots tree --json` prints it.

    With `as_of` the tree is replayed from the units' dated events as it stood that day
    (units dissolved by then are left out). Not paginated: the counts roll up the whole tree.
    """
    rows = tree_of(request.auth, organization_for(request.auth, org_slug), as_of=as_of)
    # Ten thousand rows and more, each already in the documented shape (`TreeRow.as_dict`): written
    # as JSON directly, not validated one by one against the schema (most of the time it took).
    return JsonResponse([row.as_dict() for row in rows], safe=False)


# Units.


@router.get("/{org_slug}/units", response={200: list[UnitOut], **QUERY_ERRORS}, summary="List units")
@paginated
def list_units(request: HttpRequest, org_slug: str, kind: Text | None = None, state: UnitStateName | None = None):
    """Units in path order (each parent before its children), optionally of one kind or state. A
    kind that is not one of the organization's constitution (its kinds differ from one organization
    to another, so the schema cannot list them) is a 422 naming `kind`."""
    organization = organization_for(request.auth, org_slug)
    require_choice("kind", kind, organization.constitution.unit_kinds)
    return units_listed(request.auth, organization, kind=kind, state=state)


@router.post("/{org_slug}/units", response={201: UnitDetailOut, **WRITE_ERRORS}, summary="Add a unit")
def add_unit(request: HttpRequest, org_slug: str, payload: UnitIn):
    """Plan a new unit (state `planned`) of a constitution kind under a parent the constitution allows."""
    organization = organization_for(request.auth, org_slug)
    unit = actions.add_unit(
        organization=organization,
        kind=payload.kind,
        name=payload.name,
        parent=referenced_unit(request, organization, payload.parent, field="parent"),
        on=payload.on,
        slug=payload.slug,
        by=request.auth,
    )
    return Status(201, unit)


@router.get("/{org_slug}/units/{unit_slug}", response={200: UnitDetailOut, **READ_ERRORS}, summary="Unit")
def get_unit(request: HttpRequest, org_slug: str, unit_slug: str):
    """The unit with its subtree's member count and the officer posts held now."""
    return _unit(request, org_slug, unit_slug)


@router.get(
    "/{org_slug}/units/{unit_slug}/subtree", response={200: list[SubtreeRowOut], **READ_ERRORS}, summary="Subtree"
)
def get_subtree(request: HttpRequest, org_slug: str, unit_slug: str):
    """The unit and every unit below it, in tree order, each with its own subtree's member count.

    Two range scans on the materialized path, whatever the size of the subtree; not paginated.
    """
    rows = subtree_of(request.auth, _unit(request, org_slug, unit_slug))
    return [{**row.as_dict(), "state_label": row.state_label, "depth": row.depth} for row in rows]


@router.get("/{org_slug}/units/{unit_slug}/readiness", response={200: ReadinessOut, **READ_ERRORS}, summary="Readiness")
def get_readiness(request: HttpRequest, org_slug: str, unit_slug: str):
    """Each founding rule of the unit: what it requires, what is there now, whether it passes, what is missing."""
    return readiness_of(request.auth, _unit(request, org_slug, unit_slug)).as_dict()


@router.get("/{org_slug}/units/{unit_slug}/health", response={200: HealthOut, **DAY_ERRORS}, summary="Health")
def get_health(
    request: HttpRequest, org_slug: str, unit_slug: str, on: IsoDate | None = None, as_of: IsoDate | None = None
):
    """The unit's health on `on` (or `as_of`, its other name; default today where the
    organization is), from the records as they stood that day: each indicator of its kind with
    its value, threshold, verdict and the meetings behind it; whether it is consolidated (every
    required indicator passes) and its tier. The people behind a figure are listed only for a
    caller who may see the unit's people. Refused (409) for a day in the future or before
    1900-01-01, or when `on` and `as_of` name different days."""
    unit = _unit(request, org_slug, unit_slug)
    if on is not None and as_of is not None and on != as_of:
        raise ActionRefused(f"as_of: {as_of} differs from on {on}; give one of them", field="as_of")
    field = "on" if on is not None else "as_of"
    result = health_of(request.auth, unit, on=day_or_today(field, on or as_of, time_zone=unit.organization.time_zone))
    return result.as_dict(with_people=sees_people_of(request.auth, unit))


@router.get(
    "/{org_slug}/units/{unit_slug}/events", response={200: list[UnitEventOut], **QUERY_ERRORS}, summary="History"
)
@paginated
def list_unit_events(request: HttpRequest, org_slug: str, unit_slug: str):
    """The unit's dated history, latest first; each event keeps the state, name and parent after it."""
    return unit_events(request.auth, _unit(request, org_slug, unit_slug))


@router.post(
    "/{org_slug}/units/{unit_slug}/prepare", response={200: UnitDetailOut, **WRITE_ERRORS}, summary="Start preparing"
)
def prepare_unit(request: HttpRequest, org_slug: str, unit_slug: str, payload: DatedIn = TODAY):
    """A planned or dormant unit starts assembling its founding core."""
    unit = _unit(request, org_slug, unit_slug)
    return actions.start_preparing(unit=unit, on=payload.on, by=request.auth)


@router.post("/{org_slug}/units/{unit_slug}/found", response={200: UnitDetailOut, **WRITE_ERRORS}, summary="Found")
def found_unit(request: HttpRequest, org_slug: str, unit_slug: str, payload: FoundingIn = FOUNDED_TODAY):
    """Found the unit (constitute the body) at its founding meeting, only if every founding rule holds.

    `founding_members` and `officers` name people by id. When a rule fails nothing is written
    and the 409 lists every failed rule in `reasons`; `GET .../readiness` explains them.
    """
    unit = _unit(request, org_slug, unit_slug)
    organization = unit.organization
    founding_members = None
    if payload.founding_members is not None:
        founding_members = referenced_people(request, organization, payload.founding_members, field="founding_members")
    holders = referenced_people(request, organization, list(payload.officers.values()), field="officers")
    return actions.found_unit(
        unit=unit,
        on=payload.on,
        founding_members=founding_members,
        officers=dict(zip(payload.officers, holders, strict=True)),
        minutes=payload.minutes,
        by=request.auth,
    )


@router.post(
    "/{org_slug}/units/{unit_slug}/dormant", response={200: UnitDetailOut, **WRITE_ERRORS}, summary="Make dormant"
)
def make_dormant(request: HttpRequest, org_slug: str, unit_slug: str, payload: DatedIn = TODAY):
    """A founded unit that has stopped meeting goes dormant."""
    unit = _unit(request, org_slug, unit_slug)
    return actions.make_dormant(unit=unit, on=payload.on, by=request.auth)


@router.post(
    "/{org_slug}/units/{unit_slug}/dissolve", response={200: UnitDetailOut, **WRITE_ERRORS}, summary="Dissolve"
)
def dissolve_unit(request: HttpRequest, org_slug: str, unit_slug: str, payload: DatedIn = TODAY):
    """Dissolve a unit with no current members and no living child units; its posts end that day."""
    unit = _unit(request, org_slug, unit_slug)
    return actions.dissolve_unit(unit=unit, on=payload.on, by=request.auth)


@router.post("/{org_slug}/units/{unit_slug}/rename", response={200: UnitDetailOut, **WRITE_ERRORS}, summary="Rename")
def rename_unit(request: HttpRequest, org_slug: str, unit_slug: str, payload: RenameIn):
    """Rename the unit; its slug stays, so links and scripts keep working."""
    unit = _unit(request, org_slug, unit_slug)
    return actions.rename_unit(unit=unit, name=payload.name, on=payload.on, by=request.auth)


@router.post("/{org_slug}/units/{unit_slug}/move", response={200: UnitDetailOut, **WRITE_ERRORS}, summary="Move")
def move_unit(request: HttpRequest, org_slug: str, unit_slug: str, payload: MoveIn):
    """Move the unit and its whole subtree under another parent (`parent: null` for the top)."""
    unit = _unit(request, org_slug, unit_slug)
    parent = referenced_unit(request, unit.organization, payload.parent, field="parent")
    return actions.move_unit(unit=unit, parent=parent, on=payload.on, by=request.auth)


@router.post(
    "/{org_slug}/units/{unit_slug}/posts", response={201: OfficerPostOut, **WRITE_ERRORS}, summary="Appoint to a post"
)
def assign_post(request: HttpRequest, org_slug: str, unit_slug: str, payload: PostIn):
    """Appoint a current member within the unit to an officer post; the previous holder's term ends that day."""
    unit = _unit(request, org_slug, unit_slug)
    (person,) = referenced_people(request, unit.organization, [payload.person], field="person")
    holding = actions.assign_post(
        unit=unit, person=person, post=payload.post, on=payload.on, until=payload.until, by=request.auth
    )
    return Status(201, holding)


@router.get(
    "/{org_slug}/units/{unit_slug}/posts", response={200: list[OfficerPostOut], **QUERY_ERRORS}, summary="Officer posts"
)
@paginated
def list_posts(request: HttpRequest, org_slug: str, unit_slug: str):
    """Every term of an officer post in the unit: those held now (by post), then past ones (latest first)."""
    current, past = posts_of_unit(request.auth, _unit(request, org_slug, unit_slug))
    return current + past


@router.post(
    "/{org_slug}/units/{unit_slug}/posts/{post_id}/end",
    response={200: OfficerPostOut, **WRITE_ERRORS},
    summary="End a post",
)
def end_post(request: HttpRequest, org_slug: str, unit_slug: str, post_id: int, payload: DatedIn = TODAY):
    """End a term of an officer post (`post_id` is the holding's id) on `on`, today when absent.

    Refused (409) when it has already ended, or on a day before it began or in the future.
    """
    holding = post_for(request.auth, _unit(request, org_slug, unit_slug), post_id)
    return actions.end_post(holding=holding, on=payload.on, by=request.auth)
