"""Reordering a meeting's agenda: an item moves among its siblings (the top-level items, or the
sub-items of one item), with its audit record."""

from __future__ import annotations

from django.db import transaction

from grassroots.audit.actions import Actor, write_audit_record
from grassroots.errors import ActionRefused

from ..models import AgendaItem
from .meetings import _locked


def move_agenda_item(*, item: AgendaItem, position: int, by: Actor) -> AgendaItem:
    """Move an agenda item to `position` (1 is first) among its siblings: the top-level items for
    an item, the other sub-items of its item for a sub-item (its sub-items go with it). The
    siblings keep the positions they had between them, so nothing else moves."""
    with transaction.atomic():
        meeting = _locked(item.meeting, by)
        siblings = list(
            AgendaItem.objects.select_for_update()
            .filter(meeting=meeting, parent_id=item.parent_id)
            .order_by("position", "id")
        )
        current = next((sibling for sibling in siblings if sibling.pk == item.pk), None)
        if current is None:
            raise ActionRefused(f"item: no agenda item {item.pk} in this meeting", field="item")
        if not 1 <= position <= len(siblings):
            where = "sub-items of its item" if item.parent_id else "items"
            raise ActionRefused(
                f"position: {position} is not between 1 and {len(siblings)} (the {where})", field="position"
            )
        before = siblings.index(current) + 1
        if before == position:
            return current
        slots = [sibling.position for sibling in siblings]
        siblings.remove(current)
        siblings.insert(position - 1, current)
        for slot, sibling in zip(slots, siblings, strict=True):
            sibling.position = slot
        AgendaItem.objects.bulk_update(siblings, ["position"])
        write_audit_record(
            by=by,
            action="meeting.agenda.move",
            target=meeting,
            organization=meeting.unit.organization,
            unit=meeting.unit,
            changes={"agenda_item": [None, current.title], "position": [before, position]},
        )
    return current
