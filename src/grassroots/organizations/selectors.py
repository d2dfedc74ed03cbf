"""Reads about organizations and their units. Each selector takes the acting user."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, Length
from django.http import Http404
from django.utils import timezone

from grassroots.access import NotVisible, grants_for, is_operator, restrict
from grassroots.access.indirect import visible_unit
from grassroots.constitution import ChildFact, Readiness, UnitFacts, evaluate
from grassroots.constitution.schema import ConsolidatedChildrenRule
from grassroots.database import plain_rows
from grassroots.errors import local_today
from grassroots.health.models import HealthSnapshot
from grassroots.health.selectors import health_of_units
from grassroots.ids import is_row_id
from grassroots.meetings.models import Meeting
from grassroots.people.models import MemberCount, Membership, Person, StatusChange
from grassroots.people.selectors import Unindexed, people_visible_to

from .models import PATH_END, PATH_SEGMENT, OfficerPost, Organization, Unit, UnitEvent, UnitState


def organizations_visible_to(user) -> list[Organization]:
    return list(restrict(Organization.objects.all(), user=user))


def organization_for(user, slug: str) -> Organization:
    """The organization with this slug, or 404 when it does not exist or is out of scope (then
    `NotVisible`, which the page or API answering it audits).

    Visible exactly when `restrict` would list it: the user holds a grant there (an administrator
    account, or an account with a person: the grants every later read of the request uses, so
    deciding costs the one query of the organization itself)."""
    organization = Organization.objects.filter(slug=slug).first()
    if organization is None:
        raise Http404(f"no organization '{slug}'")
    if grants_for(user, organization.pk).is_empty:
        raise NotVisible(f"no organization '{slug}'", organization=organization, what=f"organization {slug}")
    return organization


def units_visible_to(user, organization: Organization):
    """The organization's units the user may see, each with its parent. Built from
    `organization.units`, so every row shares the one organization instance (and its parsed
    constitution) with no join to it: joined, SQLite read the organization first and then scanned
    and sorted every unit of it for a page of the first fifty."""
    return restrict(organization.units.select_related("parent"), user=user, organization=organization)


def unit_for(user, organization: Organization, slug: str) -> Unit:
    unit = units_visible_to(user, organization).filter(slug=slug).first()
    if unit is None:
        existing = Unit.objects.filter(organization=organization, slug=slug).first()
        if existing is not None:
            message = f"no unit '{slug}' in {organization.slug}"
            raise NotVisible(message, organization=organization, unit=existing, what=f"unit {slug}")
        raise Http404(f"no unit '{slug}' in {organization.slug}")
    return unit


def unit_named(user, organization: Organization, ref: str) -> Unit:
    """A unit by its slug or, when no slug matches, by its name in any case (as an import names
    units). 404 when the user sees none, or several of that name (then the slug tells them apart)."""
    ref = ref.strip()
    units = units_visible_to(user, organization)
    unit = units.filter(slug=ref).first()
    if unit is not None:
        return unit
    named = list(units.filter(name__iexact=ref)[:2])
    if len(named) > 1:
        raise Http404(f"several units are called '{ref}': give the slug shown on its page")
    return named[0] if named else unit_for(user, organization, ref)


def visible_parent_slug(user, unit: Unit) -> str | None:
    """The slug of the unit's parent, or None when it has none or the user may not see it."""
    parent = visible_unit(user, unit.parent) if unit.parent_id is not None else None
    return parent.slug if parent is not None else None


def event_parent(user, event: UnitEvent) -> Unit | None:
    """The parent an event names, when the user may see it (see `access.indirect`)."""
    return visible_unit(user, event.parent) if event.parent_id is not None else None


def may(user, right: str, unit: Unit) -> bool:
    """Whether the user holds `right` over this unit (for offering a form; the action decides)."""
    return grants_for(user, unit.organization_id).allows(right, unit.path)


def unit_events(user, unit: Unit):
    events = restrict(UnitEvent.objects.filter(unit=unit), user=user, organization=unit.organization)
    return events.select_related("parent").order_by("-on", "-id")


def current_posts(unit: Unit):
    """The posts of the unit held now: not ended, or appointed until a later day."""
    today = timezone.localdate()
    running = OfficerPost.objects.filter(unit=unit).filter(Q(end__isnull=True) | Q(end__gt=today))
    return running.select_related("person").order_by("post")


