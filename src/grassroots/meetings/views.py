"""Meeting pages: a unit's meetings, a meeting (agenda, attendance, decisions, minutes) with the
forms that change it, the user's calendar feed addresses, and the feeds themselves."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from html import escape

from django import forms
from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_POST

from grassroots.access import OutOfScope, Right, grants_for, is_operator
from grassroots.directives import actions as directive_actions
from grassroots.directives import selectors as directive_selectors
from grassroots.education.actions import link_session
from grassroots.education.selectors import courses_of
from grassroots.errors import ActionRefused
from grassroots.ids import is_row_id
from grassroots.organizations.models import Organization, Unit
from grassroots.organizations.selectors import may, organization_for, unit_for
from grassroots.web import fields_html, refusal_message, run_step

from . import actions, selectors
from .feeds import KeptEvents, calendar_of
from .forms import (
    AgendaItemForm,
    AgendaMoveForm,
    ApproveMinutesForm,
    AttendanceGridForm,
    DecisionForm,
    FeedForm,
    MeetingEditForm,
    MeetingForm,
    MinutesForm,
    SeriesForm,
    SessionCourseForm,
    SheetFileForm,
    WalkInForm,
)
from .hostlink import short_name
from .models import Attendance, FeedToken, Meeting
from .qr import registration_svg
from .selectors import agenda_items
from .sheets import import_attendance_upload

RECENT_PAST = 20


def _user(request: HttpRequest) -> AbstractBaseUser:
    """The signed-in user (every page here but the feeds asks for a sign-in; the anonymous user
    of a feed request is never an actor)."""
    return request.user  # type: ignore[return-value]


def _meeting(request: HttpRequest, org: str, pk: int) -> tuple[Organization, Meeting]:
    organization = organization_for(_user(request), org)
    return organization, selectors.meeting_for(_user(request), organization, pk)


@login_required
def unit_meetings(request: HttpRequest, org: str, unit: str) -> HttpResponse:
    """A unit's meetings, upcoming then past, and (for whoever manages it) the form to plan one."""
    organization = organization_for(_user(request), org)
    target = unit_for(_user(request), organization, unit)
    may_manage = may(_user(request), Right.MANAGE_UNITS, target)
    form = MeetingForm(request.POST or None, constitution=organization.constitution) if may_manage else None
    if request.method == "POST":
        _managers_only(request, target)
        if form is not None and form.is_valid():
            data = dict(form.cleaned_data)
            repeat = data.pop("repeat")
            try:
                if repeat:
                    actions.schedule_series(unit=target, rule=repeat, by=_user(request), **data)
                else:
                    actions.schedule_meeting(unit=target, by=_user(request), **data)
            except ActionRefused as refusal:
                form.refuse(refusal)
            else:
                messages.success(request, f"Planned: {data['title']}.")
                return redirect("unit_meetings", org=organization.slug, unit=target.slug)
    now = timezone.now()
    meetings = selectors.meetings_of_unit(_user(request), target)
    context = {
        "organization": organization,
        "unit": target,
        "upcoming": _listed(meetings.filter(start__gte=now)[:RECENT_PAST], organization),
        "past": _listed(meetings.filter(start__lt=now).order_by("-start", "-id")[:RECENT_PAST], organization),
        "series": list(selectors.series_of_unit(_user(request), target)),
        "form": form,
        "plan_fields": _plan_fields(form) if form is not None else "",
        "zone": target.meeting_time_zone,
    }
    return render(request, "meetings/unit_meetings.html", context)


