"""Web pages for people: the searchable list, adding a person, a person's page and membership forms.

Every page needs a signed-in user and reads through the selectors with that user, so a
person or organization that does not exist or is out of scope is a 404. Every change goes
through the people actions with `by=request.user`; a refusal is shown and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

from grassroots.access import OutOfScope, Right, may_import, may_somewhere
from grassroots.access.indirect import visible_person
from grassroots.education.selectors import education_of
from grassroots.errors import ActionRefused
from grassroots.organizations.models import Organization
from grassroots.organizations.selectors import basic_units_open_to_members, organization_for, units_visible_to
from grassroots.web import (
    LISTED_CHOICES,
    ActionForm,
    RowLinks,
    confirm_first,
    cursor_page,
    perform_step,
    person_label,
    refusal_message,
)

from . import actions, merging
from .forms import (
    AddPersonForm,
    ConsentForm,
    EditPersonForm,
    EndMembershipForm,
    EraseForm,
    GatedStatusForm,
    JoinForm,
    MergeForm,
    PeopleFilterForm,
    TransferForm,
    unit_label,
)
from .models import Person
from .selectors import (
    consent_for,
    consents_of,
    current_membership,
    duplicates_visible_to,
    history_of,
    latest_membership,
    may_edit,
    may_erase,
    may_export,
    people_visible_to,
    person_for,
    search_people,
    sees_lineage,
)

PEOPLE_PER_PAGE = 50


@login_required
def people_list(request: HttpRequest, org: str) -> HttpResponse:
    """The people of the organization, 50 a page by name, narrowed by ?q= (name or email).

    Pages follow each other by ?after= (the last row's cursor), so a deep page costs what the
    first does. Typing in the search box asks for the results table alone (htmx) and swaps it in.
    """
    organization = organization_for(request.user, org)
    query = request.GET.get("q", "").strip()
    filters = PeopleFilterForm(
        request.GET, organization=organization, units=units_visible_to(request.user, organization)
    )
    people = search_people(request.user, organization, query, **filters.chosen())
    page = cursor_page(request, people, size=PEOPLE_PER_PAGE)
    context = {
        "organization": organization,
        "query": query,
        "filters": filters,
        "filters_query": _without_page(request),
        "page": page,
        "rows": _people_rows(organization, page.rows),
        "may_import": may_import(request.user, organization),
        "may_add_people": may_somewhere(request.user, organization, Right.EDIT_PEOPLE),
    }
    results_only = request.htmx and not request.htmx.history_restore_request
    response = render(request, "people/_people_table.html" if results_only else "people/people_list.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _people_rows(organization: Organization, people: list[Person]) -> list[tuple]:
    """Rows of the people table: (person, their page, the membership that gives their status (the
    current one, else the one that ended last), its unit's page)."""
    person_link, unit_link = RowLinks("person", organization.slug), RowLinks("unit", organization.slug)
    rows = []
    for person in people:
        membership = latest_membership(person)
        rows.append((person, person_link(person.pk), membership, unit_link(membership.unit.slug) if membership else ""))
    return rows


def _without_page(request: HttpRequest) -> str:
    """The list's query string without its cursor, ready for `after=` to follow."""
    kept = request.GET.copy()
    kept.pop("after", None)
    return f"{kept.urlencode()}&" if kept else ""


@login_required
def add_person(request: HttpRequest, org: str) -> HttpResponse:
    """Record a person; `?unit=` (from a unit's "add a member here") and `?recruiter=` preselect."""
    organization = organization_for(request.user, org)
    form = AddPersonForm(
        request.POST or None,
        organization=organization,
        people=people_visible_to(request.user, organization),
        units=basic_units_open_to_members(request.user, organization),
        initial={"recruiter": request.GET.get("recruiter"), "unit": request.GET.get("unit")},
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            # Recording someone and their joining are one action: a refused join leaves no one behind.
            person = actions.add_person(
                organization=organization,
                name=data["name"],
                email=data["email"],
                phone=data["phone"],
                address=data["address"],
                recruiter=data["recruiter"],
                unit=data["unit"],
                status=data["status"],
                on=data["on"],
                allow_duplicate=data["allow_duplicate"],
                by=request.user,
            )
        except ActionRefused as refusal:
            form.refuse(refusal)
        else:
            messages.success(request, f"{person.name} is recorded.")
            return redirect("person", org=organization.slug, pk=person.pk)
    return render(request, "people/add_person.html", {"organization": organization, "form": form})


@cache_control(private=True, no_store=True)  # one person's record: no cache keeps it
@login_required
def person_page(request: HttpRequest, org: str, pk: int) -> HttpResponse:
    organization = organization_for(request.user, org)
    person = person_for(request.user, organization, pk)
    membership = current_membership(person)
    open_units = basic_units_open_to_members(request.user, organization)
    context = {
        "organization": organization,
        "person": person,
        "membership": membership,
        "history": history_of(request.user, person).prefetch_related("status_changes"),
        "show_lineage": sees_lineage(request.user, person),
        "recruiter": visible_person(request.user, person.recruiter),
        "may_edit": may_edit(request.user, person),
        "consents": consents_of(request.user, person),
        "consent_form": ConsentForm(auto_id="consent-%s"),
        "may_export": may_export(request.user, person),
        "may_erase": may_erase(request.user, person),
        "erase_form": EraseForm(auto_id="erase-%s"),
        "education": education_of(request.user, person, on=timezone.localdate()),
    }
    # Several small forms share the page, so each gets its own ids.
    if membership is None:
        context["join_form"] = JoinForm(auto_id="join-%s", constitution=organization.constitution, units=open_units)
    else:
        next_statuses = organization.constitution.member_statuses.transitions.get(membership.status, [])
        context["transfer_form"] = TransferForm(auto_id="transfer-%s", units=open_units.exclude(pk=membership.unit_id))
        context["status_form"] = GatedStatusForm(auto_id="status-%s", statuses=next_statuses)
        context["end_form"] = EndMembershipForm(auto_id="end-%s", statuses=next_statuses)
    return render(request, "people/person.html", context)


def _person(request: HttpRequest, org: str, pk: int) -> tuple[Organization, Person]:
    organization = organization_for(request.user, org)
    return organization, person_for(request.user, organization, pk)


def _step(
    request: HttpRequest,
    organization: Organization,
    person: Person,
    form: ActionForm,
    action: Callable[..., object],
    done: str,
) -> HttpResponse:
    """Run one membership action from a form on the person page, then go back to that page."""
    back = redirect("person", org=organization.slug, pk=person.pk)
    return perform_step(request, form, action, done=done, back_to=back, person=person)


@login_required
@require_POST
def transfer_member(request: HttpRequest, org: str, pk: int) -> HttpResponse:
    organization, person = _person(request, org, pk)
    form = TransferForm(request.POST, units=basic_units_open_to_members(request.user, organization))
    return _step(request, organization, person, form, actions.transfer_member, "{person.name} is transferred.")


@login_required
@require_POST
def change_status(request: HttpRequest, org: str, pk: int) -> HttpResponse:
    organization, person = _person(request, org, pk)
    form = GatedStatusForm(request.POST, statuses=organization.constitution.statuses)
    return _step(request, organization, person, form, actions.change_status, "{person.name}'s status is changed.")


@login_required
@require_POST
def end_membership(request: HttpRequest, org: str, pk: int) -> HttpResponse:
    organization, person = _person(request, org, pk)
    form = EndMembershipForm(request.POST, statuses=organization.constitution.statuses)
    question = f"End {person.name}'s membership? They stay on record, with no unit, until they join again."
    back = reverse("person", args=[organization.slug, person.pk])
    return confirm_first(request, form, question=question, back_to=back) or _step(
        request, organization, person, form, actions.end_membership, "{person.name}'s membership has ended."
    )


@login_required
@require_POST
def join_unit(request: HttpRequest, org: str, pk: int) -> HttpResponse:
    organization, person = _person(request, org, pk)
    form = JoinForm(
        request.POST,
        constitution=organization.constitution,
        units=basic_units_open_to_members(request.user, organization),
    )
    return _step(request, organization, person, form, actions.join_unit, "{person.name} has joined.")


@cache_control(private=True, no_store=True)
@login_required
@require_POST
def export_person(request: HttpRequest, org: str, pk: int) -> HttpResponse:
    """Everything held about the person as a JSON file to download, for a subject access request.

    A POST, since the export is audited; the action refuses (403) whoever may not export it.
    """
    organization, person = _person(request, org, pk)
    record = actions.export_person_record(person=person, by=request.user)
    response = JsonResponse(record, json_dumps_params={"indent": 2, "ensure_ascii": False})
    response["Content-Disposition"] = f'attachment; filename="{organization.slug}-person-{person.pk}.json"'
    return response


@login_required
@require_POST
def erase_person(request: HttpRequest, org: str, pk: int) -> HttpResponse:
    """Erase the person, once the form confirms it with the word ERASE (administrators only)."""
    organization, person = _person(request, org, pk)
    form = EraseForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.error_message())
    else:
        try:
            actions.erase_person(person=person, by=request.user)
        except ActionRefused as refusal:
            messages.error(request, refusal_message(refusal))
        else:
            messages.success(request, "The person is erased: their name, contacts and consents are gone for good.")
    return redirect("person", org=organization.slug, pk=person.pk)


@login_required
@require_POST
def record_consent(request: HttpRequest, org: str, pk: int) -> HttpResponse:
    organization, person = _person(request, org, pk)
    form = ConsentForm(request.POST)
    return _step(request, organization, person, form, actions.record_consent, "The consent is recorded.")


@login_required
@require_POST
def withdraw_consent(request: HttpRequest, org: str, pk: int, consent: int) -> HttpResponse:
    organization, person = _person(request, org, pk)
    given = consent_for(request.user, person, consent)
    back = redirect("person", org=organization.slug, pk=person.pk)
    form = ActionForm(request.POST)
    return perform_step(
        request,
        form,
        actions.withdraw_consent,
        done="Consent to {consent.purpose} is withdrawn.",
        back_to=back,
        consent=given,
    )


def _editable(request: HttpRequest, org: str, pk: int) -> tuple[Organization, Person]:
    """The person, when the user may change their record: 404 out of sight, 403 out of their rights."""
    organization, person = _person(request, org, pk)
    if not may_edit(request.user, person):
        raise OutOfScope(f"you may not edit people where {person.name} stands", organization=organization)
    return organization, person


@login_required
def edit_person(request: HttpRequest, org: str, pk: int) -> HttpResponse:
    """Correct a person's name, email, phone or address."""
    organization, person = _editable(request, org, pk)
    initial = {"name": person.name, "email": person.email, "phone": person.phone, "address": person.address}
    form = EditPersonForm(request.POST or None, initial=initial, organization=organization, stored=initial)
    if form.is_valid():
        try:
            actions.edit_person(person=person, by=request.user, **form.cleaned_data)
        except ActionRefused as refusal:
            form.refuse(refusal)
        else:
            messages.success(request, f"{person.name}'s record is corrected.")
            return redirect("person", org=organization.slug, pk=person.pk)
    return render(request, "people/edit_person.html", {"organization": organization, "person": person, "form": form})


@login_required
def duplicates(request: HttpRequest, org: str) -> HttpResponse:
    """Pairs of people in the user's scope who may be one person, each with a merge either way."""
    organization = organization_for(request.user, org)
    pairs = duplicates_visible_to(request.user, organization)
    return render(request, "people/duplicates.html", {"organization": organization, "pairs": pairs})


@login_required
def merge_people(request: HttpRequest, org: str, pk: int) -> HttpResponse:
    """Show this person beside `?other=`, and merge the other into them when the page posts back.

    An `other` the user cannot see is 404, as the person of the address is."""
    organization, keep = _person(request, org, pk)
    if request.method == "GET" and "other" not in request.GET:
        # Nothing chosen yet is not an error: the pairs to choose from are on the duplicates page.
        messages.info(request, f"Choose the record to merge into {keep.name} from the possible duplicates.")
        return redirect("person_duplicates", org=organization.slug)
    form = MergeForm(request.POST or request.GET)
    if not form.is_valid():
        messages.error(request, form.error_message())
        return redirect("person_duplicates", org=organization.slug)
    other = person_for(request.user, organization, form.cleaned_data["other"])
    if request.method == "POST":
        try:
            merge = merging.merge_people(keep=keep, other=other, by=request.user)
        except ActionRefused as refusal:
            messages.error(request, refusal_message(refusal))
        else:
            messages.success(request, f"Person {other.pk} is merged into {keep.name}.{merge.not_kept_text()}")
            return redirect("person", org=organization.slug, pk=keep.pk)
    context = {"organization": organization, "keep": keep, "other": other, "form": form}
    return render(request, "people/merge.html", context)


@login_required
def person_options(request: HttpRequest, org: str) -> HttpResponse:
    """The <option>s of a person select: the people whose name or email matches ?q=."""
    organization = organization_for(request.user, org)
    people = search_people(request.user, organization, request.GET.get("q", "").strip())[:LISTED_CHOICES]
    return render(
        request, "people/_options.html", {"options": [(person.pk, person_label(person)) for person in people]}
    )


@login_required
def unit_options(request: HttpRequest, org: str) -> HttpResponse:
    """The <option>s of a basic-unit select: units open to members whose name matches ?q=."""
    organization = organization_for(request.user, org)
    name = request.GET.get("q", "").strip()
    units = basic_units_open_to_members(request.user, organization, name=name)[:LISTED_CHOICES]
    return render(request, "people/_options.html", {"options": [(unit.pk, unit_label(unit)) for unit in units]})
