"""REST endpoints for meetings: a unit's meetings (scoped like units), a meeting with its agenda,
decisions and minutes, its attendance (scoped like people), and the writes on them. A refusal is
a 409 naming the field; anything unknown or out of scope is a 404."""

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status

from grassroots.api.pagination import paginated
from grassroots.api.schemas import QUERY_ERRORS, READ_ERRORS, WRITE_ERRORS, IsoDate
from grassroots.errors import ActionRefused
from grassroots.organizations.selectors import organization_for, unit_for
from grassroots.people.selectors import people_by_ids, person_for

from . import actions, selectors
from .models import Meeting, MeetingSeries
from .schemas import (
    AgendaItemIn,
    AgendaMoveIn,
    AttendanceIn,
    AttendanceOut,
    DecisionIn,
    DecisionOut,
    MeetingChangeIn,
    MeetingDetailOut,
    MeetingIn,
    MeetingOut,
    MinutesIn,
    PlannedOut,
    SeriesChangeIn,
    SeriesOut,
    StandingOut,
)
from .times import parse_local

router = Router(tags=["meetings"])


class Caller(HttpRequest):
    """A request as the API's authentication leaves it: `auth` is the user of the session or token."""

    auth: Any


def _meeting(request: Caller, org_slug: str, meeting_id: int) -> Meeting:
    return selectors.meeting_for(request.auth, organization_for(request.auth, org_slug), meeting_id)


def _out(request: Caller, meeting: Meeting, counts: dict[str, int] | None = None) -> dict:
    counts = counts or {"present": getattr(meeting, "present", 0), "expected": getattr(meeting, "expected", 0)}
    hidden = meeting.place_visibility == "officers" and not selectors.sees_hidden_places(request.auth, meeting.unit)
    return {
        "id": meeting.pk,
        "uid": str(meeting.uid),
        "unit": meeting.unit.slug,
        "title": meeting.title,
        "kind": meeting.kind,
        "start": meeting.local_start.isoformat(),
        "time_zone": meeting.time_zone,
        "duration": meeting.duration,
        "place": "" if hidden else meeting.place,
        "status": meeting.status,
        "sequence": meeting.sequence,
        "series_id": meeting.series_id,
        **counts,
    }


@router.get(
    "/{org_slug}/units/{unit_slug}/meetings", response={200: list[MeetingOut], **QUERY_ERRORS}, summary="Meetings"
)
@paginated
def list_meetings(
    request: Caller, org_slug: str, unit_slug: str, since: IsoDate | None = None, until: IsoDate | None = None
):
    """A unit's meetings by start, from `since` to `until` (days where they are held), each with
    how many were present of those expected."""
    unit = unit_for(request.auth, organization_for(request.auth, org_slug), unit_slug)
    return selectors.meetings_of_unit(request.auth, unit, since=since, until=until)


@router.post(
    "/{org_slug}/units/{unit_slug}/meetings", response={201: PlannedOut, **WRITE_ERRORS}, summary="Plan a meeting"
)
def plan_meeting(request: Caller, org_slug: str, unit_slug: str, payload: MeetingIn):
    """Plan a meeting at a local start in the unit's time zone (or `time_zone`); with `repeat` (an
    RRULE) and `exclude` (dates), a series whose meetings in the window are created at once."""
    unit = unit_for(request.auth, organization_for(request.auth, org_slug), unit_slug)
    details = {
        "unit": unit,
        "title": payload.title,
        "start": parse_local(payload.start),
        "time_zone": payload.time_zone,
        "kind": payload.kind,
        "duration": payload.duration,
        "place": payload.place,
        "place_visibility": payload.place_visibility,
        "by": request.auth,
    }
    if payload.repeat is None:
        if payload.exclude:
            raise ActionRefused("exclude: only a series (repeat) has excluded dates", field="exclude")
        meeting = actions.schedule_meeting(**details)
        return Status(201, {"id": meeting.pk, "series": None})
    series = actions.schedule_series(**details, rule=payload.repeat, excluded=payload.exclude)
    first = series.occurrences.order_by("start").first()
    return Status(201, {"id": first.pk if first else None, "series": series.pk})


@router.get("/{org_slug}/meetings/{meeting_id}", response={200: MeetingDetailOut, **READ_ERRORS}, summary="Meeting")
def get_meeting(request: Caller, org_slug: str, meeting_id: int):
    """A meeting with its agenda, decisions (with their quorum) and latest minutes."""
    meeting = _meeting(request, org_slug, meeting_id)
    latest = meeting.minutes_versions.order_by("-version").first()
    return {
        **_out(request, meeting, selectors.counts_of(meeting)),
        "agenda": [
            {"id": i.pk, "parent": i.parent_id, "position": i.position, "title": i.title, "is_open": i.is_open}
            for i in meeting.agenda.order_by("position")
        ],
        "decisions": list(meeting.decisions.order_by("id")),
        "minutes": {"version": latest.version, "status": latest.status, "text": latest.text} if latest else None,
    }


