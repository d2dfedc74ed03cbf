"""The command line of member files: import and export."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer
from django.http import Http404
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from grassroots.cli.common import (
    JsonFlag,
    Refusal,
    get_organization,
    operator,
    out,
    print_json,
)
from grassroots.imports.actions import export_completions, export_members, import_completions, import_members
from grassroots.imports.columns import MappingError, how_ignored
from grassroots.imports.dates import how_read
from grassroots.imports.deciding import ON_CONFLICT, ON_DUPLICATE, OUTCOMES
from grassroots.imports.reading import ImportFileError
from grassroots.imports.runs import close_interrupted_runs
from grassroots.organizations.selectors import unit_named

import_app = typer.Typer(help="Import members from CSV or XLSX files.", no_args_is_help=True)
export_app = typer.Typer(help="Export members to CSV or XLSX files.", no_args_is_help=True)


@import_app.command("members")
def import_members_command(
    file: Annotated[str, typer.Argument(help="CSV or XLSX file of members.")],
    org: Annotated[str, typer.Option("--org", help="Organization (slug).")],
    mapping: Annotated[str | None, typer.Option("--mapping", help="YAML file: {column header: field}.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and report; write nothing.")] = False,
    valid_rows: Annotated[
        bool, typer.Option("--valid-rows", help="Commit the valid rows batch by batch (default: all or nothing).")
    ] = False,
    on_duplicate: Annotated[
        str, typer.Option("--on-duplicate", help="A person already known: skip, update or fill-empty.")
    ] = "skip",
    on_conflict: Annotated[
        str,
        typer.Option(
            "--on-conflict",
            help="A row with a known person's email or phone but another name: report (write nothing for it) "
            "or create (a new person who shares the contact).",
        ),
    ] = "report",
    sheet: Annotated[
        str | None,
        typer.Option(
            "--sheet",
            help="XLSX: the sheet to read (default: the active one, or else the first with recognised headers).",
        ),
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(
            "--encoding",
            help="CSV: the file's encoding (utf-8, cp1252, shift_jis...), when it cannot be told from the file.",
        ),
    ] = None,
    errors: Annotated[str | None, typer.Option("--errors", help="Write every rejected row to this CSV.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Import people and their memberships from a member file (CSV or XLSX)."""
    if on_duplicate not in ON_DUPLICATE:
        raise Refusal(f"--on-duplicate: '{on_duplicate}' is not one of {', '.join(ON_DUPLICATE)}")
    if on_conflict not in ON_CONFLICT:
        raise Refusal(f"--on-conflict: '{on_conflict}' is not one of {', '.join(ON_CONFLICT)}")
    organization = get_organization(org)
    close_interrupted_runs()
    options = dict(
        organization=organization,
        path=file,
        by=operator(),
        mapping=mapping,
        dry_run=dry_run,
        valid_rows=valid_rows,
        on_duplicate=on_duplicate,
        on_conflict=on_conflict,
        sheet=sheet,
        encoding=encoding,
        errors_path=errors,
    )
    try:
        if as_json:
            result = import_members(**options)
        else:
            rows_read = TextColumn("{task.fields[rows]} rows")
            columns = (TextColumn("importing"), BarColumn(), TaskProgressColumn(), rows_read)
            with Progress(*columns, TimeElapsedColumn(), console=Console(stderr=True), transient=True) as bar:
                task = bar.add_task("import", total=1.0, rows=0)
                result = import_members(
                    **options, progress=lambda p: bar.update(task, completed=p.fraction, rows=p.rows_done)
                )
    except (ImportFileError, MappingError) as error:
        raise Refusal(str(error)) from None
    except OSError as error:
        raise Refusal(f"{error.filename or file}: {error.strerror}") from None
    if as_json:
        print_json(result.as_json())
    else:
        counts = ", ".join(f"{getattr(result, name)} {name}" for name in OUTCOMES)
        out.print(f"{result.rows} rows in {result.seconds:.1f} s: {counts}")
        for order in result.read.get("dates", {}).values():
            out.print(f"  dates in '{order['column']}': {how_read(order)}")
        for column in result.read.get("ignored", []):
            out.print(f"  ignored: {how_ignored(column)}")
        shown = result.rejections[:10]
        for rejection in shown:
            out.print(f"  line {rejection.line}, {rejection.column} '{rejection.value}': {rejection.reason}")
        more = result.rejected - len({rejection.line for rejection in shown})
        if more > 0:
            out.print(f"  ... and {more} more rows" + ("" if errors else " (write them all with --errors)"))
        if dry_run:
            out.print("dry run: nothing was written")
            if result.rejected and not valid_rows:
                out.print(
                    f"without --valid-rows this import would be refused and write nothing: {_rows(result.rejected)} "
                    "rejected (--valid-rows imports the valid ones)"
                )
    if result.rejected and not result.written and not dry_run:
        would = f"it would have created {result.would_create} and updated {result.would_update}"
        raise Refusal(
            f"{_rows(result.rejected)} rejected: nothing was written ({would}; --valid-rows imports the valid ones)"
        )


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


