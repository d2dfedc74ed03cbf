"""Writes of directives: draft, issue (one assignment per target unit, in one INSERT ... SELECT),
re-issue, close, pass on down the tree, a unit's status, adaptation and report, and the
reminders. Each checks the actor's rights, writes in one transaction with its audit record, and
queues its notices in the outbox (the one way Grassroots sends mail)."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.html import escape

from grassroots.access import NotVisible, Right, authorize, grants_for, is_operator
from grassroots.audit.actions import write_audit_record
from grassroots.bulletin.rendering import article_html, stored_html
from grassroots.errors import ActionRefused, refuse_multiline, refuse_overlong
from grassroots.meetings.times import aware_start
from grassroots.organizations.models import Unit
from grassroots.outbox.actions import queue_mailing

from .models import OPEN, Assignment, Directive, Reminder, Report
from .reportform import checked_form, checked_values, numeric_fields, stored_file_name
from .selectors import officers_of, rollup, target_units

Status = Assignment.Status
REMIND_BEFORE = dt.timedelta(days=3)


def _audit(by, action: str, directive: Directive, unit: Unit, **changes) -> None:
    write_audit_record(
        by=by, action=action, target=directive, organization=directive.organization, unit=unit, changes=changes
    )


def _authorize_issuer(by, issuer: Unit, decision) -> None:
    """An officer with the right to issue directives over the issuer, or, from a carried decision
    of one of the issuer's own meetings, whoever may manage the unit (who records its execution)."""
    if decision is None:
        authorize(by, Right.ISSUE_DIRECTIVES, issuer)
        return
    if decision.meeting.unit_id != issuer.pk:
        raise ActionRefused("decision: it was taken at a meeting of another unit", field="decision")
    if decision.outcome != "carried":
        raise ActionRefused(f"decision: it {decision.outcome}; only a carried decision is executed", field="decision")
    authorize(by, Right.MANAGE_UNITS, issuer)


def _due(local: dt.datetime, zone_name: str, *, now: dt.datetime | None = None) -> tuple[dt.datetime, str]:
    """The wall-clock time `local` in the zone `zone_name` as an aware time (an aware `local` is
    converted to it); refused when it does not exist there, is ambiguous, or has passed."""
    if local.tzinfo is not None:
        local = local.astimezone(ZoneInfo(zone_name)).replace(tzinfo=None)
    due = aware_start(local, ZoneInfo(zone_name), field="due")
    if due <= (now or timezone.now()):
        raise ActionRefused(f"due: {local:%Y-%m-%d %H:%M} in {zone_name} has passed", field="due")
    return due, zone_name


def _title(title: str) -> str:
    """The title stripped: required, one line (it heads the notices' subjects), at most 200 characters."""
    title = title.strip()
    if not title:
        raise ActionRefused("title: required", field="title")
    refuse_multiline("title", title)
    refuse_overlong("title", title, 200)
    return title


def _targets(issuer: Unit, target_kind: str, targets: list[Unit] | None) -> tuple[str, list[int]]:
    constitution = issuer.organization.constitution
    if targets:
        if target_kind:
            raise ActionRefused("targets: give a kind of unit or chosen units, not both", field="targets")
        outside = [unit for unit in targets if not unit.path.startswith(issuer.path)]
        if outside:
            raise ActionRefused(f"targets: {outside[0].name} is not in the subtree of {issuer.name}", field="targets")
        chosen = sorted({unit.pk for unit in targets})
        if constitution.kind(issuer.kind).basic and chosen != [issuer.pk]:
            raise ActionRefused("targets: a basic unit issues directives to itself only", field="targets")
        if not constitution.kind(issuer.kind).basic and issuer.pk in chosen:
            raise ActionRefused(
                f"targets: {issuer.name} issues the directive; it goes to units below it, not to {issuer.name}",
                field="targets",
            )
        return "", chosen
    if constitution.kind(issuer.kind).basic:
        return "", [issuer.pk]
    kind = constitution.kind_key(target_kind) if target_kind else None
    if kind is None:
        kinds = ", ".join(constitution.unit_kinds)
        raise ActionRefused(f"targets_kind: '{target_kind}' is not a kind of unit ({kinds})", field="targets_kind")
    if kind == issuer.kind:  # no kind is its own ancestor: the only one of it in the subtree is the issuer
        raise ActionRefused(
            f"targets_kind: {issuer.name} issues the directive; it goes to units below it, not to a"
            f" {constitution.kind(kind).label.lower()} (its own kind)",
            field="targets_kind",
        )
    return kind, []