@router.get(
    "/{org_slug}/meetings/{meeting_id}/attendance",
    response={200: list[AttendanceOut], **QUERY_ERRORS},
    summary="Attendance",
)
@paginated
def list_attendance(request: Caller, org_slug: str, meeting_id: int):
    """Who was asked, came or sent apologies: only the people the caller may see (personal data)."""
    meeting = _meeting(request, org_slug, meeting_id)
    return [
        {
            "person": row.person_id,
            "name": row.person.name,
            "status": row.status,
            "method": row.method,
            "guest": row.guest,
            "arrived_at": row.arrived_at,
        }
        for row in selectors.attendance_of(request.auth, meeting)
    ]


@router.post(
    "/{org_slug}/meetings/{meeting_id}/attendance",
    response={200: list[AttendanceOut], **WRITE_ERRORS},
    summary="Record attendance",
)
def record_attendance(request: Caller, org_slug: str, meeting_id: int, payload: AttendanceIn):
    """Record people's attendance (one row per person; one already so is left alone). People the
    caller may not see are refused by id, all named at once."""
    meeting = _meeting(request, org_slug, meeting_id)
    found = people_by_ids(request.auth, meeting.unit.organization, payload.people)
    unknown = [str(pk) for pk in payload.people if pk not in found]
    if unknown:
        raise ActionRefused(f"people: no person with id {', '.join(unknown)}", field="people")
    rows = actions.record_attendance(
        meeting=meeting,
        people=[found[pk] for pk in payload.people],
        status=payload.status,
        method=payload.method,
        by=request.auth,
    )
    return [
        {
            "person": row.person_id,
            "name": row.person.name,
            "status": row.status,
            "method": row.method,
            "guest": row.guest,
            "arrived_at": row.arrived_at,
        }
        for row in rows
    ]


@router.post("/{org_slug}/meetings/{meeting_id}/held", response={200: MeetingOut, **WRITE_ERRORS}, summary="Held")
def hold_meeting(request: Caller, org_slug: str, meeting_id: int):
    """Record that the meeting took place; those invited who did not come are absent."""
    meeting = actions.mark_held(meeting=_meeting(request, org_slug, meeting_id), by=request.auth)
    return _out(request, meeting, selectors.counts_of(meeting))


@router.post("/{org_slug}/meetings/{meeting_id}/cancel", response={200: MeetingOut, **WRITE_ERRORS}, summary="Cancel")
def cancel_meeting(request: Caller, org_slug: str, meeting_id: int):
    """Cancel a planned meeting (it stays, cancelled, so calendars learn of it)."""
    meeting = actions.cancel_meeting(meeting=_meeting(request, org_slug, meeting_id), by=request.auth)
    return _out(request, meeting, selectors.counts_of(meeting))


@router.post(
    "/{org_slug}/meetings/{meeting_id}/decisions", response={201: DecisionOut, **WRITE_ERRORS}, summary="Decide"
)
def record_decision(request: Caller, org_slug: str, meeting_id: int, payload: DecisionIn):
    """Record a decision with the quorum as it stands (stored on it; flagged when without quorum)."""
    meeting = _meeting(request, org_slug, meeting_id)
    decision = actions.record_decision(meeting=meeting, by=request.auth, **payload.dict())
    return Status(201, decision)


@router.post(
    "/{org_slug}/meetings/{meeting_id}/agenda", response={201: MeetingDetailOut, **WRITE_ERRORS}, summary="Agenda item"
)
def add_agenda_item(request: Caller, org_slug: str, meeting_id: int, payload: AgendaItemIn):
    """Add an agenda item at the end, or a sub-item under a top-level item (`parent`)."""
    meeting = _meeting(request, org_slug, meeting_id)
    parent = meeting.agenda.filter(pk=payload.parent).first() if payload.parent else None
    if payload.parent and parent is None:
        raise ActionRefused(f"parent: no agenda item {payload.parent} in this meeting", field="parent")
    actions.add_agenda_item(meeting=meeting, title=payload.title, parent=parent, by=request.auth)
    return Status(201, get_meeting(request, org_slug, meeting_id))


