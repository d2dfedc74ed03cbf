"""Reads of directives: what a caller may see (a directive by its issuer, or by an assignment of a
unit in their scope), a unit's assignments, and the roll-up of a directive over a path range,
set-based: one grouped query for a unit's part, one for the table of every committee under it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Concat
from django.http import Http404
from django.utils import timezone

from grassroots.access import NotVisible, Right, grants_for, is_operator, restrict
from grassroots.meetings.models import AgendaItem, Meeting
from grassroots.organizations.models import PATH_END, PATH_SEGMENT, OfficerPost, Organization, Unit
from grassroots.people.models import Person

from .models import AGENDA_PREFIX, OPEN, Assignment, Directive, Report
from .reportform import file_fields, numeric_fields, uploaded_file_name

Status = Assignment.Status


def directives_visible_to(user, organization: Organization) -> QuerySet[Directive]:
    """The directives the user may read: those of units in their scope, and those addressed to a
    unit in their scope (a unit sees what it was sent, not its sibling's assignments)."""
    issued_here = restrict(Directive.objects.all(), user=user, organization=organization)
    addressed = restrict(Assignment.objects.all(), user=user, organization=organization).filter(
        directive_id=OuterRef("pk")
    )
    grants = grants_for(user, organization.pk)
    base = Directive.objects.filter(organization=organization)
    if grants.everything:
        return base.select_related("unit")
    return base.filter(Q(pk__in=issued_here.values("pk")) | Exists(addressed)).select_related("unit")


def directive_for(user, organization: Organization, pk: int) -> Directive:
    """One directive the user may read, else 404 (`NotVisible` when it exists out of scope)."""
    found = (
        directives_visible_to(user, organization)
        .filter(pk=pk)
        .select_related("unit__organization", "organization")
        .first()
    )
    if found is None:
        existing = Directive.objects.filter(organization=organization, pk=pk).select_related("unit").first()
        if existing is not None:
            raise NotVisible(
                f"no directive {pk} in {organization.slug}",
                organization=organization,
                unit=existing.unit,
                what=f"directive {pk}",
            )
        raise Http404(f"no directive {pk} in {organization.slug}")
    return found


def assignments_visible_to(user, organization: Organization) -> QuerySet[Assignment]:
    """The assignments of units in the user's scope (a unit its own, a committee its subtree's)."""
    return restrict(Assignment.objects.all(), user=user, organization=organization).select_related("unit", "directive")


def assignment_for(user, organization: Organization, directive: Directive, unit: Unit) -> Assignment:
    """The unit's assignment of the directive, if the user sees the unit; else 404."""
    found = assignments_visible_to(user, organization).filter(directive=directive, unit=unit).first()
    if found is None:
        raise Http404(f"{unit.slug} has no assignment of directive {directive.pk}")
    return found


def open_assignments_of(unit: Unit) -> QuerySet[Assignment]:
    """The unit's open assignments of issued directives, the first due first (for its next agenda)."""
    return (
        Assignment.objects.filter(unit=unit, status__in=OPEN, directive__status=Directive.Status.ISSUED)
        .select_related("directive")
        .order_by("directive__due", "pk")
    )


DASHBOARD_LISTED = 10


@dataclass(frozen=True)
class DirectivesOverview:
    """What the dashboard shows of directives for one unit: `issued`, the open (issued) directives
    of units in its subtree, each annotated with `targets`, `done` and `overdue` (open assignments
    past the due time); `assignments`, the open assignments of units in its subtree (each with its
    directive and unit); each list the first due first, at most `DASHBOARD_LISTED` long."""

    issued: Sequence[Directive]
    assignments: Sequence[Assignment]


def directives_overview(user, unit: Unit, *, now: dt.datetime | None = None) -> DirectivesOverview:
    """The directives issued in `unit`'s subtree that are open, with their completion, and the
    open assignments of its units, as far as `user` sees (a unit officer their subtree's only).
    Five queries whatever the number of directives: the listed directives, their assignments
    counted by directive and status (grouped as the roll-up is: a few groups, added up here, cost
    less than a conditional count per row), and three for the open assignments."""
    now = now or timezone.now()
    organization = unit.organization
    issued = list(
        restrict(Directive.objects.all(), user=user, organization=organization)
        .filter(status=Directive.Status.ISSUED, unit__path__gte=unit.path, unit__path__lt=unit.path + PATH_END)
        .select_related("unit")
        .order_by("due", "pk")[:DASHBOARD_LISTED]
    )
    groups = (
        Assignment.objects.filter(directive_id__in=[directive.pk for directive in issued])
        .values_list("directive_id", "status")
        .annotate(count=Count("pk"))
        .order_by()
    )
    counts: dict[int, dict[str, int]] = {}
    for directive_id, status, count in groups:
        counts.setdefault(directive_id, {})[status] = count
    for directive in issued:
        by_status = counts.get(directive.pk, {})
        directive.targets = sum(by_status.values())  # type: ignore[attr-defined]
        directive.done = by_status.get(Status.DONE, 0)  # type: ignore[attr-defined]
        open_count = sum(by_status.get(status, 0) for status in OPEN)
        directive.overdue = open_count if directive.due < now else 0  # type: ignore[attr-defined]
    return DirectivesOverview(issued=issued, assignments=_first_open_assignments(user, unit))


def _first_open_assignments(user, unit: Unit) -> list[Assignment]:
    """The first `DASHBOARD_LISTED` open assignments of units in `unit`'s subtree that `user` sees,
    by the directive's due time, then place in the tree; three queries. Sorting every open
    assignment of the subtree (a federation's: one per branch and directive) would cost far more
    than the few listed: the directives that have one are chosen first (by due time, each an
    index probe), then each one's first few are read by the (directive, path) index, in one
    UNION ALL of as many limited scans (a disjunction of them made PostgreSQL scan every row)."""
    organization = unit.organization
    in_range = (
        assignments_visible_to(user, organization)
        .filter(unit_path__gte=unit.path, unit_path__lt=unit.path + PATH_END, status__in=OPEN)
        .order_by()
    )
    directive_ids = list(
        Directive.objects.filter(organization=organization, status=Directive.Status.ISSUED)
        .filter(Exists(in_range.filter(directive_id=OuterRef("pk"))))
        .order_by("due", "pk")
        .values_list("pk", flat=True)[:DASHBOARD_LISTED]
    )
    if not directive_ids:
        return []
    parts: list[str] = []
    params: list = []
    for number, pk in enumerate(directive_ids):
        first = in_range.filter(directive_id=pk).order_by("unit_path").values("pk")[:DASHBOARD_LISTED]
        sql, part_params = first.query.sql_with_params()
        parts.append(f"SELECT * FROM ({sql}) f{number}")
        params.extend(part_params)
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        chosen = [row[0] for row in cursor.fetchall()]
    return list(
        Assignment.objects.filter(pk__in=chosen)
        .select_related("unit", "directive__unit")
        .order_by("directive__due", "directive_id", "unit_path")[:DASHBOARD_LISTED]
    )


def open_assignments_at(meeting: Meeting, *, now: dt.datetime | None = None) -> QuerySet[Assignment]:
    """The unit's open assignments a meeting takes up, as `open_assignments_of` orders them: every
    one at the unit's next meeting (its earliest planned meeting starting at or after `now`, an
    aware time, default now), and at any other meeting those already on its agenda (an item
    titled as `Directive.agenda_title` gives), so the decision marking them can be recorded there.
    Each carries `on_agenda`, whether this meeting's agenda lists it. One query."""
    now = now or timezone.now()
    upcoming = (
        Meeting.objects.filter(unit_id=meeting.unit_id, status=Meeting.Status.PLANNED, start__gte=now)
        .order_by("start", "id")
        .values("pk")[:1]
    )
    listed = AgendaItem.objects.filter(
        meeting_id=meeting.pk, title=Concat(Value(AGENDA_PREFIX), OuterRef("directive__title"))
    )
    return (
        open_assignments_of(meeting.unit)
        .annotate(next_meeting=Subquery(upcoming), on_agenda=Exists(listed))
        .filter(Q(next_meeting=meeting.pk) | Q(on_agenda=True))
    )


def reports_of(assignment: Assignment) -> QuerySet[Report]:
    """Every revision of the assignment's report, the latest first."""
    return assignment.reports.order_by("-revision")


@dataclass(frozen=True)
class ReportFile:
    """A file of a report, ready to send: where it lies and the name to offer (whose extension
    gives the media type the response names, as `FileResponse` guesses it)."""

    path: Path
    filename: str


def report_file(assignment: Assignment, *, revision: int, field: str) -> ReportFile:
    """The file that revision `revision` of the assignment's report holds in its file field `field`
    (the assignment as `assignment_for` gives it, so in the caller's scope). 404 when the revision
    does not exist, the field is no file field of the directive's form or was left empty, or the
    stored file is missing or would lie outside the report files' directory. One query."""
    report = assignment.reports.filter(revision=revision).only("values").first()
    stored = report.values.get(field) if report is not None else None
    missing = Http404(f"no file {field!r} in revision {revision} of the report of {assignment.unit.slug}")
    if field not in file_fields(assignment.directive.form) or not isinstance(stored, str) or not stored:
        raise missing
    base = Path(settings.REPORT_FILES_DIR).resolve()
    path = (base / stored).resolve()
    if not path.is_relative_to(base) or not path.is_file():
        raise missing
    return ReportFile(path=path, filename=uploaded_file_name(field, path.name))


def target_units(*, issuer: Unit, kind: str = "", chosen: list[Unit] | None = None) -> QuerySet[Unit]:
    """The units a directive goes to: every unit of `kind` in the issuer's subtree, or the chosen
    ones; dissolved units are left out. The issuer is one only when it is a basic unit (issue 16:
    a basic unit issues to itself; a committee to the units below it, `actions._targets`)."""
    units = Unit.objects.in_subtree(issuer.path).filter(organization_id=issuer.organization_id)
    units = units.exclude(state="dissolved")
    if chosen is not None:
        return units.filter(pk__in=[unit.pk for unit in chosen])
    return units.filter(kind=kind)


def officers_of(units: QuerySet) -> QuerySet[Person]:
    """The people holding an officer post today in any of `units` (each once), who can be mailed."""
    today = timezone.localdate()
    posts = OfficerPost.objects.filter(unit__in=units, start__lte=today).exclude(end__lte=today)
    return Person.objects.filter(pk__in=posts.values("person_id"), erased_at__isnull=True)


def _aggregates(numbers: list[str]) -> tuple[str, str, list[str]]:
    """The roll-up's columns over assignments `a`: the aggregates (the count, one per status, and
    the sum and count of each number field of the latest reports), and the row each aggregates,
    whose number fields are read out of the JSON once (not once per aggregate); with the
    parameters the row takes."""
    statuses = ", ".join(f"SUM(CASE WHEN a.status = '{status}' THEN 1 ELSE 0 END)" for status in Status.values)
    aggregates, row, params = [f"COUNT(*), {statuses}"], ["a.status", "a.unit_path"], []
    for index, name in enumerate(numbers):
        if connection.vendor == "postgresql":
            extract, key = "CAST((a.latest_values ->> %s) AS double precision)", name
        else:
            extract, key = "CAST(json_extract(a.latest_values, %s) AS REAL)", '$."' + name + '"'
        row.append(f"{extract} AS v{index}")
        aggregates.append(f"SUM(a.v{index}), COUNT(a.v{index})")
        params.append(key)
    return ", ".join(aggregates), ", ".join(row), params


def _counts(row, numbers: list[str]) -> dict:
    counts: dict = {"targets": row[0]}
    for index, status in enumerate(Status.values):
        counts[status] = row[1 + index]
    base = 1 + len(Status.values)
    for number in range(len(numbers)):
        counts[f"sum_{number}"] = row[base + 2 * number]
        counts[f"n_{number}"] = row[base + 2 * number + 1]
    return counts


def rollup(directive: Directive, *, unit: Unit | None = None, now: dt.datetime | None = None) -> dict:
    """The directive's state over `unit`'s subtree (default: the issuer's, so all its targets),
    in one grouped range-scan query: `{"directive", "unit", "targets", "done", "declined",
    "pending", "acknowledged", "in_progress", "overdue", "completion", "fields": {name: {"sum",
    "mean", "reported", "of"}}}`. `completion` is done over targets (a share, 0.75 for 75 %);
    `overdue` counts the open assignments once the due time has passed; each number field of the
    report form has the sum and mean of the latest reports and how many of the `of` targets
    reported it. The ranges are over the units' paths as they were when it was issued."""
    now = now or timezone.now()
    root = unit or directive.unit
    numbers = numeric_fields(directive.form)
    _columns, row_columns, params = _aggregates(numbers)
    sums = "".join(f", SUM(a.v{index}), COUNT(a.v{index})" for index in range(len(numbers)))
    # Grouped by status (as the floor is), the few groups added up here: cheaper than a CASE per
    # status on every row.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT a.status, COUNT(*){sums} FROM (SELECT {row_columns} FROM {Assignment._meta.db_table} a"
            " WHERE a.directive_id = %s AND a.unit_path >= %s AND a.unit_path < %s) a GROUP BY a.status",
            [*params, directive.pk, root.path, root.path + PATH_END],
        )
        groups = cursor.fetchall()
    counts: dict = {"targets": sum(group[1] for group in groups), **dict.fromkeys(Status.values, 0)}
    for index in range(len(numbers)):
        found = [(group[2 + 2 * index], group[3 + 2 * index]) for group in groups]
        counts[f"sum_{index}"] = sum(total for total, _n in found if total is not None) if found else None
        counts[f"n_{index}"] = sum(n for _total, n in found)
    for group in groups:
        counts[group[0]] = group[1]
    shaped = _shape(directive, counts, numbers, now)
    shaped["unit"] = root.slug
    return shaped