def create_directive(
    *,
    issuer: Unit,
    title: str,
    due: dt.datetime,
    by,
    kind: str = Directive.Kind.TASK,
    body: str = "",
    target_kind: str = "",
    targets: list[Unit] | None = None,
    form: object = None,
    completion: str = Directive.Completion.UNITS,
    decision=None,
) -> Directive:
    """Draft a directive of `issuer` (a committee, or a basic unit to itself) due at the local
    wall-clock time `due` in the issuer's zone (an aware `due` is converted). Targets are every
    unit of `target_kind` in the issuer's subtree or the chosen `targets`, which must lie in it.
    Refusals name the field: title, due, kind, targets, targets_kind, form, completion, decision."""
    _authorize_issuer(by, issuer, decision)
    title = _title(title)
    refuse_overlong("body", body, 100_000)
    if kind not in Directive.Kind.values:
        raise ActionRefused(f"kind: '{kind}' is not one of {', '.join(Directive.Kind.values)}", field="kind")
    if completion not in Directive.Completion.values:
        raise ActionRefused(
            f"completion: '{completion}' is not one of {', '.join(Directive.Completion.values)}", field="completion"
        )
    aware_due, zone_name = _due(due, issuer.meeting_time_zone)
    kind_key, chosen = _targets(issuer, target_kind, targets)
    body_html = article_html(body)  # rendered once, here: pages and notices read it (`stored_html`)
    with transaction.atomic():
        directive = Directive.objects.create(
            organization=issuer.organization,
            unit=issuer,
            decision=decision,
            kind=kind,
            title=title,
            body=body,
            body_html=body_html,
            due=aware_due,
            time_zone=zone_name,
            target_kind=kind_key,
            target_units=chosen,
            form=checked_form(form),
            completion=completion,
            created_at=timezone.now(),
        )
        _audit(by, "directives.draft", directive, issuer, title=[None, title])
    return directive


def _target_queryset(directive: Directive):
    chosen = list(Unit.objects.filter(pk__in=directive.target_units)) if directive.target_units else None
    return target_units(issuer=directive.unit, kind=directive.target_kind, chosen=chosen)


def issue_directive(*, directive: Directive, by) -> int:
    """Issue a draft: one pending assignment per target unit, written in one INSERT ... SELECT,
    and a notice to the officers of every target unit queued in the outbox. Returns the number
    of assignments. Refused when the directive is not a draft, is past due, or reaches no unit."""
    issuer = directive.unit
    _authorize_issuer(by, issuer, directive.decision)
    if directive.status != Directive.Status.DRAFT:
        raise ActionRefused(f"status: directive {directive.pk} is {directive.status}, not a draft", field="status")
    now = timezone.now()
    if directive.due <= now:
        raise ActionRefused("due: the due time has passed; draft it again with a later one", field="due")
    units = _target_queryset(directive)
    select, params = units.order_by().values(target_id=F("pk"), target_path=F("path")).query.sql_with_params()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {Assignment._meta.db_table} (directive_id, unit_id, unit_path, status, reason,"
                " adaptation, updated_at) SELECT %s, t.target_id, t.target_path, %s, '', '', %s"
                f" FROM ({select}) t",
                [directive.pk, str(Status.PENDING), connection.ops.adapt_datetimefield_value(now), *params],
            )
            count = cursor.rowcount
        if count == 0:
            what = directive.target_kind or "the chosen kind"
            raise ActionRefused(
                f"targets: no unit of {what} in the subtree of {issuer.name} to send it to", field="targets"
            )
        Directive.objects.filter(pk=directive.pk).update(status=Directive.Status.ISSUED, issued_at=now)
        directive.status, directive.issued_at = Directive.Status.ISSUED, now
        _notify(directive, units, "new", by=by)
        _audit(by, "directives.issue", directive, issuer, status=["draft", "issued"], assignments=[None, count])
    return count