def posts_of_unit(user, unit: Unit) -> tuple[list[OfficerPost], list[OfficerPost]]:
    """The unit's officer posts as (current, past): current ones (held now, or appointed from a
    later day) by post, past ones latest first. Each with its holder."""
    holdings = restrict(OfficerPost.objects.filter(unit=unit), user=user, organization=unit.organization)
    today = timezone.localdate()
    current, past = [], []
    for holding in holdings.select_related("person").order_by("post", "-start", "-pk"):
        holding.unit = unit  # one unit for all its posts, with no query per row
        (past if holding.end is not None and holding.end <= today else current).append(holding)
    past.sort(key=lambda holding: (holding.end, holding.start, holding.pk), reverse=True)
    return current, past


def post_for(user, unit: Unit, pk: int | str) -> OfficerPost:
    """One holding of an officer post of the unit, or 404 when unknown, of another unit or out of scope."""
    holdings = restrict(OfficerPost.objects.filter(unit=unit), user=user, organization=unit.organization)
    known = is_row_id(pk)
    holding = holdings.select_related("person", "unit").filter(pk=pk).first() if known else None
    if holding is None:
        raise Http404(f"no officer post {pk} in {unit.slug}")
    holding.unit = unit
    return holding


LARGE_SUBTREE = 20_000  # members above which a subtree's people are found by walking names


def post_candidates(user, unit: Unit, *, query: str = "", members: int | None = None) -> QuerySet[Person]:
    """The people who may be appointed to a post of `unit`: those with a current membership in
    its subtree that the user may see, by name; `query` narrows them by name or email.

    A person's `unit_path` is their current membership's unit, so a subtree is a range on the
    people's own path index, sorted by name; for a subtree of most of the organization, walking
    its people by name and stopping at the first page is cheaper than sorting them all.
    `members`: the subtree's count when the caller has it already (a unit page's facts)."""
    current = Membership.objects.current().filter(person=OuterRef("pk"))
    # A choice shows a name and an email: no recruiter, no membership fetched with each person.
    people = people_visible_to(user, unit.organization).select_related(None).prefetch_related(None)
    people = people.only("pk", "organization_id", "name", "email", "unit_path")
    if (members_in_subtree(unit) if members is None else members) > LARGE_SUBTREE:
        current = current.filter(unit__path__gte=unit.path, unit__path__lt=unit.path + PATH_END)
        by_name = F("name")
    else:
        people = people.filter(unit_path__gte=unit.path, unit_path__lt=unit.path + PATH_END)
        # Sorted by an expression no index answers, so the path range is read and sorted: by
        # the name index, PostgreSQL walked a million names to keep a district's (32 ms).
        by_name = Unindexed("name")
    people = people.filter(Exists(current))
    if query:
        people = people.filter(Q(name__icontains=query) | Q(email__icontains=query.lower()))
    return people.order_by(by_name, "pk")


def counted_members_by_unit(organization: Organization, units: QuerySet[Unit]) -> dict[int, int]:
    """Current members whose status counts, per unit of `units` that has any: read from the kept
    per-unit counts, so its cost follows the number of units, not of memberships."""
    counts = MemberCount.objects.filter(
        unit__in=units.order_by().values("pk"), status__in=organization.constitution.member_statuses.counted
    )
    return dict(counts.order_by().values_list("unit_id").annotate(n=Sum("members")).values_list("unit_id", "n"))


def members_in_subtree(unit: Unit) -> int:
    """Current members whose status counts in the unit and every unit under it (kept counts)."""
    counts = MemberCount.objects.filter(
        path__gte=unit.path,
        path__lt=unit.path + PATH_END,
        status__in=unit.organization.constitution.member_statuses.counted,
    )
    return counts.aggregate(n=Sum("members"))["n"] or 0


