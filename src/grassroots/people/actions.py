"""Changes to people and memberships. Each checks its rule and the actor's rights over the units
it touches, writes, and audits in one transaction; a refusal changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import BooleanField, ExpressionWrapper, Max, Q
from django.utils import timezone

from grassroots.access import Right, authorize, restrict
from grassroots.access.grants import grants_for, is_operator
from grassroots.access.indirect import unit_label, visible_person, visible_unit
from grassroots.audit.actions import Actor, write_audit_record
from grassroots.audit.models import AuditRecord
from grassroots.audit.selectors import actor_seen, shown_actor, shown_changes
from grassroots.constitution.gates import months_later, unmet_requirements
from grassroots.constitution.schema import is_course_code
from grassroots.errors import ADDRESS_MAX_LENGTH, ActionRefused, InvalidFields, refuse_overlong, refuse_too_early
from grassroots.organizations.models import OfficerPost, Organization, Unit, UnitState

from .counts import count_changes
from .models import (
    Consent,
    Course,
    CourseCompletion,
    Membership,
    Person,
    Programme,
    StatusChange,
)
from .normalize import (
    is_email,
    names_agree,
    normal_address,
    normal_email,
    normal_phone,
    normal_text,
    search_keys,
)
from .selectors import scope_unit


def _day(on: dt.date | None) -> dt.date:
    day = on or timezone.localdate()
    if day > timezone.localdate():
        raise ActionRefused(f"on: {day} is in the future", field="on")
    refuse_too_early("on", day)
    return day


CONTACT_FIELDS = ("name", "email", "phone", "address")
_LIMITS = {"name": 200, "email": 254, "address": ADDRESS_MAX_LENGTH}


def _normal_field(organization: Organization, field: str, value: str) -> str:
    """One field in its stored form, or ActionRefused naming it."""
    if field == "phone":
        return normal_phone(value, organization.default_region)
    normal = {"name": normal_text, "email": normal_email, "address": normal_address}[field](value)
    if field == "name" and not normal:
        raise ActionRefused("name: a person needs a name", field="name")
    refuse_overlong(field, normal, _LIMITS[field])
    if field == "email" and normal and not is_email(normal):
        # Quoted as given (case kept), not as it would be stored.
        raise ActionRefused(f"email: '{normal_text(value)[:254]}' is not a valid email address", field="email")
    return normal


def normal_contact(
    organization: Organization, *, name: str, email: str, phone: str, address: str, kept: frozenset[str] = frozenset()
) -> dict[str, str]:
    """The person's fields in their one stored form (`normalize.py`): `{field: value}` for
    name, email, phone and address. Every field is checked before any is refused: InvalidFields
    names each wrong one with its reason. The fields named in `kept` are stored values left as
    they are: an edit checks only what it changes, so a stored value no rule would accept today
    does not block correcting another."""
    given = {"name": name, "email": email, "phone": phone, "address": address}
    fields, errors = {}, {}
    for field, value in given.items():
        try:
            fields[field] = value if field in kept else _normal_field(organization, field, value)
        except ActionRefused as refusal:
            errors[field] = refusal.message
    if errors:
        raise InvalidFields(errors)
    return fields


def _refuse_duplicate(organization: Organization, fields: dict[str, str], by: Actor, *, other_than=None) -> None:
    """Refuse a person whose name agrees with a known person's and whose email or phone equals
    theirs, naming that person's number. Only people the actor may see count: a match out of
    their scope is treated as unknown, and never named."""
    same_contact = Q(pk__in=[])
    if fields["email"]:
        same_contact |= Q(email=fields["email"])
    if fields["phone"]:
        same_contact |= Q(phone=fields["phone"])
    candidates = restrict(
        Person.objects.filter(same_contact, erased_at__isnull=True), user=by, organization=organization
    )
    if other_than is not None:
        candidates = candidates.exclude(pk=other_than.pk)
    for pk, name, email in candidates.order_by("pk").values_list("pk", "name", "email")[:100]:
        if names_agree(name, fields["name"]):
            shared = "email" if fields["email"] and email == fields["email"] else "phone"
            raise ActionRefused(
                f"person {pk} ({name}) has the same name and {shared}; "
                "confirm that this is another person to record them anyway",
                field="allow_duplicate",
            )


def add_person(
    *,
    organization: Organization,
    name: str,
    by: Actor,
    email: str = "",
    phone: str = "",
    address: str = "",
    recruiter: Person | None = None,
    unit: Unit | None = None,
    status: str | None = None,
    on: dt.date | None = None,
    allow_duplicate: bool = False,
) -> Person:
    """Record a person, and join them to `unit` in the same transaction when one is given.

    Only the name is required; every field is stored in its normal form (`normalize.py`). A
    person whose name agrees with a known person's and who shares their email or phone is
    refused, naming that person, unless `allow_duplicate` confirms they are someone else (two
    people of one household may share a landline). The recruiter must be of the same
    organization. A person with no unit stands outside every subtree, so only the
    organization's administrators record one.
    """
    fields = normal_contact(organization, name=name, email=email, phone=phone, address=address)
    if recruiter is not None and recruiter.organization_id != organization.pk:
        raise ActionRefused("recruiter: belongs to another organization", field="recruiter")
    with transaction.atomic():
        if unit is None:
            authorize(by, Right.EDIT_PEOPLE, organization=organization)
        if not allow_duplicate:
            _refuse_duplicate(organization, fields, by)
        person = Person.objects.create(
            organization=organization, recruiter=recruiter, **search_keys(fields["name"]), **fields
        )
        write_audit_record(
            by=by,
            action="person.add",
            target=person,
            organization=organization,
            unit=unit,
            # The recruiter stays out of the trail: lineage is for holders of view_lineage only.
            changes={"name": [None, fields["name"]]},
        )
        if unit is not None:
            join_unit(person=person, unit=unit, by=by, on=on, status=status)
    return person


def _keep_search_keys(person: Person) -> None:
    for field, key in search_keys(person.name).items():
        setattr(person, field, key)


def edit_person(
    *,
    person: Person,
    by: Actor,
    name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    address: str | None = None,
    allow_duplicate: bool = False,
) -> Person:
    """Correct a person's name, email, phone or address (None leaves a field as it is).

    The same normal form and duplicate check as `add_person`; audited with the old and new
    value of each field that changed. An erased person stays erased.
    """
    if person.erased_at is not None:
        raise ActionRefused(f"person {person.pk} is erased: there is nothing to correct")
    organization = person.organization
    given = {"name": name, "email": email, "phone": phone, "address": address}
    current = {field: getattr(person, field) for field in given}
    kept = frozenset(f for f, v in given.items() if v is None or v == current[f])  # not changed: not checked
    fields = normal_contact(organization, **{f: current[f] if f in kept else v for f, v in given.items()}, kept=kept)
    changes = {field: [current[field], value] for field, value in fields.items() if value != current[field]}
    with transaction.atomic():
        person.refresh_from_db(from_queryset=Person.objects.select_for_update())
        authorize(by, Right.EDIT_PEOPLE, scope_unit(person), organization=organization)
        if not changes:
            return person
        if not allow_duplicate:
            _refuse_duplicate(organization, fields, by, other_than=person)
        for field, value in fields.items():
            setattr(person, field, value)
        _keep_search_keys(person)
        person.save(update_fields=[*fields, "search_key", "family_key"])
        write_audit_record(
            by=by,
            action="person.edit",
            target=person,
            organization=organization,
            unit=scope_unit(person),
            changes=changes,
        )
    return person


def _check_basic_unit(person: Person, unit: Unit, *, allow_planned: bool = False) -> None:
    open_states = {UnitState.PREPARING, UnitState.FOUNDED} | ({UnitState.PLANNED} if allow_planned else set())
    if unit.organization_id != person.organization_id:
        raise ActionRefused(f"{unit.name} belongs to another organization", field="unit")
    if not unit.is_basic:
        raise ActionRefused(
            f"{unit.name} is a {unit.kind_label.lower()}; people are members of basic units", field="unit"
        )
    if unit.state not in open_states:
        raise ActionRefused(
            f"{unit.name} is {unit.state_label}; people join units that are preparing or founded", field="unit"
        )


def _locked_unit(unit: Unit, by: Actor) -> Unit:
    """Lock the unit for this transaction; the actor must be allowed to edit its people."""
    unit.refresh_from_db(from_queryset=Unit.objects.select_for_update())
    authorize(by, Right.EDIT_PEOPLE, unit)
    return unit


def _place(person: Person, unit: Unit) -> None:
    """Keep the person's scoping path on the unit of their current membership."""
    person.unit_path = unit.path
    person.save(update_fields=["unit_path"])


