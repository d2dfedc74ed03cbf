"""Pages of delegations for the organizers (issue 17): the delegations and their credentials,
with the credentials committee's buttons (verify, challenge with grounds, rule with the
committee's decision, seat); the presence page with the live figures (seated and present weight,
the quorum) and each delegate's check-in; the participants' CSV for OpenSlides. The names are
for who sees the people of the convening unit's subtree; the buttons for who manages it. Each page
runs a fixed number of queries whatever the number of delegates."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from grassroots.access import OutOfScope, Right
from grassroots.errors import ActionRefused
from grassroots.meetings.hostlink import short_name
from grassroots.meetings.models import Decision
from grassroots.organizations.selectors import may, organization_for, unit_for
from grassroots.web import refusal_message, run_step

from . import delegations, selectors
from .forms_delegations import DelegationForm, lines
from .models import Conference, Delegate
from .views import _conference, _only_managers

CREDENTIAL_STEPS: dict[str, tuple[Callable[..., object], str]] = {
    "verify": (delegations.verify_credential, "verified"),
    "challenge": (delegations.challenge_credential, "challenged"),
    "rule": (delegations.rule_on_challenge, "ruled on"),
    "seat": (delegations.seat_delegate, "seated"),
}


def _names_visible(request: HttpRequest, conference: Conference) -> None:
    unit = conference.unit
    if not may(request.user, Right.VIEW_PEOPLE, unit):
        raise OutOfScope(f"you may not see the delegates of {unit.name}", organization=unit.organization, unit=unit)


@login_required
def conference_delegations(request: HttpRequest, org: str, conference: int) -> HttpResponse:
    """The delegations in tree order, each delegate and alternate with their credential, and the
    credentials report's figures (seated weight, quorum)."""
    organization, found = _conference(request, org, conference)
    _names_visible(request, found)
    rows = list(selectors.delegates_of(found))
    _lines, figures = selectors.credentials_report(found)
    elected = {row.delegation.unit_id for row in rows}
    context = {
        "organization": organization,
        "conference": found,
        "units": [(line, line.unit_id in elected) for line in selectors.allocations_of(found)],
        "rows": rows,
        "figures": figures,
        "manages": may(request.user, Right.MANAGE_UNITS, found.unit),
    }
    return render(request, "conferences/delegations/delegations.html", context)


def _posted_delegate(request: HttpRequest, found: Conference) -> Delegate | None:
    """The posted `delegate` of the conference (404 if it is not one of its), None if none was posted."""
    pk = request.POST.get("delegate", "")
    if not pk.isdigit():
        messages.error(request, "delegate: choose a delegate")
        return None
    return selectors.delegate_in(found, int(pk))


@login_required
@require_POST
def conference_credential(request: HttpRequest, org: str, conference: int) -> HttpResponse:
    """One credential step for the posted `delegate`: `step` verify, challenge (with `grounds`),
    rule (with `ruling` and `seat` yes or no) or seat; back to the delegations page."""
    organization, found = _conference(request, org, conference)
    _only_managers(request, found.unit, "handle the credentials of the conferences")
    back = redirect("conference_delegations", org=organization.slug, conference=found.pk)
    step = request.POST.get("step", "")
    if step not in CREDENTIAL_STEPS:
        messages.error(request, "step: choose verify, challenge, rule or seat")
        return back
    delegate = _posted_delegate(request, found)
    if delegate is None:
        return back
    action, done = CREDENTIAL_STEPS[step]
    arguments: dict[str, object] = {"delegate": delegate}
    if step == "challenge":
        arguments["grounds"] = request.POST.get("grounds", "")
    if step == "rule":
        arguments["ruling"] = request.POST.get("ruling", "")
        arguments["seat"] = request.POST.get("seat") == "yes"
    run_step(request, action, done=f"{delegate.person.name}: credential {done}.", **arguments)
    return back


@login_required
def conference_presence(request: HttpRequest, org: str, conference: int) -> HttpResponse:
    """The hall: seated and present weight, the quorum and whether it is met, and each delegate
    and alternate not refused with their presence and a check-in or check-out button."""
    organization, found = _conference(request, org, conference)
    _names_visible(request, found)
    rows = [row for row in selectors.delegates_of(found) if row.credential != "refused"]
    context = {
        "organization": organization,
        "conference": found,
        "rows": rows,
        "figures": selectors.presence_of(found),
        "manages": may(request.user, Right.MANAGE_UNITS, found.unit),
    }
    return render(request, "conferences/delegations/presence.html", context)


@login_required
@require_POST
def conference_checkin(request: HttpRequest, org: str, conference: int) -> HttpResponse:
    """Check the posted `delegate` in (`present` yes) or out; back to the presence page."""
    organization, found = _conference(request, org, conference)
    _only_managers(request, found.unit, "keep the presence at the conferences")
    back = redirect("conference_presence", org=organization.slug, conference=found.pk)
    delegate = _posted_delegate(request, found)
    if delegate is None:
        return back
    present = request.POST.get("present") == "yes"
    done = f"{delegate.person.name}: {'present' if present else 'absent'}."
    run_step(request, delegations.check_in, done=done, delegate=delegate, present=present)
    return back