def facts_of(
    unit: Unit, *, members: int | None = None, on: dt.date | None = None, snapshots: bool = False
) -> UnitFacts:
    """Gather what the founding rules look at for one unit, in a handful of queries. `members`:
    the counted members of its subtree when the caller has them already (a tree row's); the
    consolidation of its children as of day `on` (default today). With `snapshots` (the pages
    that show a unit), a child's consolidation is read from its latest health snapshot of that
    day or the day before (default today where the organization is: the daily job writes its day
    once it has ended there), and computed from the records only for the children without one;
    the founding gate and the readiness it explains (`readiness_of`, the API's) always compute it."""
    founding = (
        Meeting.objects.filter(unit=unit, kind=Meeting.Kind.FOUNDING, status__in=["held", "approved"])
        .order_by("-start")
        .first()
    )
    if founding is not None:
        present = founding.attendance.filter(status="present").order_by("person__name")
        founding_members = list(present.values_list("person__name", flat=True))
    elif unit.is_basic:
        founding_members = list(forming_core(unit).order_by("person__name").values_list("person__name", flat=True))
    else:
        founding_members = []
    living = list(unit.children.exclude(state=UnitState.DISSOLVED).order_by("name"))
    # The snapshots are dated by the organization's calendar (the daily job writes its yesterday).
    snapshot_day = (on or local_today(unit.organization.time_zone)) if snapshots else None
    consolidated = _consolidated_children(unit, living, on=on or timezone.localdate(), snapshot_day=snapshot_day)
    children = [
        ChildFact(
            slug=child.slug, name=child.name, kind=child.kind, state=child.state, consolidated=child.pk in consolidated
        )
        for child in living
    ]
    return UnitFacts(
        founding_members=founding_members,
        founding_meeting=founding is not None,
        officers={post.post: post.person.name for post in current_posts(unit)},
        children=children,
        members_in_subtree=members_in_subtree(unit) if members is None else members,
    )


def _consolidated_children(
    unit: Unit, children: list[Unit], *, on: dt.date, snapshot_day: dt.date | None = None
) -> set[int]:
    """The founded children that are consolidated on day `on`, of the kinds a `consolidated_children`
    rule of the unit names (none asked: none computed). With a `snapshot_day` (a day of the
    organization's calendar), from each child's latest snapshot of that day or the day before (one
    query; as the dashboard reads the day's figures), the others' health computed on day `on`:
    a unit's live health reads every meeting and attendance of its windows (120 to 190 ms for a
    district's branches at a million members, `bench/reads.py`). A fixed number of queries
    whatever the number of children."""
    constitution = unit.organization.constitution
    kinds = {
        rule.consolidated_children.kind
        for rule in constitution.kind(unit.kind).rules()
        if isinstance(rule, ConsolidatedChildrenRule)
    }
    asked = [child for child in children if child.kind in kinds and child.state == UnitState.FOUNDED]
    if not asked:
        return set()
    recorded: dict[int, bool] = {}
    if snapshot_day is not None:
        days = (snapshot_day - dt.timedelta(days=1), snapshot_day)
        snapshots_of = HealthSnapshot.objects.filter(unit_id__in=[child.pk for child in asked], on__in=days)
        # By day, so that a child's snapshot of `snapshot_day` comes after (and replaces) its day before's.
        recorded = dict(snapshots_of.order_by("on").values_list("unit_id", "consolidated"))
    live = [child for child in asked if child.pk not in recorded]
    for child in live:
        child.organization = unit.organization  # one parsed constitution for all
    health = health_of_units(live, on=on)
    return {pk for pk, consolidated in recorded.items() if consolidated} | {
        pk for pk, found in health.items() if found.consolidated
    }


def founding_facts(
    unit: Unit, *, members: Sequence[Person], officers: dict[str, Person], on: dt.date | None = None
) -> UnitFacts:
    """The facts as they would stand at a founding of `unit` with these founding members (one
    each, whatever their names) and these officers appointed: the facts of `facts_of` (the one
    gathering that readiness reports) with the founding meeting held, the proposed members and
    posts, and those who join the unit at its founding counted in its subtree; children's
    consolidation as of the founding day `on` (default today)."""
    facts = facts_of(unit, on=on)
    joining = 0
    constitution = unit.organization.constitution
    founding_status = constitution.member_statuses.founding or constitution.member_statuses.initial
    if unit.is_basic and founding_status in constitution.member_statuses.counted:
        already = set(Membership.objects.current().filter(person__in=members).values_list("person_id", flat=True))
        joining = sum(1 for person in members if person.pk not in already)
    return replace(
        facts,
        founding_members=[person.name for person in members],
        founding_meeting=True,
        officers={**facts.officers, **{post: person.name for post, person in officers.items()}},
        members_in_subtree=facts.members_in_subtree + joining,
    )


