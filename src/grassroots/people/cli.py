"""The command line of people: person and member commands."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

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
from grassroots.people.actions import (
    add_person,
    change_status,
    end_membership,
    erase_person,
    export_person_record,
    join_unit,
    transfer_member,
)
from grassroots.people.selectors import current_membership, search_people

person_app = typer.Typer(help="People.", no_args_is_help=True)
member_app = typer.Typer(help="Memberships: join, transfer, status, end.", no_args_is_help=True)


@person_app.command("add")
def person_add(
    org: str,
    name: Annotated[str, typer.Option("--name")],
    email: Annotated[str, typer.Option("--email")] = "",
    phone: Annotated[str, typer.Option("--phone")] = "",
    address: Annotated[str, typer.Option("--address")] = "",
    recruiter: Annotated[str | None, typer.Option("--recruiter", help="Who brought them in: id or email.")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="The basic unit they join at once.")] = None,
    status: Annotated[str | None, typer.Option("--status", help="Their status (default: the initial one).")] = None,
    on: OnOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Record a person (only the name is required), joining them to --unit if given; prints their number."""
    organization = get_organization(org)
    recruited_by = get_person(recruiter, organization=organization) if recruiter else None
    if unit is None and (status is not None or on is not None):
        raise Refusal("--status and --on apply when the person joins a --unit")
    person = add_person(
        organization=organization,
        name=name,
        email=email,
        phone=phone,
        address=address,
        recruiter=recruited_by,
        unit=get_unit(unit, organization=organization) if unit else None,
        status=status,
        on=parse_date(on),
        by=cli_actor(),
    )
    if as_json:
        print_json({"id": person.pk, "name": person.name, "email": person.email})
        return
    out.print(f"Added person {person.pk}: {person.name}.")


@person_app.command("list")
def person_list(
    org: str,
    search: Annotated[str, typer.Option("--search", "-q")] = "",
    as_json: JsonFlag = False,
) -> None:
    """List the people of an organization with their current unit and status."""
    rows = []
    for person in search_people(operator(), get_organization(org), search):
        membership = current_membership(person)
        rows.append(
            {
                "id": person.pk,
                "name": person.name,
                "email": person.email,
                "unit": membership.unit.slug if membership else None,
                "status": membership.status if membership else None,
            }
        )
    if as_json:
        print_json(rows)
        return
    table = Table("id", "name", "email", "unit", "status")
    for row in rows:
        table.add_row(str(row["id"]), row["name"], row["email"], row["unit"] or "", row["status"] or "")
    out.print(table)


@person_app.command("export")
def person_export(person: str, org: OrgOption = None) -> None:
    """Print everything held about a person as JSON, for a subject access request; it is audited."""
    who = get_person(person, organization=get_organization(org) if org else None)
    print_json(export_person_record(person=who, by=cli_actor()))


@person_app.command("erase")
def person_erase(
    person: str,
    org: OrgOption = None,
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: erasure cannot be undone.")] = False,
) -> None:
    """Erase a person for good: name, contacts and consents go; memberships stay without a name."""
    who = get_person(person, organization=get_organization(org) if org else None)
    if not yes:
        raise Refusal(f"erasing person {who.pk} cannot be undone: add --yes to erase them")
    erase_person(person=who, by=cli_actor())
    out.print(f"Person {who.pk} is erased.")


@member_app.command("join")
def member_join(
    person: str,
    unit: Annotated[str, typer.Option("--unit", help="The basic unit to join.")],
    status: Annotated[str | None, typer.Option("--status", help="Default: the constitution's initial status.")] = None,
    on: OnOption = None,
    org: OrgOption = None,
) -> None:
    """Start a person's membership in a basic unit."""
    who = get_person(person, organization=get_organization(org) if org else None)
    membership = join_unit(
        person=who, unit=get_unit(unit, organization=who.organization), status=status, on=parse_date(on), by=cli_actor()
    )
    out.print(f"{who.name} joined {membership.unit.name} as {membership.status} on {membership.start}.")


@member_app.command("transfer")
def member_transfer(
    person: str,
    to: Annotated[str, typer.Option("--to", help="The basic unit to transfer to.")],
    on: OnOption = None,
    org: OrgOption = None,
) -> None:
    """End the current membership and start one in another basic unit the same day."""
    who = get_person(person, organization=get_organization(org) if org else None)
    membership = transfer_member(
        person=who, to_unit=get_unit(to, organization=who.organization), on=parse_date(on), by=cli_actor()
    )
    out.print(f"{who.name} transferred to {membership.unit.name} on {membership.start}.")


@member_app.command("status")
def member_status(person: str, status: str, on: OnOption = None, org: OrgOption = None) -> None:
    """Change the status of a current membership, as the constitution allows."""
    who = get_person(person, organization=get_organization(org) if org else None)
    membership = change_status(person=who, status=status, on=parse_date(on), by=cli_actor())
    out.print(f"{who.name} is now {membership.status}.")


@member_app.command("end")
def member_end(
    person: str,
    on: OnOption = None,
    status: Annotated[str | None, typer.Option("--status", help="Final status, e.g. resigned.")] = None,
    org: OrgOption = None,
) -> None:
    """End a person's current membership."""
    who = get_person(person, organization=get_organization(org) if org else None)
    membership = end_membership(person=who, on=parse_date(on), status=status, by=cli_actor())
    out.print(f"{who.name}'s membership of {membership.unit.name} ended on {membership.end}.")