def join_unit(
    *,
    person: Person,
    unit: Unit,
    by: Actor,
    on: dt.date | None = None,
    status: str | None = None,
    allow_planned: bool = False,
) -> Membership:
    """Start a person's membership in a basic unit. A person has at most one current membership."""
    on = _day(on)
    constitution = unit.organization.constitution
    status = status or constitution.member_statuses.initial
    if status not in constitution.statuses:
        raise ActionRefused(f"status: '{status}' is not a status of this constitution", field="status")
    try:
        with transaction.atomic():
            _locked_unit(unit, by)
            _check_basic_unit(person, unit, allow_planned=allow_planned)
            current = Membership.objects.current().filter(person=person).select_related("unit").first()
            if current is not None:
                raise ActionRefused(f"{person.name} is already a member of {current.unit.name}; transfer them instead")
            last_end = person.memberships.aggregate(last=Max("end"))["last"]
            if last_end is not None and on < last_end:
                raise ActionRefused(
                    f"date {on} is before {person.name}'s last membership ended on {last_end}", field="on"
                )
            membership = Membership.objects.create(person=person, unit=unit, status=status, start=on)
            count_changes([(unit.pk, status, 1)])
            _place(person, unit)
            authorize(by, Right.EDIT_PEOPLE, unit)  # again, where the person now stands
            write_audit_record(
                by=by,
                action="membership.join",
                target=membership,
                organization=unit.organization,
                unit=unit,
                changes={"unit": [None, unit.slug], "status": [None, status], "start": [None, on.isoformat()]},
            )
    except IntegrityError:
        # Another request gave this person a current membership between our check and insert.
        raise ActionRefused(f"{person.name} already has a current membership") from None
    return membership


