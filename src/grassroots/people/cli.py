"""The command line of people: person and member commands."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from django.http import Http404
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
    add_course,
    add_person,
    add_programme,
    change_status,
    edit_person,
    end_membership,
    erase_person,
    export_person_record,
    join_unit,
    record_completion,
    transfer_member,
)
from grassroots.people.merging import merge_people
from grassroots.people.selectors import (
    LISTING_FIELDS,
    completions_of,
    course_for,
    duplicates_visible_to,
    people_listing,
    programme_for,
    values_to_check,
)

AllowDuplicate = Annotated[
    bool, typer.Option("--allow-duplicate", help="Record them even if a known person has the same name and contact.")
]
person_app = typer.Typer(help="People.", no_args_is_help=True)
member_app = typer.Typer(help="Memberships: join, transfer, status, end.", no_args_is_help=True)
course_app = typer.Typer(help="Member education: courses and their completions.", no_args_is_help=True)


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
    allow_duplicate: AllowDuplicate = False,
    as_json: JsonFlag = False,
) -> None:
    """Record a person (only the name is required), joining them to --unit if given; prints their number.

    A person whose name and email (or name and phone) are a known person's is refused, naming
    them, unless --allow-duplicate says this is someone else."""
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
        allow_duplicate=allow_duplicate,
        by=cli_actor(),
    )
    if as_json:
        print_json({"id": person.pk, "name": person.name, "email": person.email})
        return
    out.print(f"Added person {person.pk}: {person.name}.")


@person_app.command("list")
def person_list(
    org: str,
    search: Annotated[str, typer.Option("--search", "-q", help="Name, family name or email begins with.")] = "",
    unit: Annotated[str | None, typer.Option("--unit", help="Only people of this unit and the units under it.")] = None,
    status: Annotated[
        str,
        typer.Option(
            "--status",
            help="Only people with this status: their current membership's, else the one their last ended with.",
        ),
    ] = "",
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="At most this many people.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List people: id, name, email, phone, address, unit, status, since: of the current membership
    (since: its start) or, for a person with none, of the last one to end (since: the day it ended).

    Streamed as they are read, in a fixed number of queries however many match (--json: one
    JSON array, written row by row; otherwise one tab-separated line each, after a header)."""
    organization = get_organization(org)
    within = get_unit(unit, organization=organization) if unit else None
    if status and status not in organization.constitution.statuses:
        raise Refusal(f"--status: '{status}' is not a status of this constitution")
    rows = people_listing(operator(), organization, search.strip(), unit=within, status=status)
    if limit is not None:
        rows = rows[:limit]
    write = sys.stdout.write
    encode = json.JSONEncoder(ensure_ascii=False).encode  # one encoder for every row
    write("[" if as_json else "\t".join(LISTING_FIELDS) + "\n")
    for number, row in enumerate(rows.iterator(chunk_size=2000)):
        row["since"] = row["since"].isoformat() if row["since"] else None
        if as_json:
            write(("\n  " if number == 0 else ",\n  ") + encode(row))
        else:
            cells = ("" if value is None else str(value).replace("\n", ", ") for value in row.values())
            write("\t".join(cells) + "\n")
    if as_json:
        write("\n]\n")


@person_app.command("edit")
def person_edit(
    person: str,
    name: Annotated[str | None, typer.Option("--name")] = None,
    email: Annotated[str | None, typer.Option("--email", help="Empty to remove it.")] = None,
    phone: Annotated[str | None, typer.Option("--phone", help="Empty to remove it.")] = None,
    address: Annotated[str | None, typer.Option("--address")] = None,
    allow_duplicate: AllowDuplicate = False,
    org: OrgOption = None,
) -> None:
    """Correct a person's name, email, phone or address (options not given stay as they are)."""
    who = get_person(person, organization=get_organization(org) if org else None)
    edited = edit_person(
        person=who,
        name=name,
        email=email,
        phone=phone,
        address=address,
        allow_duplicate=allow_duplicate,
        by=cli_actor(),
    )
    out.print(f"Person {edited.pk}: {edited.name}, {edited.email or 'no email'}, {edited.phone or 'no phone'}.")


@person_app.command("duplicates")
def person_duplicates(org: str, as_json: JsonFlag = False) -> None:
    """Pairs of people who may be one: the same email, phone or name (merge with `person merge`)."""
    pairs = duplicates_visible_to(operator(), get_organization(org))
    if as_json:
        print_json([pair._asdict() | {"reasons": list(pair.reasons)} for pair in pairs])
        return
    table = Table("one", "other", "why")
    for pair in pairs:
        table.add_row(
            f"{pair.first_id} {pair.first_name}", f"{pair.second_id} {pair.second_name}", ", ".join(pair.reasons)
        )
    out.print(table if pairs else "No possible duplicates.")


@person_app.command("merge")
def person_merge(
    keep: str,
    other: str,
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: a merge cannot be undone.")] = False,
    org: OrgOption = None,
) -> None:
    """Merge OTHER into KEEP: memberships, posts, consents, recruits and history move; OTHER goes."""
    organization = get_organization(org) if org else None
    kept, merged = get_person(keep, organization=organization), get_person(other, organization=organization)
    if not yes:
        raise Refusal(f"merging person {merged.pk} into {kept.pk} cannot be undone: add --yes to merge them")
    number = merged.pk
    merge = merge_people(keep=kept, other=merged, by=cli_actor())
    out.print(f"Person {number} is merged into person {kept.pk} ({kept.name}).{merge.not_kept_text()}")


