"""Placeholder (deleted at merge) of the credentials work's `selectors.entitled` and
`selectors.delegate_of`, with their signatures: the seated delegates as the voting engine's
voters, and the signed-in user's own delegate row."""

from __future__ import annotations

from grassroots.access.grants import grants_for

from .models import Conference, Delegate
from .voting import Voter


def entitled(conference: Conference) -> list[Voter]:
    """The seated delegates of `conference` (credential seated), in delegation order: id the
    delegate's pk as text, their weight and presence, their delegation's pk as text, and
    `may_split` False for a delegation's chair. One query."""
    rows = (
        Delegate.objects.filter(conference=conference, credential=Delegate.Credential.SEATED)
        .order_by("delegation_id", "role", "rank")
        .values_list("pk", "weight", "present", "delegation_id", "person_id", "delegation__chair_id")
    )
    return [
        Voter(id=str(pk), weight=weight, present=present, delegation=str(delegation), may_split=person != chair)
        for pk, weight, present, delegation, person, chair in rows
    ]


def delegate_of(user, conference: Conference) -> Delegate | None:
    """The user's own delegate row in `conference` (by the person they are in its organization)."""
    person_id = grants_for(user, conference.organization_id).person_id
    if person_id is None:
        return None
    return Delegate.objects.filter(conference=conference, person_id=person_id).select_related("delegation").first()
