"""`grassroots apportion`: delegates per unit from a CSV file of `unit,members` rows, and
`grassroots conference ...`: conferences of an organization (add, apportion, call, status, list).

`apportion` is standalone: no database, no organization; the engine in
`conferences.apportionment` does the work. A bad row or argument prints one line on standard
error naming it (its flag) and exits non-zero.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Annotated, Any

import typer
from django.db.models import Sum
from rich.table import Column, Table

from grassroots.cli.common import JsonFlag, Refusal, get_organization, get_unit, operator, out, parse_date, print_json
from grassroots.errors import ActionRefused
from grassroots.ids import is_row_id

from . import actions, apportionment, cli_delegations, selectors
from .apportionment import METHODS, ROUNDINGS, Apportionment, ApportionmentError
from .models import Conference

FLAGS = {
    "seats": "--seats",
    "method": "--method",
    "minimum": "--minimum",
    "maximum": "--maximum",
    "per": "--per",
    "rounding": "--rounding",
    "at_large": "--at-large",
    "votes": "--weighted",
}


def apportion(
    file: Annotated[Path, typer.Argument(help="CSV of unit,members rows (a unit,members header is allowed).")],
    seats: Annotated[int | None, typer.Option("--seats", help="Seats to share out (with --method).")] = None,
    method: Annotated[str | None, typer.Option("--method", help=" | ".join(METHODS))] = None,
    minimum: Annotated[int, typer.Option("--minimum", help="Seats every unit gets at least.")] = 0,
    maximum: Annotated[int | None, typer.Option("--maximum", help="Seats a unit gets at most.")] = None,
    per: Annotated[int | None, typer.Option("--per", help="One delegate per N members.")] = None,
    rounding: Annotated[str | None, typer.Option("--rounding", help=" | ".join(ROUNDINGS) + " (with --per)")] = None,
    brackets: Annotated[Path | None, typer.Option("--brackets", help="File of brackets, '1-14: 1' a line.")] = None,
    at_large: Annotated[int, typer.Option("--at-large", help="Seats added to every unit (--per, --brackets).")] = 0,
    weighted: Annotated[
        int | None, typer.Option("--weighted", help="Weighted delegates carrying at most N member votes each.")
    ] = None,
    seed: Annotated[str | None, typer.Option("--seed", help="Seed of the lot that breaks ties.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Apportion delegates to units by their members: a house of --seats by --method, one per
    --per members, by --brackets, or --weighted delegates."""
    chosen = [
        flag for flag, value in (("--seats", seats), ("--per", per), ("--brackets", brackets)) if value is not None
    ]
    chosen += ["--weighted"] if weighted is not None else []
    if len(chosen) != 1:
        raise Refusal(
            "give one of --seats N --method M, --per N, --brackets FILE or --weighted N"
            + (f" (not {' and '.join(chosen)})" if chosen else "")
        )
    if (method is not None) != (seats is not None):
        raise Refusal("--seats and --method go together")
    if rounding is not None and per is None:
        raise Refusal("--rounding applies to --per")
    if at_large and per is None and brackets is None:
        raise Refusal("--at-large applies to --per and --brackets")
    if weighted is not None and (minimum or maximum is not None):
        raise Refusal("--minimum and --maximum do not apply to --weighted")
    members = read_members(file)
    try:
        if seats is not None:
            assert method is not None  # --seats and --method go together (checked above)
            result = apportionment.apportion(
                members, seats=seats, method=method, minimum=minimum, maximum=maximum, seed=seed
            )
        elif per is not None:
            result = apportionment.apportion_per(
                members, per=per, rounding=rounding or "floor", at_large=at_large, minimum=minimum, maximum=maximum
            )
        elif brackets is not None:
            table = _read(brackets)
            result = apportionment.apportion_brackets(
                members, brackets=table, at_large=at_large, minimum=minimum, maximum=maximum
            )
        else:
            assert weighted is not None  # one of the four was given (checked above)
            result = apportionment.apportion_weighted(members, votes=weighted)
    except ApportionmentError as error:
        message = str(error)
        if error.field in FLAGS and message.startswith(f"{error.field}:"):
            message = FLAGS[error.field] + message[len(error.field) :]
        elif error.field == "brackets":
            message = f"{brackets}: {message}"
        raise Refusal(message) from None
    if as_json:
        print_json(result.as_json())
    else:
        show(result)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise Refusal(f"{path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise Refusal(f"{path}: not UTF-8 text") from None


def read_members(path: Path) -> dict[str, int]:
    """Unit → members from `unit,members` rows; a bad row is refused naming its line."""
    members: dict[str, int] = {}
    lines: dict[str, int] = {}
    reader = csv.reader(io.StringIO(_read(path), newline=""))
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != 2:
                raise Refusal(f"{path} line {line}: expected 2 columns (unit,members), found {len(row)}")
            unit, count = row[0].strip(), row[1].strip()
            if not members and not lines and (unit.lower(), count.lower()) == ("unit", "members"):
                lines[""] = line  # the header
                continue
            if not unit:
                raise Refusal(f"{path} line {line}: the unit has no name")
            if not unit.isprintable():
                raise Refusal(f"{path} line {line}: the unit's name {unit!r} holds a control character")
            if not re.fullmatch(r"-?\d+", count):
                raise Refusal(f"{path} line {line}: members {count!r} is not a whole number")
            if int(count) < 0:
                raise Refusal(f"{path} line {line}: members cannot be negative ({count})")
            if unit in lines:
                raise Refusal(f"{path} line {line}: unit '{unit}' is already on line {lines[unit]}")
            members[unit], lines[unit] = int(count), line
    except csv.Error as error:
        raise Refusal(f"{path} line {reader.line_num}: {error}") from None
    if not members:
        raise Refusal(f"{path}: no unit,members rows")
    return members


def show(result: Apportionment | dict) -> None:
    """The result (or its JSON, as `stored_apportionment` gives it) as a table, then the rule, ties,
    warnings and the input's hash."""
    shown: dict[str, Any] = result.as_json() if isinstance(result, Apportionment) else result
    weighted = any("votes" in line for line in shown["units"])
    columns = [Column("unit"), *(Column(name, justify="right") for name in ("members", "quota", "lower", "upper"))]
    columns += [Column("seats", justify="right")] + ([Column("votes")] if weighted else [])
    table = Table(*columns, title=f"{shown['method']}: {shown['seats']} seats")
    for line in shown["units"]:
        cells = [line["unit"], f"{line['members']:,}", line["quota"], line["lower_quota"], line["upper_quota"]]
        texts = ["" if cell is None else str(cell) for cell in [*cells, line["seats"]]]
        table.add_row(*texts, *([", ".join(map(str, line.get("votes", ())))] if weighted else []))
    out.print(table)
    out.print(shown["rule"])
    for tie in shown["ties"]:
        how = "larger membership" if tie["decided_by"] == "members" else f"lot (seed {shown['parameters']['seed']})"
        out.print(
            f"Tie ({tie['claim']}) among {', '.join(tie['units'])}: {tie['seats']} seat(s) to "
            f"{', '.join(tie['winners'])}, by {how}."
        )
    for warning in shown["warnings"]:
        out.print(f"Warning: {warning}")
    out.print(f"Input SHA-256: {shown['input_sha256']}")


conference_app = typer.Typer(help="Conferences of delegates apportioned by membership.", no_args_is_help=True)

# The flag of each field an action's refusal may name.
CONFERENCE_FLAGS = FLAGS | {
    "name": "--name",
    "cutoff": "--cutoff",
    "starts_on": "--starts",
    "ends_on": "--ends",
    "place": "--place",
    "statuses": "--statuses",
    "minimum_tenure_days": "--tenure",
    "standing": "--standing",
    "delegation_kind": "--level",
    "seed": "--seed",
    "brackets": "--brackets",
    "votes_per_delegate": "--votes-per-delegate",
}


def _refused(refusal: ActionRefused, flags: dict[str, str] | None = None) -> Refusal:
    """An action's refusal as one line naming the command's flag for its field (`flags`: field
    -> flag, default the conference commands')."""
    flags = CONFERENCE_FLAGS if flags is None else flags
    message = refusal.full_message
    if refusal.field in flags and message.startswith(f"{refusal.field}:"):
        message = flags[refusal.field] + message[len(refusal.field) :]
    return Refusal(message)


def _conference(ref: str) -> Conference:
    found = (
        Conference.objects.filter(pk=ref).select_related("unit__organization", "organization").first()
        if is_row_id(ref)
        else None
    )
    if found is None:
        raise Refusal(f"no conference {ref}")
    return found


@conference_app.command("add")
def conference_add(
    unit: Annotated[str, typer.Argument(help="The convening committee or top unit (slug, or org/slug).")],
    name: Annotated[str, typer.Option("--name", help="The conference's name.")],
    cutoff: Annotated[str, typer.Option("--cutoff", help="Members are counted as on this day, YYYY-MM-DD.")],
    method: Annotated[str | None, typer.Option("--method", help=" | ".join(METHODS) + " (with --seats)")] = None,
    seats: Annotated[int | None, typer.Option("--seats", help="Seats to share out (with --method).")] = None,
    minimum: Annotated[int | None, typer.Option("--minimum", help="Seats every unit gets at least.")] = None,
    maximum: Annotated[int | None, typer.Option("--maximum", help="Seats a unit gets at most.")] = None,
    per: Annotated[int | None, typer.Option("--per", help="One delegate per N members.")] = None,
    rounding: Annotated[str | None, typer.Option("--rounding", help=" | ".join(ROUNDINGS) + " (with --per)")] = None,
    brackets: Annotated[Path | None, typer.Option("--brackets", help="File of brackets, '1-14: 1' a line.")] = None,
    starts: Annotated[str | None, typer.Option("--starts", help="First day, YYYY-MM-DD.")] = None,
    ends: Annotated[str | None, typer.Option("--ends", help="Last day, YYYY-MM-DD.")] = None,
    place: Annotated[str, typer.Option("--place", help="Where it meets.")] = "",
    statuses: Annotated[
        str | None, typer.Option("--statuses", help="Statuses counted, comma-separated (default: the constitution's).")
    ] = None,
    tenure: Annotated[int, typer.Option("--tenure", help="Days a membership must have run by the cut-off.")] = 0,
    standing: Annotated[
        bool, typer.Option("--standing", help="Count only members in good standing (the constitution's rule).")
    ] = False,
    level: Annotated[
        str, typer.Option("--level", help="The kind of unit that sends delegations (default: the basic units).")
    ] = "",
    seed: Annotated[
        str | None, typer.Option("--seed", help="Seed of the lot that breaks ties (default: random).")
    ] = None,
    votes_per_delegate: Annotated[
        int | None, typer.Option("--votes-per-delegate", help="Weighted delegates: at most N member votes each.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Plan a conference of delegates from the units under UNIT; prints its id (or {"id": n}).
    Without --method, --per or --brackets the rule is the constitution's (conferences: apportionment)."""
    chosen = [
        flag for flag, value in (("--seats", seats), ("--per", per), ("--brackets", brackets)) if value is not None
    ]
    if len(chosen) > 1:
        raise Refusal(f"give one of --method M --seats N, --per N or --brackets FILE (not {' and '.join(chosen)})")
    if seats is not None and method is None:
        raise Refusal(
            "--seats goes with --method M (a house-size method); without --method, --per or --brackets the "
            "rule is the constitution's (conferences: apportionment)"
        )
    if rounding is not None and per is None:
        raise Refusal("--rounding applies to --per")
    convening = get_unit(unit)
    rule = method or (Conference.PER if per is not None else Conference.BRACKETS if brackets is not None else None)
    try:
        conference = actions.add_conference(
            unit=convening,
            name=name,
            cutoff=_day(cutoff, "--cutoff"),
            by=operator(),
            method=rule,
            seats=seats,
            minimum=minimum,
            maximum=maximum,
            per=per,
            rounding=rounding or "",
            brackets=_read(brackets) if brackets is not None else "",
            starts_on=parse_date(starts, "--starts"),
            ends_on=parse_date(ends, "--ends"),
            place=place,
            statuses=[status.strip() for status in statuses.split(",") if status.strip()] if statuses else None,
            minimum_tenure_days=tenure,
            standing=standing,
            delegation_kind=level,
            seed=seed,
            votes_per_delegate=votes_per_delegate,
        )
    except ActionRefused as refusal:
        raise _refused(refusal) from None
    if as_json:
        print_json({"id": conference.pk})
    else:
        out.print(conference.pk)


def _day(text: str, option: str):
    day = parse_date(text, option)
    assert day is not None
    return day


@conference_app.command("apportion")
def conference_apportion(
    conference: Annotated[str, typer.Argument(help="The conference (id).")], as_json: JsonFlag = False
) -> None:
    """Apportion the delegates from the members counted on the cut-off date, and store them; prints
    the table (or the same JSON as `grassroots apportion --json`). Once the conference is called
    its apportionment is frozen: prints the stored one, as it was at the call."""
    found = _conference(conference)
    try:
        if found.status != Conference.Status.PLANNED:
            stored = actions.stored_apportionment(found)
            print_json(stored) if as_json else show(stored)
            return
        result = actions.apportion_conference(conference=found, by=operator())
    except ActionRefused as refusal:
        raise _refused(refusal) from None
    if as_json:
        print_json(result.as_json())
    else:
        show(result)


@conference_app.command("call")
def conference_call(conference: Annotated[str, typer.Argument(help="The conference (id).")]) -> None:
    """Call the conference: freeze its apportionment and tell each unit's officers its seats."""
    found = _conference(conference)
    try:
        actions.call_conference(conference=found, by=operator())
    except ActionRefused as refusal:
        raise _refused(refusal) from None
    lines = selectors.allocations_of(found)
    seats = sum(line.seats for line in lines)
    out.print(f"Called {found.name}: {seats} seats over {len(lines)} units; their officers are told.")


@conference_app.command("status")
def conference_status(
    conference: Annotated[str, typer.Argument(help="The conference (id).")],
    status: Annotated[str, typer.Argument(help="credentialing, in_session or closed.")],
) -> None:
    """Step a called conference on: credentialing, then in session, then closed."""
    found = _conference(conference)
    try:
        actions.set_conference_status(conference=found, status=status, by=operator())
    except ActionRefused as refusal:
        raise _refused(refusal) from None
    out.print(f"{found.name} is {found.get_status_display()}.")


@conference_app.command("list")
def conference_list(
    org: Annotated[str | None, typer.Option("--org", help="Only this organization's.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """The conferences, the latest cut-off first, with their seats."""
    conferences = Conference.objects.select_related("organization", "unit").annotate(total=Sum("allocations__seats"))
    if org is not None:
        conferences = conferences.filter(organization=get_organization(org))
    rows = [
        {
            "id": found.pk,
            "organization": found.organization.slug,
            "unit": found.unit.slug,
            "name": found.name,
            "cutoff": found.cutoff.isoformat(),
            "status": found.status,
            "seats": found.total,
            "rule": found.rule_summary,
            "rule_from_constitution": found.rule_from_constitution,
        }
        for found in conferences.order_by("-cutoff", "-pk")
    ]
    if as_json:
        print_json(rows)
        return
    table = Table("id", "unit", "name", "cut-off", "status", Column("seats", justify="right"))
    for row in rows:
        seats = "" if row["seats"] is None else str(row["seats"])
        table.add_row(str(row["id"]), f"{row['organization']}/{row['unit']}", str(row["name"]), str(row["cutoff"]),
                      str(row["status"]), seats)  # fmt: skip
    out.print(table)


for _name, _command in (
    ("delegation", cli_delegations.delegation),
    ("credential", cli_delegations.credential),
    ("checkin", cli_delegations.checkin),
    ("credentials", cli_delegations.credentials),
    ("participants", cli_delegations.participants),
):
    conference_app.command(_name)(_command)

# The conference in session (motions, amendments, polls, results, elections, proxies, the
# constituting of the top unit): conferences/cli_assembly.py.
from .cli_assembly import FLAGS as ASSEMBLY_FLAGS  # noqa: E402
from .cli_assembly import (  # noqa: E402
    amendment_app,
    conference_constitute,
    conference_result,
    election_app,
    motion_app,
    poll_app,
    proxy_app,
)

CONFERENCE_FLAGS.update(ASSEMBLY_FLAGS)

conference_app.add_typer(poll_app, name="poll")
conference_app.add_typer(motion_app, name="motion")
conference_app.add_typer(amendment_app, name="amendment")
conference_app.add_typer(election_app, name="election")
conference_app.add_typer(proxy_app, name="proxy")
conference_app.command("result")(conference_result)
conference_app.command("constitute")(conference_constitute)
