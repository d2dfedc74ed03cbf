"""The command line of directives: issue one to the units of a subtree, pass it on, follow its
roll-up, and a unit's answer and report (`grassroots directive ...`, `grassroots assignment ...`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
import yaml

from grassroots.cli.common import JsonFlag, Refusal, get_unit, operator, out, parse_date, print_json
from grassroots.ids import is_row_id
from grassroots.meetings.models import Decision
from grassroots.meetings.times import parse_local

from . import actions, jobs, selectors
from .models import Assignment, Directive

directive_app = typer.Typer(help="Directives sent down to the units of a subtree.", no_args_is_help=True)
assignment_app = typer.Typer(help="A unit's assignment of a directive: its status and report.", no_args_is_help=True)

TargetsKind = Annotated[
    str, typer.Option("--targets-kind", help="Every unit of this kind in the subtree (default: the basic units).")
]
Targets = Annotated[str | None, typer.Option("--targets", help="Chosen units, by slug, comma-separated.")]


def _directive(ref: str) -> Directive:
    found = (
        Directive.objects.filter(pk=ref).select_related("unit__organization", "organization").first()
        if is_row_id(ref)
        else None
    )
    if found is None:
        raise Refusal(f"no directive {ref}")
    return found


def _assignment(directive: Directive, unit_ref: str) -> Assignment:
    unit = get_unit(unit_ref, organization=directive.organization)
    found = Assignment.objects.filter(directive=directive, unit=unit).select_related("unit", "directive").first()
    if found is None:
        raise Refusal(f"{unit.slug} has no assignment of directive {directive.pk}")
    found.directive = directive
    return found


def _due(text: str) -> dt.datetime:
    return parse_local(text, field="due")


def _targets(organization, targets_kind: str, targets: str | None) -> tuple[str, list | None]:
    if targets:
        if targets_kind:
            raise Refusal("--targets-kind and --targets: give one of them")
        slugs = [slug.strip() for slug in targets.split(",") if slug.strip()]
        return "", [get_unit(slug, organization=organization, option="--targets") for slug in slugs]
    return targets_kind, None


def _form(path: str | None) -> list | None:
    if path is None:
        return None
    try:
        loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise Refusal(f"--form: {path} cannot be read ({error})") from None
    except yaml.YAMLError as error:
        raise Refusal(f"--form: {path} is not YAML ({str(error).splitlines()[0]})") from None
    if not isinstance(loaded, dict) or "fields" not in loaded:
        raise Refusal(f"--form: {path} must hold `fields: [{{name, type, required, choices}}]`")
    return loaded["fields"]


@directive_app.command("issue")
def issue(
    unit: Annotated[str, typer.Argument(help="The issuing unit (slug, or org/slug).")],
    title: Annotated[str, typer.Option("--title", help="The directive's title.")],
    due: Annotated[str, typer.Option("--due", help="Due, YYYY-MM-DD HH:MM in the issuer's time zone.")],
    kind: Annotated[str, typer.Option("--kind", help="task, report or campaign.")] = "task",
    targets_kind: TargetsKind = "",
    targets: Targets = None,
    form: Annotated[str | None, typer.Option("--form", help="A YAML file: fields: [{name, type, ...}].")] = None,
    body: Annotated[str, typer.Option("--body", help="The text, in Markdown.")] = "",
    completion: Annotated[
        str,
        typer.Option(
            "--completion",
            help="A unit that passes it on is done when its units are (units) or when it reports (report).",
        ),
    ] = "units",  # fmt: skip
    draft: Annotated[bool, typer.Option("--draft", help="Keep it as a draft; do not issue it yet.")] = False,
    decision: Annotated[
        int | None, typer.Option("--decision", help="The carried decision of the issuer's meeting it executes (id).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Issue a directive to units of the issuer's subtree; prints its id (or {"id": n})."""
    issuer = get_unit(unit)
    found_decision = None
    if decision is not None:
        found_decision = Decision.objects.filter(pk=decision, meeting__unit__organization=issuer.organization).first()
        if found_decision is None:
            raise Refusal(f"--decision: no decision {decision} in {issuer.organization.slug}")
    if not targets_kind and not targets:
        targets_kind = next(
            (key for key, value in issuer.organization.constitution.unit_kinds.items() if value.basic), ""
        )
    kind_of_targets, chosen = _targets(issuer.organization, targets_kind, targets)
    directive, _count = jobs.create_and_issue(
        draft=draft,
        issuer=issuer,
        title=title,
        due=_due(due),
        by=operator(),
        kind=kind,
        body=body,
        target_kind=kind_of_targets,
        targets=chosen,
        form=_form(form),
        completion=completion,
        decision=found_decision,
    )
    if as_json:
        print_json({"id": directive.pk})
    else:
        out.print(directive.pk)