def _listed(meetings: QuerySet[Meeting], organization: Organization) -> SafeString:
    """The rows of a list of meetings (`_meeting_rows.html`): when (local, as the `timezone` and
    `date` filters write it), the title linked to the meeting's page, status, present / expected.
    Written here: a template row with its filters and reversed address was most of the list's
    time. Only the columns shown are read (not each row's unit and organization)."""
    page = reverse("meeting", args=[organization.slug, 0]).removesuffix("0/")
    rows = meetings.select_related(None).only("id", "title", "start", "time_zone", "status")
    html = "".join(
        "<tr>"
        f"<td>{escape(dateformat.format(meeting.start.astimezone(meeting.zone), 'D j M Y, H:i'))}</td>"
        f'<th scope="row"><a href="{escape(page)}{meeting.pk:d}/">{escape(meeting.title)}</a></th>'
        f"<td>{escape(meeting.get_status_display())}</td>"
        f"<td>{meeting.present:d} / {meeting.expected:d}</td>"  # type: ignore[attr-defined]
        "</tr>"
        for meeting in rows
    )
    return mark_safe(html or '<tr><td colspan="4">None.</td></tr>')  # noqa: S308 (every value escaped)


_BLANK_PLAN_FIELDS: dict[tuple, SafeString] = {}


def _plan_fields(form: MeetingForm) -> SafeString:
    """The fields of the form that plans a meeting. Unposted, they are the same for every unit
    of an organization with the same kinds of meeting: written once per process (fourteen
    widget and label templates were a third of the meetings page's time)."""
    if form.is_bound:
        return render_to_string("meetings/_form_fields.html", {"form": form})
    kinds = tuple(form.fields["kind"].choices)  # type: ignore[attr-defined]
    if kinds not in _BLANK_PLAN_FIELDS:
        if len(_BLANK_PLAN_FIELDS) >= 64:
            _BLANK_PLAN_FIELDS.clear()
        _BLANK_PLAN_FIELDS[kinds] = render_to_string("meetings/_form_fields.html", {"form": form})
    return _BLANK_PLAN_FIELDS[kinds]


@login_required
def meeting_page(request: HttpRequest, org: str, meeting: int) -> HttpResponse:
    """A meeting: when and where, its agenda, attendance (as far as the user may see people),
    decisions and minutes; forms for whoever manages the unit."""
    organization, target = _meeting(request, org, meeting)
    unit = target.unit
    may_manage = may(_user(request), Right.MANAGE_UNITS, unit)
    # What the page shows of each row and its person, as plain rows (a person row holds much
    # more, and 400 model objects were a sixth of the page's time).
    shown = ("person_id", "person__name", "status", "method", "guest", "code")
    attendance = [SheetRow(*row) for row in selectors.attendance_of(_user(request), target).values_list(*shown)]
    agenda = selectors.agenda_of(target)
    counts, guests = selectors.counts_and_guests_of(target)
    mine = selectors.registration_of(_user(request), target, attendance)
    own = selectors.own_row(_user(request), target, attendance)
    now = timezone.now()
    # Decisions (and the approval of minutes, a decision) are recorded at a meeting that has
    # started and is not cancelled: before, no decision form is offered, it could only be refused.
    deciding = may_manage and target.status != "cancelled" and target.start <= now
    approvable = (
        [
            (m.pk, f"{m.meeting.title}, {m.meeting.on} (version {m.version})")
            for m in selectors.minutes_to_approve(target)
        ]
        if deciding
        else []
    )
    context = {
        "my_code_svg": mark_safe(registration_svg(mine.code)) if mine and mine.code else "",  # noqa: S308
        "organization": organization,
        "unit": unit,
        "meeting": target,
        "place": target.place
        if target.place_visibility == "members" or selectors.sees_hidden_places(_user(request), unit)
        else "",
        "agenda": agenda,
        "offered": selectors.open_items_before(target) if may_manage else [],
        "open_assignments": list(
            directive_selectors.open_assignments_at(target, now=now).select_related("directive__unit")[:50]
        )
        if may_manage
        else [],
        "attendance": attendance,
        "counts": counts,
        "decisions": list(target.decisions.select_related("agenda_item", "responsible").order_by("id")),
        "minutes": list(target.minutes_versions.select_related("approved_by__meeting").order_by("-version")[:1]),
        "may_manage": may_manage,
        "sheet": _sheet_rows(attendance, editable=may_manage),
        "sheet_form": SheetFileForm() if may_manage else None,
        "deciding": deciding,
        "decision_form": DecisionForm(
            items=[(item.pk, item.title) for item in agenda_items(agenda)],
            people=[(row.person_id, row.name) for row in attendance],
        )
        if deciding
        else None,
        "approve_form": ApproveMinutesForm(minutes=approvable) if may_manage and approvable else None,
        "guests": guests,
        "own": own,
        "may_register": own is not None
        and target.status == "planned"
        and now < target.end
        and own.status not in ("registered", "present"),
        "may_check_in": own is not None
        and target.status == "planned"
        and target.start - actions.CHECK_IN_OPENS <= now <= target.end
        and own.status != "present",
        "agenda_form": AgendaItemForm(items=[(item.pk, item.title) for item in agenda]) if may_manage else None,
        "minutes_form": MinutesForm() if may_manage else None,
        "session_course": target.course if target.kind == Meeting.Kind.EDUCATION and target.course_id else None,
        "course_form": SessionCourseForm(
            auto_id="course-%s",
            courses=courses_of(organization.pk),
            initial={"course": target.course.code if target.course else None},
        )
        if may_manage and target.kind == Meeting.Kind.EDUCATION
        else None,
    }
    # The forms' fields; the labels and the widgets whose choices are not this meeting's are
    # written once per process (web.fields_html).
    for name, live, wrap in (
        ("agenda", ("parent",), "{}"),
        ("sheet", (), "<p>{}</p>"),
        ("decision", ("agenda_item", "responsible"), "<p>{}</p>"),
        ("approve", ("minutes",), "<p>{}</p>"),
        ("minutes", (), "{}"),
    ):
        form = context[f"{name}_form"]
        if isinstance(form, forms.Form):
            context[f"{name}_fields"] = fields_html(form, live=live, wrap=wrap)
    return render(request, "meetings/meeting.html", context)


