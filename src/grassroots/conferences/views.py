"""Conference pages for the organizers: the conferences a unit convened, and a conference with
its call details and apportionment table (each unit's members at the cut-off, quota, seats,
lower and upper quota, the ties, warnings and the input's SHA-256), with the buttons that
apportion and call it. Each page runs a fixed number of queries whatever the number of units."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from grassroots.access import OutOfScope, Right
from grassroots.errors import ActionRefused
from grassroots.organizations.models import Organization, Unit
from grassroots.organizations.selectors import may, organization_for, unit_for
from grassroots.web import perform_step, run_step

from . import actions, apportionment, selectors
from .forms import PlanForm, StepForm
from .models import Conference

LISTED = 200


def _conference(request: HttpRequest, org: str, pk: int) -> tuple[Organization, Conference]:
    organization = organization_for(request.user, org)
    return organization, selectors.conference_for(request.user, organization, pk)


def _only_managers(request: HttpRequest, unit: Unit, what: str) -> None:
    """A change posted by someone who sees the unit but may not manage it: 403, nothing read."""
    if not may(request.user, Right.MANAGE_UNITS, unit):
        raise OutOfScope(f"you may not {what} of {unit.name}", organization=unit.organization, unit=unit)


@login_required
def unit_conferences(request: HttpRequest, org: str, unit: str) -> HttpResponse:
    """The conferences the unit convened, the latest cut-off first, with their seats and units;
    for who may manage a committee, the form that plans one (posted here)."""
    organization = organization_for(request.user, org)
    convening = unit_for(request.user, organization, unit)
    manages = may(request.user, Right.MANAGE_UNITS, convening)
    constitution_rule = apportionment.constitution_rule(organization.constitution)
    form = None
    if request.method == "POST":
        _only_managers(request, convening, "convene conferences")
        form = PlanForm(request.POST, unit=convening, constitution_rule=constitution_rule)
        if form.is_valid():
            try:
                planned = actions.add_conference(unit=convening, by=request.user, **form.arguments())
            except ActionRefused as refusal:
                form.refuse(refusal)
            else:
                messages.success(request, f"{planned.name} planned.")
                return redirect("conference", org=organization.slug, conference=planned.pk)
    elif manages and not convening.is_basic:
        form = PlanForm(unit=convening, constitution_rule=constitution_rule)
    rows = list(
        selectors.conferences_visible_to(request.user, organization)
        .filter(unit=convening)
        .annotate(total=Sum("allocations__seats"), units=Count("allocations"))
        .order_by("-cutoff", "-pk")[:LISTED]
    )
    context = {"organization": organization, "unit": convening, "rows": rows, "listed": LISTED, "form": form}
    return render(request, "conferences/unit_conferences.html", context, status=400 if form and form.errors else 200)


@login_required
def conference_page(request: HttpRequest, org: str, conference: int) -> HttpResponse:
    """The conference: its call details, status with dates, and its apportionment table."""
    organization, found = _conference(request, org, conference)
    rows = list(selectors.allocations_of(found))
    names = {row.unit.slug: row.unit.name for row in rows}
    ties = [
        {**tie, "names": [names.get(slug, slug) for slug in tie["units"]],
         "winner_names": [names.get(slug, slug) for slug in tie["winners"]]}
        for tie in found.ties
    ]  # fmt: skip
    context = {
        "organization": organization,
        "conference": found,
        "rows": rows,
        "seats": sum(row.seats for row in rows),
        "members": sum(row.members for row in rows),
        "ties": ties,
        "statuses": selectors.counted_statuses(found),
        "delegation_label": organization.constitution.kind_in_words(found.delegation_kind).split(" ", 1)[-1]
        if found.delegation_kind
        else "",
        "manages": may(request.user, Right.MANAGE_UNITS, found.unit),
        "planned": found.status == Conference.Status.PLANNED,
        "next_status": actions.NEXT.get(Conference.Status(found.status)),
    }
    return render(request, "conferences/conference.html", context)


@login_required
@require_POST
def conference_apportion(request: HttpRequest, org: str, conference: int) -> HttpResponse:
    """Apportion the delegates (again) from the members on the cut-off date; back to the page."""
    organization, found = _conference(request, org, conference)
    _only_managers(request, found.unit, "apportion the conferences")
    run_step(request, actions.apportion_conference, done="Delegates apportioned.", conference=found)
    return redirect("conference", org=organization.slug, conference=found.pk)


@login_required
@require_POST
def conference_call(request: HttpRequest, org: str, conference: int) -> HttpResponse:
    """Call the conference: the apportionment is frozen and each unit's officers told its seats."""
    organization, found = _conference(request, org, conference)
    _only_managers(request, found.unit, "call the conferences")
    run_step(
        request, actions.call_conference, done="Conference called; the units' officers are told.", conference=found
    )
    return redirect("conference", org=organization.slug, conference=found.pk)


@login_required
@require_POST
def conference_step(request: HttpRequest, org: str, conference: int) -> HttpResponse:
    """Step a called conference on: credentialing, then in session, then closed."""
    organization, found = _conference(request, org, conference)
    _only_managers(request, found.unit, "step on the conferences")
    back = redirect("conference", org=organization.slug, conference=found.pk)
    return perform_step(
        request, StepForm(request.POST), actions.set_conference_status,
        done="The conference is {conference.status_label}.", back_to=back, conference=found,
    )  # fmt: skip