def _number(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else round(float(value), 6)


def _shape(directive: Directive, counts: dict, numbers: list[str], now: dt.datetime) -> dict:
    targets = counts["targets"] or 0
    open_count = sum(counts[status] or 0 for status in OPEN)
    fields = {}
    for index, name in enumerate(numbers):
        total, reported = counts.get(f"sum_{index}"), counts.get(f"n_{index}") or 0
        fields[name] = {
            "sum": _number(total) if reported else 0,
            "mean": _number(total / reported) if reported and total is not None else None,
            "reported": reported,
            "of": targets,
        }
    return {
        "directive": directive.pk,
        "unit": directive.unit.slug,
        "targets": targets,
        "done": counts[Status.DONE] or 0,
        "declined": counts[Status.DECLINED] or 0,
        "pending": counts[Status.PENDING] or 0,
        "acknowledged": counts[Status.ACKNOWLEDGED] or 0,
        "in_progress": counts[Status.IN_PROGRESS] or 0,
        "overdue": open_count if now > directive.due else 0,
        "completion": round((counts[Status.DONE] or 0) / targets, 4) if targets else 0.0,
        "fields": fields,
    }


def committee_rollup(directive: Directive, *, unit: Unit | None = None, now: dt.datetime | None = None) -> list[dict]:
    """The roll-up for `unit` (default: the issuer) and every committee between it and the target
    units, by path, each shaped as `rollup` gives it plus "name" and "path", in one statement.
    A committee's path is a prefix of its units' (fixed-width segments), so each level of the
    tree is one grouped range scan of the directive's assignments by that prefix (no join of
    every committee to its range); the levels are as many as the constitution has kinds."""
    now = now or timezone.now()
    root = unit or directive.unit
    numbers = numeric_fields(directive.form)
    columns, row_columns, params = _aggregates(numbers)
    levels = max(len(directive.organization.constitution.unit_kinds) - 1, 1)
    scans: list[str] = []
    scan_params: list[str | int] = []
    for level in range(levels):
        width = len(root.path) + PATH_SEGMENT * level
        # Every assignment at or below a committee `width` long, grouped by that committee;
        # a group with nothing strictly below is a target unit, not a committee (but the root).
        scans.append(
            f"SELECT SUBSTR(a.unit_path, 1, {width}) AS prefix, {columns}"
            f" FROM (SELECT {row_columns} FROM {Assignment._meta.db_table} a WHERE a.directive_id = %s"
            f" AND a.unit_path >= %s AND a.unit_path < %s AND LENGTH(a.unit_path) >= {width}) a"
            f" GROUP BY SUBSTR(a.unit_path, 1, {width})"
            f" HAVING MAX(LENGTH(a.unit_path)) > {width} OR SUBSTR(a.unit_path, 1, {width}) = %s"
        )
        scan_params += [*params, directive.pk, root.path, root.path + PATH_END, root.path]
    sql = (
        f"SELECT u.name, u.slug, u.path, t.* FROM ({' UNION ALL '.join(scans)}) t"
        f" JOIN {Unit._meta.db_table} u ON u.path = t.prefix ORDER BY u.path"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, scan_params)
        fetched = cursor.fetchall()
    table = []
    for row in fetched:
        shaped = _shape(directive, _counts(row[4:], numbers), numbers, now)
        shaped.update({"unit": row[1], "name": row[0], "path": row[2]})
        table.append(shaped)
    return table


def may_issue_somewhere(user, organization: Organization) -> bool:
    """Whether the user may issue directives anywhere in the organization (to offer the form)."""
    if is_operator(user):
        return True
    grants = grants_for(user, organization.pk)
    return grants.everything or bool(grants.paths(Right.ISSUE_DIRECTIVES))


def chosen_targets(user, issuer: Unit, slugs: list[str]) -> tuple[list[Unit], list[str]]:
    """The units named by `slugs` that the user sees in the issuer's subtree, and the slugs that
    name no such unit (a unit outside either reads as absent, like one that does not exist)."""
    if not slugs:
        return [], []
    found = {
        unit.slug: unit
        for unit in restrict(
            Unit.objects.in_subtree(issuer.path).filter(organization_id=issuer.organization_id, slug__in=slugs),
            user=user,
            organization=issuer.organization,
        )
    }
    return list(found.values()), [slug for slug in slugs if slug not in found]


def issue_preview(*, issuer: Unit, kind: str = "", chosen: list[Unit] | None = None) -> dict[str, int]:
    """What issuing would reach, before it is issued: `{"units", "officers"}`, the number of target
    units and of the distinct officers in post today who would be told (two counting queries)."""
    units = target_units(issuer=issuer, kind=kind, chosen=chosen)
    return {"units": units.count(), "officers": officers_of(units).count()}