@dataclass(frozen=True, slots=True)
class SheetRow:
    """One row of a meeting's attendance as its page shows it."""

    person_id: int
    name: str
    status: str
    method: str
    guest: bool
    code: str | None


def _sheet_rows(attendance: list[SheetRow], *, editable: bool) -> SafeString:
    """The attendance table's rows, written here rather than by the template (200 rows, each with
    a select of five statuses, were most of the page's time): for whoever manages the unit each
    row's status is a select named `status_<person id>` (the sheet `meeting_attend` reads).
    Escaped as Django's `escape` does (`html.escape`), without its wrapping per value."""
    method = {value: escape(label) for value, label in Attendance.Method.choices}
    if not editable:
        return mark_safe(  # noqa: S308 (every value escaped)
            "".join(
                f'<tr><th scope="row">{escape(row.name)}{" (guest)" if row.guest else ""}</th>'
                f"<td>{escape(row.status)}</td><td>{method.get(row.method, escape(row.method))}</td></tr>"
                for row in attendance
            )
        )
    choices = {
        status: "".join(
            f'<option value="{escape(value)}"{" selected" if value == status else ""}>{escape(label)}</option>'
            for value, label in Attendance.Status.choices
        )
        for status in Attendance.Status.values
    }
    return mark_safe(  # noqa: S308 (every value escaped)
        "".join(
            f'<tr><th scope="row"><label for="id_status_{row.person_id:d}">{escape(row.name)}</label>'
            f"{' (guest)' if row.guest else ''}</th>"
            f'<td><select name="status_{row.person_id:d}" id="id_status_{row.person_id:d}">'
            f"{choices.get(row.status, '')}</select></td><td>{method.get(row.method, escape(row.method))}</td></tr>"
            for row in attendance
        )
    )


def _managers_only(request: HttpRequest, unit: Unit) -> None:
    """A change to a meeting posted by someone who may see it but not manage its unit: 403, before
    the form is read (the actions check again)."""
    if not may(_user(request), Right.MANAGE_UNITS, unit):
        raise OutOfScope(f"you may not manage the meetings of {unit.name}", organization=unit.organization, unit=unit)


def _back(organization: Organization, meeting: Meeting) -> HttpResponse:
    return redirect("meeting", org=organization.slug, meeting=meeting.pk)