def _notify(directive: Directive, units, occasion: str, *, by, source: str | None = None) -> None:
    """Queue one notice to the officers of `units` (a queryset) about the directive."""
    local_due = directive.due.astimezone(directive.zone)
    heading = {
        "new": f"New directive from {directive.unit.name}",
        "reissued": f"Directive changed (version {directive.version}) by {directive.unit.name}",
        Reminder.Kind.DUE_SOON: "Reminder: due in three days",
        Reminder.Kind.OVERDUE: "Overdue",
    }[occasion]
    subject = f"{heading}: {directive.title}"
    due_line = f"Due: {local_due:%Y-%m-%d %H:%M} ({directive.time_zone})"
    text = f"{heading}: {directive.title}\n{due_line}\n\n{directive.body}\n"
    html = f"<h1>{escape(subject)}</h1><p>{escape(due_line)}</p>{stored_html(directive)}"
    queue_mailing(
        organization=directive.organization,
        source=source or f"directives.directive:{directive.pk}:v{directive.version}",
        subject=subject[:300],
        text_body=text,
        html_body=html,
        recipients=officers_of(units),
        by=by,
    )


def reissue_directive(
    *, directive: Directive, by, title: str | None = None, body: str | None = None, due: dt.datetime | None = None
) -> Directive:
    """Issue a changed version of an issued directive (a new `due` is a wall-clock time in the
    directive's own zone, `time_zone`, the one its pages show): the version goes up by one and the
    officers of the units that had already acknowledged it (acknowledged or in progress) are
    told again. Refused on a draft or a closed directive."""
    _authorize_issuer(by, directive.unit, directive.decision)
    if directive.status != Directive.Status.ISSUED:
        raise ActionRefused(f"status: directive {directive.pk} is {directive.status}, not issued", field="status")
    before = {"title": directive.title, "due": directive.due.isoformat(), "version": directive.version}
    if title is not None:
        directive.title = _title(title)
    if body is not None:
        refuse_overlong("body", body, 100_000)
        directive.body, directive.body_html = body, article_html(body)
    if due is not None:
        # The directive's own zone, which its due time is shown in, even if the issuer's has changed.
        directive.due, _ = _due(due, directive.time_zone)
    directive.version += 1
    with transaction.atomic():
        directive.save(update_fields=["title", "body", "body_html", "due", "version"])
        acknowledged = Unit.objects.filter(
            assignments__directive=directive, assignments__status__in=[Status.ACKNOWLEDGED, Status.IN_PROGRESS]
        )
        _notify(directive, acknowledged, "reissued", by=by)
        _audit(
            by,
            "directives.reissue",
            directive,
            directive.unit,
            version=[before["version"], directive.version],
            title=[before["title"], directive.title],
            due=[before["due"], directive.due.isoformat()],
        )
    return directive


def close_directive(*, directive: Directive, by) -> Directive:
    """Close an issued directive: its assignments stay as they are, no reminder goes any more."""
    _authorize_issuer(by, directive.unit, directive.decision)
    if directive.status != Directive.Status.ISSUED:
        raise ActionRefused(f"status: directive {directive.pk} is {directive.status}, not issued", field="status")
    with transaction.atomic():
        directive.status, directive.closed_at = Directive.Status.CLOSED, timezone.now()
        directive.save(update_fields=["status", "closed_at"])
        _audit(by, "directives.close", directive, directive.unit, status=["issued", "closed"])
    return directive


def _authorize_unit(by, assignment: Assignment, right: str = Right.MANAGE_UNITS) -> None:
    """An officer of the assignment's unit (or above it) acts for it; a unit outside the actor's
    scope reads as absent (404), like an assignment that does not exist."""
    if is_operator(by):
        return
    grants = grants_for(by, assignment.directive.organization_id)
    if not grants.allows(Right.VIEW_UNITS, assignment.unit.path):
        raise NotVisible(
            f"no assignment of directive {assignment.directive_id} for that unit",
            organization=assignment.unit.organization,
            unit=assignment.unit,
            what=f"assignment of directive {assignment.directive_id}",
        )
    authorize(by, right, assignment.unit)


def _refuse_unless_issued(assignment: Assignment) -> None:
    if assignment.directive.status != Directive.Status.ISSUED:
        raise ActionRefused(
            f"status: directive {assignment.directive_id} is {assignment.directive.status}; only an issued one "
            "is worked on",
            field="status",
        )