def _current_membership(person: Person, by: Actor) -> Membership:
    """The person's current membership, locked; the actor must be allowed to edit its unit's people."""
    membership = Membership.objects.select_for_update().current().filter(person=person).select_related("unit").first()
    if membership is None:
        raise ActionRefused(f"{person.name} has no current membership")
    authorize(by, Right.EDIT_PEOPLE, membership.unit)
    return membership


def transfer_member(*, person: Person, to_unit: Unit, by: Actor, on: dt.date | None = None) -> Membership:
    """End the person's current membership and start the next in another basic unit on the same day.

    The actor must be allowed to edit people both where the person leaves and where they arrive.
    """
    on = _day(on)
    try:
        with transaction.atomic():
            _locked_unit(to_unit, by)
            _check_basic_unit(person, to_unit)
            old = _current_membership(person, by)
            if old.unit_id == to_unit.pk:
                raise ActionRefused(f"{person.name} is already a member of {to_unit.name}", field="unit")
            if on < old.start:
                raise ActionRefused(f"date {on} is before the current membership began on {old.start}", field="on")
            old.end = on
            old.save(update_fields=["end"])
            new = Membership.objects.create(person=person, unit=to_unit, status=old.status, start=on)
            count_changes([(old.unit_id, old.status, -1), (to_unit.pk, old.status, 1)])
            _place(person, to_unit)
            authorize(by, Right.EDIT_PEOPLE, to_unit)  # again, where the person now stands
            write_audit_record(
                by=by,
                action="membership.transfer",
                target=new,
                organization=to_unit.organization,
                unit=to_unit,
                changes={"unit": [old.unit.slug, to_unit.slug], "on": [None, on.isoformat()]},
            )
    except IntegrityError:
        raise ActionRefused(f"{person.name}'s membership changed meanwhile; try again") from None
    return new


def change_status(
    *,
    person: Person,
    status: str,
    by: Actor,
    on: dt.date | None = None,
    override_decision: int | None = None,
    reason: str = "",
) -> Membership:
    """Change the status of the current membership, only along a transition the constitution
    allows and, when the move is gated (`member_statuses.gates`), only once every requirement is
    met on `on` (the courses held, the months in the current status): otherwise refused (409)
    listing every unmet requirement. An override names a carried decision (its id) of a meeting of
    the next body up from the person's unit and gives a reason; both go into the audit record."""
    on = _day(on)
    constitution = person.organization.constitution
    with transaction.atomic():
        membership = _current_membership(person, by)
        old = membership.status
        if status not in constitution.statuses:
            known = ", ".join(constitution.statuses)
            raise ActionRefused(f"status: '{status}' is not a status of this organization ({known})", field="status")
        if not constitution.may_change_status(old, status):
            allowed = ", ".join(constitution.member_statuses.transitions.get(old, [])) or "none"
            raise ActionRefused(
                f"status: cannot go from {old} to {status} (allowed from {old}: {allowed})", field="status"
            )
        last = membership.status_changes.order_by("-on").values_list("on", flat=True).first() or membership.start
        if on < last:
            raise ActionRefused(f"date {on} is before the last status change on {last}", field="on")
        override = _gate_passed(
            membership, status, since=last, on=on, decision_id=override_decision, reason=reason, by=by
        )
        membership.status = status
        membership.save(update_fields=["status"])
        count_changes([(membership.unit_id, old, -1), (membership.unit_id, status, 1)])
        StatusChange.objects.create(membership=membership, on=on, old=old, new=status)
        write_audit_record(
            by=by,
            action="membership.status",
            target=membership,
            organization=person.organization,
            unit=membership.unit,
            changes={"status": [old, status], "on": [None, on.isoformat()], **override},
        )
    return membership