@login_required
def conference_participants(request: HttpRequest, org: str, conference: int) -> HttpResponse:
    """The participants as CSV (name, unit, weight, role, present) for OpenSlides' user import."""
    _organization, found = _conference(request, org, conference)
    rows = delegations.export_participants(conference=found, by=request.user)
    response = HttpResponse(selectors.participants_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="conference-{found.pk}-participants.csv"'
    return response


@login_required
@require_POST
def conference_host_link(request: HttpRequest, org: str, conference: int) -> HttpResponse:
    """Issue (or issue again) the hall's check-in link for the host; the old one ends."""
    organization, found = _conference(request, org, conference)
    _only_managers(request, found.unit, "issue host links of the conferences")
    back = redirect("conference_presence", org=organization.slug, conference=found.pk)
    try:
        token = delegations.issue_host_link(conference=found, by=request.user)
    except ActionRefused as refusal:
        messages.error(request, refusal_message(refusal))
        return back
    address = request.build_absolute_uri(reverse("conference_host_page", args=[token]))
    messages.success(request, f"Host link (valid while the conference is credentialing or in session): {address}")
    return back


def _hosted(token: str) -> Conference:
    found = selectors.conference_by_host_token(token)
    if found is None:
        raise Http404("no such check-in")
    return found


@require_GET
def conference_host_page(request: HttpRequest, token: str) -> HttpResponse:
    """The host's page at the hall's door (no sign-in: the link is the authority): the delegates
    and alternates not refused, by first name and initial and unit, one tap to check in or out,
    and the live figures."""
    found = _hosted(token)
    rows = [row for row in selectors.delegates_of(found) if row.credential != Delegate.Credential.REFUSED]
    context = {
        "token": token,
        "conference": found,
        "rows": [(row, short_name(row.person.name)) for row in rows],
        "figures": selectors.presence_of(found),
    }
    return render(request, "conferences/delegations/host.html", context)


@require_POST
def conference_host_checkin(request: HttpRequest, token: str) -> HttpResponse:
    """One tap from the host's page: the posted `delegate` present (`present` yes) or absent."""
    found = _hosted(token)
    pk = request.POST.get("delegate", "")
    if not pk.isdigit():
        raise Http404("not on this list")
    delegate = selectors.delegate_in(found, int(pk))
    try:
        delegations.host_check_in(conference=found, delegate=delegate, present=request.POST.get("present") == "yes")
    except ActionRefused as refusal:
        messages.error(request, refusal_message(refusal))
    return redirect("conference_host_page", token=token)


@login_required
def unit_delegation(request: HttpRequest, org: str, unit: str, conference: int) -> HttpResponse:
    """A unit's delegation to a conference, seen from the unit (its officers need not see the
    convening committee): its seats, the delegates and alternates with their credentials, and for
    who manages the unit the form that records the delegation it elected (posted here)."""
    organization = organization_for(request.user, org)
    electing = unit_for(request.user, organization, unit)
    found = selectors.conference_for_unit(request.user, organization, conference, electing)
    manages = may(request.user, Right.MANAGE_UNITS, electing)
    decisions = [
        (decision.pk, f"{decision.meeting.on}: {decision.text[:80]}")
        for decision in selectors.election_decisions(found, electing)
    ]
    form = None
    if request.method == "POST":
        _only_managers(request, electing, "record the delegations")
        form = DelegationForm(request.POST, decisions=decisions)
        if form.is_valid() and _elect(request, form, found, electing):
            messages.success(request, f"{electing.name}'s delegation is recorded.")
            return redirect("unit_delegation", org=organization.slug, unit=electing.slug, conference=found.pk)
    elif manages:
        form = DelegationForm(decisions=decisions)
    allocation = found.allocations.filter(unit=electing).first()
    rows = list(selectors.delegates_of(found).filter(delegation__unit=electing))
    context = {
        "organization": organization,
        "unit": electing,
        "conference": found,
        "seats": allocation.seats if allocation else 0,
        "rows": rows,
        "form": form,
    }
    return render(request, "conferences/delegations/unit.html", context, status=400 if form and form.errors else 200)


def _elect(request: HttpRequest, form: DelegationForm, found: Conference, electing) -> bool:
    """Resolve the form's people (one query) and record the delegation; a refusal joins the form."""
    data = form.cleaned_data
    refs = {"delegates": lines(data["delegates"]), "alternates": lines(data["alternates"]), "chair": [data["chair"]]}
    named = selectors.people_named(request.user, found.organization, [ref for group in refs.values() for ref in group])
    for field, group in refs.items():
        unknown = [ref for ref in group if ref not in named]
        if unknown:
            form.add_error(field, f"no one is {unknown[0]!r} (an email or member number of someone you see)")
    if form.errors:
        return False
    decision = Decision.objects.filter(pk=data["decision"]).select_related("meeting").get()
    try:
        delegations.elect_delegation(
            conference=found,
            unit=electing,
            decision=decision,
            delegates=[named[ref] for ref in refs["delegates"]],
            alternates=[named[ref] for ref in refs["alternates"]],
            chair=named[data["chair"]],
            by=request.user,
        )
    except ActionRefused as refusal:
        form.refuse(refusal)
        return False
    return True