def forming_core(unit: Unit):
    """A forming unit's core: its current members, whatever their status so far."""
    return Membership.objects.current().filter(unit=unit)


def evaluate_founding_rules(unit: Unit, facts: UnitFacts) -> Readiness:
    constitution = unit.organization.constitution
    kind_labels = {key: kind.label for key, kind in constitution.unit_kinds.items()}
    return evaluate(
        constitution.kind(unit.kind).rules(),
        facts,
        unit=unit.slug,
        kind_labels=kind_labels,
        basic_kinds=frozenset(constitution.basic_kinds),
    )


def readiness_of(user, unit: Unit) -> Readiness:
    """Each founding rule of the unit: what it requires, what is there, what is missing."""
    if not restrict(Unit.objects.filter(pk=unit.pk), user=user, organization=unit.organization).exists():
        raise Http404(f"no unit '{unit.slug}' in {unit.organization.slug}")
    return evaluate_founding_rules(unit, facts_of(unit))


def status_on(day: dt.date):
    """A membership's status as it stood on a day: the last change made by then, or, before any
    change, the status it started with (the first change's old value)."""
    changes = StatusChange.objects.filter(membership=OuterRef("pk"))
    latest = changes.filter(on__lte=day).order_by("-on", "-id").values("new")[:1]
    first = changes.order_by("on", "id").values("old")[:1]
    return Coalesce(Subquery(latest), Subquery(first), F("status"))


@dataclass(slots=True)
class TreeRow:
    """One unit in a tree listing, with the count of current members in its subtree. (Slots, not
    frozen: a frozen dataclass sets each field through `object.__setattr__`, a fifth of building
    the whole tree's ten thousand rows; change one with `dataclasses.replace`.)"""

    unit_id: int
    slug: str
    name: str
    kind: str
    state: str
    state_label: str
    parent_id: int | None
    parent_slug: str | None
    depth: int
    members: int
    has_children: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "slug": self.slug,
            "name": self.name,
            "kind": self.kind,
            "state": self.state,
            "parent": self.parent_slug,
            "members": self.members,
        }


class _UnitRow(NamedTuple):
    slug: str
    name: str
    kind: str
    state: str
    parent_id: int | None