def pass_on(
    *,
    assignment: Assignment,
    by,
    target_kind: str = "",
    targets: list[Unit] | None = None,
    due: dt.datetime | None = None,
) -> Directive:
    """A committee passes its assignment on to units of its own subtree as a child directive
    (same kind, title, body, form; due at `due` in its zone, by default the parent's due time),
    issued at once. The committee's own assignment is then in progress, and is complete when all
    those units are done or when it reports, as the directive's issuer chose (`completion`)."""
    _authorize_unit(by, assignment, Right.ISSUE_DIRECTIVES)
    _refuse_unless_issued(assignment)
    parent, unit = assignment.directive, assignment.unit
    if assignment.passed_on_id is not None:
        raise ActionRefused(
            f"status: {unit.name} already passed it on (directive {assignment.passed_on_id})", field="status"
        )
    if unit.organization.constitution.kind(unit.kind).basic:
        raise ActionRefused(f"unit: {unit.name} is a basic unit, with no subtree to pass it on to", field="unit")
    if assignment.status in (Status.DONE, Status.DECLINED):
        raise ActionRefused(f"status: the assignment is {assignment.status}", field="status")
    zone = _zone(unit)
    if due is None:
        local_due = parent.due.astimezone(zone).replace(tzinfo=None)
    elif due.tzinfo is not None:
        local_due = due.astimezone(zone).replace(tzinfo=None)
    else:
        local_due = due
    if aware_start(local_due, zone, field="due") > parent.due:
        raise ActionRefused("due: later than the due time of the directive it passes on", field="due")
    with transaction.atomic():
        child = create_directive(
            issuer=unit,
            title=parent.title,
            due=local_due,
            by=by,
            kind=parent.kind,
            body=parent.body,
            target_kind=target_kind,
            targets=targets,
            form=parent.form,
            completion=parent.completion,
        )
        Directive.objects.filter(pk=child.pk).update(parent=parent)
        child.parent = parent
        issue_directive(directive=child, by=by)
        before = assignment.status
        assignment.passed_on = child
        if assignment.status in (Status.PENDING, Status.ACKNOWLEDGED):
            assignment.status = Status.IN_PROGRESS
        assignment.updated_at = timezone.now()
        assignment.save(update_fields=["passed_on", "status", "updated_at"])
        _audit(by, "directives.pass_on", parent, unit, child=[None, child.pk], status=[before, assignment.status])
    return child


def _zone(unit: Unit) -> ZoneInfo:
    return ZoneInfo(unit.meeting_time_zone)


def set_assignment_status(*, assignment: Assignment, status: str, by, reason: str = "") -> Assignment:
    """A unit's answer: acknowledged, in progress, done, declined (with a reason) or pending
    again. An assignment passed on under the "units" rule is done when its units are, not by hand."""
    _authorize_unit(by, assignment)
    _refuse_unless_issued(assignment)
    if status not in Status.values:
        raise ActionRefused(f"status: '{status}' is not one of {', '.join(Status.values)}", field="status")
    reason = reason.strip()
    if status == Status.DECLINED and not reason:
        raise ActionRefused("reason: required to decline", field="reason")
    refuse_overlong("reason", reason, 2000)
    if status == assignment.status:
        raise ActionRefused(f"status: the assignment is {status} already", field="status")
    if (
        status == Status.DONE
        and assignment.passed_on_id is not None
        and assignment.directive.completion == Directive.Completion.UNITS
    ):
        raise ActionRefused(
            "status: this assignment was passed on; it is done when all the units it went to are done",
            field="status",
        )
    with transaction.atomic():
        before = assignment.status
        assignment.status = status
        assignment.reason = reason if status == Status.DECLINED else ""
        assignment.updated_at = timezone.now()
        assignment.save(update_fields=["status", "reason", "updated_at"])
        _audit(by, "directives.assignment_status", assignment.directive, assignment.unit, status=[before, status])
        _complete_parent(assignment.directive, by=by)
    return assignment


def _complete_parent(directive: Directive, *, by) -> None:
    """When a passed-on directive's units are all done, the assignment it came from is done (under
    the "units" rule); when one is no longer done, that assignment is in progress again."""
    if directive.parent_id is None or directive.completion != Directive.Completion.UNITS:
        return
    source = Assignment.objects.filter(passed_on=directive).select_related("directive", "unit").first()
    if source is None:
        return
    open_left = directive.assignments.exclude(status=Status.DONE).exists()
    wanted = Status.IN_PROGRESS if open_left else Status.DONE
    if source.status == wanted or source.status == Status.DECLINED:
        return
    if wanted == Status.IN_PROGRESS and source.status != Status.DONE:
        return
    before = source.status
    source.status, source.updated_at = wanted, timezone.now()
    source.save(update_fields=["status", "updated_at"])
    _audit(by, "directives.assignment_status", source.directive, source.unit, status=[before, wanted])
    _complete_parent(source.directive, by=by)