@export_app.command("members")
def export_members_command(
    org: Annotated[str, typer.Option("--org", help="Organization (slug).")],
    output: Annotated[str, typer.Option("-o", "--output", help="File to write.")],
    unit: Annotated[str | None, typer.Option("--unit", help="Only this unit's subtree (its name or slug).")] = None,
    format: Annotated[str, typer.Option("--format", help="csv or xlsx.")] = "csv",
) -> None:
    """Export the people of an organization (or a subtree) with their current membership."""
    count = _export(export_members, org=org, output=output, unit=unit, format=format)
    out.print(f"{count} people written to {output}")


def _export(write: Callable[..., int], *, org: str, output: str, unit: str | None, format: str) -> int:
    """Run one export to `output` as the operator: the organization, the subtree and the format
    checked first, an unwritable path refused naming it; returns what `write` counted."""
    if format not in ("csv", "xlsx"):
        raise Refusal(f"--format: '{format}' is not csv or xlsx")
    organization = get_organization(org)
    try:
        target = unit_named(operator(), organization, unit) if unit else None
    except Http404 as missing:
        raise Refusal(str(missing)) from None
    try:
        return write(organization=organization, by=operator(), path=output, format=format, unit=target)
    except OSError as error:
        raise Refusal(f"{error.filename or output}: {error.strerror}") from None


@import_app.command("completions")
def import_completions_command(
    file: Annotated[str, typer.Argument(help="CSV or XLSX: person_id or email, course, completed_on[, how].")],
    org: Annotated[str, typer.Option("--org", help="Organization (slug).")],
    valid_rows: Annotated[
        bool, typer.Option("--valid-rows", help="Write the valid rows (default: all or nothing).")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Import course completions (how: imported unless the file says); every rejected row is listed."""
    try:
        result = import_completions(organization=get_organization(org), by=operator(), path=file, valid_rows=valid_rows)
    except ImportFileError as error:
        raise Refusal(str(error)) from None
    rejected = [{"line": r.line, "column": r.column, "value": r.value, "reason": r.reason} for r in result.rejections]
    if as_json:
        print_json({"created": result.created, "written": result.written, "rejected": rejected})
    else:
        for row in rejected:
            out.print(f"line {row['line']}, {row['column']} '{row['value']}': {row['reason']}")
        written = "" if result.written else " (nothing written: fix the rows or give --valid-rows)"
        out.print(f"{result.created} completions imported, {_rows(len(rejected))} rejected{written}.")
    if not result.written:
        raise typer.Exit(1)


@export_app.command("completions")
def export_completions_command(
    org: Annotated[str, typer.Option("--org", help="Organization (slug).")],
    output: Annotated[str, typer.Option("-o", "--output", help="File to write.")],
    unit: Annotated[str | None, typer.Option("--unit", help="Only this unit's subtree (its name or slug).")] = None,
    format: Annotated[str, typer.Option("--format", help="csv or xlsx.")] = "csv",
) -> None:
    """Export the course completions of an organization's people (or a subtree's)."""
    count = _export(export_completions, org=org, output=output, unit=unit, format=format)
    out.print(f"{_rows(count)} written to {output}")


@import_app.command("prune")
def prune_imports_command(
    days: Annotated[
        int | None,
        typer.Option("--days", min=0, help="Keep files younger than this (default: GRASSROOTS_IMPORT_RETENTION_DAYS)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Remove uploaded member files and errors files older than the retention period (every import
    job and every worker does it too)."""
    from django.conf import settings

    from grassroots.imports.jobs import prune_import_files

    kept = settings.GRASSROOTS_IMPORT_RETENTION_DAYS if days is None else days
    removed = prune_import_files(days=kept)
    if as_json:
        print_json({"removed": removed, "days": kept})
    else:
        out.print(f"{removed} import file(s) older than {kept} days removed")
