"""The session page's forms (issue 17): a motion submitted by the signed-in delegate or by a unit's
decision, moved through its statuses, amended (the whole text or one paragraph), published as a
resolution in a bulletin issue; a poll prepared on a motion, an amendment or a free subject, and
a poll counted by entered totals closed with them.

Each form posts here and goes back to the session page with the outcome flashed: a refusal
names its field and changes nothing. The organizers (who may manage the convening unit) run the
agenda; a delegate submits and amends for themself, as the actions allow. A motion or poll that is
not the conference's is a 404, a step posted by someone who may not take it a 403."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from grassroots.errors import ActionRefused
from grassroots.meetings.models import Decision
from grassroots.organizations.models import Organization
from grassroots.organizations.selectors import organization_for
from grassroots.web import ActionForm, keep_draft, refusal_message, take_draft

from . import assembly, selectors
from .forms_motions import AmendmentForm, MotionForm, MotionStatusForm, PollForm, PublishForm, TotalsForm
from .models import Amendment, Conference, Delegate, Motion
from .views import _only_managers


def session_forms(request: HttpRequest, conference: Conference, *, manages: bool) -> dict:
    """What the session page's forms need beside its motions and polls: the signed-in person's own
    delegate row (they submit and amend as themself) and, for the organizers, the bulletin issues
    a resolution may go into. Two queries at most, whatever the agenda holds."""
    return {
        "my_delegate": selectors.delegate_of(request.user, conference),
        "publish_issues": selectors.issues_to_publish_in(request.user, conference.organization) if manages else [],
        # A refused form's input, to fill it again (a motion's, an amendment's and an election's).
        "motion_draft": take_draft(request, f"motion:{conference.pk}"),
        "amendment_draft": take_draft(request, f"amendment:{conference.pk}"),
        "election_draft": take_draft(request, f"election:{conference.pk}"),
    }


def _conference(request: HttpRequest, org: str, pk: int) -> tuple[Organization, Conference]:
    organization = organization_for(request.user, org)
    return organization, selectors.conference_for_delegate(request.user, organization, pk)


def _back(organization: Organization, conference: Conference, section: str) -> HttpResponse:
    return redirect(reverse("conference_session", args=[organization.slug, conference.pk]) + f"#{section}")


def _step(
    request: HttpRequest,
    form: ActionForm,
    run: Callable[[], str],
    back: HttpResponse,
    draft: str = "",
    **also: str,
) -> HttpResponse:
    """Run `run` (the action, returning the success message) if the form is valid, flash the
    outcome (the form's errors or the refusal, each naming its field) and go `back`; a refused
    form's input is kept under `draft`, with the values `also`, for the page to fill the form again
    (`web.keep_draft`)."""
    if not form.is_valid():
        messages.error(request, form.error_message())
    else:
        try:
            done = run()
        except ActionRefused as refusal:
            messages.error(request, refusal_message(refusal))
        else:
            messages.success(request, done)
            return back
    if draft:
        keep_draft(request, draft, tuple(form.fields), **also)
    return back


@login_required
@require_POST
def motion_add(request: HttpRequest, org: str, conference: int) -> HttpResponse:
    """Submit a motion: as the signed-in delegate, or by a unit through its decision's number."""
    organization, found = _conference(request, org, conference)
    form = MotionForm(request.POST)

    def run() -> str:
        data = form.cleaned_data
        decision: Decision | None = None
        delegate: Delegate | None = None
        if data["submitter"] == "decision":
            decision = selectors.decision_in(found.organization, data["decision"])
            if decision is None:
                raise ActionRefused(f"decision: no decision {data['decision']} in this organization", field="decision")
        else:
            delegate = selectors.delegate_of(request.user, found)
            if delegate is None:
                raise ActionRefused(f"delegate: you are not a delegate of {found.name}", field="delegate")
        motion = assembly.add_motion(
            conference=found,
            title=data["title"],
            text=data["text"],
            by=request.user,
            decision=decision,
            delegate=delegate,
            founding=data["founding"],
        )
        return f"Motion {motion.number} submitted: {motion.title}."

    return _step(request, form, run, _back(organization, found, "agenda"), draft=f"motion:{found.pk}")


def _motion(request: HttpRequest, org: str, conference: int, motion: int) -> tuple[Organization, Motion]:
    """The conference's motion `motion` (404 otherwise), after refusing who may not run the agenda."""
    organization, found = _conference(request, org, conference)
    _only_managers(request, found.unit, "run the agenda of the conferences")
    return organization, selectors.motion_in(found, motion)


@login_required
@require_POST
def motion_status(request: HttpRequest, org: str, conference: int, motion: int) -> HttpResponse:
    """Move a motion on (admit, debate, adopt, reject, refer) as its status allows (organizers)."""
    organization, target = _motion(request, org, conference, motion)
    form = MotionStatusForm(request.POST)

    def run() -> str:
        moved = assembly.set_motion_status(motion=target, status=form.cleaned_data["status"], by=request.user)
        return f"Motion {moved.number}: {moved.get_status_display()}."

    return _step(request, form, run, _back(organization, target.conference, "agenda"))


@login_required
@require_POST
def motion_amend(request: HttpRequest, org: str, conference: int, motion: int) -> HttpResponse:
    """Propose an amendment: the whole text, or one paragraph, replaced (an organizer, or a
    delegate for themself)."""
    organization, found = _conference(request, org, conference)
    target = selectors.motion_in(found, motion)
    form = AmendmentForm(request.POST)

    def run() -> str:
        data = form.cleaned_data
        amendment = assembly.add_amendment(
            motion=target,
            text=data["text"],
            paragraph=data["paragraph"],
            by=request.user,
            delegate=selectors.delegate_of(request.user, found),
        )
        what = f"paragraph {amendment.paragraph}" if amendment.paragraph else "the whole text"
        return f"Amendment {amendment.number} to motion {target.number} ({what}) submitted."

    return _step(
        request,
        form,
        run,
        _back(organization, found, "agenda"),
        draft=f"amendment:{found.pk}",
        motion=str(target.number),
    )


@login_required
@require_POST
def motion_publish(request: HttpRequest, org: str, conference: int, motion: int) -> HttpResponse:
    """Publish an adopted motion as a resolution in a draft or scheduled bulletin issue (organizers)."""
    organization, target = _motion(request, org, conference, motion)
    form = PublishForm(request.POST)

    def run() -> str:
        publication, number = form.target()
        article = assembly.publish_resolution(motion=target, publication=publication, number=number, by=request.user)
        return f"{article.title} is in {article.issue.label}."

    return _step(request, form, run, _back(organization, target.conference, "agenda"))


@login_required
@require_POST
def poll_add(request: HttpRequest, org: str, conference: int) -> HttpResponse:
    """Prepare a draft poll on a motion, one of its amendments or a free subject (organizers)."""
    organization, found = _conference(request, org, conference)
    _only_managers(request, found.unit, "run the polls")
    form = PollForm(request.POST)
    motion: Motion | None = None
    amendment: Amendment | None = None
    if form.is_valid():
        of, number = form.on()
        motion = selectors.motion_in(found, of) if of is not None else None
        amendment = selectors.amendment_in(motion, number) if motion is not None and number is not None else None

    def run() -> str:
        data = form.cleaned_data
        poll = assembly.add_poll(
            conference=found,
            by=request.user,
            kind=data["kind"],
            base=data["base"],
            majority=form.rule(),
            subject=data["subject"],
            motion=None if amendment else motion,
            amendment=amendment,
            named=data["counting"] == "named",
        )
        return f"Poll {poll.pk} prepared: {poll.subject}."

    return _step(request, form, run, _back(organization, found, "polls"))


@login_required
@require_POST
def poll_close_totals(request: HttpRequest, org: str, conference: int, poll: int) -> HttpResponse:
    """Close an open poll counted by entered totals with the yes, no and abstain counted in the
    hall (organizers); the result is on the session page."""
    organization, found = _conference(request, org, conference)
    _only_managers(request, found.unit, "run the polls")
    target = selectors.poll_in(found, poll)
    form = TotalsForm(request.POST)

    def run() -> str:
        closed = assembly.close_poll(poll=target, by=request.user, totals=form.totals())
        return f"Poll {closed.pk} closed: {'passed' if closed.passed else 'failed'}."

    return _step(request, form, run, _back(organization, found, "polls"))