def _gate_passed(
    membership: Membership,
    status: str,
    *,
    since: dt.date,
    on: dt.date,
    decision_id: int | None,
    reason: str,
    by: Actor,
) -> dict[str, Any]:
    """Refuse a gated move whose requirements are unmet on `on`, unless overridden by a carried
    decision of the next body up; returns the override for the audit record (empty: none)."""
    old = membership.status
    gate = membership.unit.organization.constitution.status_gate(old, status)
    unmet = []
    if gate is not None:
        held = set(
            CourseCompletion.objects.filter(
                person_id=membership.person_id, course__code__in=gate.courses, completed_on__lte=on
            )
            .filter(Q(expires_on__isnull=True) | Q(expires_on__gt=on))
            .values_list("course__code", flat=True)
        )
        unmet = unmet_requirements(gate, status=old, since=since, on=on, held=held)
    if decision_id is None:
        if unmet:
            raise ActionRefused(f"cannot change {old} to {status}", reasons=unmet, field="status")
        return {}
    if not unmet:
        raise ActionRefused(
            f"override_decision: {old} to {status} needs no override on {on}", field="override_decision"
        )
    reason = normal_text(reason)
    if not reason:
        raise ActionRefused("reason: say why the requirements are overridden", field="reason")
    refuse_overlong("reason", reason, 500)
    from grassroots.meetings.models import Decision

    parent = membership.unit.parent
    decision = (
        Decision.objects.filter(pk=decision_id, meeting__unit=parent).select_related("meeting").first()
        if parent is not None
        else None
    )
    if decision is None:
        above = unit_label(parent, user=by) if parent is not None else "no body (the unit has none above it)"
        raise ActionRefused(
            f"override_decision: no decision {decision_id} of a meeting of {above}", field="override_decision"
        )
    if decision.outcome != Decision.Outcome.CARRIED or decision.meeting.on > on:
        raise ActionRefused(
            f"override_decision: decision {decision_id} was not carried on or before {on}", field="override_decision"
        )
    return {
        "override_decision": [None, decision.pk],
        "override_meeting": [None, decision.meeting_id],
        "override_reason": [None, reason],
        "overridden": [None, "; ".join(unmet)],
    }


def end_membership(*, person: Person, by: Actor, on: dt.date | None = None, status: str | None = None) -> Membership:
    """End the current membership on a day, optionally with a final status the constitution allows.

    The person keeps the path of their last unit, so its officers still see them in its history.
    """
    on = _day(on)
    with transaction.atomic():
        if status is not None:
            change_status(person=person, status=status, by=by, on=on)
        membership = _current_membership(person, by)
        if on < membership.start:
            raise ActionRefused(f"date {on} is before the membership began on {membership.start}", field="on")
        membership.end = on
        membership.save(update_fields=["end"])
        count_changes([(membership.unit_id, membership.status, -1)])
        write_audit_record(
            by=by,
            action="membership.end",
            target=membership,
            organization=person.organization,
            unit=membership.unit,
            changes={"end": [None, on.isoformat()]},
        )
    return membership


def record_consent(*, person: Person, purpose: str, policy_version: str, by: Actor) -> Consent:
    """Record that the person consents to a purpose under a version of the policy (not for an erased person)."""
    purpose, policy_version = purpose.strip(), policy_version.strip()
    if person.erased_at is not None:
        raise ActionRefused(f"person {person.pk} is erased: no one is there to consent")
    if not purpose:
        raise ActionRefused("purpose: say what the person consents to", field="purpose")
    if not policy_version:
        raise ActionRefused("policy_version: say which version of the policy applies", field="policy_version")
    refuse_overlong("purpose", purpose, 100)
    refuse_overlong("policy_version", policy_version, 40)
    unit = scope_unit(person)
    with transaction.atomic():
        authorize(by, Right.EDIT_PEOPLE, unit, organization=person.organization)
        consent = Consent.objects.create(
            person=person, purpose=purpose, policy_version=policy_version, given_at=timezone.now()
        )
        write_audit_record(
            by=by,
            action="consent.give",
            target=consent,
            organization=person.organization,
            unit=unit,
            changes={"purpose": [None, purpose], "policy_version": [None, policy_version]},
        )
    return consent