@login_required
@require_POST
def meeting_attend(request: HttpRequest, org: str, meeting: int) -> HttpResponse:
    """The attendance grid: every person on the list with their status, from a paper sheet
    entered afterwards (method paper)."""
    organization, target = _meeting(request, org, meeting)
    _managers_only(request, target.unit)
    rows = {row.person_id: row for row in selectors.attendance_of(_user(request), target)}
    form = AttendanceGridForm(request.POST, people=[(pk, row.person.name, row.status) for pk, row in rows.items()])
    if not form.is_valid():
        messages.error(request, form.error_message())
        return _back(organization, target)
    marks = [(rows[pk].person, status) for pk, status in form.marks() if rows[pk].status != status]
    run_step(request, actions.record_sheet, done=f"{len(marks)} changed from the sheet.", meeting=target, marks=marks)
    return _back(organization, target)


@login_required
@require_POST
def meeting_attend_file(request: HttpRequest, org: str, meeting: int) -> HttpResponse:
    """An attendance sheet as a CSV or XLSX file, read by the import machinery (method import)."""
    organization, target = _meeting(request, org, meeting)
    _managers_only(request, target.unit)
    form = SheetFileForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, form.error_message())
        return _back(organization, target)
    try:
        result = import_attendance_upload(meeting=target, upload=form.cleaned_data["file"], by=_user(request))
    except ActionRefused as refusal:
        messages.error(request, refusal_message(refusal))
    else:
        messages.success(request, f"{result.rows} rows read, {len(result.changed)} changed.")
    return _back(organization, target)


@login_required
@require_POST
def meeting_course(request: HttpRequest, org: str, meeting: int) -> HttpResponse:
    """Make an education session a session of a course of the organization (or of none); the
    attendance already recorded is credited to the course's rule."""
    organization, target = _meeting(request, org, meeting)
    _managers_only(request, target.unit)
    form = SessionCourseForm(request.POST, courses=courses_of(organization.pk))
    if not form.is_valid():
        messages.error(request, form.error_message())
        return _back(organization, target)
    course = form.cleaned_data["course"]
    done = f"The meeting is a session of {course.title}." if course else "The meeting is a session of no course."
    run_step(request, link_session, done=done, meeting=target, course=course)
    return _back(organization, target)


@login_required
@require_POST
def meeting_held(request: HttpRequest, org: str, meeting: int) -> HttpResponse:
    organization, target = _meeting(request, org, meeting)
    run_step(request, actions.mark_held, done="The meeting is recorded as held.", meeting=target)
    return _back(organization, target)


@login_required
@require_POST
def meeting_cancel(request: HttpRequest, org: str, meeting: int) -> HttpResponse:
    organization, target = _meeting(request, org, meeting)
    run_step(request, actions.cancel_meeting, done="The meeting is cancelled.", meeting=target)
    return _back(organization, target)


@login_required
@require_POST
def meeting_decide(request: HttpRequest, org: str, meeting: int) -> HttpResponse:
    organization, target = _meeting(request, org, meeting)
    _managers_only(request, target.unit)
    items = {item.pk: item for item in target.agenda.all()}
    people = {row.person_id: row.person for row in selectors.attendance_of(_user(request), target)}
    form = DecisionForm(
        request.POST,
        items=[(pk, item.title) for pk, item in items.items()],
        people=[(pk, person.name) for pk, person in people.items()],
    )
    if form.is_valid():
        data = dict(form.cleaned_data)
        data["agenda_item"] = items.get(data["agenda_item"]) if data["agenda_item"] else None
        data["responsible"] = people.get(data["responsible"]) if data["responsible"] else None
        if request.POST.get("assignment"):
            _decide_assignment(request, target, data)
        else:
            run_step(request, actions.record_decision, done="Decision recorded.", meeting=target, **data)
    else:
        messages.error(request, form.error_message())
    return _back(organization, target)


