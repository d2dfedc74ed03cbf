"""The command line of member education: a person's education, sessions of courses, completions
declared by the person and reviewed by an officer. Assembled by `grassroots.cli`."""

from __future__ import annotations

from typing import Annotated

import typer
from django.http import Http404
from django.utils import timezone
from rich.table import Table

from grassroots.cli.common import (
    JsonFlag,
    OnOption,
    OrgOption,
    Refusal,
    cli_actor,
    get_organization,
    get_person,
    operator,
    out,
    parse_date,
    print_json,
)
from grassroots.errors import day_or_today
from grassroots.meetings.models import Meeting
from grassroots.people.models import CompletionDeclaration
from grassroots.people.selectors import course_for

from .actions import declare_completion, link_session, review_declaration
from .selectors import education_of


def education(person: str, on: OnOption = None, org: OrgOption = None, as_json: JsonFlag = False) -> None:
    """Each course of PERSON's organization: status, completed on, expires on, sessions (k of K)."""
    who = get_person(person, organization=get_organization(org) if org else None)
    day = day_or_today("--on", parse_date(on), time_zone=who.organization.time_zone)
    rows = education_of(operator(), who, on=day)
    if as_json:
        print_json([row.as_json() for row in rows])
        return
    table = Table("course", "title", "status", "completed on", "expires on", "sessions")
    for row in rows:
        table.add_row(
            row.course,
            row.title,
            row.status,
            row.completed_on.isoformat() if row.completed_on else "",
            row.expires_on.isoformat() if row.expires_on else "",
            f"{row.attended} of {row.required}" if row.required else "",
        )
    out.print(table)


def _course(organization, code: str):
    try:
        return course_for(organization, code)
    except Http404 as error:
        raise Refusal(str(error)) from None


def course_session(
    meeting: int,
    course: Annotated[str, typer.Argument(help="The course's code; 'none' to unlink.")],
) -> None:
    """Make MEETING (its number; a meeting of kind education) a session of COURSE."""
    found = Meeting.objects.select_related("unit__organization").filter(pk=meeting).first()
    if found is None:
        raise Refusal(f"no meeting {meeting}")
    linked = None if course == "none" else _course(found.unit.organization, course)
    link_session(meeting=found, course=linked, by=cli_actor())
    out.print(f"Meeting {found.pk} is {'a session of ' + linked.code if linked else 'no course session'}.")


def course_declare(course: str, person: str, on: OnOption = None, org: OrgOption = None) -> None:
    """Record PERSON's own word that they completed COURSE on --on: pending an officer's review."""
    who = get_person(person, organization=get_organization(org) if org else None)
    declaration = declare_completion(
        person=who, course=_course(who.organization, course), on=parse_date(on) or timezone.localdate(), by=cli_actor()
    )
    out.print(
        f"Declaration {declaration.pk}: {who.name} completed {course} on {declaration.completed_on}, pending review."
    )


def course_review(
    declaration: int,
    accept: Annotated[bool, typer.Option("--accept/--decline", help="Accept (a completion) or decline it.")],
    reason: Annotated[str, typer.Option(help="Why (required to decline).")] = "",
) -> None:
    """Review a pending declaration: accepted, it becomes a completion (how: reviewed); declined, with --reason."""
    found = (
        CompletionDeclaration.objects.select_related("person__organization", "course").filter(pk=declaration).first()
    )
    if found is None:
        raise Refusal(f"no declaration {declaration}")
    review_declaration(declaration=found, accept=accept, reason=reason, by=cli_actor())
    out.print(f"Declaration {found.pk} {'accepted' if accept else 'declined'}.")