def withdraw_consent(*, consent: Consent, by: Actor) -> Consent:
    """Date the withdrawal of a consent; the record of it having been given stays."""
    if consent.withdrawn_at is not None:
        raise ActionRefused(f"consent to {consent.purpose} was already withdrawn")
    unit = scope_unit(consent.person)
    with transaction.atomic():
        authorize(by, Right.EDIT_PEOPLE, unit, organization=consent.person.organization)
        consent.withdrawn_at = timezone.now()
        consent.save(update_fields=["withdrawn_at"])
        write_audit_record(
            by=by,
            action="consent.withdraw",
            target=consent,
            organization=consent.person.organization,
            unit=unit,
        )
    return consent


def add_course(
    *,
    organization: Organization,
    code: str,
    title: str,
    by: Actor,
    valid_months: int | None = None,
    programme: Programme | None = None,
    sessions: tuple[int, int] | None = None,
    marked_by: str = "",
    prerequisite: Course | None = None,
) -> Course:
    """Declare a course of the organization's member education (its administrators only).

    `code` is what the constitution's `education_share` indicators name (letters, digits, '-'
    and '_', at most 40), unique in the organization; `valid_months` (1 to 600, or None: for
    good) dates each completion's expiry. The completion rule: `sessions` (k, n) completes it by
    attending k of its n sessions; `marked_by` names the officer post whose holders alone mark
    it; `prerequisite` is a course of the same organization completed first. Refused (409)
    naming the field otherwise."""
    code, title, marked_by = code.strip(), normal_text(title), marked_by.strip()
    if not is_course_code(code):
        raise ActionRefused("code: letters, digits, '-' and '_' only, e.g. 'basics-1'", field="code")
    if not title:
        raise ActionRefused("title: say what the course is called", field="title")
    refuse_overlong("title", title, 200)
    if valid_months is not None and not 1 <= valid_months <= 600:
        raise ActionRefused(
            "valid_months: from 1 to 600, or none for a completion valid for good", field="valid_months"
        )
    if sessions is not None and not 1 <= sessions[0] <= sessions[1] <= 100:
        raise ActionRefused("sessions: attend k of n sessions, 1 <= k <= n <= 100, e.g. 3 of 4", field="sessions")
    if marked_by and marked_by not in organization.constitution.officer_posts:
        known = ", ".join(organization.constitution.officer_posts)
        raise ActionRefused(f"marked_by: '{marked_by}' is not an officer post ({known})", field="marked_by")
    for name, related in (("programme", programme), ("prerequisite", prerequisite)):
        if related is not None and related.organization_id != organization.pk:
            raise ActionRefused(f"{name}: no {name} '{related.code}' in {organization.slug}", field=name)
    with transaction.atomic():
        authorize(by, Right.MANAGE_UNITS, organization=organization)
        if Course.objects.filter(organization=organization, code=code).exists():
            raise ActionRefused(f"code: {organization.slug} already has a course '{code}'", field="code")
        required, total = sessions or (None, None)
        course = Course.objects.create(
            organization=organization,
            code=code,
            title=title,
            valid_months=valid_months,
            programme=programme,
            sessions_required=required,
            sessions_total=total,
            marked_by=marked_by,
            prerequisite=prerequisite,
        )
        write_audit_record(
            by=by,
            action="course.add",
            target=course,
            organization=organization,
            changes={
                "code": [None, code],
                "title": [None, title],
                "valid_months": [None, valid_months],
                "programme": [None, programme.code if programme else None],
                "sessions": [None, f"{required} of {total}" if sessions else None],
                "marked_by": [None, marked_by or None],
                "prerequisite": [None, prerequisite.code if prerequisite else None],
            },
        )
    return course


def add_programme(*, organization: Organization, code: str, title: str, by: Actor) -> Programme:
    """Declare a programme grouping courses (its administrators only): a code unique in the
    organization (letters, digits, '-', '_') and a title; refused (409) naming the field."""
    code, title = code.strip(), normal_text(title)
    if not is_course_code(code):
        raise ActionRefused("code: letters, digits, '-' and '_' only, e.g. 'foundations'", field="code")
    if not title:
        raise ActionRefused("title: say what the programme is called", field="title")
    refuse_overlong("title", title, 200)
    with transaction.atomic():
        authorize(by, Right.MANAGE_UNITS, organization=organization)
        if Programme.objects.filter(organization=organization, code=code).exists():
            raise ActionRefused(f"code: {organization.slug} already has a programme '{code}'", field="code")
        programme = Programme.objects.create(organization=organization, code=code, title=title)
        write_audit_record(
            by=by,
            action="programme.add",
            target=programme,
            organization=organization,
            changes={"code": [None, code], "title": [None, title]},
        )
    return programme