@directive_app.command("send")
def send(directive: Annotated[str, typer.Argument(help="Directive id (a draft).")], as_json: JsonFlag = False) -> None:
    """Issue a draft directive; prints the number of target units."""
    count = jobs.issue(directive=_directive(directive), by=operator())
    print_json({"assignments": count}) if as_json else out.print(f"{count} assignments")


def _status_text(row: dict) -> str:
    done, targets = row["done"], row["targets"]
    lines = [
        f"{row['unit']}: {done} of {targets} done ({round(row['completion'] * 100)} %), {row['declined']} declined, "
        f"{row['pending']} pending, {row['acknowledged']} acknowledged, {row['in_progress']} in progress, "
        f"{row['overdue']} overdue"
    ]
    for name, figures in row["fields"].items():
        lines.append(f"  {name}: {figures['sum']} (mean {figures['mean']}), reported by {figures['reported']} of "
                     f"{figures['of']}")  # fmt: skip
    return "\n".join(lines)


@directive_app.command("status")
def status(
    directive: Annotated[str, typer.Argument(help="Directive id.")],
    unit: Annotated[str | None, typer.Option("--unit", help="One committee's part of it.")] = None,
    table: Annotated[bool, typer.Option("--table", help="Every committee between it and the units.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """The roll-up: targets, done, declined, pending, overdue, completion and the report's numbers."""
    found = _directive(directive)
    part = get_unit(unit, organization=found.organization) if unit else None
    if table:
        rows = selectors.committee_rollup(found, unit=part)
        if as_json:
            print_json(rows)
        else:
            out.print("\n".join(_status_text(row) for row in rows))
        return
    row = selectors.rollup(found, unit=part)
    if as_json:
        print_json({key: value for key, value in row.items() if key != "unit"})
    else:
        out.print(f"{found.title} (version {found.version}, {found.status})")
        out.print(_status_text(row))


@directive_app.command("pass-on")
def pass_on(
    directive: Annotated[str, typer.Argument(help="Directive id.")],
    unit: Annotated[str, typer.Argument(help="The committee passing its assignment on.")],
    targets_kind: TargetsKind = "",
    targets: Targets = None,
    due: Annotated[str | None, typer.Option("--due", help="YYYY-MM-DD HH:MM (default: the directive's).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Pass a committee's assignment on to units of its own subtree; prints the new directive's id."""
    found = _directive(directive)
    assignment = _assignment(found, unit)
    if not targets_kind and not targets:
        targets_kind = next(
            (key for key, value in found.organization.constitution.unit_kinds.items() if value.basic), ""
        )
    kind_of_targets, chosen = _targets(found.organization, targets_kind, targets)
    child = jobs.pass_on(
        assignment=assignment,
        by=operator(),
        target_kind=kind_of_targets,
        targets=chosen,
        due=_due(due) if due else None,
    )
    print_json({"id": child.pk}) if as_json else out.print(child.pk)


@directive_app.command("reissue")
def reissue(
    directive: Annotated[str, typer.Argument(help="Directive id.")],
    title: Annotated[str | None, typer.Option("--title")] = None,
    body: Annotated[str | None, typer.Option("--body")] = None,
    due: Annotated[
        str | None, typer.Option("--due", help="YYYY-MM-DD HH:MM in the directive's own zone (the one it shows).")
    ] = None,
) -> None:
    """Issue a changed version; the units that had acknowledged it are told again."""
    found = jobs.reissue(
        directive=_directive(directive), by=operator(), title=title, body=body, due=_due(due) if due else None
    )
    out.print(f"version {found.version}")


@directive_app.command("close")
def close(directive: Annotated[str, typer.Argument(help="Directive id.")]) -> None:
    """Close an issued directive."""
    actions.close_directive(directive=_directive(directive), by=operator())
    out.print("closed")


@directive_app.command("remind")
def remind(as_json: JsonFlag = False) -> None:
    """Run the reminder job now (the workers run it every hour): prints how many were reminded."""
    sent = jobs.run_reminders()
    print_json(sent) if as_json else out.print(", ".join(f"{kind}: {count}" for kind, count in sent.items()))


@assignment_app.command("set")
def set_status(
    directive: Annotated[str, typer.Argument(help="Directive id.")],
    unit: Annotated[str, typer.Argument(help="The unit (slug).")],
    new_status: Annotated[
        str, typer.Argument(metavar="STATUS", help="pending, acknowledged, in_progress, done or declined.")
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why it is declined (required then).")] = "",
) -> None:
    """Set a unit's status of its assignment."""
    assignment = actions.set_assignment_status(
        assignment=_assignment(_directive(directive), unit), status=new_status.replace(" ", "_"), reason=reason,
        by=operator(),
    )  # fmt: skip
    out.print(assignment.status)


def _values(pairs: list[str], form: list[dict]) -> tuple[dict, dict]:
    types = {field["name"]: field["type"] for field in form}
    values: dict[str, object] = {}
    files: dict[str, tuple[str, bytes]] = {}
    for pair in pairs:
        name, separator, value = pair.partition("=")
        name = name.strip()
        if not separator or not name:
            raise Refusal(f"--value: '{pair}' is not name=value")
        if types.get(name) == "file":
            try:
                files[name] = (Path(value).name, Path(value).read_bytes())
            except OSError as error:
                raise Refusal(f"{name}: {value} cannot be read ({error.strerror})") from None
        else:
            values[name] = value
    return values, files


@assignment_app.command("report")
def report(
    directive: Annotated[str, typer.Argument(help="Directive id.")],
    unit: Annotated[str, typer.Argument(help="The unit (slug).")],
    value: Annotated[
        list[str] | None, typer.Option("--value", help="name=value (repeat); a file field takes a file's path.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """File the unit's report (a new revision); prints the revision number."""
    found = _directive(directive)
    values, files = _values(value or [], found.form)
    filed = actions.submit_report(assignment=_assignment(found, unit), values=values, files=files, by=operator())
    print_json({"revision": filed.revision, "values": filed.values}) if as_json else out.print(filed.revision)


@assignment_app.command("adapt")
def adapt(
    directive: Annotated[str, typer.Argument(help="Directive id.")],
    unit: Annotated[str, typer.Argument(help="The unit (slug).")],
    text: Annotated[str, typer.Option("--text", help="How the unit carries it out.")] = "",
    on: Annotated[str | None, typer.Option("--date", help="The unit's own date, YYYY-MM-DD.")] = None,
) -> None:
    """Record the unit's local adaptation (text, local date)."""
    actions.adapt_assignment(
        assignment=_assignment(_directive(directive), unit), text=text, local_date=parse_date(on, "--date"),
        by=operator(),
    )  # fmt: skip
    out.print("adapted")


@assignment_app.command("list")
def list_open(
    unit: Annotated[str, typer.Argument(help="The unit (slug).")],
    as_json: JsonFlag = False,
) -> None:
    """The unit's open assignments, the first due first."""
    found = get_unit(unit)
    rows: list[dict[str, str | int]] = [
        {
            "directive": assignment.directive_id,
            "title": assignment.directive.title,
            "due": assignment.directive.due.astimezone(assignment.directive.zone).isoformat(),
            "status": assignment.status,
        }
        for assignment in selectors.open_assignments_of(found)
    ]
    if as_json:
        print_json(rows)
    else:
        for row in rows:
            out.print(f"{row['directive']}  {str(row['due'])[:16]}  {row['status']:<12}  {row['title']}")
