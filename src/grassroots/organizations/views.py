"""Web pages for organizations and their units: the tree, a unit's page and its lifecycle.

Every page needs a signed-in user and reads through the selectors with that user, so an
organization or unit that does not exist or is out of scope is a 404. Every change is one
action called with `by=request.user`; a refusal is shown with all its reasons and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from grassroots.access import OutOfScope, Right, may_somewhere
from grassroots.errors import ActionRefused
from grassroots.people.selectors import members_of_unit, roster_of
from grassroots.web import (
    LISTED_CHOICES,
    ActionForm,
    DayForm,
    RowLinks,
    confirm_first,
    cursor_page,
    day,
    perform_step,
    person_label,
)

from . import actions, selectors
from .forms import AddUnitForm, AsOfForm, AssignPostForm, FindUnitsForm, FoundForm, MoveForm, RenameForm
from .models import Organization, Unit, UnitState

# What the unit page offers in each state: whether it can be founded, and the steps that need
# only a date. A convenience for the reader: the actions decide, and refuse what does not apply.
FOUNDABLE = {UnitState.PLANNED, UnitState.PREPARING}
DATED_STEPS = {
    UnitState.PLANNED: ["prepare", "dissolve"],
    UnitState.PREPARING: ["dissolve"],
    UnitState.FOUNDED: ["dormant", "dissolve"],
    UnitState.DORMANT: ["prepare", "dissolve"],
    UnitState.DISSOLVED: [],
}
NOW_STATE = "{unit.name} is now {unit.state_label}."
MEMBERS_PER_PAGE = 50


def _unit(request: HttpRequest, org: str, slug: str) -> tuple[Organization, Unit]:
    organization = selectors.organization_for(request.user, org)
    return organization, selectors.unit_for(request.user, organization, slug)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    organizations = selectors.organizations_visible_to(request.user)
    if len(organizations) == 1:
        return redirect("dashboard", org=organizations[0].slug)
    return render(request, "organizations/home.html", {"organizations": organizations})


@login_required
def organization_page(request: HttpRequest, org: str) -> HttpResponse:
    organization = selectors.organization_for(request.user, org)
    as_of_form = AsOfForm(request.GET if "as_of" in request.GET else None)
    as_of = as_of_form.cleaned_data["as_of"] if as_of_form.is_valid() else None
    find_form = FindUnitsForm(request.GET, constitution=organization.constitution)
    wanted = find_form.cleaned_data if find_form.is_valid() else {}
    finding = any(wanted.values())
    more_found = partial = False
    if as_of is not None:
        # A past day's tree is replayed whole from the events; the page shows its first levels.
        rows = selectors.tree_of(request.user, organization, as_of=as_of)
        deepest = selectors.levels_that_fit([row.depth for row in rows])
        partial = any(row.depth > deepest for row in rows)
        rows = [row for row in rows if row.depth <= deepest]
    elif finding:
        rows, more_found = selectors.units_found(request.user, organization, **wanted)
    else:
        rows = selectors.tree_page(request.user, organization)
        partial = any(row.has_children for row in rows)
    # Today's subtree members of the units shown (a top unit's is its readiness's too), not a past day's.
    today = {} if as_of is not None else {row.unit_id: row.members for row in rows}
    context = {
        "organization": organization,
        "may_add_units": may_somewhere(request.user, organization, Right.MANAGE_UNITS),
        "may_add_people": may_somewhere(request.user, organization, Right.EDIT_PEOPLE),
        "as_of_form": as_of_form,
        "as_of": as_of,
        "find_form": find_form,
        "finding": finding,
        "more_found": more_found,
        "partial": partial,
        "tree": _labelled(organization, rows),
        "open_ids": {row.parent_id for row in rows},
        "expandable": as_of is None,
        "top": [
            (
                unit,
                selectors.evaluate_founding_rules(
                    unit, selectors.facts_of(unit, members=today.get(unit.pk), snapshots=True)
                ),
            )
            for unit in selectors.top_units(request.user, organization)
        ],
    }
    return render(request, "organizations/organization.html", context)


def _moved_under(user, event) -> str:
    """Where a move took the unit, as the user may know it: a parent they cannot see goes unnamed,
    exactly as no parent does (`access.indirect`)."""
    parent = selectors.event_parent(user, event)
    return parent.name if parent is not None else ""


def _labelled(organization: Organization, rows: list) -> list:
    """Rows of the tree table: (row, its kind's label, its unit's page, the address of its children's rows)."""
    kind_labels = {key: kind.label for key, kind in organization.constitution.unit_kinds.items()}
    unit_link = RowLinks("unit", organization.slug)
    children_link = RowLinks("unit_tree_children", organization.slug)
    return [(row, kind_labels.get(row.kind, row.kind), unit_link(row.slug), children_link(row.slug)) for row in rows]


@login_required
def tree_children(request: HttpRequest, org: str, unit: str) -> HttpResponse:
    """The rows of the units directly under a unit, for the tree page to open it (htmx)."""
    organization, unit = _unit(request, org, unit)
    depth = request.GET.get("depth", "")
    rows = selectors.tree_children(request.user, unit, depth=min(int(depth), 50) if depth.isdigit() else 1)
    context = {
        "organization": organization,
        "tree": _labelled(organization, rows),
        "open_ids": set(),
        "expandable": True,
    }
    return render(request, "organizations/_tree_rows.html", context)


@login_required
def unit_page(request: HttpRequest, org: str, unit: str) -> HttpResponse:
    organization, unit = _unit(request, org, unit)
    constitution = organization.constitution
    # Event kinds and states share the word "founded", which reads "constituted" above the basic level.
    events = [
        (
            event,
            constitution.state_label(kind=unit.kind, state=event.kind),
            constitution.state_label(kind=unit.kind, state=event.state),
            _moved_under(request.user, event),
        )
        for event in selectors.unit_events(request.user, unit)
    ]
    current_posts, past_posts = selectors.posts_of_unit(request.user, unit)
    # The unit came through the user's scope: its facts are gathered once, for the founding rules
    # and for the page's count of members.
    facts = selectors.facts_of(unit, snapshots=True)
    members = (
        cursor_page(
            request, members_of_unit(request.user, unit), size=MEMBERS_PER_PAGE, name="person__name", pk="person_id"
        )
        if unit.is_basic
        else None
    )
    person_link, unit_link = RowLinks("person", organization.slug), RowLinks("unit", organization.slug)
    context = {
        "organization": organization,
        "unit": unit,
        "can_found": unit.state in FOUNDABLE,
        "parent_visible": selectors.visible_parent_slug(request.user, unit) is not None,
        "readiness": selectors.evaluate_founding_rules(unit, facts),
        "may_manage": selectors.may(request.user, Right.MANAGE_UNITS, unit),
        "may_add_members": unit.is_basic
        and unit.state in (UnitState.PREPARING, UnitState.FOUNDED)
        and selectors.may(request.user, Right.EDIT_PEOPLE, unit),
        "members": members,
        "member_rows": (
            [(membership, person_link(membership.person_id), day(membership.start)) for membership in members.rows]
            if members
            else []
        ),
        # A member who may not see people's records sees the roster their constitution allows.
        "roster": roster_of(request.user, unit) if not selectors.may(request.user, Right.VIEW_PEOPLE, unit) else None,
        "members_in_subtree": facts.members_in_subtree,
        "children": (
            []
            if unit.is_basic
            else [(child, unit_link(child.slug)) for child in selectors.child_units(request.user, unit)]
        ),
        "posts": [(holding, DayForm(auto_id=f"end-post-{holding.pk}-%s")) for holding in current_posts],
        "past_posts": past_posts,
        "assign_form": AssignPostForm(
            auto_id="assign-%s",
            constitution=constitution,
            candidates=selectors.post_candidates(request.user, unit, members=facts.members_in_subtree),
        ),
        "events": events,
        # Several small forms share the page, so each gets its own ids.
        "step_forms": {step: DayForm(auto_id=f"{step}-%s") for step in DATED_STEPS[unit.state]},
        "rename_form": RenameForm(auto_id="rename-%s", initial={"name": unit.name}),
        "move_form": MoveForm(
            auto_id="move-%s",
            constitution=constitution,
            parents=selectors.possible_parents(request.user, organization, moving=unit),
            initial={"parent": unit.parent_id},
        ),
    }
    return render(request, "organizations/unit.html", context)


@login_required
def found_unit(request: HttpRequest, org: str, unit: str) -> HttpResponse:
    organization, unit = _unit(request, org, unit)
    may_found = request.method == "GET" or selectors.may(request.user, Right.MANAGE_UNITS, unit)
    if unit.state not in FOUNDABLE and may_found:
        # Founded already (or past founding): the page says so and offers no form to refuse.
        # (A post from someone who may not found it goes on to the action, which refuses it: 403.)
        context = {"organization": organization, "unit": unit, "form": None}
        return render(request, "organizations/found_unit.html", context)
    form = FoundForm(
        request.POST or None,
        constitution=organization.constitution,
        candidates=selectors.founding_candidates(request.user, unit),
        initial={"founding_members": members_of_unit(request.user, unit).values_list("person_id", flat=True)},
    )
    if form.is_valid():
        try:
            actions.found_unit(
                unit=unit,
                by=request.user,
                on=form.cleaned_data["on"],
                founding_members=list(form.cleaned_data["founding_members"]),
                officers=form.officers(),
                minutes=form.cleaned_data["minutes"],
            )
        except ActionRefused as refusal:
            form.refuse(refusal)
        else:
            messages.success(request, f"{unit.name} is now {unit.state_label}.")
            return redirect("unit", org=organization.slug, unit=unit.slug)
    context = {
        "organization": organization,
        "unit": unit,
        "form": form,
        "readiness": selectors.readiness_of(request.user, unit),
    }
    return render(request, "organizations/found_unit.html", context)


@login_required
def add_unit(request: HttpRequest, org: str) -> HttpResponse:
    organization = selectors.organization_for(request.user, org)
    parents = selectors.possible_parents(request.user, organization, right=Right.MANAGE_UNITS)
    parent_slug = request.GET.get("parent")
    # The unit she came from, when she may add under it; a unit she cannot see is a 404.
    parent = (
        parents.filter(pk=selectors.unit_for(request.user, organization, parent_slug).pk).first()
        if parent_slug
        else None
    )
    form = AddUnitForm(
        request.POST or None,
        constitution=organization.constitution,
        parents=parents,
        at_top=selectors.may_manage_whole(request.user, organization),
        parent=None if request.POST else parent,
    )
    if form.is_valid():
        try:
            unit = actions.add_unit(
                organization=organization,
                kind=form.cleaned_data["kind"],
                name=form.cleaned_data["name"],
                parent=form.cleaned_data["parent"],
                on=form.cleaned_data["on"],
                by=request.user,
            )
        except ActionRefused as refusal:
            form.refuse(refusal)
        except OutOfScope as refusal:
            form.add_error(None, f"{refusal.message[:1].upper()}{refusal.message[1:]}.")
        else:
            messages.success(request, f"{unit.name} is planned.")
            return redirect("unit", org=organization.slug, unit=unit.slug)
    return render(request, "organizations/add_unit.html", {"organization": organization, "form": form})


def _confirm_first(request: HttpRequest, unit: Unit, form: ActionForm, question: str) -> HttpResponse | None:
    return confirm_first(
        request, form, question=question, back_to=reverse("unit", args=[unit.organization.slug, unit.slug])
    )


def _step(request: HttpRequest, unit: Unit, form: ActionForm, action: Callable[..., Unit], done: str) -> HttpResponse:
    """Run one lifecycle action from a small form on the unit page, then go back to that page."""
    back = redirect("unit", org=unit.organization.slug, unit=unit.slug)
    return perform_step(request, form, action, done=done, back_to=back, unit=unit)


@login_required
@require_POST
def prepare_unit(request: HttpRequest, org: str, unit: str) -> HttpResponse:
    _organization, unit = _unit(request, org, unit)
    return _step(request, unit, DayForm(request.POST), actions.start_preparing, NOW_STATE)


@login_required
@require_POST
def make_dormant(request: HttpRequest, org: str, unit: str) -> HttpResponse:
    _organization, unit = _unit(request, org, unit)
    form = DayForm(request.POST)
    question = f"Make {unit.name} dormant? It stops counting as a working unit until it is prepared again."
    return _confirm_first(request, unit, form, question) or _step(request, unit, form, actions.make_dormant, NOW_STATE)


@login_required
@require_POST
def dissolve_unit(request: HttpRequest, org: str, unit: str) -> HttpResponse:
    _organization, unit = _unit(request, org, unit)
    form = DayForm(request.POST)
    question = f"Dissolve {unit.name}? It keeps its history but leaves the tree, and its officer posts end that day."
    return _confirm_first(request, unit, form, question) or _step(request, unit, form, actions.dissolve_unit, NOW_STATE)


@login_required
@require_POST
def rename_unit(request: HttpRequest, org: str, unit: str) -> HttpResponse:
    _organization, unit = _unit(request, org, unit)
    return _step(request, unit, RenameForm(request.POST), actions.rename_unit, "Renamed to {unit.name}.")


@login_required
@require_POST
def move_unit(request: HttpRequest, org: str, unit: str) -> HttpResponse:
    organization, unit = _unit(request, org, unit)
    form = MoveForm(
        request.POST,
        constitution=organization.constitution,
        parents=selectors.possible_parents(request.user, organization, moving=unit),
    )
    return _step(request, unit, form, actions.move_unit, "{unit.name} has moved.")


@login_required
@require_POST
def assign_post(request: HttpRequest, org: str, unit: str) -> HttpResponse:
    organization, unit = _unit(request, org, unit)
    form = AssignPostForm(
        request.POST,
        constitution=organization.constitution,
        candidates=selectors.post_candidates(request.user, unit),
    )
    return _step(request, unit, form, actions.assign_post, "The post is assigned.")


@login_required
@require_POST
def end_post(request: HttpRequest, org: str, unit: str, post: int) -> HttpResponse:
    _organization, unit = _unit(request, org, unit)
    holding = selectors.post_for(request.user, unit, post)
    back = redirect("unit", org=unit.organization.slug, unit=unit.slug)
    done = "{holding.person.name} no longer holds {holding.post}."
    return perform_step(request, DayForm(request.POST), actions.end_post, done=done, back_to=back, holding=holding)


@login_required
def parent_options(request: HttpRequest, org: str, unit: str) -> HttpResponse:
    """The <option>s of the move form's parent select: units the unit may move under matching ?q=."""
    organization, unit = _unit(request, org, unit)
    kind_labels = {key: kind.label for key, kind in organization.constitution.unit_kinds.items()}
    parents = selectors.possible_parents(request.user, organization, moving=unit)
    name = request.GET.get("q", "").strip()
    if name:
        parents = parents.filter(name__icontains=name)
    options = [
        (parent.pk, f"{parent.name} ({kind_labels.get(parent.kind, parent.kind)})")
        for parent in parents[:LISTED_CHOICES]
    ]
    return render(request, "people/_options.html", {"options": options})


@login_required
def post_candidates(request: HttpRequest, org: str, unit: str) -> HttpResponse:
    """The <option>s of the person select of the appointment form: members within the unit matching ?q=."""
    _organization, unit = _unit(request, org, unit)
    people = selectors.post_candidates(request.user, unit, query=request.GET.get("q", "").strip())[:LISTED_CHOICES]
    return render(
        request, "people/_options.html", {"options": [(person.pk, person_label(person)) for person in people]}
    )