def holds_course(person_id: int, course: Course, on: dt.date) -> bool:
    """Whether the person holds a completion of the course on `on` (completed, not yet expired)."""
    return (
        CourseCompletion.objects.filter(person_id=person_id, course=course, completed_on__lte=on)
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gt=on))
        .exists()
    )


def _check_course_rule(*, person: Person, course: Course, day: dt.date, how: str, by: Actor) -> None:
    """The course's completion rule for a completion recorded by hand: its prerequisite held on
    the day (imported history excepted) and, when marked, the actor holding the post that marks it
    over the person's unit on the day (the installation's operator excepted)."""
    prerequisite = course.prerequisite
    if how != CourseCompletion.How.IMPORTED and prerequisite and not holds_course(person.pk, prerequisite, day):
        raise ActionRefused(
            f"course: {course.code} needs {prerequisite.code} completed first (not held on {day})", field="course"
        )
    if how == CourseCompletion.How.MARKED and course.marked_by and not is_operator(by):
        person_id = grants_for(by, person.organization_id).person_id
        posts = OfficerPost.objects.filter(person_id=person_id, post=course.marked_by, start__lte=day).filter(
            Q(end__isnull=True) | Q(end__gte=day)
        )
        paths = posts.values_list("unit__path", flat=True) if person_id else []
        if not any(person.unit_path.startswith(path) for path in paths):
            raise ActionRefused(
                f"how: {course.code} is marked by the {course.marked_by} of the person's unit (or one above it) only",
                field="how",
            )


def record_completion(
    *,
    person: Person,
    course: Course,
    by: Actor,
    on: dt.date | None = None,
    how: str = CourseCompletion.How.MARKED,
) -> CourseCompletion:
    """Record that the person completed the course on `on` (default today; not in the future),
    and how (`CourseCompletion.How`); its expiry follows from the course's validity. Needs the
    right to change the person's records where they are; a second completion of the same course
    on the same day, a course of another organization or an erased person is refused (409)."""
    day = _day(on)
    if how not in CourseCompletion.How.values:
        raise ActionRefused(f"how: one of {', '.join(CourseCompletion.How.values)}", field="how")
    if person.erased_at is not None:
        raise ActionRefused(f"person {person.pk} is erased")
    if course.organization_id != person.organization_id:
        raise ActionRefused(f"course: no course '{course.code}' in this organization", field="course")
    expires = months_later(day, course.valid_months) if course.valid_months else None
    unit = scope_unit(person)
    with transaction.atomic():
        authorize(by, Right.EDIT_PEOPLE, unit, organization=person.organization)
        _check_course_rule(person=person, course=course, day=day, how=how, by=by)
        if CourseCompletion.objects.filter(person=person, course=course, completed_on=day).exists():
            raise ActionRefused(f"on: person {person.pk} already completed {course.code} on {day}", field="on")
        completion = CourseCompletion.objects.create(
            person=person, course=course, completed_on=day, how=how, expires_on=expires
        )
        write_audit_record(
            by=by,
            action="course.complete",
            target=completion,
            organization=person.organization,
            unit=unit,
            changes={"course": [None, course.code], "completed_on": [None, day.isoformat()], "how": [None, how]},
        )
    return completion


ERASED_NAME = "Erased person {pk}"


def erase_person(*, person: Person, by: Actor) -> Person:
    """Anonymize a person for good: names and contacts go, memberships stay as anonymous periods.

    Counts and history stay true, and so does who this person recruited (the recruiter is now
    anonymous). Only an organization administrator may erase, and it cannot be undone. Audit
    records that named the person are relabelled and their values about the person removed,
    since they would otherwise keep what was erased: the records about the person and their
    memberships, and the records of the officer posts they held (which name the holders).
    """
    with transaction.atomic():
        authorize(by, Right.EDIT_PEOPLE, organization=person.organization)
        person.refresh_from_db(from_queryset=Person.objects.select_for_update())
        if person.erased_at is not None:
            raise ActionRefused(f"person {person.pk} is already erased")
        old_name = person.name
        anonymous = ERASED_NAME.format(pk=person.pk)
        person.name, person.email, person.phone, person.address = anonymous, "", "", ""
        person.recruiter = None
        person.erased_at = timezone.now()
        _keep_search_keys(person)
        person.save(
            update_fields=["name", "email", "phone", "address", "search_key", "family_key", "recruiter", "erased_at"]
        )
        person.consents.all().delete()
        memberships = [str(pk) for pk in person.memberships.values_list("pk", flat=True)]
        AuditRecord.objects.filter(target_type="people.person", target_id=str(person.pk)).update(
            target_label=anonymous, changes={}
        )
        AuditRecord.objects.filter(target_type="people.membership", target_id__in=memberships).update(
            target_label=anonymous
        )
        _unname_in_post_records(person, old_name, anonymous)
        for account in person.accounts.select_related("user"):
            _erase_account(account)
        write_audit_record(by=by, action="person.erase", target=person, organization=person.organization)
    return person


