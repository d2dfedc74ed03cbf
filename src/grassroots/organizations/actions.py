"""Changes to organizations and their units. Each action checks its rules, then writes the
change, a dated unit event and an audit record in one transaction; a refusal changes nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.text import slugify

from grassroots.access import OutOfScope, Right, authorize, authorize_post, is_operator
from grassroots.audit.actions import Actor, write_audit_record
from grassroots.constitution import ConstitutionError, parse_constitution
from grassroots.errors import ActionRefused, refuse_overlong, refuse_too_early
from grassroots.people.models import MemberCount, Membership, Person

from .models import PATH_END, OfficerPost, Organization, Unit, UnitEvent, UnitState, path_segment
from .selectors import evaluate_founding_rules, founding_facts


def create_organization(*, slug: str, name: str, constitution_yaml: str, by: Actor) -> Organization:
    """Create an organization governed by a valid constitution; the slug must be free.

    Only the installation's operator (the command line, a superuser) creates organizations.
    """
    if not is_operator(by):
        raise OutOfScope("only the installation's operator creates organizations")
    try:
        parse_constitution(constitution_yaml)
    except ConstitutionError as error:
        raise ActionRefused("the constitution is not valid", reasons=error.errors, field="constitution") from None
    if slugify(slug) != slug or not slug:
        raise ActionRefused(f"slug '{slug}' may hold only lowercase letters, digits and hyphens", field="slug")
    if not name.strip():
        raise ActionRefused("name: the organization needs a name", field="name")
    refuse_overlong("name", name.strip(), 200)
    refuse_overlong("slug", slug, 60)
    with transaction.atomic():
        if Organization.objects.filter(slug=slug).exists():
            raise ActionRefused(f"an organization with slug '{slug}' already exists", field="slug")
        organization = Organization.objects.create(slug=slug, name=name.strip(), constitution_yaml=constitution_yaml)
        write_audit_record(
            by=by,
            action="organization.create",
            target=organization,
            organization=organization,
            changes={"slug": [None, slug], "name": [None, organization.name]},
        )
    return organization


def _day(on: dt.date | None) -> dt.date:
    day = on or timezone.localdate()
    refuse_too_early("on", day)
    return day


def _locked(unit: Unit, by: Actor) -> Unit:
    """Lock the unit's row for this transaction, refresh the caller's instance from it, and check
    that the actor may manage it (on the fresh path)."""
    unit.refresh_from_db(from_queryset=Unit.objects.select_for_update())
    authorize(by, Right.MANAGE_UNITS, unit)
    return unit


def _check_date(unit: Unit, on: dt.date) -> None:
    if on > timezone.localdate():
        raise ActionRefused(f"on: {on} is in the future", field="on")
    last = unit.events.order_by("-on", "-id").values_list("on", flat=True).first()
    if last is not None and on < last:
        raise ActionRefused(f"date {on} is before the unit's last recorded event on {last}", field="on")


def _record_event(unit: Unit, kind: str, on: dt.date, note: str = "") -> UnitEvent:
    return UnitEvent.objects.create(
        unit=unit, kind=kind, on=on, state=unit.state, parent_id=unit.parent_id, name=unit.name, note=note
    )


def _free_slug(organization: Organization, wanted: str) -> str:
    base = slugify(wanted)[:70] or "unit"
    taken = set(Unit.objects.filter(organization=organization, slug__startswith=base).values_list("slug", flat=True))
    slug, counter = base, 2
    while slug in taken:
        slug, counter = f"{base}-{counter}", counter + 1
    return slug


def _check_parent(organization: Organization, kind: str, parent: Unit | None) -> None:
    constitution = organization.constitution
    if parent is not None and parent.organization_id != organization.pk:
        raise ActionRefused(f"unit '{parent.slug}' belongs to another organization", field="parent")
    if parent is not None and parent.state == UnitState.DISSOLVED:
        raise ActionRefused(f"unit '{parent.slug}' is dissolved", field="parent")
    if not constitution.may_be_child(kind=kind, parent_kind=parent.kind if parent else None):
        allowed = [constitution.kind_in_words(key) for key in constitution.kind(kind).parents]
        where = f"under {constitution.kind_in_words(parent.kind)}" if parent else "at the top of the tree"
        need = f"it stands under {' or '.join(allowed)}" if allowed else "it stands at the top"
        raise ActionRefused(f"{constitution.kind_in_words(kind)} cannot stand {where}; {need}", field="parent")


def add_unit(
    *,
    organization: Organization,
    kind: str,
    name: str,
    by: Actor,
    parent: Unit | None = None,
    on: dt.date | None = None,
    slug: str | None = None,
) -> Unit:
    """Plan a new unit of a constitution kind under a parent the constitution allows."""
    on = _day(on)
    name = name.strip()
    key = organization.constitution.kind_key(kind)
    if key is None:
        known = ", ".join(known.label for known in organization.constitution.unit_kinds.values())
        raise ActionRefused(f"unknown unit kind '{kind}' (this constitution has: {known})", field="kind")
    kind = key
    if not name:
        raise ActionRefused("name: a unit needs a name", field="name")
    refuse_overlong("name", name, 200)
    if slug is not None:
        refuse_overlong("slug", slug, 80)
    if on > timezone.localdate():
        raise ActionRefused(f"on: {on} is in the future", field="on")
    with transaction.atomic():
        if parent is not None:
            parent = _locked(parent, by)
        else:
            authorize(by, Right.MANAGE_UNITS, organization=organization)
        _check_parent(organization, kind, parent)
        if slug is not None:
            if slugify(slug) != slug or not slug:
                raise ActionRefused(f"slug '{slug}' may hold only lowercase letters, digits and hyphens", field="slug")
            if Unit.objects.filter(organization=organization, slug=slug).exists():
                raise ActionRefused(f"slug '{slug}' is already used in {organization.slug}", field="slug")
        unit = Unit.objects.create(
            organization=organization,
            parent=parent,
            kind=kind,
            name=name,
            slug=slug or _free_slug(organization, name),
            created_on=on,
            path=f"new:{uuid.uuid4().hex}",  # unique until the id-based path replaces it below
        )
        unit.path = (parent.path if parent else "") + path_segment(unit.pk)
        unit.save(update_fields=["path"])
        authorize(by, Right.MANAGE_UNITS, unit)
        _record_event(unit, UnitEvent.Kind.CREATED, on)
        write_audit_record(
            by=by,
            action="unit.add",
            target=unit,
            organization=organization,
            changes={"kind": [None, kind], "name": [None, name], "parent": [None, parent.slug if parent else None]},
        )
    return unit


def _transition(unit: Unit, *, to: str, allowed_from: Sequence[str], on: dt.date, by: Actor, event: str) -> Unit:
    old = unit.state
    if old not in allowed_from:
        label = unit.organization.constitution.state_label(kind=unit.kind, state=old)
        raise ActionRefused(f"{unit.name} is {label}; this needs it to be {' or '.join(allowed_from)}", field="state")
    _check_date(unit, on)
    unit.state = to
    unit.save(update_fields=["state", "founded_on"])
    _record_event(unit, event, on)
    write_audit_record(
        by=by,
        action=f"unit.{event}",
        target=unit,
        organization=unit.organization,
        changes={"state": [old, to], "on": [None, on.isoformat()]},
    )
    return unit


def start_preparing(*, unit: Unit, by: Actor, on: dt.date | None = None) -> Unit:
    """A planned or dormant unit starts assembling its founding core."""
    with transaction.atomic():
        unit = _locked(unit, by)
        return _transition(
            unit,
            to=UnitState.PREPARING,
            allowed_from=[UnitState.PLANNED, UnitState.DORMANT],
            on=_day(on),
            by=by,
            event=UnitEvent.Kind.PREPARING,
        )


def found_unit(
    *,
    unit: Unit,
    by: Actor,
    on: dt.date | None = None,
    founding_members: Sequence[Person] | None = None,
    officers: dict[str, Person] | None = None,
    minutes: str = "",
) -> Unit:
    """Found a unit (constitute a body) at its founding meeting, only if every founding rule holds.

    The founding members attend the founding meeting, which is recorded with the founding; for a
    basic unit they default to its current members, and those not yet members join it that day.
    `officers` appoints posts at the meeting. If any rule fails, the refusal lists every failed
    rule and nothing is written.
    """
    from grassroots.meetings.actions import record_founding_meeting
    from grassroots.people.actions import join_unit

    on = _day(on)
    with transaction.atomic():
        unit = _locked(unit, by)
        constitution = unit.organization.constitution
        if unit.state not in (UnitState.PLANNED, UnitState.PREPARING):
            label = constitution.state_label(kind=unit.kind, state=unit.state)
            raise ActionRefused(f"{unit.name} is {label}; only a planned or preparing unit can be founded")
        _check_date(unit, on)
        core = list(Membership.objects.current().filter(unit=unit).select_related("person"))
        members = list(founding_members) if founding_members is not None else [m.person for m in core]
        problems = _founding_problems(unit, members, officers or {})
        readiness = evaluate_founding_rules(unit, founding_facts(unit, members=members, officers=officers or {}, on=on))
        failed = [f"{result.title}: needs {result.required}, has {result.actual}" for result in readiness.failed]
        if problems or failed:
            verb = "found" if unit.is_basic else "constitute"
            raise ActionRefused(f"cannot {verb} {unit.name}", reasons=problems + failed)

        if unit.is_basic:
            founding_status = constitution.member_statuses.founding or constitution.member_statuses.initial
            joined_ids = {m.person_id for m in core}
            for person in members:
                if person.pk not in joined_ids:
                    join_unit(person=person, unit=unit, by=by, on=on, status=founding_status, allow_planned=True)
        for post, person in (officers or {}).items():
            assign_post(unit=unit, person=person, post=post, by=by, on=on)
        record_founding_meeting(unit=unit, on=on, members=members, minutes=minutes, by=by)
        unit.founded_on = on
        return _transition(
            unit,
            to=UnitState.FOUNDED,
            allowed_from=[UnitState.PLANNED, UnitState.PREPARING],
            on=on,
            by=by,
            event=UnitEvent.Kind.FOUNDED,
        )


def _founding_problems(unit: Unit, members: Sequence[Person], officers: dict[str, Person]) -> list[str]:
    """Why proposed founding members or officers cannot take part, one reason each."""
    problems = []
    constitution = unit.organization.constitution
    elsewhere = {
        m.person_id: m.unit
        for m in Membership.objects.current().filter(person__in=members).exclude(unit=unit).select_related("unit")
    }
    for person in members:
        if person.organization_id != unit.organization_id:
            problems.append(f"{person.name} belongs to another organization")
        elif unit.is_basic and person.pk in elsewhere:
            problems.append(f"{person.name} is a member of {elsewhere[person.pk].name}; transfer them first")
        elif not unit.is_basic and not _member_in_subtree(person, unit):
            problems.append(f"{person.name} is not a member within {unit.name}")
    for post, person in officers.items():
        if post not in constitution.officer_posts:
            problems.append(f"'{post}' is not an officer post of this constitution")
        elif person.organization_id != unit.organization_id:
            problems.append(f"{person.name} belongs to another organization")
        elif unit.is_basic and person not in members and not _member_in_subtree(person, unit):
            problems.append(f"{person.name} ({post}) is not among the founding members")
        elif not unit.is_basic and not _member_in_subtree(person, unit):
            problems.append(f"{person.name} ({post}) is not a member within {unit.name}")
    return problems


def _member_in_subtree(person: Person, unit: Unit) -> bool:
    return (
        Membership.objects.current()
        .filter(person=person, unit__path__gte=unit.path, unit__path__lt=unit.path + PATH_END)
        .exists()
    )


def make_dormant(*, unit: Unit, by: Actor, on: dt.date | None = None) -> Unit:
    """A founded unit that has stopped meeting goes dormant; it re-forms by preparing again."""
    with transaction.atomic():
        unit = _locked(unit, by)
        return _transition(
            unit,
            to=UnitState.DORMANT,
            allowed_from=[UnitState.FOUNDED],
            on=_day(on),
            by=by,
            event=UnitEvent.Kind.DORMANT,
        )


def dissolve_unit(*, unit: Unit, by: Actor, on: dt.date | None = None) -> Unit:
    """Dissolve a unit with no current members and no living child units; its posts end that day."""
    on = _day(on)
    with transaction.atomic():
        unit = _locked(unit, by)
        reasons = []
        members = Membership.objects.current().filter(unit=unit).count()
        if members:
            reasons.append(f"it has {members} current member(s); transfer them or end their memberships")
        living = list(unit.children.exclude(state=UnitState.DISSOLVED).values_list("name", flat=True))
        if living:
            reasons.append(f"its child units are not dissolved: {', '.join(living)}")
        later = OfficerPost.objects.filter(unit=unit, start__gt=on).order_by("start").first()
        if later is not None:
            reasons.append(f"its {later.post}'s term begins on {later.start}, after {on}")
        if reasons:
            raise ActionRefused(f"cannot dissolve {unit.name}", reasons=reasons)
        allowed = [state for state in UnitState.values if state != UnitState.DISSOLVED]
        _transition(unit, to=UnitState.DISSOLVED, allowed_from=allowed, on=on, by=by, event=UnitEvent.Kind.DISSOLVED)
        OfficerPost.objects.filter(unit=unit).filter(Q(end__isnull=True) | Q(end__gt=on)).update(end=on)
        return unit


def rename_unit(*, unit: Unit, name: str, by: Actor, on: dt.date | None = None) -> Unit:
    """Rename a unit; its slug stays, so links and scripts keep working."""
    on, name = _day(on), name.strip()
    if not name:
        raise ActionRefused("name: a unit needs a name", field="name")
    refuse_overlong("name", name, 200)
    with transaction.atomic():
        unit = _locked(unit, by)
        _check_date(unit, on)
        old = unit.name
        unit.name = name
        unit.save(update_fields=["name"])
        _record_event(unit, UnitEvent.Kind.RENAMED, on)
        write_audit_record(
            by=by, action="unit.rename", target=unit, organization=unit.organization, changes={"name": [old, name]}
        )
    return unit


def set_time_zone(*, by: Actor, time_zone: str, unit: Unit | None = None, organization=None):
    """Set the IANA time zone meetings are planned in: an organization's (its default), or a
    unit's (empty: the organization's again). Meetings already planned keep their instant."""
    from grassroots.meetings.times import zone_named

    time_zone = time_zone.strip()
    if time_zone or unit is None:
        zone_named(time_zone)
    with transaction.atomic():
        if unit is not None:
            target = _locked(unit, by)
            owner = target.organization
        else:
            if organization is None:
                raise ActionRefused("a unit or an organization is needed")
            if not is_operator(by):
                raise OutOfScope("only the installation's operator sets an organization's time zone")
            target = owner = organization
        old = target.time_zone
        target.time_zone = time_zone
        target.save(update_fields=["time_zone"])
        write_audit_record(
            by=by, action="time_zone.set", target=target, organization=owner, changes={"time_zone": [old, time_zone]}
        )
    return target


def move_unit(*, unit: Unit, parent: Unit | None, by: Actor, on: dt.date | None = None) -> Unit:
    """Move a unit and its whole subtree under another parent the constitution allows.

    Refused when it would make a cycle. The paths of the subtree are rewritten by one
    set-based UPDATE in the same transaction.
    """
    on = _day(on)
    with transaction.atomic():
        unit = _locked(unit, by)
        if parent is not None:
            parent = _locked(parent, by)
            if parent.path.startswith(unit.path):
                raise ActionRefused(
                    f"cannot move {unit.name} under {parent.name}: it is inside its own subtree", field="parent"
                )
        else:
            authorize(by, Right.MANAGE_UNITS, organization=unit.organization)
        _check_parent(unit.organization, unit.kind, parent)
        _check_date(unit, on)
        if unit.parent_id == (parent.pk if parent else None):
            raise ActionRefused(f"{unit.name} is already there", field="parent")
        old_parent, old_path = unit.parent, unit.path
        new_path = (parent.path if parent else "") + path_segment(unit.pk)
        try:
            Unit.objects.in_subtree(old_path).update(path=Concat(Value(new_path), Substr(F("path"), len(old_path) + 1)))
        except IntegrityError:  # pragma: no cover - paths are unique by construction
            raise ActionRefused("the tree changed during the move; try again") from None
        # People are scoped by the path of their unit: their paths move with the subtree.
        Person.objects.filter(unit_path__gte=old_path, unit_path__lt=old_path + PATH_END).update(
            unit_path=Concat(Value(new_path), Substr(F("unit_path"), len(old_path) + 1))
        )
        # So do the subtree's kept member counts, which subtree totals read by path.
        MemberCount.objects.filter(path__gte=old_path, path__lt=old_path + PATH_END).update(
            path=Concat(Value(new_path), Substr(F("path"), len(old_path) + 1))
        )
        unit.refresh_from_db()
        unit.parent = parent
        unit.save(update_fields=["parent"])
        authorize(by, Right.MANAGE_UNITS, unit)  # again, where the subtree now stands
        _record_event(unit, UnitEvent.Kind.MOVED, on)
        write_audit_record(
            by=by,
            action="unit.move",
            target=unit,
            organization=unit.organization,
            changes={"parent": [old_parent.slug if old_parent else None, parent.slug if parent else None]},
        )
    return unit


def assign_post(
    *,
    unit: Unit,
    person: Person,
    post: str,
    by: Actor,
    on: dt.date | None = None,
    until: dt.date | None = None,
) -> OfficerPost:
    """Appoint a person to an officer post of a unit from `on`, for good or `until` a later day.

    The holder of the post on that day (if any) ends their term that day; a term that began
    after it, or the appointee holding the post already, is refused.
    """
    on = _day(on)
    constitution = unit.organization.constitution
    if post not in constitution.officer_posts:
        raise ActionRefused(
            f"'{post}' is not an officer post (posts: {', '.join(constitution.officer_posts)})", field="post"
        )
    if until is not None and until <= on:
        raise ActionRefused(f"until: the term must end after it begins on {on}", field="until")
    with transaction.atomic():
        # The actor's rights over the unit are weighed before anything is said about the person.
        _locked(unit, by)
        authorize_post(by, post, unit)
        if person.organization_id != unit.organization_id:
            raise ActionRefused(f"{person.name} belongs to another organization", field="person")
        if unit.state == UnitState.DISSOLVED:
            raise ActionRefused(f"{unit.name} is dissolved", field="unit")
        if not _member_in_subtree(person, unit):
            raise ActionRefused(f"{person.name} is not a current member within {unit.name}", field="person")
        # Every term of this post still running on `on`: open, or set to end after it.
        running = list(
            OfficerPost.objects.select_for_update()
            .filter(unit=unit, post=post)
            .filter(Q(end__isnull=True) | Q(end__gt=on))
            .select_related("person")
            .order_by("start", "pk")
        )
        for previous in running:
            if previous.person_id == person.pk:
                raise ActionRefused(f"{person.name} already holds {post} of {unit.name}", field="person")
            if on < previous.start:
                raise ActionRefused(
                    f"date {on} is before the current {post}'s term began on {previous.start}", field="on"
                )
        for previous in running:
            previous.end = on
            previous.save(update_fields=["end"])
        holding = OfficerPost.objects.create(unit=unit, person=person, post=post, start=on, end=until)
        previous_name = running[-1].person.name if running else None
        changes = {"holder": [previous_name, person.name], "on": [None, on.isoformat()]}
        if until is not None:
            changes["until"] = [None, until.isoformat()]
        write_audit_record(
            by=by, action="post.assign", target=holding, organization=unit.organization, unit=unit, changes=changes
        )
    return holding


def end_post(*, holding: OfficerPost, by: Actor, on: dt.date | None = None) -> OfficerPost:
    """End an officer's term on a day (today by default), which may not be before it began.

    A term ends once: one that has ended is refused, while one appointed until a later day may
    be ended sooner. The day may not be in the future (appoint with an until-date for that).
    """
    on = _day(on)
    today = timezone.localdate()
    if on > today:
        raise ActionRefused(f"on: {on} is in the future", field="on")
    with transaction.atomic():
        unit = _locked(holding.unit, by)
        authorize_post(by, holding.post, unit)
        holding.refresh_from_db(from_queryset=OfficerPost.objects.select_for_update())
        who = holding.person.name
        if holding.end is not None and holding.end <= today:
            raise ActionRefused(f"{who}'s term as {holding.post} of {unit.name} already ended on {holding.end}")
        if on < holding.start:
            raise ActionRefused(f"date {on} is before {who}'s term began on {holding.start}", field="on")
        old = holding.end
        holding.end = on
        holding.save(update_fields=["end"])
        write_audit_record(
            by=by,
            action="post.end",
            target=holding,
            organization=unit.organization,
            unit=unit,
            changes={"end": [old.isoformat() if old else None, on.isoformat()]},
        )
    return holding
