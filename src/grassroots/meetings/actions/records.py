"""Agenda, decisions and minutes of a meeting: each an action with its audit record."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from grassroots.audit.actions import Actor, actor_label, write_audit_record
from grassroots.errors import ActionRefused, refuse_overlong
from grassroots.people.models import Person

from ..models import AgendaItem, Decision, Meeting, Minutes
from ..selectors import quorum_of
from .meetings import _check_people_visible, _locked, _set_status


def add_agenda_item(
    *, meeting: Meeting, title: str, by: Actor, parent: AgendaItem | None = None, carried_from: AgendaItem | None = None
) -> AgendaItem:
    """Add an item at the end of a meeting's agenda, or a sub-item under an item (one level only)."""
    title = title.strip()
    if not title:
        raise ActionRefused("title: an agenda item needs a title", field="title")
    refuse_overlong("title", title, 300)
    with transaction.atomic():
        meeting = _locked(meeting, by)
        if parent is not None and (parent.meeting_id != meeting.pk or parent.parent_id is not None):
            raise ActionRefused("parent: a sub-item goes under a top-level item of the same meeting", field="parent")
        last = AgendaItem.objects.filter(meeting=meeting).order_by("-position").values_list("position", flat=True)
        item = AgendaItem.objects.create(
            meeting=meeting, parent=parent, position=(last.first() or 0) + 1, title=title, carried_from=carried_from
        )
        write_audit_record(
            by=by,
            action="meeting.agenda",
            target=meeting,
            organization=meeting.unit.organization,
            unit=meeting.unit,
            changes={"agenda_item": [None, title]},
        )
    return item


def close_agenda_item(*, item: AgendaItem, by: Actor) -> AgendaItem:
    """Mark an agenda item dealt with; an item left open is offered for the next meeting."""
    with transaction.atomic():
        _locked(item.meeting, by)
        item.is_open = False
        item.save(update_fields=["is_open"])
        write_audit_record(
            by=by,
            action="meeting.agenda",
            target=item.meeting,
            organization=item.meeting.unit.organization,
            unit=item.meeting.unit,
            changes={"closed": [item.title, None]},
        )
    return item


def record_decision(
    *,
    meeting: Meeting,
    text: str,
    outcome: str,
    by: Actor,
    yes: int | None = None,
    no: int | None = None,
    abstain: int | None = None,
    agenda_item: AgendaItem | None = None,
    responsible: Person | None = None,
    due: dt.date | None = None,
) -> Decision:
    """Record a decision of a meeting that has started, with the quorum as it stands now: the
    members present and the number the constitution requires are stored on it, and a decision
    taken without quorum is flagged (recorded, not refused: the minutes must say what happened)."""
    text = text.strip()
    if not text:
        raise ActionRefused("text: a decision needs its text", field="text")
    refuse_overlong("text", text, 5000)
    if outcome not in Decision.Outcome.values:
        raise ActionRefused(f"outcome: '{outcome}' is not one of {', '.join(Decision.Outcome.values)}", field="outcome")
    for name, value in (("yes", yes), ("no", no), ("abstain", abstain)):
        if value is not None and value < 0:
            raise ActionRefused(f"{name}: a count of votes is not negative", field=name)
    with transaction.atomic():
        meeting = _locked(meeting, by)
        if meeting.status == Meeting.Status.CANCELLED or meeting.start > timezone.now():
            raise ActionRefused("decisions are recorded at a meeting that has started and is not cancelled")
        if agenda_item is not None and agenda_item.meeting_id != meeting.pk:
            raise ActionRefused("agenda_item: not an item of this meeting", field="agenda_item")
        if responsible is not None:
            _check_people_visible(by, meeting, [responsible])
        present, required = quorum_of(meeting)
        votes = sum(v or 0 for v in (yes, no, abstain))
        if votes > present and present:
            raise ActionRefused(f"the votes ({votes}) are more than the members present ({present})", field="yes")
        decision = Decision.objects.create(
            meeting=meeting,
            agenda_item=agenda_item,
            text=text,
            outcome=outcome,
            yes=yes,
            no=no,
            abstain=abstain,
            responsible=responsible,
            due=due,
            present=present,
            required=required,
            quorate=present >= required,
        )
        if agenda_item is not None and outcome != Decision.Outcome.DEFERRED and agenda_item.is_open:
            # Carried or failed, the item is dealt with; deferred, it stays open for the next meeting.
            agenda_item.is_open = False
            agenda_item.save(update_fields=["is_open"])
        write_audit_record(
            by=by,
            action="meeting.decide",
            target=meeting,
            organization=meeting.unit.organization,
            unit=meeting.unit,
            changes={
                "decision": [None, decision.pk],
                "outcome": [None, outcome],
                "quorum": [None, f"{present} present, {required} required"],
                **({"agenda_item": [None, agenda_item.title]} if agenda_item else {}),
                **({"responsible": [None, responsible.pk]} if responsible else {}),
                **({"due": [None, due.isoformat()]} if due else {}),
            },
        )
    return decision


