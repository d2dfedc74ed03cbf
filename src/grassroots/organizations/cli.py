"""The command line of organizations: org, unit and post commands, readiness and the tree."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from django.db.models import Q
from django.utils import timezone
from rich.table import Column, Table

from grassroots.access import restrict
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
from grassroots.constitution import ConstitutionError, load_constitution_text, template_names
from grassroots.errors import day_or_today
from grassroots.health.selectors import health_of
from grassroots.organizations import actions
from grassroots.organizations.actions import (
    add_unit,
    assign_post,
    create_organization,
    end_post,
    found_unit,
    move_unit,
    rename_unit,
)
from grassroots.organizations.models import OfficerPost
from grassroots.organizations.selectors import organizations_visible_to, readiness_of, tree_of
from grassroots.people.counts import recount, stale_paths

org_app = typer.Typer(help="Organizations.", no_args_is_help=True)
unit_app = typer.Typer(help="Units of the tree and their lifecycle.", no_args_is_help=True)
post_app = typer.Typer(help="Officer posts.", no_args_is_help=True)


@org_app.command("create")
def org_create(
    slug: str,
    name: Annotated[str, typer.Option("--name", help="The organization's name.")],
    constitution: Annotated[str, typer.Option("--constitution", help="A YAML file or a template name.")],
) -> None:
    """Create an organization governed by a constitution file or a shipped template."""
    try:
        text = load_constitution_text(constitution)
    except ConstitutionError as error:
        raise Refusal(f"--constitution: {error}") from None
    organization = create_organization(slug=slug, name=name, constitution_yaml=text, by=cli_actor())
    source = "template" if constitution in template_names() else "file"
    out.print(f"Created organization {organization.slug} ({organization.name}) from {source} {constitution}.")


@org_app.command("list")
def org_list(as_json: JsonFlag = False) -> None:
    """List the organizations of this installation."""
    organizations = organizations_visible_to(operator())
    if as_json:
        print_json([{"slug": o.slug, "name": o.name} for o in organizations])
        return
    for organization in organizations:
        out.print(f"{organization.slug}\t{organization.name}")


@unit_app.command("add")
def unit_add(
    org: str,
    kind: Annotated[str, typer.Option("--kind", help="A unit kind of the constitution.")],
    name: Annotated[str, typer.Option("--name")],
    parent: Annotated[str | None, typer.Option("--parent", help="Parent unit slug.")] = None,
    slug: Annotated[str | None, typer.Option("--slug", help="Stable slug (default: from the name).")] = None,
    on: OnOption = None,
) -> None:
    """Plan a new unit in the tree."""
    organization = get_organization(org)
    parent_unit = get_unit(parent, organization=organization) if parent else None
    unit = add_unit(
        organization=organization,
        kind=kind,
        name=name,
        parent=parent_unit,
        slug=slug,
        on=parse_date(on),
        by=cli_actor(),
    )
    out.print(f"Added {unit.kind_label.lower()} {unit.name} as {unit.slug} (planned).")


def _people(refs: str | None, organization) -> list | None:
    if refs is None:
        return None
    return [get_person(ref.strip(), organization=organization) for ref in refs.split(",") if ref.strip()]


def _officers(values: list[str] | None, organization) -> dict:
    officers = {}
    for value in values or []:
        post, sep, ref = value.partition("=")
        if not sep or not post or not ref:
            raise Refusal(f"--officer: '{value}' should be POST=PERSON, e.g. secretary=12")
        officers[post.strip()] = get_person(ref.strip(), organization=organization)
    return officers


@unit_app.command("found")
def unit_found(
    unit: str,
    on: OnOption = None,
    members: Annotated[
        str | None, typer.Option("--members", help="Founding members: comma-separated ids or emails.")
    ] = None,
    officer: Annotated[
        list[str] | None, typer.Option("--officer", help="POST=PERSON appointed at the meeting; repeatable.")
    ] = None,
    minutes: Annotated[str, typer.Option("--minutes", help="Minutes of the founding meeting.")] = "",
) -> None:
    """Found a unit (constitute a body) at its founding meeting; refused unless every rule holds."""
    target = get_unit(unit)
    founded = found_unit(
        unit=target,
        on=parse_date(on),
        founding_members=_people(members, target.organization),
        officers=_officers(officer, target.organization),
        minutes=minutes,
        by=cli_actor(),
    )
    out.print(f"{founded.name} is {founded.state_label} on {founded.founded_on}.")


def _simple_transition(action_name: str):
    def command(unit: str, on: OnOption = None) -> None:
        changed = getattr(actions, action_name)(unit=get_unit(unit), on=parse_date(on), by=cli_actor())
        out.print(f"{changed.name} is {changed.state_label}.")

    return command


unit_app.command("prepare", help="Start preparing a planned (or dormant) unit.")(_simple_transition("start_preparing"))
unit_app.command("dormant", help="Mark a founded unit dormant.")(_simple_transition("make_dormant"))
unit_app.command("dissolve", help="Dissolve a unit with no members and no living children.")(
    _simple_transition("dissolve_unit")
)


@unit_app.command("rename")
def unit_rename(unit: str, name: str, on: OnOption = None) -> None:
    """Rename a unit; its slug stays."""
    renamed = rename_unit(unit=get_unit(unit), name=name, on=parse_date(on), by=cli_actor())
    out.print(f"{renamed.slug} is now called {renamed.name}.")


@unit_app.command("time-zone")
def unit_time_zone(
    unit: str, zone: Annotated[str, typer.Argument(help="IANA zone; '' for the organization's.")]
) -> None:
    """Set the time zone a unit's meetings are planned in (empty: the organization's)."""
    target = actions.set_time_zone(unit=get_unit(unit), time_zone=zone, by=cli_actor())
    out.print(f"{target.slug} plans its meetings in {target.meeting_time_zone}.")


@org_app.command("time-zone")
def org_time_zone(org: str, zone: str) -> None:
    """Set the time zone an organization's meetings are planned in, unless a unit says otherwise."""
    target = actions.set_time_zone(organization=get_organization(org), time_zone=zone, by=cli_actor())
    out.print(f"{target.slug} plans its meetings in {target.time_zone}.")


