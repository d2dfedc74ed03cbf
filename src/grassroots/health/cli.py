"""The command line of unit health: `grassroots health UNIT`, its roll-up, the units that need
support, the snapshots' backfill, and `grassroots growth UNIT`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from typer.core import TyperGroup

from grassroots.cli.common import (
    JsonFlag,
    OnOption,
    Refusal,
    cli_actor,
    get_organization,
    get_unit,
    operator,
    out,
    parse_date,
    print_json,
)
from grassroots.errors import ActionRefused, day_or_today, refuse_too_early
from grassroots.health.actions import backfill_snapshots
from grassroots.health.selectors import health_of
from grassroots.health.selectors.growth import MAX_MONTHS, growth_of, months_before, period_day
from grassroots.health.selectors.snapshots import needs_support, rollup_of, today_of


class _UnitFirst(TyperGroup):
    """`grassroots health UNIT ...` is the unit's health; a known command name is that command."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["unit", *args]
        return super().parse_args(ctx, args)


health_app = typer.Typer(
    cls=_UnitFirst,
    help="Unit health: `health UNIT`, `health rollup UNIT`, `health needs-support UNIT`, `health backfill ORG`.",
    no_args_is_help=True,
)


def _day(unit, on: str | None) -> dt.date:
    """The day of `--on` (default today where the organization is); refused in the future or
    before `EARLIEST_DAY`."""
    return day_or_today("--on", parse_date(on), time_zone=unit.organization.time_zone)


def _pct(value) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"


@health_app.command("unit", hidden=True)
def show(unit: str, on: OnOption = None, as_json: JsonFlag = False) -> None:
    """A unit's health on a day (default today): each indicator's value, threshold and verdict.

    JSON: {"unit", "on", "consolidated", "tier", "tier_label", "score", "members",
    "in_good_standing", "indicators": [{"indicator", "value", "threshold", "passed",
    "window_days", ...}]}."""
    target = get_unit(unit)
    day = _day(target, on)
    result = health_of(operator(), target, on=day)
    if as_json:
        print_json({**result.as_dict(), "members": result.members, "in_good_standing": result.in_good_standing})
        return
    verdict = "consolidated" if result.consolidated else "not consolidated"
    tier = f"tier {result.tier} ({result.tier_label})" if result.tier is not None else "no tier"
    out.print(f"{target.name} on {day.isoformat()}: {verdict}, {tier}")
    table = Table("indicator", "required", "actual", "", "missing")
    for row in result.results:
        mark = "–" if row.passed is None else ("✓" if row.passed else "✗")
        table.add_row(row.title, row.required_text, row.actual, mark, row.missing)
    out.print(table)


@health_app.command("rollup")
def rollup(unit: str, on: OnOption = None, as_json: JsonFlag = False) -> None:
    """The committee's basic units on a day: how many in each tier, the share consolidated, the
    member-weighted attendance rate and the weakest units with the indicators they fail."""
    target = get_unit(unit)
    result = rollup_of(operator(), target, on=_day(target, on))
    if as_json:
        print_json(result)
        return
    out.print(
        f"{target.name} on {result['on']} ({result['source']}): {result['units']} basic units, "
        f"{result['consolidated']} consolidated ({_pct(result['consolidated_share'])}), "
        f"attendance {_pct(result['attendance_rate'])}"
    )
    out.print("tiers: " + ", ".join(f"{tier}: {count}" for tier, count in result["tiers"].items()))  # type: ignore[attr-defined]
    table = Table("weakest", "tier", "failing")
    for row in result["weakest"]:  # type: ignore[attr-defined]
        table.add_row(row["name"], str(row["tier"] or "–"), ", ".join(row["failing"]))
    out.print(table)


@health_app.command("needs-support")
def needs_support_command(unit: str, as_json: JsonFlag = False) -> None:
    """The units below UNIT that fell a tier between the last two snapshot days."""
    target = get_unit(unit)
    result = needs_support(operator(), target)
    if as_json:
        print_json(result)
        return
    if target.is_basic:
        out.print(f"{target.name} is a basic unit: there is no unit below it to compare.")
        return
    if result["since"] is None:
        out.print(f"No two snapshot days yet below {target.name}: nothing to compare.")
        return
    if not result["units"]:
        out.print(f"No unit below {target.name} fell a tier ({result['since']} to {result['on']}).")
        return
    table = Table("unit", "parent", "tier", "failing")
    for row in result["units"]:  # type: ignore[attr-defined]
        table.add_row(
            row["name"], row["parent"] or "", f"{row['from_tier']} → {row['to_tier']}", ", ".join(row["failing"])
        )
    out.print(table)


@health_app.command("backfill")
def backfill(
    org: str,
    since: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")],
    until: Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD (default: yesterday).")] = None,
) -> None:
    """Rebuild the organization's daily health snapshots for these days (a transaction per batch of units)."""
    organization = get_organization(org)
    first = parse_date(since, "--from")
    assert first is not None
    refuse_too_early("--from", first)
    last = parse_date(until, "--to")
    if last is None:
        last = today_of(organization) - dt.timedelta(days=1)
        if first > last:
            raise ActionRefused(
                f"--from: {first.isoformat()} is after the last complete day, {last.isoformat()}", field="from"
            )
    days = max((last - first).days + 1, 0)
    columns = (TextColumn("snapshots"), BarColumn(), TaskProgressColumn())
    with Progress(*columns, TimeElapsedColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("days", total=days)
        written = backfill_snapshots(
            organization=organization,
            since=first,
            until=last,
            by=cli_actor(),
            progress=lambda day, units: bar.advance(task),
        )
    units = sum(written.values())
    out.print(f"{len(written)} days written ({first.isoformat()} to {last.isoformat()}), {units} unit-days.")


def growth(
    unit: str,
    since: Annotated[
        str | None, typer.Option("--from", help="First month, YYYY-MM or YYYY-MM-DD (default: 12 months ago).")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--to", help="Last month, YYYY-MM or YYYY-MM-DD (default: this month).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Members of the unit's subtree month by month: joined, transferred, ended, status changes,
    members at the close by status, retention and churn by reason."""
    target = get_unit(unit)
    zone = target.organization.time_zone
    last = period_day("--to", until, end=True, time_zone=zone) if until else today_of(target.organization)
    first = period_day("--from", since, end=False, time_zone=zone) if since else months_before(last, 11)
    if first > last:
        raise Refusal(f"--from: {first:%Y-%m} is after --to {last:%Y-%m}")
    result = growth_of(operator(), target, since=first, until=last)
    if as_json:
        print_json(result)
        return
    if str(result["since"]) > first.isoformat():
        out.print(f"From {str(result['since'])[:7]}: at most {MAX_MONTHS} months are read, the latest.")
    table = Table("month", "opening", "joined", "in", "out", "ended", "members", "net", "retention", "churn")
    months: list = result["months"]  # type: ignore[assignment]
    for row in [*months, result["total"]]:
        churn = ", ".join(f"{reason} {count}" for reason, count in row["churn"].items())
        table.add_row(
            row["month"],
            *(str(row[key]) for key in ("opening", "joined", "transferred_in", "transferred_out", "ended", "members")),
            f"{row['net_growth']:+d}",
            _pct(row["retention"]),
            churn,
        )
    out.print(table)