def write_minutes(*, meeting: Meeting, text: str, by: Actor) -> Minutes:
    """Write a new draft version of a meeting's minutes; approved minutes are not rewritten."""
    text = text.strip()
    if not text:
        raise ActionRefused("text: the minutes are empty", field="text")
    refuse_overlong("text", text, 100_000)
    with transaction.atomic():
        meeting = _locked(meeting, by)
        if meeting.status != Meeting.Status.HELD:
            raise ActionRefused(f"minutes are written for a held meeting; this one is {meeting.get_status_display()}")
        latest = Minutes.objects.filter(meeting=meeting).order_by("-version").first()
        minutes = Minutes.objects.create(
            meeting=meeting, version=(latest.version + 1) if latest else 1, text=text, written_by=actor_label(by)
        )
        write_audit_record(
            by=by,
            action="meeting.minutes",
            target=meeting,
            organization=meeting.unit.organization,
            unit=meeting.unit,
            changes={"minutes_version": [latest.version if latest else None, minutes.version]},
        )
    return minutes


def approve_minutes(*, minutes: Minutes, decision: Decision, by: Actor) -> Minutes:
    """Approve a meeting's latest minutes by a carried decision of a later meeting of the same unit;
    the meeting's status becomes minutes approved."""
    with transaction.atomic():
        meeting = _locked(minutes.meeting, by)
        later = decision.meeting
        if later.unit_id != meeting.unit_id or later.start <= meeting.start:
            raise ActionRefused("minutes are approved by a decision of a later meeting of the same unit")
        if decision.outcome != Decision.Outcome.CARRIED:
            raise ActionRefused(f"the decision {decision.outcome}; only a carried decision approves minutes")
        latest = Minutes.objects.filter(meeting=meeting).order_by("-version").first()
        if latest is None or latest.pk != minutes.pk:
            raise ActionRefused("only the latest version of the minutes is approved")
        if minutes.status == Minutes.Status.APPROVED:
            raise ActionRefused("these minutes are approved already")
        minutes.status = Minutes.Status.APPROVED
        minutes.approved_by = decision
        minutes.save(update_fields=["status", "approved_by"])
        held = [Meeting.Status.HELD]
        _set_status(meeting, Meeting.Status.APPROVED, allowed_from=held, by=by, action="meeting.approve")
    return minutes


def approve_minutes_at(
    *,
    minutes: Minutes,
    at: Meeting,
    by: Actor,
    yes: int | None = None,
    no: int | None = None,
    abstain: int | None = None,
) -> Minutes:
    """Approve a meeting's latest minutes at a later meeting of its unit: a carried decision of
    that meeting (with its quorum) approves them, all in one transaction."""
    earlier = minutes.meeting
    with transaction.atomic():
        decision = record_decision(
            meeting=at,
            text=f"The minutes of {earlier.title} of {earlier.on} (version {minutes.version}) are approved.",
            outcome=Decision.Outcome.CARRIED,
            yes=yes,
            no=no,
            abstain=abstain,
            by=by,
        )
        return approve_minutes(minutes=minutes, decision=decision, by=by)