def _erase_account(account) -> None:
    """Close the erased person's place in this organization, and nothing beyond it.

    The account of this organization goes, and this organization's trail no longer names them
    by email. The user itself (their sign-in) is closed (renamed, deactivated, no password) only
    when it has no account in another organization: erasure in one organization changes nothing
    in another, neither its accounts nor the wording of its audit trail.
    """
    from grassroots.accounts.models import Account

    user, old = account.user, account.user.get_username()
    new = f"erased-user-{user.pk}"
    elsewhere = Account.objects.filter(user=user).exclude(organization_id=account.organization_id).exists()
    here = Q(organization_id=account.organization_id)
    if not elsewhere:
        user.username, user.email, user.is_active = new, "", False
        user.set_unusable_password()
        user.save(update_fields=["username", "email", "is_active", "password"])
        here |= Q(organization__isnull=True)  # their sign-ins, which belong to no organization
    records = AuditRecord.objects.filter(here)
    records.filter(actor_label=old).update(actor_label=new)
    records.filter(target_label=old).update(target_label=new)
    AuditRecord.objects.filter(target_type="accounts.account", target_id=str(account.pk)).update(
        target_label=new, changes={}
    )
    account.delete()


def _unname_in_post_records(person: Person, name: str, anonymous: str) -> None:
    """Replace the person's name in the audit records of every holding of the posts they held.

    Appointing someone records the previous holder's name and the new one's, so the records of
    the holdings before and after theirs name them too. A post's holdings are few: one UPDATE
    per record that names them.
    """
    held = OfficerPost.objects.filter(person=person).values_list("unit_id", "post").distinct()
    if not held:
        return
    same_posts = Q(pk__in=[])
    for unit_id, post in held:
        same_posts |= Q(unit_id=unit_id, post=post)
    holdings = [str(pk) for pk in OfficerPost.objects.filter(same_posts).values_list("pk", flat=True)]
    records = AuditRecord.objects.filter(target_type="organizations.officerpost", target_id__in=holdings)
    for pk, changes in records.values_list("pk", "changes"):
        unnamed = {key: [anonymous if value == name else value for value in pair] for key, pair in changes.items()}
        if unnamed != changes:
            AuditRecord.objects.filter(pk=pk).update(changes=unnamed)


def _units_of(person: Person) -> list[Unit]:
    """Every unit the person has been a member or an officer of."""
    member_of = Membership.objects.filter(person=person).values("unit_id")
    officer_of = OfficerPost.objects.filter(person=person).values("unit_id")
    return list(Unit.objects.filter(Q(pk__in=member_of) | Q(pk__in=officer_of)).order_by("path"))


def _unit_ref(unit: Unit, by: Actor) -> dict[str, str] | None:
    """A unit as the record names it: null when the actor may not see it (`access.indirect`)."""
    return {"slug": unit.slug, "name": unit.name} if visible_unit(by, unit) is not None else None


def _day_text(day: dt.date | dt.datetime | None) -> str | None:
    return day.isoformat() if day is not None else None


