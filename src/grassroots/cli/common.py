"""Shared by the app command lines: refusals, options, the operator at the terminal, and lookups.

The person at the terminal operates the installation (see `access.Operator`); their changes
are audited as `cli:<login name>`.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import shlex
import shutil
import sys
from typing import Annotated

import typer
from rich.console import Console

from grassroots.access import Operator, restrict
from grassroots.ids import is_row_id
from grassroots.organizations.models import Organization, Unit
from grassroots.people.models import Person

# Messages are never wrapped by us: a login, a token or an address stays on one line to copy
# (the terminal wraps what is too long); tables still fit the width.
out = Console(highlight=False, soft_wrap=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
OnOption = Annotated[str | None, typer.Option("--on", help="Date, YYYY-MM-DD (default: today).")]


class Refusal(typer.TyperException):
    """A one-line refusal on standard error, exit status 1."""

    exit_code = 1


def command_name(argv0: str | None = None) -> str:
    """How to run this command again from where it was started: `grassroots` when that is on the
    path, else the path it was started by (`.venv/bin/grassroots`), or `python -m grassroots.cli`."""
    argv0 = sys.argv[0] if argv0 is None else argv0
    if os.path.basename(argv0) != "grassroots":
        return f"{shlex.quote(sys.executable)} -m grassroots.cli"
    on_path = shutil.which("grassroots")
    if on_path and os.path.realpath(on_path) == os.path.realpath(argv0):
        return "grassroots"
    return shlex.quote(argv0)


def cli_actor() -> str:
    return f"cli:{getpass.getuser()}"


def operator():
    return Operator(cli_actor())


def parse_date(value: str | None, option: str = "--on") -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise Refusal(f"{option}: '{value}' is not a date (YYYY-MM-DD)") from None


def get_organization(slug: str):
    organization = restrict(Organization.objects.filter(slug=slug), user=operator()).first()
    if organization is None:
        raise Refusal(f"no organization '{slug}'")
    return organization


def get_unit(ref: str, *, organization=None, option: str = ""):
    """A unit by `slug` or `org/slug`; a bare slug used in several organizations must be qualified.
    `option`: the option that named it, which the refusal names first (`--targets: no unit 'x'`)."""
    field = f"{option}: " if option else ""
    if "/" in ref:
        org_slug, _, slug = ref.partition("/")
        organization = get_organization(org_slug)
    else:
        slug = ref
    units = restrict(Unit.objects.filter(slug=slug), user=operator()).select_related("organization")
    if organization is not None:
        units = units.filter(organization=organization)
    found = list(units[:2])
    if not found:
        raise Refusal(f"{field}no unit '{ref}'")
    if len(found) > 1:
        raise Refusal(f"{field}unit '{ref}' exists in several organizations; write ORG/{slug}")
    return found[0]


def get_person(ref: str, *, organization=None):
    """A person by number or by email; an email used in several organizations needs --org."""
    people = restrict(Person.objects.select_related("organization"), user=operator())
    if organization is not None:
        people = people.filter(organization=organization)
    found = list((people.filter(pk=ref) if is_row_id(ref) else people.filter(email__iexact=ref.strip()))[:2])
    if not found:
        raise Refusal(f"no person '{ref}'")
    if len(found) > 1:
        raise Refusal(f"'{ref}' matches people in several organizations; add --org")
    return found[0]


def print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


OrgOption = Annotated[str | None, typer.Option("--org", help="Organization, when an email is ambiguous.")]
