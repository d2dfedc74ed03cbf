"""Web pages of member education: a person's education (their courses with status, their
declarations, and marking a completion), the review of a declaration, and a unit's queue of
declarations awaiting review.

Every page needs a signed-in user and reads through the selectors with that user, so a person or
unit out of scope is a 404; a change the user's rights do not cover is a 403 before the form is
read, and the actions check again. A refusal names its field and changes nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

from grassroots.access import OutOfScope
from grassroots.errors import ActionRefused
from grassroots.organizations.selectors import organization_for, unit_for
from grassroots.people.actions import record_completion
from grassroots.people.models import Person
from grassroots.people.selectors import may_edit, person_for
from grassroots.web import RowLinks, run_step

from . import actions
from .forms import CompletionForm, ReviewForm
from .selectors import courses_of, declarations_of, declarations_to_review, education_of, pending_declaration_of


def _editor_only(request: HttpRequest, person: Person) -> None:
    """A change posted by someone who may see the person but not change their record: 403."""
    if not may_edit(request.user, person):
        raise OutOfScope(
            f"you may not change the records of people where {person.name} stands", organization=person.organization
        )


@cache_control(private=True, no_store=True)  # one person's record: no cache keeps it
@login_required
def person_education(request: HttpRequest, org: str, pk: int) -> HttpResponse:
    """Each course with the person's status today (not started, in progress k of n, pending
    review, complete, expiring soon, expired), their declarations with a review form each, and
    (for whoever may change their record) the form that marks a completion."""
    organization = organization_for(request.user, org)
    person = person_for(request.user, organization, pk)
    editable = may_edit(request.user, person) and person.erased_at is None
    if request.method == "POST":
        _editor_only(request, person)
    form = CompletionForm(request.POST or None, courses=courses_of(organization.pk), auto_id="complete-%s")
    if request.method == "POST" and form.is_valid():
        course = form.cleaned_data["course"]
        try:
            record_completion(person=person, course=course, on=form.cleaned_data["on"], by=request.user)
        except ActionRefused as refusal:
            form.refuse(refusal)
        else:
            messages.success(request, f"{person.name} completed {course.title} on {form.cleaned_data['on']}.")
            return redirect("person_education", org=organization.slug, pk=person.pk)
    context = {
        "organization": organization,
        "person": person,
        "education": education_of(request.user, person, on=timezone.localdate()),
        "declarations": declarations_of(request.user, person),
        "may_edit": editable,
        "form": form,
    }
    return render(request, "education/person_education.html", context)


def _back_to(request: HttpRequest, default: str) -> str:
    """Where a review goes back to: the page it was posted from (`next`, a path of this site), else `default`."""
    wanted = request.POST.get("next", "")
    if wanted.startswith("/") and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}):
        return wanted
    return default


@login_required
@require_POST
def review_declaration(request: HttpRequest, org: str, pk: int) -> HttpResponse:
    """Accept or decline one of the person's pending declarations (a reason is required to
    decline), then go back to the page the review came from."""
    organization = organization_for(request.user, org)
    person = person_for(request.user, organization, pk)
    _editor_only(request, person)
    back = _back_to(request, reverse("person_education", args=[organization.slug, person.pk]))
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.error_message())
        return redirect(back)
    declaration = pending_declaration_of(request.user, person, form.cleaned_data["declaration"])
    if declaration is None:
        messages.error(
            request, f"Declaration: {person.name} has no declaration {form.cleaned_data['declaration']} pending review."
        )
        return redirect(back)
    accept = form.cleaned_data["decision"] == "accept"
    done = f"{person.name}'s declaration of {declaration.course.title} is {'accepted' if accept else 'declined'}."
    run_step(
        request,
        actions.review_declaration,
        done=done,
        declaration=declaration,
        accept=accept,
        reason=form.cleaned_data["reason"],
    )
    return redirect(back)


@cache_control(private=True, no_store=True)
@login_required
def unit_reviews(request: HttpRequest, org: str, unit: str) -> HttpResponse:
    """The declarations awaiting review of the people of the unit and of every unit under it whom
    the user may see, oldest first; each with accept and decline for whoever may change that person's record."""
    organization = organization_for(request.user, org)
    target = unit_for(request.user, organization, unit)
    pending, total = declarations_to_review(request.user, target)
    person_link = RowLinks("person_education", organization.slug)
    rows = [
        (declaration, person_link(declaration.person_id), may_edit(request.user, declaration.person))
        for declaration in pending
    ]
    context = {"organization": organization, "unit": target, "rows": rows, "total": total}
    return render(request, "education/unit_reviews.html", context)