def tree_of(user, organization: Organization, *, as_of: dt.date | None = None) -> list[TreeRow]:
    """The organization's units in tree order with subtree member counts; as of a past day if asked.

    Today's tree reads the units table; a past day's tree replays the latest event of each
    unit on or before that day. Member counts are one grouped query, rolled up the tree.
    """
    constitution = organization.constitution
    visible = restrict(Unit.objects.filter(organization=organization), user=user, organization=organization)
    # Plain rows as the database driver gives them (no model instances, no per-row converters:
    # the whole tree is ten thousand units and more, and their texts and numbers need none).
    units = {
        pk: _UnitRow(slug, name, kind, state, parent_id)
        for pk, slug, name, kind, state, parent_id in plain_rows(
            visible.values_list("pk", "slug", "name", "kind", "state", "parent_id")
        )
    }
    counted = constitution.member_statuses.counted
    if as_of is None:
        shape = {
            pk: (unit.name, unit.state, unit.parent_id)
            for pk, unit in units.items()
            if unit.state != UnitState.DISSOLVED
        }
        counts = MemberCount.objects.filter(unit__in=visible.order_by().values("pk"), status__in=counted)
        direct = dict(plain_rows(counts.order_by().values_list("unit_id").annotate(n=Sum("members"))))
    else:
        shape = {}
        # The visible units as a subquery, not a list of ten thousand ids.
        visible_ids = visible.order_by().values("pk")
        events = UnitEvent.objects.filter(unit_id__in=visible_ids, on__lte=as_of).order_by("on", "id")
        for event in events.values_list("unit_id", "name", "state", "parent_id"):
            shape[event[0]] = event[1:]
        shape = {pk: row for pk, row in shape.items() if row[1] != UnitState.DISSOLVED}
        memberships = Membership.objects.filter(unit_id__in=visible_ids).on(as_of)
        memberships = memberships.annotate(status_then=status_on(as_of)).filter(status_then__in=counted)
        direct = dict(memberships.values_list("unit_id").annotate(n=Count("id")).values_list("unit_id", "n"))

    children: dict[int | None, list[int]] = {}
    for pk, (_name, _state, parent_id) in shape.items():
        children.setdefault(parent_id if parent_id in shape else None, []).append(pk)
    for siblings in children.values():
        siblings.sort(key=lambda pk: (shape[pk][0].lower(), pk))

    # Tree order (pre-order, siblings by name), then each subtree's total from the bottom up.
    order: list[tuple[int, int]] = []
    stack = [(pk, 0) for pk in reversed(children.get(None, []))]
    while stack:
        pk, depth = stack.pop()
        order.append((pk, depth))
        stack.extend((child, depth + 1) for child in reversed(children.get(pk, [])))
    totals = {pk: direct.get(pk, 0) for pk in shape}
    for pk, _depth in reversed(order):  # every unit comes after its parent
        parent_id = shape[pk][2]
        if parent_id in totals:
            totals[parent_id] += totals[pk]

    labels: dict[tuple[str, str], str] = {}
    rows: list[TreeRow] = []
    for pk, depth in order:
        name, state, parent_id = shape[pk]
        unit = units[pk]
        label = labels.get((unit.kind, state))
        if label is None:
            label = labels[unit.kind, state] = constitution.state_label(kind=unit.kind, state=state)
        known_parent = parent_id in shape
        rows.append(
            TreeRow(
                unit_id=pk,
                slug=unit.slug,
                name=name,
                kind=unit.kind,
                state=state,
                state_label=label,
                parent_id=parent_id if known_parent else None,
                parent_slug=units[parent_id].slug if known_parent else None,
                depth=depth,
                members=totals[pk],
            )
        )
    return rows


def top_units(user, organization: Organization) -> list[Unit]:
    """The highest living units the user may see, for the readiness glance: the top of the tree
    for an administrator, her district for a district's secretary, his committee for its steward."""
    living = units_visible_to(user, organization).exclude(state=UnitState.DISSOLVED)
    return list(living.exclude(parent__in=living.values("pk")).order_by("path"))


def bodies_to_constitute(user, unit: Unit, *, most: int) -> list[Unit]:
    """The bodies above the basic level in `unit`'s subtree (itself included) that are planned or
    preparing, as the user sees them, in path order: at most `most` (one query)."""
    organization = unit.organization
    basic = organization.constitution.basic_kinds
    bodies = restrict(
        organization.units.filter(path__gte=unit.path, path__lt=unit.path + PATH_END),
        user=user,
        organization=organization,
    )
    bodies = bodies.exclude(kind__in=basic).filter(state__in=[UnitState.PLANNED, UnitState.PREPARING])
    return list(bodies.select_related("organization").order_by("path")[:most])


def units_by_kind_counts(user, organization: Organization) -> dict[tuple[str, str], int]:
    rows = units_visible_to(user, organization).values_list("kind", "state").annotate(n=Count("id"))
    return {(kind, state): n for kind, state, n in rows.values_list("kind", "state", "n")}


def units_listed(user, organization: Organization, *, kind: str | None = None, state: str | None = None):
    """The organization's units the user may see, in path order, optionally of one kind or state.

    Built from `organization.units`, so every row shares the one `organization` instance and
    its parsed constitution: labels for a page of units cost no query and no YAML parse per row.
    """
    units = restrict(organization.units.select_related("parent"), user=user, organization=organization)
    if kind is not None:
        units = units.filter(kind=kind)
    if state is not None:
        units = units.filter(state=state)
    return units.order_by("path")