@unit_app.command("move")
def unit_move(
    unit: str,
    parent: Annotated[str | None, typer.Option("--parent", help="The new parent's slug.")] = None,
    top: Annotated[bool, typer.Option("--top", help="Move to the top of the tree.")] = False,
    on: OnOption = None,
) -> None:
    """Move a unit and its subtree under another parent."""
    if (parent is None) == (not top):
        raise Refusal("give either --parent UNIT or --top")
    target = get_unit(unit)
    new_parent = get_unit(parent, organization=target.organization) if parent else None
    moved = move_unit(unit=target, parent=new_parent, on=parse_date(on), by=cli_actor())
    out.print(f"{moved.name} now stands under {new_parent.name if new_parent else 'nothing (top)'}.")


def readiness(unit: str, as_json: JsonFlag = False) -> None:
    """Each founding rule of a unit: what it requires, what is there, what is missing."""
    target = get_unit(unit)
    result = readiness_of(operator(), target)
    if as_json:
        print_json(result.as_dict())
        return
    verdict = "[green]ready[/]" if result.ready else "[red]not ready[/]"
    out.print(f"{target.name} ({target.kind_label.lower()}, {target.state_label}): {verdict}")
    table = Table("rule", "required", "actual", "", "missing")
    for rule in result.results:
        table.add_row(rule.title, rule.required, rule.actual, "✓" if rule.passed else "✗", rule.missing)
    out.print(table)


