"""REST endpoints for meetings: a unit's meetings (scoped like units), a meeting with its agenda,
decisions and minutes, its attendance (scoped like people), and the writes on them. A refusal is
a 409 naming the field; anything unknown or out of scope is a 404."""

from typing import Any

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import File, Path, Router, Status
from ninja.files import UploadedFile

from grassroots.access import Right, authorize
from grassroots.api.pagination import paginated
from grassroots.api.schemas import (
    NO_NUL,
    QUERY_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    ErrorOut,
    InvalidOut,
    IsoDate,
    RefusalOut,
)
from grassroots.directives import actions as directive_actions
from grassroots.directives import selectors as directive_selectors
from grassroots.errors import ActionRefused
from grassroots.organizations.selectors import organization_for, unit_for
from grassroots.people.selectors import people_by_ids, person_for

from . import actions, selectors
from .hostlink import short_name
from .models import Attendance, Meeting, MeetingSeries
from .qr import registration_svg
from .schemas import (
    AgendaItemIn,
    AgendaMoveIn,
    ApproveMinutesIn,
    AttendanceIn,
    AttendanceOut,
    CounterOut,
    DecisionIn,
    DecisionOut,
    HostDoneOut,
    HostListOut,
    HostScanIn,
    HostTapIn,
    HostWalkInIn,
    MeetingChangeIn,
    MeetingDetailOut,
    MeetingIn,
    MeetingOut,
    MinutesIn,
    PlannedOut,
    RegistrationOut,
    SeriesChangeIn,
    SeriesOut,
    SheetOut,
    StandingOut,
)
from .sheets import import_attendance_upload
from .times import parse_local

router = Router(tags=["meetings"])
# The host's check-in at the door: the signed host link in the path is the authority (no sign-in),
# valid in its window and until it is regenerated or revoked, reaching its own meeting only.
host_router = Router(tags=["check-in"], auth=None)


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
    latest = meeting.minutes_versions.select_related("approved_by").order_by("-version").first()
    return {
        **_out(request, meeting, selectors.counts_of(meeting)),
        "guests": selectors.guests_of(meeting),
        "agenda": [_item(i) for i in meeting.agenda.order_by("position")],
        "offered": [_item(i) for i in selectors.open_items_before(meeting)],
        "decisions": list(meeting.decisions.order_by("id")),
        "minutes": {
            "version": latest.version,
            "status": latest.status,
            "text": latest.text,
            "approved_by": latest.approved_by_id,
            "approved_at": latest.approved_by.meeting_id if latest.approved_by else None,
        }
        if latest
        else None,
    }


