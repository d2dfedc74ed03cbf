"""The command line of meetings: `grassroots meeting
add|list|edit|cancel|series|attend|decide|minutes|approve|held|ics` and `grassroots standing`."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from django.urls import reverse
from django.utils import timezone

from grassroots.cli.common import (
    JsonFlag,
    OnOption,
    OrgOption,
    Refusal,
    cli_actor,
    get_organization,
    get_person,
    get_unit,
    operator,
    out,
    parse_date,
    print_json,
)
from grassroots.directives import actions as directive_actions
from grassroots.directives import selectors as directive_selectors
from grassroots.ids import is_row_id

from .actions import (
    approve_minutes_at,
    cancel_meeting,
    edit_series,
    mark_held,
    record_attendance,
    record_decision,
    reschedule_meeting,
    schedule_meeting,
    schedule_series,
    write_minutes,
)
from .feeds import calendar_of, site_url
from .models import Attendance, Meeting, MeetingSeries
from .selectors import feed_meetings, feed_rows, meetings_of_unit, standing_of, with_counts
from .sheets import import_attendance
from .times import parse_local

meeting_app = typer.Typer(help="Meetings of units: plan, attend, decide, hold, calendar.", no_args_is_help=True)


def _meeting(ref: str) -> Meeting:
    """A meeting by its number, as the operator sees it."""
    if not is_row_id(ref):
        raise Refusal(f"no meeting '{ref}' (give its number)")
    meeting = with_counts(Meeting.objects.select_related("unit__organization")).filter(pk=ref).first()
    if meeting is None:
        raise Refusal(f"no meeting '{ref}'")
    return meeting


def _row(meeting: Meeting) -> dict[str, object]:
    return {
        "id": meeting.pk,
        "unit": meeting.unit.slug,
        "title": meeting.title,
        "kind": meeting.kind,
        "start": meeting.local_start.isoformat(),
        "status": meeting.status,
        "present": getattr(meeting, "present", 0),
        "expected": getattr(meeting, "expected", 0),
    }


@meeting_app.command("add")
def meeting_add(
    unit: str,
    title: Annotated[str, typer.Option("--title", help="What the meeting is called.")],
    start: Annotated[str, typer.Option("--start", help='Local start, "YYYY-MM-DD HH:MM".')],
    tz: Annotated[str | None, typer.Option("--tz", help="IANA time zone (default: the unit's).")] = None,
    kind: Annotated[str, typer.Option("--kind", help="regular, extraordinary, education, or the constitution's.")] = (
        "regular"
    ),
    duration: Annotated[int, typer.Option("--duration", help="Minutes.")] = 120,
    place: Annotated[str, typer.Option("--place", help="Where.")] = "",
    officers_only: Annotated[bool, typer.Option("--place-for-officers", help="Show the place to officers only.")] = (
        False
    ),
    repeat: Annotated[str | None, typer.Option("--repeat", help="RRULE, e.g. FREQ=MONTHLY;BYDAY=2TU.")] = None,
    exclude: Annotated[list[str] | None, typer.Option("--exclude", help="A date left out, YYYY-MM-DD.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Plan a meeting of a unit, or a series of them with --repeat; prints its number."""
    target = get_unit(unit)
    local = parse_local(start, field="--start")
    excluded = [parse_date(day, "--exclude") for day in exclude or []]
    details = {
        "unit": target,
        "title": title,
        "start": local,
        "time_zone": tz,
        "kind": kind,
        "duration": duration,
        "place": place,
        "place_visibility": "officers" if officers_only else "members",
        "by": cli_actor(),
    }
    if repeat is None:
        if excluded:
            raise Refusal("--exclude: only a series (--repeat) has excluded dates")
        meeting = schedule_meeting(**details)
        if as_json:
            print_json({"id": meeting.pk, "series": None})
            return
        out.print(f"Planned meeting {meeting.pk}: {meeting.title}, {meeting.local_start:%Y-%m-%d %H:%M %Z}.")
        return
    series = schedule_series(**details, rule=repeat, excluded=[day for day in excluded if day])
    first = series.occurrences.order_by("start").first()
    if as_json:
        print_json({"id": first.pk if first else None, "series": series.pk})
        return
    count = series.occurrences.count()
    out.print(f"Planned series {series.pk}: {series.title}, {series.rule}; {count} meeting(s) created ahead.")