def _decide_assignment(request: HttpRequest, meeting: Meeting, data: dict) -> None:
    """A carried decision that marks one of the unit's open assignments done or declined."""
    open_ones = {str(a.pk): a for a in directive_selectors.open_assignments_of(meeting.unit)}
    assignment = open_ones.get(request.POST["assignment"])
    if assignment is None:
        messages.error(request, "assignment: not an open assignment of this unit")
        return
    data.pop("outcome")
    run_step(
        request,
        directive_actions.decide_assignment,
        done=f"Decision recorded: {assignment.directive.title} is {request.POST.get('assignment_status', '')}.",
        meeting=meeting,
        assignment=assignment,
        status=request.POST.get("assignment_status", ""),
        reason=request.POST.get("reason", ""),
        **data,
    )


@login_required
@require_POST
def meeting_agenda(request: HttpRequest, org: str, meeting: int) -> HttpResponse:
    organization, target = _meeting(request, org, meeting)
    _managers_only(request, target.unit)
    items = {item.pk: item for item in target.agenda.filter(parent__isnull=True)}
    form = AgendaItemForm(request.POST, items=[(pk, item.title) for pk, item in items.items()])
    if form.is_valid():
        parent = items.get(form.cleaned_data["parent"]) if form.cleaned_data["parent"] else None
        run_step(
            request,
            actions.add_agenda_item,
            done="Agenda item added.",
            meeting=target,
            title=form.cleaned_data["title"],
            parent=parent,
        )
    else:
        messages.error(request, form.error_message())
    return _back(organization, target)


@login_required
@require_POST
def meeting_minutes(request: HttpRequest, org: str, meeting: int) -> HttpResponse:
    organization, target = _meeting(request, org, meeting)
    _managers_only(request, target.unit)
    form = MinutesForm(request.POST)
    if form.is_valid():
        run_step(request, actions.write_minutes, done="Minutes saved as a draft.", meeting=target, **form.cleaned_data)
    else:
        messages.error(request, form.error_message())
    return _back(organization, target)


@login_required
def feeds_page(request: HttpRequest, org: str) -> HttpResponse:
    """The user's own calendar feed addresses: create one (its address is shown once), revoke one."""
    organization = organization_for(_user(request), org)
    form = FeedForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        unit: Unit | None = None
        slug = form.cleaned_data["unit"]
        try:
            if slug:
                unit = unit_for(_user(request), organization, slug)
            _, secret = actions.create_feed(
                owner=_user(request), organization=organization, scope=form.cleaned_data["scope"], unit=unit
            )
        except ActionRefused as refusal:
            form.refuse(refusal)
        else:
            created = request.build_absolute_uri(reverse("meeting_feed", args=[secret]))
    context = {
        "organization": organization,
        "feeds": list(selectors.feeds_of(_user(request), organization)),
        "form": form,
        "created": created,
    }
    return render(request, "meetings/feeds.html", context)


@login_required
@require_POST
def feed_revoke(request: HttpRequest, org: str, feed: int) -> HttpResponse:
    organization = organization_for(_user(request), org)
    target = selectors.feeds_of(_user(request), organization).filter(pk=feed).first()
    if target is None:
        raise Http404("no such feed")
    actions.revoke_feed(feed=target, by=_user(request))
    messages.success(request, "The feed address is revoked.")
    return redirect("meeting_feeds", org=organization.slug)