def subtree_of(user, unit: Unit) -> list[TreeRow]:
    """The unit and every unit below it, in tree order (siblings by name), with subtree member counts.

    Two range scans on the materialized path: the units, then the counted current memberships
    grouped by unit; the counts are rolled up in Python. `depth` is relative to `unit` (0).
    """
    organization = unit.organization
    constitution = organization.constitution
    units = {
        row.pk: row
        for row in restrict(Unit.objects.in_subtree(unit.path), user=user, organization=organization).only(
            "pk", "slug", "name", "kind", "state", "parent_id", "path"
        )
    }
    if unit.pk not in units:
        raise Http404(f"no unit '{unit.slug}' in {organization.slug}")
    direct = counted_members_by_unit(organization, Unit.objects.in_subtree(unit.path))
    children: dict[int, list[int]] = {}
    for pk, row in units.items():
        if pk != unit.pk and row.parent_id in units:
            children.setdefault(row.parent_id, []).append(pk)
    for siblings in children.values():
        siblings.sort(key=lambda pk: (units[pk].name.lower(), pk))

    order: list[tuple[int, int]] = []
    stack = [(unit.pk, 0)]
    while stack:
        pk, depth = stack.pop()
        order.append((pk, depth))
        stack.extend((child, depth + 1) for child in reversed(children.get(pk, [])))
    totals = {pk: direct.get(pk, 0) for pk in units}
    for pk, _depth in reversed(order):  # children come after their parent in pre-order
        parent_id = units[pk].parent_id
        if pk != unit.pk and parent_id in totals:
            totals[parent_id] += totals[pk]

    def parent_slug(row: Unit) -> str | None:
        if row.pk == unit.pk:
            return visible_parent_slug(user, unit)
        return units[row.parent_id].slug

    rows = []
    for pk, depth in order:
        row = units[pk]
        rows.append(
            TreeRow(
                unit_id=pk,
                slug=row.slug,
                name=row.name,
                kind=row.kind,
                state=row.state,
                state_label=constitution.state_label(kind=row.kind, state=row.state),
                parent_id=row.parent_id,
                parent_slug=parent_slug(row),
                depth=depth,
                members=totals[pk],
            )
        )
    return rows


def may_manage_whole(user, organization: Organization) -> bool:
    """Whether the user may manage the whole organization (add a unit at the top of the tree)."""
    return is_operator(user) or grants_for(user, organization.pk).everything


def possible_parents(
    user, organization: Organization, *, moving: Unit | None = None, right: str | None = None
) -> QuerySet[Unit]:
    """Living units of kinds that can hold other units, in tree order: the choices for a parent.

    When `moving` a unit, its own subtree is left out, since a unit cannot go under itself;
    with `right`, only the units where the user holds it (manage_units, to add a unit).
    Built from `organization.units`, so the rows share its parsed constitution.
    """
    units = restrict(organization.units.all(), user=user, organization=organization, right=right)
    units = units.exclude(state=UnitState.DISSOLVED).exclude(kind__in=organization.constitution.basic_kinds)
    if moving is not None:
        units = units.exclude(path__gte=moving.path, path__lt=moving.path + PATH_END)
    return units.order_by("path")


def child_units(user, unit: Unit) -> QuerySet[Unit]:
    """The living units directly under `unit`, by name."""
    organization = unit.organization
    children = restrict(organization.units.filter(parent=unit), user=user, organization=organization)
    return children.exclude(state=UnitState.DISSOLVED).order_by("name", "pk")


def basic_units_open_to_members(user, organization: Organization, *, name: str = "") -> QuerySet[Unit]:
    """Basic units people can join or transfer into (preparing or founded), by name.

    `name` narrows them to those whose name contains it, for a search box.
    """
    units = restrict(organization.units.select_related("parent"), user=user, organization=organization).filter(
        kind__in=organization.constitution.basic_kinds, state__in=[UnitState.PREPARING, UnitState.FOUNDED]
    )
    if name:
        units = units.filter(name__icontains=name)
    return units.order_by("name", "pk")


FOUNDING_NEWCOMERS_LISTED = 50


def founding_candidates(user, unit: Unit) -> QuerySet[Person]:
    """The people a founding form offers for the meeting that founds `unit`, each with their membership.

    For a basic unit: its current members first, then the most recently added people of the
    organization who have no current membership (they join the unit at its founding), at most
    FOUNDING_NEWCOMERS_LISTED of them. For a body above the basic level: the people holding an
    officer post within its subtree, who are the ones who meet to constitute it.
    """
    people = people_visible_to(user, unit.organization)
    if unit.is_basic:
        current = Membership.objects.current()
        newcomers = people.filter(~Exists(current.filter(person=OuterRef("pk")))).order_by("-created_at", "-pk")
        in_unit = Exists(current.filter(person=OuterRef("pk"), unit=unit))
        candidates = people.filter(Q(in_unit) | Q(pk__in=newcomers.values("pk")[:FOUNDING_NEWCOMERS_LISTED]))
        return candidates.annotate(in_unit=in_unit).order_by("-in_unit", "name", "pk")
    officers = OfficerPost.objects.filter(
        end__isnull=True, unit__path__gte=unit.path, unit__path__lt=unit.path + PATH_END
    ).values("person_id")
    return people.filter(pk__in=officers).order_by("name", "pk")