@meeting_app.command("list")
def meeting_list(
    unit: str,
    since: Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Last day, YYYY-MM-DD.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """A unit's meetings, with how many were present of those expected."""
    target = get_unit(unit)
    first, last = parse_date(since, "--from"), parse_date(until, "--until")
    meetings = meetings_of_unit(operator(), target, since=first, until=last)
    rows = [_row(meeting) for meeting in meetings]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        out.print(f"{row['id']}\t{row['start']}\t{row['status']}\t{row['present']}/{row['expected']}\t{row['title']}")


@meeting_app.command("attend")
def meeting_attend(
    meeting: str,
    people: Annotated[list[str] | None, typer.Argument(help="People by number or email.")] = None,
    sheet: Annotated[
        Path | None,
        typer.Option("--file", help="A sheet (CSV or XLSX): a column id or email, and status.", dir_okay=False),
    ] = None,
    method: Annotated[str, typer.Option("--method", help="paper, import, host, qr or self.")] = "paper",
    status: Annotated[str, typer.Option("--status", help="present, absent, excused, registered.")] = "present",
    as_json: JsonFlag = False,
) -> None:
    """Record attendance at a meeting after the fact: the people named (a paper sheet, by
    default), or a sheet file read like a member file (method import unless --method says)."""
    target = _meeting(meeting)
    if sheet is not None:
        if people:
            raise Refusal("give people or --file, not both")
        file_method = method if method != "paper" else "import"
        result = import_attendance(meeting=target, path=sheet, method=file_method, by=cli_actor())
        if as_json:
            print_json({"rows": result.rows, "changed": len(result.changed)})
            return
        out.print(f"{result.rows} rows read from {sheet.name}, {len(result.changed)} changed at meeting {target.pk}.")
        return
    if not people:
        raise Refusal("name the people who attended, or give a sheet with --file")
    persons = [get_person(ref, organization=target.unit.organization) for ref in people]
    changed = record_attendance(meeting=target, people=persons, status=status, method=method, by=cli_actor())
    if as_json:
        print_json({"rows": len(persons), "changed": len(changed)})
        return
    out.print(f"{len(changed)} recorded {status} at meeting {target.pk} ({len(persons) - len(changed)} unchanged).")


@meeting_app.command("decide")
def meeting_decide(
    meeting: str,
    text: Annotated[str, typer.Option("--text", help="What was decided.")],
    outcome: Annotated[str, typer.Option("--outcome", help="carried, failed or deferred.")],
    yes: Annotated[int | None, typer.Option("--yes")] = None,
    no: Annotated[int | None, typer.Option("--no")] = None,
    abstain: Annotated[int | None, typer.Option("--abstain")] = None,
    item: Annotated[int | None, typer.Option("--item", help="The agenda item's number.")] = None,
    responsible: Annotated[str | None, typer.Option("--responsible", help="A person, by number or email.")] = None,
    due: Annotated[str | None, typer.Option("--due", help="Due date, YYYY-MM-DD.")] = None,
    directive: Annotated[
        int | None, typer.Option("--directive", help="Mark the unit's open assignment of this directive.")
    ] = None,
    mark: Annotated[str | None, typer.Option("--mark", help="done or declined (with --directive).")] = None,
    reason: Annotated[str, typer.Option("--reason", help="Why it is declined (default: the text).")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Record a decision of a meeting, with the quorum as it stands; with --directive and --mark,
    a carried decision that marks the unit's open assignment of that directive done or declined."""
    target = _meeting(meeting)
    agenda_item = None
    if item is not None:
        agenda_item = target.agenda.filter(pk=item).first()
        if agenda_item is None:
            raise Refusal(f"--item: no agenda item {item} in meeting {target.pk}")
    who = get_person(responsible, organization=target.unit.organization) if responsible else None
    common: dict[str, Any] = {"text": text, "yes": yes, "no": no, "abstain": abstain, "agenda_item": agenda_item,
              "responsible": who, "due": parse_date(due, "--due"), "by": cli_actor()}  # fmt: skip
    if directive is None:
        decision = record_decision(meeting=target, outcome=outcome, **common)
    else:
        assignment = directive_selectors.open_assignments_of(target.unit).filter(directive_id=directive).first()
        if assignment is None:
            raise Refusal(f"--directive: {target.unit.name} has no open assignment of directive {directive}")
        if outcome != "carried":
            raise Refusal("--outcome: only a carried decision marks an assignment")
        decision = directive_actions.decide_assignment(
            meeting=target, assignment=assignment, status=mark or "", reason=reason, **common
        )
    if as_json:
        print_json(
            {
                "id": decision.pk,
                "outcome": decision.outcome,
                "present": decision.present,
                "required": decision.required,
                "quorate": decision.quorate,
            }
        )
        return
    flag = "" if decision.quorate else " WITHOUT QUORUM"
    out.print(
        f"Decision {decision.pk} {decision.outcome}{flag}: {decision.present} present, {decision.required} required."
    )


@meeting_app.command("minutes")
def meeting_minutes(
    meeting: str,
    text: Annotated[str | None, typer.Option("--text", help="The minutes.")] = None,
    source: Annotated[Path | None, typer.Option("--file", help="The minutes from a text file.", dir_okay=False)] = None,
) -> None:
    """Write a new draft version of a held meeting's minutes."""
    target = _meeting(meeting)
    if (text is None) == (source is None):
        raise Refusal("give the minutes with --text or --file")
    if source is not None:
        try:
            text = source.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise Refusal(f"--file: cannot read {source.name} as UTF-8 text ({error})") from None
    minutes = write_minutes(meeting=target, text=text or "", by=cli_actor())
    out.print(f"Minutes of meeting {target.pk}: version {minutes.version}, draft.")


@meeting_app.command("approve")
def meeting_approve(
    meeting: str,
    at: Annotated[str, typer.Option("--at", help="The later meeting whose decision approves them.")],
    yes: Annotated[int | None, typer.Option("--yes")] = None,
    no: Annotated[int | None, typer.Option("--no")] = None,
    abstain: Annotated[int | None, typer.Option("--abstain")] = None,
) -> None:
    """Approve a meeting's latest minutes by a carried decision of a later meeting of its unit."""
    target, later = _meeting(meeting), _meeting(at)
    latest = target.minutes_versions.order_by("-version").first()
    if latest is None:
        raise Refusal(f"meeting {target.pk} has no minutes")
    approve_minutes_at(minutes=latest, at=later, yes=yes, no=no, abstain=abstain, by=cli_actor())
    out.print(f"Minutes of meeting {target.pk} (version {latest.version}) approved at meeting {later.pk}.")


@meeting_app.command("held")
def meeting_held(meeting: str) -> None:
    """Record that a meeting took place; those invited who did not come are absent."""
    target = mark_held(meeting=_meeting(meeting), by=cli_actor())
    present = target.attendance.filter(status=Attendance.Status.PRESENT).count()
    out.print(f"Meeting {target.pk} held on {target.on}: {present} present.")


@meeting_app.command("ics")
def meeting_ics(unit: str) -> None:
    """Print a unit's calendar feed (iCalendar)."""
    target = get_unit(unit)
    org = target.organization.slug
    body = calendar_of(
        feed_rows(feed_meetings(operator(), target.organization, unit=target), target.organization),
        name=f"{target.name}: meetings",
        officer=lambda _: False,
        meeting_page=lambda m: site_url() + reverse("meeting", args=[org, m.pk]),
        series_page=lambda s: site_url() + reverse("meeting_series", args=[org, s.pk]),
    )
    sys.stdout.write(body.decode())


@meeting_app.command("edit")
def meeting_edit(
    meeting: str,
    start: Annotated[str | None, typer.Option("--start", help='New local start, "YYYY-MM-DD HH:MM".')] = None,
    duration: Annotated[int | None, typer.Option("--duration", help="Minutes.")] = None,
    place: Annotated[str | None, typer.Option("--place", help="Where.")] = None,
    officers_only: Annotated[
        bool | None, typer.Option("--place-for-officers/--place-for-members", help="Who is shown the place.")
    ] = None,
    title: Annotated[str | None, typer.Option("--title", help="What the meeting is called.")] = None,
    online_link: Annotated[str | None, typer.Option("--online-link", help="https://... ('' for none).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Change a planned meeting's time, place or title (a change of time or place raises its
    calendar sequence; an occurrence of a series keeps its change)."""
    target = _meeting(meeting)
    visibility = None if officers_only is None else ("officers" if officers_only else "members")
    changed = reschedule_meeting(
        meeting=target,
        start=parse_local(start, field="--start") if start is not None else None,
        duration=duration,
        place=place,
        place_visibility=visibility,
        title=title,
        online_link=online_link,
        by=cli_actor(),
    )
    if as_json:
        print_json({**_row(changed), "sequence": changed.sequence})
        return
    out.print(
        f"Meeting {changed.pk}: {changed.title}, {changed.local_start:%Y-%m-%d %H:%M %Z}, "
        f"{changed.place or 'no place given'} (sequence {changed.sequence})."
    )


@meeting_app.command("cancel")
def meeting_cancel(meeting: str) -> None:
    """Cancel a planned meeting (it stays, cancelled, so calendars learn of it)."""
    target = cancel_meeting(meeting=_meeting(meeting), by=cli_actor())
    out.print(f"Meeting {target.pk} on {target.on} is cancelled.")


def _series(ref: str) -> MeetingSeries:
    if not is_row_id(ref):
        raise Refusal(f"no series '{ref}' (give its number)")
    series = MeetingSeries.objects.select_related("unit__organization").filter(pk=ref).first()
    if series is None:
        raise Refusal(f"no series '{ref}'")
    return series


@meeting_app.command("series")
def meeting_series(
    series: str,
    title: Annotated[str | None, typer.Option("--title", help="What the meetings are called.")] = None,
    start: Annotated[
        str | None, typer.Option("--start", help='The first meeting\'s local start, "YYYY-MM-DD HH:MM".')
    ] = None,
    repeat: Annotated[str | None, typer.Option("--repeat", help="RRULE, e.g. FREQ=MONTHLY;BYDAY=2TU.")] = None,
    exclude: Annotated[list[str] | None, typer.Option("--exclude", help="Leave out a date, YYYY-MM-DD.")] = None,
    include: Annotated[
        list[str] | None, typer.Option("--include", help="Take a date back (no longer left out), YYYY-MM-DD.")
    ] = None,
    duration: Annotated[int | None, typer.Option("--duration", help="Minutes.")] = None,
    place: Annotated[str | None, typer.Option("--place", help="Where.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Show a series, or change it: only its meetings still to come, planned and not changed on
    their own, follow; past, held, cancelled and individually changed ones stay as they are."""
    target = _series(series)
    added = {parse_date(day, "--exclude") for day in exclude or []}
    taken_back = {parse_date(day, "--include") for day in include or []}
    excluded = None
    if added or taken_back:
        excluded = ({dt.date.fromisoformat(day) for day in target.excluded} | added) - taken_back
    wants_change = any(v is not None for v in (title, start, repeat, excluded, duration, place))
    if wants_change:
        done = edit_series(
            series=target,
            title=title,
            start=parse_local(start, field="--start") if start is not None else None,
            rule=repeat,
            excluded=[day for day in excluded or () if day] if excluded is not None else None,
            duration=duration,
            place=place,
            by=cli_actor(),
        )
        target = done.series
    upcoming = list(target.occurrences.filter(start__gte=timezone.now()).order_by("start"))
    first = target.first_start.astimezone(target.zone)
    if as_json:
        print_json(
            {
                "id": target.pk,
                "unit": target.unit.slug,
                "title": target.title,
                "start": first.isoformat(),
                "time_zone": target.time_zone,
                "repeat": target.rule,
                "exclude": target.excluded,
                "duration": target.duration,
                "sequence": target.sequence,
                "upcoming": [{"id": m.pk, "start": m.local_start.isoformat(), "changed": m.changed} for m in upcoming],
            }
        )
        return
    if wants_change:
        out.print(
            f"Series {target.pk} changed: {done.followed} to come changed, {done.removed} removed, "
            f"{done.cancelled} cancelled, {done.added} added."
        )
    out.print(f"Series {target.pk}: {target.title}, from {first:%Y-%m-%d %H:%M} {target.time_zone}, {target.rule}")
    out.print(f"Left out: {', '.join(target.excluded) or 'none'}")
    for m in upcoming:
        mark = " (changed on its own)" if m.changed else ""
        out.print(f"{m.pk}\t{m.local_start.isoformat()}\t{m.status}{mark}")


def standing(
    person: str,
    on: OnOption = None,
    org: OrgOption = None,
    as_json: JsonFlag = False,
) -> None:
    """A member's standing on a day: a counted member who attended enough meetings (by the constitution)."""
    organization = get_organization(org) if org else None
    who = get_person(person, organization=organization)
    day = parse_date(on) or timezone.localdate()
    result = standing_of(who, on=day)
    if as_json:
        print_json({"person": who.pk, **result.as_dict()})
        return
    verdict = "in good standing" if result.in_good_standing else "not in good standing"
    rule = f"; {result.attended} of {result.required} meetings since {result.window_start}" if result.required else ""
    out.print(f"{who.name} is {verdict} on {day}{rule}.")