def _item(item) -> dict:
    return {
        "id": item.pk,
        "parent": item.parent_id,
        "position": item.position,
        "title": item.title,
        "is_open": item.is_open,
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
    return _attendance_out(selectors.attendance_of(request.auth, meeting))


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
    return _attendance_out(rows)


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
    data = payload.dict()
    if data["agenda_item"] is not None:
        item = meeting.agenda.filter(pk=data["agenda_item"]).first()
        if item is None:
            raise ActionRefused(
                f"agenda_item: no agenda item {data['agenda_item']} in this meeting", field="agenda_item"
            )
        data["agenda_item"] = item
    if data["responsible"] is not None:
        found = people_by_ids(request.auth, meeting.unit.organization, [data["responsible"]])
        if not found:
            raise ActionRefused(f"responsible: no person with id {data['responsible']}", field="responsible")
        data["responsible"] = found[data["responsible"]]
    directive, status, reason = data.pop("directive"), data.pop("assignment_status"), data.pop("reason")
    if directive is None:
        if status is not None:
            raise ActionRefused("directive: name the directive whose assignment is marked", field="directive")
        return Status(201, actions.record_decision(meeting=meeting, by=request.auth, **data))
    assignment = directive_selectors.open_assignments_of(meeting.unit).filter(directive_id=directive).first()
    if assignment is None:
        raise ActionRefused(
            f"directive: {meeting.unit.name} has no open assignment of directive {directive}", field="directive"
        )
    if data.pop("outcome") != "carried":
        raise ActionRefused("outcome: only a carried decision marks an assignment", field="outcome")
    decision = directive_actions.decide_assignment(
        meeting=meeting, assignment=assignment, status=status or "", reason=reason, by=request.auth, **data
    )
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
    carried = None
    if payload.carried_from:
        carried = next((i for i in selectors.open_items_before(meeting) if i.pk == payload.carried_from), None)
        if carried is None:
            raise ActionRefused(
                f"carried_from: item {payload.carried_from} is not open at the last meeting", field="carried_from"
            )
    actions.add_agenda_item(meeting=meeting, title=payload.title, parent=parent, carried_from=carried, by=request.auth)
    return Status(201, get_meeting(request, org_slug, meeting_id))


@router.post(
    "/{org_slug}/meetings/{meeting_id}/minutes", response={201: MeetingDetailOut, **WRITE_ERRORS}, summary="Minutes"
)
def write_minutes(request: Caller, org_slug: str, meeting_id: int, payload: MinutesIn):
    """Write a new draft version of the minutes of a held meeting."""
    meeting = _meeting(request, org_slug, meeting_id)
    actions.write_minutes(meeting=meeting, text=payload.text, by=request.auth)
    return Status(201, get_meeting(request, org_slug, meeting_id))


def _attendance_out(rows) -> list[dict]:
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


@router.post(
    "/{org_slug}/meetings/{meeting_id}/attendance/sheet",
    response={200: SheetOut, **WRITE_ERRORS},
    summary="Attendance sheet",
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {"additionalProperties": False, "properties": {"file": {"minLength": 1}}}
                }
            }
        }
    },
)
def record_attendance_sheet(request: Caller, org_slug: str, meeting_id: int, file: File[UploadedFile]):
    """An attendance sheet as a CSV or XLSX file (read like a member file): a column `id` or
    `email` naming each person and an optional `status` (present when empty). A row naming
    someone the caller may not see or outside the meeting's unit refuses the whole sheet (409,
    every such row with its line); otherwise every row is recorded, method import."""
    meeting = _meeting(request, org_slug, meeting_id)
    result = import_attendance_upload(meeting=meeting, upload=file, by=request.auth)
    return {"rows": result.rows, "changed": _attendance_out(result.changed)}


@router.post(
    "/{org_slug}/meetings/{meeting_id}/registration",
    response={201: RegistrationOut, **WRITE_ERRORS},
    summary="Register",
)
def register_for_meeting(request: Caller, org_slug: str, meeting_id: int):
    """The caller registers for an upcoming meeting of their unit and gets a one-time check-in code
    (again the same code when already registered)."""
    meeting = _meeting(request, org_slug, meeting_id)
    code = actions.register_self(meeting=meeting, by=request.auth)
    return Status(201, {"code": code, "svg": registration_svg(code)})


@router.post(
    "/{org_slug}/meetings/{meeting_id}/check-in",
    response={200: AttendanceOut, **WRITE_ERRORS},
    summary="Check in",
)
def check_in_to_meeting(request: Caller, org_slug: str, meeting_id: int):
    """The caller checks themselves in (self check-in), from two hours before the start to the
    end; a second check-in is refused ("already checked in") and records nothing."""
    meeting = _meeting(request, org_slug, meeting_id)
    row = actions.check_in_self(meeting=meeting, by=request.auth)
    return _attendance_out([row])[0]


@router.post(
    "/{org_slug}/meetings/{meeting_id}/minutes/approve",
    response={201: MeetingDetailOut, **WRITE_ERRORS},
    summary="Approve minutes",
)
def approve_minutes(request: Caller, org_slug: str, meeting_id: int, payload: ApproveMinutesIn):
    """At this meeting, approve the latest minutes of an earlier meeting of the same unit
    (`minutes_of`) by a carried decision of this meeting; answers the earlier meeting."""
    meeting = _meeting(request, org_slug, meeting_id)
    authorize(request.auth, Right.MANAGE_UNITS, meeting.unit)
    earlier = _meeting(request, org_slug, payload.minutes_of)
    minutes = earlier.minutes_versions.order_by("-version").first()
    if minutes is None:
        raise ActionRefused(f"minutes_of: meeting {earlier.pk} has no minutes", field="minutes_of")
    actions.approve_minutes_at(
        minutes=minutes, at=meeting, by=request.auth, yes=payload.yes, no=payload.no, abstain=payload.abstain
    )
    return Status(201, get_meeting(request, org_slug, earlier.pk))


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