def _sum_up_to_parent(directive: Directive, *, now: dt.datetime) -> None:
    """Under the "units" rule, the assignment a passed-on directive came from reports what its units
    reported: for each number field of its directive's form that this one's form also has, the sum
    of the latest reports of the units it went to (read with the roll-up's one grouped query),
    written in one UPDATE and carried on up the chain, so every roll-up above sums it as a report."""
    if directive.parent_id is None or directive.completion != Directive.Completion.UNITS:
        return
    source = Assignment.objects.filter(passed_on=directive).select_related("directive").first()
    if source is None:
        return
    names = [name for name in numeric_fields(source.directive.form) if name in numeric_fields(directive.form)]
    if not names:
        return
    fields = rollup(directive, now=now)["fields"]
    values = {name: fields[name]["sum"] for name in names if fields[name]["reported"]}
    Assignment.objects.filter(pk=source.pk).update(
        latest_values=values or None, reported_at=now if values else None, updated_at=now
    )
    _sum_up_to_parent(source.directive, now=now)


def adapt_assignment(*, assignment: Assignment, by, text: str = "", local_date: dt.date | None = None) -> Assignment:
    """The unit's local adaptation: how it carries the directive out, and its own date for it."""
    _authorize_unit(by, assignment)
    _refuse_unless_issued(assignment)
    refuse_overlong("adaptation", text, 10_000)
    with transaction.atomic():
        assignment.adaptation, assignment.local_date = text.strip(), local_date
        assignment.updated_at = timezone.now()
        assignment.save(update_fields=["adaptation", "local_date", "updated_at"])
        _audit(
            by,
            "directives.adapt",
            assignment.directive,
            assignment.unit,
            local_date=[None, local_date.isoformat() if local_date else None],
        )
    return assignment


def submit_report(
    *,
    assignment: Assignment,
    values: dict[str, object],
    by,
    files: dict[str, tuple[str, bytes]] | None = None,
) -> Report:
    """File a new revision of the unit's report: values checked against the directive's form
    (naming the field), files (`{field: (file name, content)}`) stored under the data directory
    up to `GRASSROOTS_REPORT_FILE_LIMIT` bytes each. The latest revision counts in the roll-up;
    the assignment is done unless it was declined or passed on under the "units" rule."""
    _authorize_unit(by, assignment)
    _refuse_unless_issued(assignment)
    directive = assignment.directive
    files = files or {}
    form_types = {field["name"]: field["type"] for field in directive.form}
    for name in files:
        if form_types.get(name) != "file":
            raise ActionRefused(f"{name}: the report form has no file field of that name", field=name)
    for name in values:
        if form_types.get(name) == "file":
            raise ActionRefused(f"{name}: a file field takes a file, not a value", field=name)
    limit = settings.GRASSROOTS_REPORT_FILE_LIMIT
    for name, (_filename, content) in files.items():
        if len(content) > limit:
            raise ActionRefused(f"{name}: the file has {len(content)} bytes, more than the {limit} allowed", field=name)
    merged = {**values, **{name: filename for name, (filename, _content) in files.items()}}
    checked = checked_values(directive.form, merged)
    written: list[Path] = []
    try:
        with transaction.atomic():
            locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
            revision = (locked.reports.aggregate(last=Max("revision"))["last"] or 0) + 1
            for name, (filename, content) in files.items():
                relative = (
                    Path(str(directive.pk)) / str(assignment.unit_id) / str(revision) / stored_file_name(name, filename)
                )
                target = Path(settings.REPORT_FILES_DIR) / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
                written.append(target)
                checked[name] = str(relative)
            now = timezone.now()
            report = Report.objects.create(
                assignment=assignment, revision=revision, values=checked, submitted_by=_label(by), submitted_at=now
            )
            before = assignment.status
            assignment.latest_values, assignment.reported_at, assignment.updated_at = checked, now, now
            passed_under_units = (
                assignment.passed_on_id is not None and directive.completion == Directive.Completion.UNITS
            )
            if assignment.status != Status.DECLINED and not passed_under_units:
                assignment.status = Status.DONE
            assignment.save(update_fields=["latest_values", "reported_at", "updated_at", "status"])
            _audit(
                by, "directives.report", directive, assignment.unit, revision=[revision - 1 or None, revision],
                status=[before, assignment.status],
            )  # fmt: skip
            _complete_parent(directive, by=by)
            _sum_up_to_parent(directive, now=now)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return report