@person_app.command("check")
def person_check(org: str, as_json: JsonFlag = False) -> None:
    """List stored values not in the normal form: those valid, with the normal form they can be given,
    and those that cannot be normalized at all (kept as they are, to correct by hand)."""
    problems = list(values_to_check(operator(), get_organization(org)))
    if as_json:
        print_json(problems)
        return
    for problem in problems:
        out.print(f"person {problem['id']}: {problem['reason']}")
    normal = sum(1 for problem in problems if problem["normal"] is not None)
    total = f"{len(problems)} value{'s' if len(problems) != 1 else ''} to correct"
    out.print(f"{total}: {normal} can be normalized, {len(problems) - normal} cannot." if problems else f"{total}.")


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
def member_status(
    person: str,
    status: str,
    on: OnOption = None,
    org: OrgOption = None,
    override_decision: Annotated[
        int | None,
        typer.Option("--override-decision", help="A carried decision (id) of the next body up overriding a gate."),
    ] = None,
    reason: Annotated[str, typer.Option("--reason", help="Why the gate's requirements are overridden.")] = "",
) -> None:
    """Change the status of a current membership, as the constitution allows; a gated move
    (courses, months in status) is refused listing every unmet requirement unless overridden."""
    who = get_person(person, organization=get_organization(org) if org else None)
    membership = change_status(
        person=who,
        status=status,
        on=parse_date(on),
        by=cli_actor(),
        override_decision=override_decision,
        reason=reason,
    )
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


@course_app.command("add")
def course_add(
    org: str,
    code: str,
    title: Annotated[str, typer.Option("--title")],
    valid_months: Annotated[
        int | None, typer.Option("--valid-months", help="Months a completion stays valid (default: for good).")
    ] = None,
    programme: Annotated[str | None, typer.Option("--programme", help="The programme's code.")] = None,
    sessions: Annotated[
        str | None, typer.Option("--sessions", help="Complete by attending K of N sessions: 'K/N', e.g. 3/4.")
    ] = None,
    marked_by: Annotated[str, typer.Option("--marked-by", help="Only holders of this officer post mark it.")] = "",
    prerequisite: Annotated[str | None, typer.Option("--prerequisite", help="A course to complete first.")] = None,
) -> None:
    """Declare a course of the organization's member education, by the code indicators name."""
    organization = get_organization(org)
    try:
        found_programme = programme_for(organization, programme) if programme else None
        found_prerequisite = course_for(organization, prerequisite) if prerequisite else None
    except Http404 as error:
        raise Refusal(str(error)) from None
    course = add_course(
        organization=organization,
        code=code,
        title=title,
        valid_months=valid_months,
        programme=found_programme,
        sessions=parse_sessions(sessions) if sessions else None,
        marked_by=marked_by,
        prerequisite=found_prerequisite,
        by=cli_actor(),
    )
    out.print(f"Course {course.code} added: {course.title}.")


def parse_sessions(text: str) -> tuple[int, int]:
    """'3/4' (or '3 of 4') as (3, 4); refused naming --sessions otherwise."""
    parts = text.replace(" of ", "/").split("/")
    if len(parts) != 2 or not all(part.strip().isdigit() for part in parts):
        raise Refusal(f"--sessions: '{text}' is not K/N, e.g. 3/4")
    return int(parts[0]), int(parts[1])


@course_app.command("programme")
def course_programme(org: str, code: str, title: Annotated[str, typer.Option("--title")]) -> None:
    """Declare a programme grouping courses (courses name it with --programme)."""
    programme = add_programme(organization=get_organization(org), code=code, title=title, by=cli_actor())
    out.print(f"Programme {programme.code} added: {programme.title}.")


@course_app.command("complete")
def course_complete(
    course: str,
    person: str,
    on: OnOption = None,
    how: Annotated[str, typer.Option("--how", help="attendance, marked, reviewed or imported.")] = "marked",
    org: OrgOption = None,
) -> None:
    """Record that PERSON completed COURSE (its code, in the person's organization) on --on."""
    who = get_person(person, organization=get_organization(org) if org else None)
    try:
        found = course_for(who.organization, course)
    except Http404 as error:
        raise Refusal(str(error)) from None
    completion = record_completion(person=who, course=found, on=parse_date(on), how=how, by=cli_actor())
    out.print(f"{who.name} completed {found.code} on {completion.completed_on}.")


@course_app.command("completions")
def course_completions(person: str, org: OrgOption = None, as_json: JsonFlag = False) -> None:
    """A person's course completions, latest first."""
    who = get_person(person, organization=get_organization(org) if org else None)
    rows = [
        {
            "course": c.course.code,
            "title": c.course.title,
            "completed_on": c.completed_on.isoformat(),
            "how": c.how,
            "expires_on": c.expires_on.isoformat() if c.expires_on else None,
        }
        for c in completions_of(operator(), who)
    ]
    if as_json:
        print_json(rows)
        return
    table = Table("course", "title", "completed on", "how", "expires on")
    for row in rows:
        table.add_row(row["course"], row["title"], row["completed_on"], row["how"], row["expires_on"] or "")
    out.print(table)