HostToken = Path(..., max_length=500, pattern=NO_NUL, description="The host link's token (its last part).")
HOST_ERRORS = {404: ErrorOut}
HOST_WRITE_ERRORS = {404: ErrorOut, 409: RefusalOut, 422: InvalidOut}


def _hosted(token: str) -> Meeting:
    meeting = selectors.meeting_by_host_token(token)
    if meeting is None:
        raise Http404("no such check-in")
    return meeting


def _counter(meeting: Meeting, rows: list[Attendance] | None = None) -> dict:
    rows = selectors.host_list(meeting) if rows is None else rows
    return {
        "present": sum(1 for row in rows if row.status == Attendance.Status.PRESENT),
        "expected": len(rows),
        "guests": sum(1 for row in rows if row.guest and row.status == Attendance.Status.PRESENT) + meeting.walk_ins,
    }


def _host_person(row: Attendance) -> dict:
    return {"person": row.person_id, "name": short_name(row.person.name), "status": row.status, "guest": row.guest}


@host_router.get("/{token}", response={200: HostListOut, **HOST_ERRORS, 422: InvalidOut}, summary="Check-in list")
def host_checkin_list(request: HttpRequest, token: str = HostToken):
    """The meeting's expected list by first name and initial, and the counter. 404 for a link that
    is unknown, regenerated, revoked or outside its window."""
    meeting = _hosted(token)
    rows = selectors.host_list(meeting)
    return {
        "meeting": meeting.pk,
        "title": meeting.title,
        "unit": meeting.unit.name,
        "start": meeting.local_start.isoformat(),
        "people": [_host_person(row) for row in rows],
        **_counter(meeting, rows),
    }


@host_router.get("/{token}/counter", response={200: CounterOut, **HOST_ERRORS, 422: InvalidOut}, summary="Counter")
def host_checkin_counter(request: HttpRequest, token: str = HostToken):
    """Present of expected, and guests."""
    return _counter(_hosted(token))


def _host_row(meeting: Meeting, person_id: int) -> Attendance:
    row = meeting.attendance.filter(person_id=person_id).select_related("person").first()
    if row is None:
        raise ActionRefused(f"person: {person_id} is not on this meeting's list", field="person")
    return row


def _done(meeting: Meeting, person_id: int | None) -> dict:
    row = meeting.attendance.filter(person_id=person_id).select_related("person").first() if person_id else None
    meeting.refresh_from_db(fields=["walk_ins"])
    return {**_counter(meeting), "person": _host_person(row) if row else None}


@host_router.post("/{token}/tap", response={200: HostDoneOut, **HOST_WRITE_ERRORS}, summary="Tap present")
def host_checkin_tap(request: HttpRequest, payload: HostTapIn, token: str = HostToken):
    """Mark someone on the list present (host check-in); one already present is left as is."""
    meeting = _hosted(token)
    actions.tap(meeting=meeting, person_id=_host_row(meeting, payload.person).person_id, present=True)
    return _done(meeting, payload.person)


@host_router.post("/{token}/undo", response={200: HostDoneOut, **HOST_WRITE_ERRORS}, summary="Undo a tap")
def host_checkin_undo(request: HttpRequest, payload: HostTapIn, token: str = HostToken):
    """Undo a tap: the person is back to invited."""
    meeting = _hosted(token)
    actions.tap(meeting=meeting, person_id=_host_row(meeting, payload.person).person_id, present=False)
    return _done(meeting, payload.person)


@host_router.post("/{token}/walk-in", response={200: HostDoneOut, **HOST_WRITE_ERRORS}, summary="Walk-in")
def host_checkin_walk_in(request: HttpRequest, payload: HostWalkInIn, token: str = HostToken):
    """Someone not on the list: with `consent`, recorded as a supporter of the unit and present
    (never a member by it); without, only counted."""
    meeting = _hosted(token)
    person = actions.walk_in(meeting=meeting, name=payload.name, email=payload.email, consent=payload.consent)
    return _done(meeting, person.pk if person else None)


@host_router.post("/{token}/scan", response={200: HostDoneOut, **HOST_WRITE_ERRORS}, summary="Scan a code")
def host_checkin_scan(request: HttpRequest, payload: HostScanIn, token: str = HostToken):
    """A registration's one-time code: present (QR scan). A second scan is refused (409, "already
    checked in") and records nothing."""
    meeting = _hosted(token)
    row = actions.scan(meeting=meeting, code=payload.code)
    return _done(meeting, row.person_id)