def _label(by) -> str:
    if isinstance(by, str):
        return by[:150]
    getter = getattr(by, "get_username", None)
    return (getter() if getter else str(by))[:150]


def send_reminders(*, now: dt.datetime | None = None, by="job:directives") -> dict[str, int]:
    """Remind the officers of every open assignment of an issued directive three days before it
    is due (when it was issued before then) and once it is overdue: each reminder once per
    assignment and kind, however often this runs (the reminder rows are written with INSERT ...
    SELECT that skips those already there, and only the rows this run wrote are mailed). Returns
    how many assignments were reminded, by kind."""
    now = now or timezone.now()
    sent: dict[str, int] = {}
    # "Due in three days" only for a directive issued before its three-day mark: one issued later
    # (due in two days, or in minutes) was just announced with its due time, and is not reminded.
    if connection.vendor == "postgresql":
        announced_before = f"d.issued_at <= d.due - interval '{REMIND_BEFORE.days} days'"
    else:
        announced_before = f"julianday(d.due) - julianday(d.issued_at) >= {REMIND_BEFORE.days}"
    windows = {
        Reminder.Kind.DUE_SOON: (f"d.due > %s AND d.due <= %s AND {announced_before}", [now, now + REMIND_BEFORE]),
        Reminder.Kind.OVERDUE: ("d.due < %s", [now]),
    }
    assignments, directives, reminders = (
        Assignment._meta.db_table,
        Directive._meta.db_table,
        Reminder._meta.db_table,
    )
    adapt = connection.ops.adapt_datetimefield_value
    for kind, (window, moments) in windows.items():
        batch = uuid.uuid4().hex
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {reminders} (assignment_id, kind, batch, created_at)"
                    f" SELECT a.id, %s, %s, %s FROM {assignments} a JOIN {directives} d ON d.id = a.directive_id"
                    f" WHERE d.status = %s AND {window} AND a.status IN ({', '.join(['%s'] * len(OPEN))})"
                    f" AND NOT EXISTS (SELECT 1 FROM {reminders} r WHERE r.assignment_id = a.id AND r.kind = %s)"
                    " ON CONFLICT DO NOTHING",
                    [
                        kind,
                        batch,
                        adapt(now),
                        Directive.Status.ISSUED,
                        *[adapt(moment) for moment in moments],
                        *OPEN,
                        kind,
                    ],
                )
                count = cursor.rowcount
            sent[kind] = count
            if not count:
                continue
            touched = (
                Directive.objects.filter(assignments__reminders__batch=batch)
                .distinct()
                .select_related("unit", "organization")
            )
            for directive in touched:
                units = Unit.objects.filter(assignments__directive=directive, assignments__reminders__batch=batch)
                _notify(directive, units, kind, by=by, source=f"directives.reminder:{batch}:{directive.pk}")
    return sent


def decide_assignment(*, meeting, assignment: Assignment, status: str, text: str, by, reason: str = "", **decision):
    """A decision of the unit's meeting that marks its assignment done or declined: the decision
    (carried, with `decision`'s votes) and the assignment's new status are written in one
    transaction, or neither. A declined assignment's reason is `reason`, else the decision's text.
    Refused when the assignment is another unit's or the status is neither done nor declined."""
    from grassroots.meetings.actions import record_decision

    if assignment.unit_id != meeting.unit_id:
        raise ActionRefused("assignment: it is another unit's", field="assignment")
    if status not in (Status.DONE, Status.DECLINED):
        raise ActionRefused(
            "assignment_status: a meeting marks an assignment done or declined", field="assignment_status"
        )
    with transaction.atomic():
        made = record_decision(meeting=meeting, text=text, outcome="carried", by=by, **decision)
        set_assignment_status(
            assignment=assignment, status=status, by=by, reason=(reason or text) if status == Status.DECLINED else ""
        )
    return made