TREE_PAGE_ROWS = 200  # the tree page opens on as many whole levels as fit in this many rows
UNITS_FOUND = 100  # units a search of the tree lists at most


def _unit_rows(units: QuerySet[Unit], *, flat: bool = False) -> QuerySet:
    """The fields of a tree row of each of `units`, in path order, with whether it has living units
    under it; dissolved ones left out unless `flat` (search results show them)."""
    living = Unit.objects.filter(parent=OuterRef("pk")).exclude(state=UnitState.DISSOLVED)
    if not flat:
        units = units.exclude(state=UnitState.DISSOLVED)
    fields = ("pk", "slug", "name", "kind", "state", "parent_id", "parent__slug", "path", "has_children")
    return units.annotate(has_children=Exists(living)).order_by("path").values(*fields)


def _tree_rows(
    organization: Organization, rows: list[dict], *, flat: bool = False, within: Unit | None = None
) -> list[TreeRow]:
    """Rows of `_unit_rows` as tree rows in tree order (siblings by name), each with its subtree's
    members (one query, `subtree_members_of`; `within` as there), at its depth in the tree.
    `flat`: in path order, for units that need not hang together (search results)."""
    constitution = organization.constitution
    members = subtree_members_of(organization, [row["path"] for row in rows], within=within)
    by_pk = {} if flat else {row["pk"]: row for row in rows}
    children: dict[int | None, list[dict]] = {}
    for row in rows:
        children.setdefault(row["parent_id"] if row["parent_id"] in by_pk else None, []).append(row)
    if not flat:
        for siblings in children.values():
            siblings.sort(key=lambda row: (row["name"].lower(), row["pk"]))
    ordered: list[TreeRow] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        row = stack.pop()
        ordered.append(
            TreeRow(
                unit_id=row["pk"],
                slug=row["slug"],
                name=row["name"],
                kind=row["kind"],
                state=row["state"],
                state_label=constitution.state_label(kind=row["kind"], state=row["state"]),
                parent_id=row["parent_id"],
                parent_slug=row["parent__slug"],
                depth=0 if flat else len(row["path"]) // PATH_SEGMENT - 1,
                members=members[row["path"]],
                has_children=row["has_children"],
            )
        )
        stack.extend(reversed(children.get(row["pk"], [])))
    return ordered