@require_GET
def meeting_feed(request: HttpRequest, secret: str) -> HttpResponse:
    """A calendar feed by its secret address, read with its owner's rights as they are today; an
    unknown or revoked address is 404. ETag and Last-Modified let calendar clients ask cheaply:
    both come from one aggregate of the meetings (`selectors.feed_state`), so a client asking
    again is answered 304 before any row is read, and a body once written is kept with the feed
    under its ETag (sent again by any process while nothing changed)."""
    feed = selectors.feed_by_digest(actions.feed_digest(secret))
    if feed is None:
        raise Http404("no such feed")
    owner, organization = feed.owner, feed.organization
    if feed.scope == FeedToken.Scope.MINE:
        person = selectors.person_of(owner, organization)
        if person is None:
            raise Http404("no such feed")
        meetings = selectors.feed_meetings(owner, organization, person=person)
        name = f"My meetings ({organization.name})"
    else:
        assert feed.unit is not None
        meetings = selectors.feed_meetings(
            owner, organization, unit=feed.unit, subtree=feed.scope == FeedToken.Scope.SUBTREE
        )
        name = f"{feed.unit.name}: meetings"
    slug = organization.slug
    # Each meeting page's address from one reversed address (hundreds of meetings).
    page = request.build_absolute_uri(reverse("meeting", args=[slug, 0])).removesuffix("/0/")
    state = selectors.feed_state(meetings)
    # The body follows from the meetings' state, the owner's rights (which meetings, whose
    # places), the constitution's names of the kinds, the addresses and the day (how far back):
    # their digest is the ETag, known before any row is read or any event written.
    grants = grants_for(owner, organization.pk)
    key = repr(
        (
            feed.pk,
            feed.created_at.isoformat(),
            name,
            page,
            state.key(),
            is_operator(owner),
            grants.everything,
            sorted((path, sorted(rights)) for path, rights in grants.posts),
            sorted(organization.constitution.meeting_kinds.items()),
            timezone.now().date().isoformat(),
        )
    )
    etag = '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'
    changed = max(moment for moment in (feed.created_at, state.changed, state.series_changed) if moment is not None)
    headers = {
        "ETag": etag,
        "Last-Modified": http_date(changed.timestamp()),
        "Cache-Control": "private, max-age=300",
    }
    # If-None-Match decides when given; If-Modified-Since otherwise: a 304 writes nothing.
    not_modified = get_conditional_response(request, etag=etag, last_modified=int(changed.timestamp()))
    if not_modified is not None:
        for header, value in headers.items():
            not_modified[header] = value
        return not_modified
    # The same state gives the same body: the one kept with the feed when its ETag is this one.
    body = selectors.kept_feed_body(feed, etag) if feed.kept_etag == etag else None
    if body is None:
        body = _feed_body(request, owner, slug, page, name, selectors.feed_rows(meetings, organization))
        actions.keep_feed_body(feed=feed, etag=etag, body=body)
    return HttpResponse(body, content_type="text/calendar; charset=utf-8", headers=headers)


def _feed_body(request: HttpRequest, owner, slug: str, page: str, name: str, rows: list[Meeting]) -> bytes:
    officer_of: dict[int, bool] = {}

    def officer(m) -> bool:
        # Whether the owner sees officers' places, once per unit.
        if m.unit_id not in officer_of:
            officer_of[m.unit_id] = selectors.sees_hidden_places(owner, m.unit)
        return officer_of[m.unit_id]

    kept = KeptEvents(selectors.kept_events(rows))
    body = calendar_of(
        rows,
        name=name,
        officer=officer,
        meeting_page=lambda m: f"{page}/{m.pk}/",
        series_page=lambda s: request.build_absolute_uri(reverse("meeting_series", args=[slug, s.pk])),
        kept=kept,
    )
    actions.keep_events(kept.written)
    return body


@login_required
@require_POST
def meeting_host_link(request: HttpRequest, org: str, meeting: int) -> HttpResponse:
    """Issue (or regenerate) the meeting's host check-in link; the old one ends at its next request."""
    organization, target = _meeting(request, org, meeting)
    if request.POST.get("revoke") == "yes":
        actions.revoke_host_link(meeting=target, by=_user(request))
        messages.success(request, "The host link is revoked.")
    else:
        token = actions.issue_host_link(meeting=target, by=_user(request))
        address = request.build_absolute_uri(reverse("host_page", args=[token]))
        window = "valid from two hours before the start to twelve after the end"
        messages.success(request, f"Host link ({window}): {address}")
    return _back(organization, target)


def _hosted(token: str) -> Meeting:
    meeting = selectors.meeting_by_host_token(token)
    if meeting is None:
        raise Http404("no such check-in")
    return meeting


def _host_context(token: str, meeting: Meeting) -> dict:
    rows = selectors.host_list(meeting)
    return {
        "token": token,
        "meeting": meeting,
        "rows": [(row, short_name(row.person.name)) for row in rows],
        "present": sum(1 for row in rows if row.status == "present"),
        "expected": len(rows),
        "guests": sum(1 for row in rows if row.guest and row.status == "present") + meeting.walk_ins,
    }