def _person_record(person: Person, by: Actor) -> dict[str, Any]:
    """Everything held about one person, as plain JSON values; the related records (recruiter,
    recruits, units of meetings) only as far as the actor may see them (`access.indirect`)."""
    from grassroots.accounts.models import Account
    from grassroots.meetings.models import Meeting

    memberships = person.memberships.select_related("unit").prefetch_related("status_changes").order_by("start", "id")
    posts = OfficerPost.objects.filter(person=person).select_related("unit").order_by("start", "id")
    meetings = (
        Meeting.objects.filter(attendance__person=person, attendance__status="present")
        .select_related("unit__organization")
        .order_by("start", "id")
    )
    consents = person.consents.order_by("given_at", "id")
    completions = person.completions.select_related("course").order_by("completed_on", "id")
    targets = {
        "people.person": [str(person.pk)],
        "people.membership": [str(m.pk) for m in memberships],
        "people.consent": [str(pk) for pk in consents.values_list("pk", flat=True)],
        "people.coursecompletion": [str(c.pk) for c in completions],
        "people.completiondeclaration": [str(pk) for pk in person.declarations.values_list("pk", flat=True)],
        "organizations.officerpost": [str(pk) for pk in posts.values_list("pk", flat=True)],
    }
    about = Q(pk__in=[])
    for target_type, ids in targets.items():
        about |= Q(target_type=target_type, target_id__in=ids)
    records = AuditRecord.objects.filter(about, organization=person.organization).order_by("at", "id")
    shown = ExpressionWrapper(actor_seen(by, person.organization), BooleanField())
    records = records.annotate(actor_shown=shown)
    recruiter = visible_person(by, person.recruiter)
    recruits = person.recruits.order_by("pk").only("pk", "organization_id", "unit_path")
    return {
        "organization": {"slug": person.organization.slug, "name": person.organization.name},
        "person": {
            "id": person.pk,
            "name": person.name,
            "email": person.email,
            "phone": person.phone,
            "address": person.address,
            "created_at": _day_text(person.created_at),
            "erased_at": _day_text(person.erased_at),
        },
        "recruiter": {"id": recruiter.pk, "name": recruiter.name} if recruiter else None,
        "recruits": [recruit.pk for recruit in recruits if visible_person(by, recruit) is not None],
        "memberships": [
            {
                "id": membership.pk,
                "unit": _unit_ref(membership.unit, by),
                "status": membership.status,
                "start": _day_text(membership.start),
                "end": _day_text(membership.end),
                "status_changes": [
                    {"on": _day_text(change.on), "old": change.old, "new": change.new}
                    for change in membership.status_changes.all()
                ],
            }
            for membership in memberships
        ],
        "officer_posts": [
            {
                "id": holding.pk,
                "unit": _unit_ref(holding.unit, by),
                "post": holding.post,
                "start": _day_text(holding.start),
                "end": _day_text(holding.end),
            }
            for holding in posts
        ],
        "meetings_attended": [
            {"id": meeting.pk, "unit": _unit_ref(meeting.unit, by), "on": _day_text(meeting.on), "kind": meeting.kind}
            for meeting in meetings
        ],
        "consents": [
            {
                "id": consent.pk,
                "purpose": consent.purpose,
                "policy_version": consent.policy_version,
                "given_at": _day_text(consent.given_at),
                "withdrawn_at": _day_text(consent.withdrawn_at),
            }
            for consent in consents
        ],
        "course_completions": [
            {
                "course": completion.course.code,
                "completed_on": _day_text(completion.completed_on),
                "how": completion.how,
                "expires_on": _day_text(completion.expires_on),
            }
            for completion in completions
        ],
        "course_declarations": [
            {
                "course": declaration.course.code,
                "completed_on": _day_text(declaration.completed_on),
                "declared_at": _day_text(declaration.declared_at),
                "accepted": declaration.accepted,
                "review_reason": declaration.review_reason,
            }
            for declaration in person.declarations.select_related("course").order_by("declared_at", "id")
        ],
        "accounts": [
            {"username": username, "administrator": is_admin, "created_at": _day_text(created_at)}
            for username, is_admin, created_at in Account.objects.filter(person=person)
            .order_by("pk")
            .values_list("user__username", "is_admin", "created_at")
        ],
        "audit_records": [
            {
                "action": record.action,
                "at": _day_text(record.at),
                "actor": shown_actor(record),
                "target_type": record.target_type,
                "changes": shown_changes(by, record.organization_id, record.changes),
            }
            for record in records
        ],
    }


def export_person_record(*, person: Person, by: Actor) -> dict[str, Any]:
    """Everything the organization holds about one person, for their subject access request.

    Person fields, recruiter, recruits, memberships with status changes, officer posts, meetings
    attended, consents, course completions, accounts, and the audit records about them. The export must be whole,
    so the actor needs import_export, and view_lineage (it names the recruiter), over every unit
    the person has been a member or an officer of; a person with no unit needs an administrator.
    It is a read, but it is audited as "person.export" with how many items of each kind went
    out, never their values.
    """
    with transaction.atomic():
        units = _units_of(person)
        if not units:
            authorize(by, Right.IMPORT_EXPORT, organization=person.organization)
        for unit in units:
            authorize(by, Right.IMPORT_EXPORT, unit)
            authorize(by, Right.VIEW_LINEAGE, unit)
        record = _person_record(person, by)
        write_audit_record(
            by=by,
            action="person.export",
            target=person,
            organization=person.organization,
            unit=scope_unit(person),
            changes={key: [None, len(value)] for key, value in record.items() if isinstance(value, list)},
        )
    return record