@unit_app.command("health")
def unit_health(
    org: str,
    unit: str,
    as_of: Annotated[
        str | None, typer.Option("--as-of", "--on", help="The day to measure, YYYY-MM-DD (default: today).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """A unit's health: each indicator of its kind with its value, threshold and verdict, whether
    it is consolidated and its tier, from the records as they stood on the day."""
    organization = get_organization(org)
    target = get_unit(unit, organization=organization)
    on = day_or_today("--as-of", parse_date(as_of, "--as-of"), time_zone=organization.time_zone)
    result = health_of(operator(), target, on=on)
    if as_json:
        print_json(result.as_dict())
        return
    verdict = "[green]consolidated[/]" if result.consolidated else "[red]not consolidated[/]"
    tier = f"tier {result.tier} ({result.tier_label})" if result.tier is not None else "no tier"
    out.print(f"{target.name} ({target.kind_label.lower()}) on {on.isoformat()}: {verdict}, {tier}")
    table = Table("indicator", "required", "actual", "", "missing")
    for row in result.results:
        mark = "–" if row.passed is None else ("✓" if row.passed else "✗")
        title = row.title if row.required else f"{row.title} (not required, weight {row.weight})"
        table.add_row(title, row.required_text, row.actual, mark, row.missing)
    out.print(table)


def tree(
    org: str,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Show the tree as it stood on this date.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """The organization's tree with states and current members in each subtree."""
    organization = get_organization(org)
    rows = tree_of(operator(), organization, as_of=parse_date(as_of, "--as-of"))
    if as_json:
        # Whole, written a unit at a time: ten thousand units never make one string in memory.
        # One encoder for every row (`json.dumps` with an option builds a new one each call).
        encode, write = json.JSONEncoder(ensure_ascii=False).encode, sys.stdout.write
        write("[")
        for number, row in enumerate(rows):
            write(("," if number else "") + "\n  " + encode(row.as_dict()))
        write("\n]\n" if rows else "]\n")
        return
    kinds = organization.constitution.unit_kinds
    # On a narrow terminal long values wrap (or fold, for a slug): nothing is cut off.
    table = Table("unit", "slug", "kind", "state", Column("members", justify="right"))
    for column in table.columns[:2]:
        column.overflow = "fold"
    for row in rows:
        table.add_row("  " * row.depth + row.name, row.slug, kinds[row.kind].label, row.state_label, str(row.members))
    out.print(table)


@unit_app.command("counts-check")
def unit_counts_check(org: str, as_json: JsonFlag = False) -> None:
    """Recount the current members of each unit by status and compare with the kept counts that
    subtree totals read; exits 1, naming each unit and status, when any disagree."""
    organization = get_organization(org)
    disagreements = recount(organization)
    slugs = dict(organization.units.values_list("pk", "slug"))
    rows = [
        {"unit": slugs.get(unit_id, str(unit_id)), "status": status, "kept": kept, "actual": actual}
        for unit_id, status, kept, actual in disagreements
    ]
    # The unit's path is kept beside its counts (subtree totals read by it): it must be the unit's.
    rows += [
        {"unit": slugs.get(unit_id, str(unit_id)), "status": "(path)", "kept": "stale", "actual": "unit's path"}
        for unit_id in stale_paths(organization)
    ]
    if as_json:
        print_json({"organization": organization.slug, "agree": not rows, "disagreements": rows})
    elif rows:
        table = Table("unit", "status", "kept", "actual")
        for row in rows:
            table.add_row(row["unit"], row["status"], str(row["kept"]), str(row["actual"]))
        out.print(table)
    else:
        out.print(f"The member counts of {organization.slug} agree with its memberships.")
    if rows:
        raise Refusal(f"{len(rows)} kept member counts of {organization.slug} disagree with its memberships")


@post_app.command("assign")
def post_assign(
    person: str,
    unit: Annotated[str, typer.Option("--unit")],
    post: Annotated[str, typer.Option("--post")],
    start: Annotated[str | None, typer.Option("--from", help="Start date (default: today).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="End date (default: none).")] = None,
    org: OrgOption = None,
) -> None:
    """Appoint a person to an officer post of a unit; whoever held it ends their term that day."""
    who = get_person(person, organization=get_organization(org) if org else None)
    holding = assign_post(
        unit=get_unit(unit, organization=who.organization),
        person=who,
        post=post,
        on=parse_date(start, "--from"),
        until=parse_date(until, "--until"),
        by=cli_actor(),
    )
    term = f" until {holding.end}" if holding.end else ""
    out.print(f"{who.name} holds {holding.post} of {holding.unit.name} from {holding.start}{term}.")


@post_app.command("end")
def post_end(unit: str, post: str, on: OnOption = None) -> None:
    """End the current holder's term of an officer post of a unit."""
    target = get_unit(unit)
    running = OfficerPost.objects.filter(unit=target, post=post).filter(
        Q(end__isnull=True) | Q(end__gt=timezone.localdate())
    )
    holding = restrict(running, user=operator(), organization=target.organization).order_by("-start").first()
    if holding is None:
        raise Refusal(f"nobody holds {post} of {target.name}")
    ended = end_post(holding=holding, on=parse_date(on), by=cli_actor())
    out.print(f"{ended.person.name} no longer holds {ended.post} of {target.name} from {ended.end}.")