def subtree_members_of(
    organization: Organization, paths: Sequence[str], *, within: Unit | None = None
) -> dict[str, int]:
    """The counted members of each subtree of these units (given and keyed by their paths), from
    the kept per-unit counts (`MemberCount`) in one query whatever their number and nesting.

    Each count row under the outermost of the units is read once, by the range of the (path,
    status, members) index, and summed into its owner: the deepest of the units whose path
    starts its own (`substr` of the path at each depth the units have); the owners' sums are
    then added up to each of the units above them here, a few dictionary lookups per unit. So
    the cost is the count rows under the outermost units, once: a sum per unit read them again
    for each level shown (the top's whole tree, then each region's part of it) and, by the path
    index, every dead version of a count row that PostgreSQL had not yet vacuumed.

    `within`: a unit whose subtree holds every one of the units, all at one depth (a unit's
    children): its range is read and the count rows are grouped by their path at that depth,
    with no list of the units in the query; groups of other units (dissolved, not visible) are
    left out here. Units with no counted members have 0."""
    wanted = set(paths)
    totals = dict.fromkeys(wanted, 0)
    counted = sorted(organization.constitution.member_statuses.counted)
    if not wanted or not counted:
        return totals
    lengths = sorted({len(path) for path in wanted}, reverse=True)
    params: list[object] = []
    if within is not None and len(lengths) == 1:
        owner = f"substr(c.path, 1, {lengths[0]})"
        outermost = [within.path]
    else:
        # The deepest of the units above a count row: their paths, the deepest first.
        cases = []
        for length in lengths:
            same = sorted(path for path in wanted if len(path) == length)
            prefix = f"substr(c.path, 1, {length})"
            cases.append(f"WHEN {prefix} IN ({', '.join(['%s'] * len(same))}) THEN {prefix}")
            params += same
        owner = f"CASE {' '.join(cases)} END"
        outermost = [
            path
            for path in sorted(wanted)
            if not any(path[:end] in wanted for end in range(PATH_SEGMENT, len(path), PATH_SEGMENT))
        ]
    # Each range as its own condition (not a join with a list of ranges): both planners then
    # estimate each range from their statistics, and read it by the index when it is small.
    ranges = " OR ".join(["(c.path >= %s AND c.path < %s)"] * len(outermost))
    sql = (
        f"SELECT {owner} AS owner, SUM(c.members) FROM {MemberCount._meta.db_table} c "
        f"WHERE ({ranges}) AND c.status IN ({', '.join(['%s'] * len(counted))}) GROUP BY 1"
    )
    params += [bound for path in outermost for bound in (path, path + PATH_END)] + counted
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        owners = cursor.fetchall()
    for path, members in owners:
        # The owner and every unit above it that was asked for.
        for end in range(PATH_SEGMENT, len(path) + 1, PATH_SEGMENT):
            if path[:end] in totals:
                totals[path[:end]] += members
    return totals


def tree_page(user, organization: Organization) -> list[TreeRow]:
    """The first levels of the tree the user sees, as many whole levels as fit in TREE_PAGE_ROWS
    rows (at least the top one): the rest opens a unit at a time (`tree_children`)."""
    visible = restrict(organization.units.all(), user=user, organization=organization).exclude(
        state=UnitState.DISSOLVED
    )
    levels = visible.order_by().values_list(Length("path")).annotate(n=Count("pk")).order_by(Length("path"))
    deepest = levels_that_fit([length for length, count in levels for _ in range(count)])
    # The shown units first, by their ids: a planner cannot estimate a filter on the path's
    # length, and PostgreSQL walks every unit in parent order for the rows' join with their
    # parents, as if a third of the tree matched.
    shown = list(visible.annotate(length=Length("path")).filter(length__lte=deepest).values_list("pk", flat=True))
    rows = _tree_rows(organization, list(_unit_rows(Unit.objects.filter(pk__in=shown))))
    top = min((row.depth for row in rows), default=0)
    return [replace(row, depth=row.depth - top) for row in rows]


def levels_that_fit(depths: list[int]) -> int:
    """The deepest level such that the rows at it and above fit in TREE_PAGE_ROWS (at least the
    top level), given the depth (or path length) of each row."""
    per_level: dict[int, int] = {}
    for depth in depths:
        per_level[depth] = per_level.get(depth, 0) + 1
    deepest, shown = 0, 0
    for depth in sorted(per_level):
        if shown and shown + per_level[depth] > TREE_PAGE_ROWS:
            break
        deepest, shown = depth, shown + per_level[depth]
    return deepest


def tree_children(user, unit: Unit, *, depth: int = 0) -> list[TreeRow]:
    """The living units directly under `unit` that the user sees, as tree rows at `depth`."""
    organization = unit.organization
    children = restrict(organization.units.filter(parent=unit), user=user, organization=organization)
    return [replace(row, depth=depth) for row in _tree_rows(organization, list(_unit_rows(children)), within=unit)]


def units_found(
    user, organization: Organization, *, name: str = "", kind: str = "", state: str = ""
) -> tuple[list[TreeRow], bool]:
    """The units the user sees whose name contains `name`, of `kind` and in `state` (each if
    given), in tree order: at most UNITS_FOUND, and whether there were more."""
    units = restrict(organization.units.all(), user=user, organization=organization)
    if name:
        units = units.filter(name__icontains=name)
    if kind:
        units = units.filter(kind=kind)
    if state:
        units = units.filter(state=state)
    found = list(_unit_rows(units, flat=True)[: UNITS_FOUND + 1])
    return _tree_rows(organization, found[:UNITS_FOUND], flat=True), len(found) > UNITS_FOUND