@require_GET
def host_page(request: HttpRequest, token: str) -> HttpResponse:
    """The host's page at the door (no sign-in: the link is the authority): that meeting's expected
    list by first name and initial, one tap to mark present or undo, walk-ins, codes, the counter."""
    meeting = _hosted(token)
    return render(request, "meetings/host.html", _host_context(token, meeting))


@require_GET
def host_counter(request: HttpRequest, token: str) -> HttpResponse:
    """The live counter (htmx polls it)."""
    meeting = _hosted(token)
    return render(request, "meetings/_host_counter.html", _host_context(token, meeting))


@require_POST
def host_tap(request: HttpRequest, token: str) -> HttpResponse:
    """One tap: the meeting from the link, then one UPDATE of the person's row and its audit record."""
    meeting = _hosted(token)
    person_id = request.POST.get("person", "")
    if not is_row_id(person_id):
        raise Http404("not on this list")
    try:
        actions.tap(meeting=meeting, person_id=int(person_id), present=request.POST.get("present") == "1")
    except ActionRefused as refusal:
        if refusal.field == "person":
            raise Http404("not on this list") from None
        messages.error(request, refusal_message(refusal))
    return redirect("host_page", token=token)


@require_POST
def host_walk_in(request: HttpRequest, token: str) -> HttpResponse:
    meeting = _hosted(token)
    form = WalkInForm(request.POST)
    if form.is_valid():
        try:
            person = actions.walk_in(meeting=meeting, **form.cleaned_data)
        except ActionRefused as refusal:
            messages.error(request, refusal_message(refusal))
        else:
            messages.success(request, f"Welcome, {short_name(person.name)}." if person else "Counted.")
    else:
        messages.error(request, form.error_message())
    return redirect("host_page", token=token)


@require_POST
def host_scan(request: HttpRequest, token: str) -> HttpResponse:
    meeting = _hosted(token)
    try:
        row = actions.scan(meeting=meeting, code=request.POST.get("code", "")[:100])
    except ActionRefused as refusal:
        messages.error(request, refusal_message(refusal))
    else:
        messages.success(request, f"{short_name(row.person.name)} is checked in.")
    return redirect("host_page", token=token)


@login_required
@require_POST
def meeting_register(request: HttpRequest, org: str, meeting: int) -> HttpResponse:
    """A member registers for a meeting and gets a one-time check-in code (its QR code is on the page)."""
    organization, target = _meeting(request, org, meeting)
    run_step(
        request, actions.register_self, done="You are registered: show the code below at the door.", meeting=target
    )
    return _back(organization, target)


@login_required
@require_POST
def meeting_check_in(request: HttpRequest, org: str, meeting: int) -> HttpResponse:
    """A member checks themselves in (self check-in)."""
    organization, target = _meeting(request, org, meeting)
    run_step(request, actions.check_in_self, done="You are checked in.", meeting=target)
    return _back(organization, target)


@login_required
@require_POST
def meeting_approve_minutes(request: HttpRequest, org: str, meeting: int) -> HttpResponse:
    """At this meeting: approve the latest minutes of an earlier meeting by a carried decision."""
    organization, target = _meeting(request, org, meeting)
    _managers_only(request, target.unit)
    candidates = {m.pk: m for m in selectors.minutes_to_approve(target)}
    form = ApproveMinutesForm(request.POST, minutes=[(pk, str(pk)) for pk in candidates])
    if form.is_valid():
        data = dict(form.cleaned_data)
        minutes = candidates[data.pop("minutes")]
        run_step(
            request, actions.approve_minutes_at, done="The minutes are approved.", minutes=minutes, at=target, **data
        )
    else:
        messages.error(request, form.error_message())
    return _back(organization, target)


