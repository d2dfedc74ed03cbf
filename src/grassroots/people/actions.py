"""Changes to people and memberships. Each checks its rule, writes, and audits in one transaction."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from grassroots.audit.actions import Actor, write_audit_record
from grassroots.errors import ActionRefused
from grassroots.organizations.models import Organization, Unit, UnitState

from .models import Membership, Person, StatusChange


def _day(on: dt.date | None) -> dt.date:
    day = on or timezone.localdate()
    if day > timezone.localdate():
        raise ActionRefused(f"date {day} is in the future", field="on")
    return day


def add_person(
    *,
    organization: Organization,
    name: str,
    by: Actor,
    email: str = "",
    phone: str = "",
    address: str = "",
    recruiter: Person | None = None,
) -> Person:
    """Record a person; only the name is required. The recruiter must be of the same organization."""
    name, email, phone = name.strip(), email.strip().lower(), phone.strip()
    if not name:
        raise ActionRefused("name: a person needs a name", field="name")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ActionRefused(f"email: '{email}' is not a valid email address", field="email") from None
    if recruiter is not None and recruiter.organization_id != organization.pk:
        raise ActionRefused("recruiter: belongs to another organization", field="recruiter")
    with transaction.atomic():
        person = Person.objects.create(
            organization=organization,
            name=name,
            email=email,
            phone=phone,
            address=address.strip(),
            recruiter=recruiter,
        )
        write_audit_record(
            by=by,
            action="person.add",
            target=person,
            organization=organization,
            changes={"name": [None, name], "recruiter": [None, recruiter.pk if recruiter else None]},
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
            unit.refresh_from_db(from_queryset=Unit.objects.select_for_update())
            _check_basic_unit(person, unit, allow_planned=allow_planned)
            current = Membership.objects.current().filter(person=person).select_related("unit").first()
            if current is not None:
                raise ActionRefused(f"{person.name} is already a member of {current.unit.name}; transfer them instead")
            membership = Membership.objects.create(person=person, unit=unit, status=status, start=on)
            write_audit_record(
                by=by,
                action="membership.join",
                target=membership,
                organization=unit.organization,
                changes={"unit": [None, unit.slug], "status": [None, status], "start": [None, on.isoformat()]},
            )
    except IntegrityError:
        # Another request gave this person a current membership between our check and insert.
        raise ActionRefused(f"{person.name} already has a current membership") from None
    return membership


def _current_membership(person: Person) -> Membership:
    membership = Membership.objects.select_for_update().current().filter(person=person).select_related("unit").first()
    if membership is None:
        raise ActionRefused(f"{person.name} has no current membership")
    return membership


def transfer_member(*, person: Person, to_unit: Unit, by: Actor, on: dt.date | None = None) -> Membership:
    """End the person's current membership and start the next in another basic unit on the same day."""
    on = _day(on)
    try:
        with transaction.atomic():
            to_unit.refresh_from_db(from_queryset=Unit.objects.select_for_update())
            _check_basic_unit(person, to_unit)
            old = _current_membership(person)
            if old.unit_id == to_unit.pk:
                raise ActionRefused(f"{person.name} is already a member of {to_unit.name}", field="unit")
            if on < old.start:
                raise ActionRefused(f"date {on} is before the current membership began on {old.start}", field="on")
            old.end = on
            old.save(update_fields=["end"])
            new = Membership.objects.create(person=person, unit=to_unit, status=old.status, start=on)
            write_audit_record(
                by=by,
                action="membership.transfer",
                target=new,
                organization=to_unit.organization,
                changes={"unit": [old.unit.slug, to_unit.slug], "on": [None, on.isoformat()]},
            )
    except IntegrityError:
        raise ActionRefused(f"{person.name}'s membership changed meanwhile; try again") from None
    return new


def change_status(*, person: Person, status: str, by: Actor, on: dt.date | None = None) -> Membership:
    """Change the status of the current membership, only along a transition the constitution allows."""
    on = _day(on)
    constitution = person.organization.constitution
    with transaction.atomic():
        membership = _current_membership(person)
        old = membership.status
        if not constitution.may_change_status(old, status):
            allowed = ", ".join(constitution.member_statuses.transitions.get(old, [])) or "none"
            raise ActionRefused(
                f"status: cannot go from {old} to {status} (allowed from {old}: {allowed})", field="status"
            )
        last = membership.status_changes.order_by("-on").values_list("on", flat=True).first() or membership.start
        if on < last:
            raise ActionRefused(f"date {on} is before the last status change on {last}", field="on")
        membership.status = status
        membership.save(update_fields=["status"])
        StatusChange.objects.create(membership=membership, on=on, old=old, new=status)
        write_audit_record(
            by=by,
            action="membership.status",
            target=membership,
            organization=person.organization,
            changes={"status": [old, status], "on": [None, on.isoformat()]},
        )
    return membership


def end_membership(*, person: Person, by: Actor, on: dt.date | None = None, status: str | None = None) -> Membership:
    """End the current membership on a day, optionally with a final status the constitution allows."""
    on = _day(on)
    with transaction.atomic():
        if status is not None:
            change_status(person=person, status=status, by=by, on=on)
        membership = _current_membership(person)
        if on < membership.start:
            raise ActionRefused(f"date {on} is before the membership began on {membership.start}", field="on")
        membership.end = on
        membership.save(update_fields=["end"])
        write_audit_record(
            by=by,
            action="membership.end",
            target=membership,
            organization=person.organization,
            changes={"end": [None, on.isoformat()]},
        )
    return membership
