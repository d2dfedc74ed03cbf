"""REST endpoints of member education: a person's status per course, a unit's completion per
course. Resolved through the selectors with the caller: out of scope is a 404."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from grassroots.api.schemas import DAY_ERRORS, IsoDate
from grassroots.errors import day_or_today
from grassroots.organizations.selectors import organization_for, unit_for
from grassroots.people.selectors import person_for

from .schemas import CourseShareOut, CourseStatusOut
from .selectors import education_of, education_share_of

router = Router(tags=["education"])


@router.get(
    "/{org_slug}/people/{person_id}/education",
    response={200: list[CourseStatusOut], **DAY_ERRORS},
    summary="A person's education",
)
def person_education(request: HttpRequest, org_slug: str, person_id: int, on: IsoDate | None = None):
    """Each course of the organization with the person's status on `on` (default today), by code:
    status, completed on, expires on, sessions attended of the rule's k. Refused (409) for a day
    in the future or before 1900-01-01."""
    organization = organization_for(request.auth, org_slug)
    person = person_for(request.auth, organization, person_id)
    day = day_or_today("on", on, time_zone=organization.time_zone)
    return [row.as_json() for row in education_of(request.auth, person, on=day)]


@router.get(
    "/{org_slug}/units/{unit_slug}/education",
    response={200: list[CourseShareOut], **DAY_ERRORS},
    summary="A unit's education",
)
def unit_education(
    request: HttpRequest, org_slug: str, unit_slug: str, on: IsoDate | None = None, subtree: bool = False
):
    """For each course: the unit's members on `on` (with `subtree`, every unit under it too) and
    how many hold a completion of it. Counts only; for those who may see the unit's people.
    Refused (409) for a day in the future or before 1900-01-01."""
    unit = unit_for(request.auth, organization_for(request.auth, org_slug), unit_slug)
    day = day_or_today("on", on, time_zone=unit.organization.time_zone)
    return [row.as_json() for row in education_share_of(request.auth, unit, on=day, subtree=subtree)]