@login_required
@require_POST
def meeting_agenda_carry(request: HttpRequest, org: str, meeting: int) -> HttpResponse:
    """Put an item still open at the unit's last meeting on this meeting's agenda."""
    organization, target = _meeting(request, org, meeting)
    _managers_only(request, target.unit)
    offered = {str(item.pk): item for item in selectors.open_items_before(target)}
    item = offered.get(request.POST.get("item", ""))
    if item is None:
        messages.error(request, "item: not an item still open at the last meeting")
        return _back(organization, target)
    run_step(
        request,
        actions.add_agenda_item,
        done="Agenda item carried over.",
        meeting=target,
        title=item.title,
        carried_from=item,
    )
    return _back(organization, target)


@login_required
def meeting_edit(request: HttpRequest, org: str, meeting: int) -> HttpResponse:
    """Change a planned meeting's time, place or title (for whoever manages the unit). A change of
    time or place raises its calendar sequence; an occurrence of a series keeps its change."""
    organization, target = _meeting(request, org, meeting)
    _managers_only(request, target.unit)
    initial = {
        "title": target.title,
        "start": target.local_start.replace(tzinfo=None),
        "duration": target.duration,
        "place": target.place,
        "place_visibility": target.place_visibility,
        "online_link": target.online_link,
    }
    form = MeetingEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.reschedule_meeting(meeting=target, by=_user(request), **form.cleaned_data)
        except ActionRefused as refusal:
            form.refuse(refusal)
        else:
            messages.success(request, "The meeting is changed.")
            return _back(organization, target)
    context = {"organization": organization, "unit": target.unit, "meeting": target, "form": form}
    return render(request, "meetings/meeting_edit.html", context)


@login_required
def series_page(request: HttpRequest, org: str, series: int) -> HttpResponse:
    """A series: its rule, dates left out and occurrences; the editor for whoever manages the unit.
    An edit changes only the occurrences still to come, planned and not changed on their own."""
    organization = organization_for(_user(request), org)
    target = selectors.series_for(_user(request), organization, series)
    may_manage = may(_user(request), Right.MANAGE_UNITS, target.unit)
    form = None
    if may_manage:
        first = target.first_start.astimezone(target.zone).replace(tzinfo=None)
        initial = {
            "title": target.title,
            "start": first,
            "repeat": target.rule,
            "excluded": "\n".join(target.excluded),
            "duration": target.duration,
            "place": target.place,
            "place_visibility": target.place_visibility,
            "online_link": target.online_link,
        }
        form = SeriesForm(request.POST or None, initial=initial)
    if request.method == "POST":
        _managers_only(request, target.unit)
        assert form is not None
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                done = actions.edit_series(series=target, by=_user(request), rule=data.pop("repeat"), **data)
            except ActionRefused as refusal:
                form.refuse(refusal)
            else:
                messages.success(
                    request,
                    f"The series is changed: {done.followed} meeting(s) to come changed, {done.removed} removed, "
                    f"{done.cancelled} cancelled, {done.added} added; past, held and individually changed ones "
                    "stay as they were.",
                )
                return redirect("meeting_series", org=organization.slug, series=target.pk)
    now = timezone.now()
    occurrences = selectors.occurrences_of(target)
    hidden = target.place_visibility == "officers" and not selectors.sees_hidden_places(_user(request), target.unit)
    context = {
        "organization": organization,
        "unit": target.unit,
        "series": target,
        "place": "" if hidden else target.place,
        "upcoming": _listed(occurrences.filter(start__gte=now)[:RECENT_PAST], organization),
        "past": _listed(occurrences.filter(start__lt=now).order_by("-start", "-id")[:RECENT_PAST], organization),
        "form": form,
    }
    return render(request, "meetings/series.html", context)


@login_required
@require_POST
def meeting_agenda_move(request: HttpRequest, org: str, meeting: int, item: int) -> HttpResponse:
    """Move an agenda item up or down among its siblings (buttons post its new position)."""
    organization, target = _meeting(request, org, meeting)
    _managers_only(request, target.unit)
    agenda_item = selectors.agenda_item_for(target, item)
    form = AgendaMoveForm(request.POST)
    if form.is_valid():
        run_step(request, actions.move_agenda_item, done="Agenda reordered.", item=agenda_item, **form.cleaned_data)
    else:
        messages.error(request, form.error_message())
    return _back(organization, target)