@router.post(
    "/{org_slug}/meetings/{meeting_id}/minutes", response={201: MeetingDetailOut, **WRITE_ERRORS}, summary="Minutes"
)
def write_minutes(request: Caller, org_slug: str, meeting_id: int, payload: MinutesIn):
    """Write a new draft version of the minutes of a held meeting."""
    meeting = _meeting(request, org_slug, meeting_id)
    actions.write_minutes(meeting=meeting, text=payload.text, by=request.auth)
    return Status(201, get_meeting(request, org_slug, meeting_id))


@router.get("/{org_slug}/people/{person_id}/standing", response={200: StandingOut, **QUERY_ERRORS}, summary="Standing")
def get_standing(request: Caller, org_slug: str, person_id: int, on: IsoDate | None = None):
    """A person's standing on a day (today by default), by the constitution's standing rule."""
    person = person_for(request.auth, organization_for(request.auth, org_slug), person_id)
    result = selectors.standing_of(person, on=on or timezone.localdate())
    return {"person": person.pk, **result.as_dict()}


@router.post(
    "/{org_slug}/meetings/{meeting_id}/edit", response={200: MeetingOut, **WRITE_ERRORS}, summary="Change a meeting"
)
def edit_meeting(request: Caller, org_slug: str, meeting_id: int, payload: MeetingChangeIn):
    """Change a planned meeting's time (a local start), duration, place, online link or title; a
    change of time or place raises its `sequence`. An occurrence of a series keeps its change."""
    meeting = _meeting(request, org_slug, meeting_id)
    changes = payload.dict(exclude_none=True)
    if "start" in changes:
        changes["start"] = parse_local(changes["start"])
    meeting = actions.reschedule_meeting(meeting=meeting, by=request.auth, **changes)
    return _out(request, meeting, selectors.counts_of(meeting))


def _series_out(request: Caller, series: MeetingSeries) -> dict:
    hidden = series.place_visibility == "officers" and not selectors.sees_hidden_places(request.auth, series.unit)
    upcoming = selectors.occurrences_of(series).filter(start__gte=timezone.now())
    return {
        "id": series.pk,
        "uid": str(series.uid),
        "unit": series.unit.slug,
        "title": series.title,
        "kind": series.kind,
        "start": series.first_start.astimezone(series.zone).isoformat(),
        "time_zone": series.time_zone,
        "repeat": series.rule,
        "exclude": series.excluded,
        "duration": series.duration,
        "place": "" if hidden else series.place,
        "place_visibility": series.place_visibility,
        "sequence": series.sequence,
        "upcoming": [
            {"id": m.pk, "start": m.local_start.isoformat(), "status": m.status, "changed": m.changed} for m in upcoming
        ],
    }


@router.get("/{org_slug}/series/{series_id}", response={200: SeriesOut, **READ_ERRORS}, summary="Series")
def get_series(request: Caller, org_slug: str, series_id: int):
    """A series: its first start, rule, dates left out, and its meetings to come."""
    series = selectors.series_for(request.auth, organization_for(request.auth, org_slug), series_id)
    return _series_out(request, series)


@router.post(
    "/{org_slug}/series/{series_id}/edit", response={200: SeriesOut, **WRITE_ERRORS}, summary="Change a series"
)
def edit_series(request: Caller, org_slug: str, series_id: int, payload: SeriesChangeIn):
    """Change a series: only its meetings still to come, planned and not changed on their own,
    follow (moved, or removed when the rule no longer gives their date); past, held, cancelled and
    individually changed ones stay as they are. `exclude` is the whole list of dates left out."""
    series = selectors.series_for(request.auth, organization_for(request.auth, org_slug), series_id)
    changes = payload.dict(exclude_none=True)
    if "start" in changes:
        changes["start"] = parse_local(changes["start"])
    if "repeat" in changes:
        changes["rule"] = changes.pop("repeat")
    if "exclude" in changes:
        changes["excluded"] = changes.pop("exclude")
    done = actions.edit_series(series=series, by=request.auth, **changes)
    return _series_out(request, done.series)


@router.post(
    "/{org_slug}/meetings/{meeting_id}/agenda/{item_id}/move",
    response={200: MeetingDetailOut, **WRITE_ERRORS},
    summary="Move an agenda item",
)
def move_agenda_item(request: Caller, org_slug: str, meeting_id: int, item_id: int, payload: AgendaMoveIn):
    """Move an agenda item to `position` among its siblings (top-level items, or the sub-items of its item)."""
    meeting = _meeting(request, org_slug, meeting_id)
    item = selectors.agenda_item_for(meeting, item_id)
    actions.move_agenda_item(item=item, position=payload.position, by=request.auth)
    return get_meeting(request, org_slug, meeting_id)
