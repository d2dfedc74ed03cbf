"""Pages of a conference in session: the organizers' session page (agenda, motions with their
amendments, polls with their results, elections), the delegate's phone-sized page (their
credential, the agenda, the open polls and the vote form) and the projector page for the hall
(the current poll and its result, reloaded every few seconds by a static script, no inline
script or style under the site's Content-Security-Policy). Each page runs a fixed number of
queries whatever the number of motions, polls or delegates."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from grassroots.access import Right
from grassroots.errors import ActionRefused
from grassroots.organizations.models import Organization
from grassroots.organizations.selectors import may, organization_for
from grassroots.web import refusal_message, run_step

from . import assembly, selectors, views_elections, views_motions
from .models import Conference, Poll
from .views import _only_managers

STEPS: dict[str, Callable[..., object]] = {"open": assembly.open_poll, "close": assembly.close_poll}
DONE = {"open": "open", "close": "closed"}


def _conference(request: HttpRequest, org: str, pk: int) -> tuple[Organization, Conference]:
    organization = organization_for(request.user, org)
    return organization, selectors.conference_for_delegate(request.user, organization, pk)


def _shown(poll: Poll) -> dict:
    """A poll as the pages show it: its result's figures when closed."""
    result = poll.result or {}
    return {
        "poll": poll,
        "result": result,
        "majority": poll.majority.replace("-", " "),
        "base": poll.base,
    }


@login_required
def conference_session(request: HttpRequest, org: str, conference: int) -> HttpResponse:
    """The agenda (motions with their amendments and status), the polls with their results (yes,
    no, abstain, the base, percentages, the majority required, passed or failed) and the elections
    with who was elected; for the organizers, the buttons that open and close polls."""
    organization, found = _conference(request, org, conference)
    context = {
        "organization": organization,
        "conference": found,
        "motions": selectors.motions_of(found),
        "polls": [_shown(poll) for poll in selectors.polls_of(found)],
        "manages": may(request.user, Right.MANAGE_UNITS, found.unit),
        **views_elections.session_context(found),
    }
    context.update(views_motions.session_forms(request, found, manages=bool(context["manages"])))
    return render(request, "conferences/assembly/session.html", context)


@login_required
@require_POST
def conference_poll_step(request: HttpRequest, org: str, conference: int, poll: int, step: str) -> HttpResponse:
    """Open or close a poll (organizers); back to the session page with the outcome."""
    organization, found = _conference(request, org, conference)
    if step not in STEPS:
        raise Http404(f"no step {step}")
    _only_managers(request, found.unit, "run the polls")
    target = selectors.poll_in(found, poll)
    run_step(request, STEPS[step], done=f"Poll {target.pk} is {DONE[step]}.", poll=target)
    return redirect("conference_session", org=organization.slug, conference=found.pk)


def _may_split(delegate, carried: int) -> bool:
    """A delegate carrying more than one vote (their weight and the proxies they hold) may split
    them over yes, no and abstain, unless they chair their delegation (the chair's votes cannot
    be split)."""
    return delegate is not None and carried > 1 and delegate.delegation.chair_id != delegate.person_id


@login_required
def conference_delegate(request: HttpRequest, org: str, conference: int) -> HttpResponse:
    """The delegate's own page, phone-sized: their unit, credential, weight and presence, the
    agenda, and each open poll with its vote form: one tap for all their weight and, for who may
    split it, a form of yes, no and abstain numbers; a poll counted by a show of hands has none."""
    organization, found = _conference(request, org, conference)
    delegate = selectors.delegate_of(request.user, found)
    voted = selectors.my_votes(found, delegate) if delegate is not None else {}
    carried = assembly.carried_weight(found, delegate) if delegate is not None else 0
    context = {
        "organization": organization,
        "conference": found,
        "delegate": delegate,
        "carried": carried,
        "may_split": _may_split(delegate, carried),
        "motions": selectors.motions_of(found),
        "open_polls": [
            {"poll": poll, "voted": voted.get(poll.pk)} for poll in selectors.polls_of(found, state=Poll.State.OPEN)
        ],
        **views_elections.delegate_context(found, delegate),
    }
    return render(request, "conferences/assembly/delegate.html", context)


SPLIT = ("yes", "no", "abstain")


def _split(request: HttpRequest) -> dict[str, int]:
    """The split form's numbers (a blank one is 0); ActionRefused naming the field otherwise."""
    parts = {}
    for name in SPLIT:
        given = request.POST.get(name, "").strip() or "0"
        if not given.isdigit():
            raise ActionRefused(f"{name}: {given!r} is not a whole number of votes", field=name)
        parts[name] = int(given)
    return parts


@login_required
@require_POST
def conference_vote(request: HttpRequest, org: str, conference: int, poll: int) -> HttpResponse:
    """The signed-in delegate's vote in an open poll: a `choice` (yes, no or abstain) for all their
    weight, or a split of it (`yes`, `no`, `abstain` numbers); refusals are flashed naming the rule
    (not seated, not present, gave a proxy, the poll not open, a split over the weight)."""
    organization, found = _conference(request, org, conference)
    target = selectors.poll_in(found, poll)
    choice = request.POST.get("choice", "")
    try:
        if choice:
            assembly.cast_vote(poll=target, by=request.user, choice=choice)
            done = choice
        else:
            parts = _split(request)
            assembly.cast_vote(poll=target, by=request.user, yes=parts["yes"], no=parts["no"], abstain=parts["abstain"])
            done = ", ".join(f"{name} {parts[name]}" for name in SPLIT)
    except ActionRefused as refusal:
        messages.error(request, refusal_message(refusal))
    else:
        messages.success(request, f"Your vote in poll {target.pk}: {done}.")
    return redirect("conference_delegate", org=organization.slug, conference=found.pk)


@login_required
def conference_projector(request: HttpRequest, org: str, conference: int) -> HttpResponse:
    """For the hall, a bare full-screen page (no site menu): every open poll with the votes cast so
    far (or, counted by a show of hands, saying so), else the latest closed poll with its result;
    reloaded every five seconds by static/grassroots/projector.js."""
    organization, found = _conference(request, org, conference)
    current = [_shown(poll) for poll in selectors.open_polls_with_votes(found)]
    if not current:
        closed = selectors.polls_of(found, state=Poll.State.CLOSED).last()
        current = [_shown(closed)] if closed is not None else []
    context = {"organization": organization, "conference": found, "current": current}
    return render(request, "conferences/assembly/projector.html", context)
