"""The `grassroots` command line: set up, serve, and run the organization from a terminal.

Every command calls the same actions and selectors as the web pages and the API. The
person at the terminal operates the installation (see `access.Operator`); their changes
are audited as `cli:<login name>`. A refused action or a bad argument prints one line on
standard error and exits non-zero; nothing is half-written.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Column, Table

app = typer.Typer(
    name="grassroots",
    help="Build and run member organizations from the ground up.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
org_app = typer.Typer(help="Organizations.", no_args_is_help=True)
unit_app = typer.Typer(help="Units of the tree and their lifecycle.", no_args_is_help=True)
person_app = typer.Typer(help="People.", no_args_is_help=True)
member_app = typer.Typer(help="Memberships: join, transfer, status, end.", no_args_is_help=True)
post_app = typer.Typer(help="Officer posts.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
user_app = typer.Typer(help="Users and their accounts in organizations.", no_args_is_help=True)
import_app = typer.Typer(help="Import members from CSV or XLSX files.", no_args_is_help=True)
export_app = typer.Typer(help="Export members to CSV or XLSX files.", no_args_is_help=True)
app.add_typer(org_app, name="org")
app.add_typer(unit_app, name="unit")
app.add_typer(person_app, name="person")
app.add_typer(member_app, name="member")
app.add_typer(post_app, name="post")
app.add_typer(token_app, name="token")
app.add_typer(user_app, name="user")
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
app.add_typer(__import__("grassroots.conferences.cli").conferences.cli.app)  # TEMP

out = Console(highlight=False)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
OnOption = Annotated[str | None, typer.Option("--on", help="Date, YYYY-MM-DD (default: today).")]


class Refusal(typer.TyperException):
    """A one-line refusal on standard error, exit status 1."""

    exit_code = 1


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grassroots.settings")
    import django

    django.setup()


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _operator():
    from grassroots.access import Operator

    return Operator(_actor())


def _date(value: str | None, option: str = "--on") -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise Refusal(f"{option}: '{value}' is not a date (YYYY-MM-DD)") from None


def _organization(slug: str):
    from grassroots.access import restrict
    from grassroots.organizations.models import Organization

    organization = restrict(Organization.objects.filter(slug=slug), user=_operator()).first()
    if organization is None:
        raise Refusal(f"no organization '{slug}'")
    return organization


def _unit(ref: str, *, organization=None):
    """A unit by `slug` or `org/slug`; a bare slug used in several organizations must be qualified."""
    from grassroots.access import restrict
    from grassroots.organizations.models import Unit

    if "/" in ref:
        org_slug, _, slug = ref.partition("/")
        organization = _organization(org_slug)
    else:
        slug = ref
    units = restrict(Unit.objects.filter(slug=slug), user=_operator()).select_related("organization")
    if organization is not None:
        units = units.filter(organization=organization)
    found = list(units[:2])
    if not found:
        raise Refusal(f"no unit '{ref}'")
    if len(found) > 1:
        raise Refusal(f"unit '{ref}' exists in several organizations; write ORG/{slug}")
    return found[0]


def _person(ref: str, *, organization=None):
    """A person by number or by email; an email used in several organizations needs --org."""
    from grassroots.access import restrict
    from grassroots.ids import is_row_id
    from grassroots.people.models import Person

    people = restrict(Person.objects.select_related("organization"), user=_operator())
    if organization is not None:
        people = people.filter(organization=organization)
    found = list((people.filter(pk=ref) if is_row_id(ref) else people.filter(email__iexact=ref.strip()))[:2])
    if not found:
        raise Refusal(f"no person '{ref}'")
    if len(found) > 1:
        raise Refusal(f"'{ref}' matches people in several organizations; add --org")
    return found[0]


def _print_json(data: object) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


# Setting up and serving.


@app.command()
def migrate() -> None:
    """Create or update the database tables."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    out.print("Database is up to date.")


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    workers: Annotated[
        int, typer.Option(help="Job workers to start beside the server (0: run `grassroots worker` yourself).")
    ] = 1,
) -> None:
    """Serve the web pages and the API (waitress, a production WSGI server), with job workers."""
    import subprocess

    import waitress

    from grassroots.wsgi import application

    command = [sys.executable, "-m", "grassroots.cli", "worker"]
    started = [subprocess.Popen(command) for _ in range(max(workers, 0))]
    out.print(f"Serving Grassroots at http://{host}:{port}/ with {len(started)} job worker(s)  (Ctrl+C stops)")
    try:
        waitress.serve(application, host=host, port=port, threads=8, ident="grassroots")
    finally:
        for process in started:
            process.terminate()
        for process in started:
            process.wait(timeout=30)


@app.command()
def worker(
    batch: Annotated[bool, typer.Option("--batch", help="Run the queued jobs, then stop.")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between looks at an empty queue.")] = 1.0,
) -> None:
    """Run background jobs (imports started from the web or the API) until stopped. Start as many
    as wanted on PostgreSQL; each job runs once. Closes the imports whose process died first."""
    from django.core.management import call_command

    from grassroots.imports.actions import close_interrupted_runs

    closed = close_interrupted_runs()
    if closed:
        out.print(f"{closed} interrupted import(s) closed")
    call_command("db_worker", batch=batch, interval=interval, reload=False, startup_delay=not batch, verbosity=1)


@app.command()
def demo(
    serve_it: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the demo after loading it.")] = True,
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
) -> None:
    """Migrate, load the demo tenants' federation (fixed seed), print its two logins, and serve it."""
    from django.core.management import call_command

    from grassroots.demo import DEMO_OFFICER_USERNAME, DEMO_PASSWORD, DEMO_SLUG, DEMO_USERNAME, build_demo

    call_command("migrate", interactive=False, verbosity=0)
    with out.status("Loading the demo organization…"):
        organization = build_demo()
    out.print(f"Demo organization '{organization.name}' is loaded (slug: {DEMO_SLUG}).")
    out.print(f"Address: http://127.0.0.1:{port}/o/{DEMO_SLUG}/")
    out.print(f"Sign in as the administrator (sees everything): {DEMO_USERNAME} / {DEMO_PASSWORD}")
    out.print(f"Sign in as North Bank's secretary (sees that district only): {DEMO_OFFICER_USERNAME} / {DEMO_PASSWORD}")
    out.print(
        "Both need a second factor: scan the key shown at first sign-in with an authenticator app, "
        "or print the current code with `grassroots demo-code LOGIN`."
    )
    if serve_it:
        serve(port=port, host="127.0.0.1")


@app.command("demo-code")
def demo_code(login: str) -> None:
    """Print the current two-factor code of a demo login (demo logins only)."""
    from grassroots.demo import demo_code as current_code

    sys.stdout.write(current_code(login) + "\n")


# Organizations.


@org_app.command("create")
def org_create(
    slug: str,
    name: Annotated[str, typer.Option("--name", help="The organization's name.")],
    constitution: Annotated[str, typer.Option("--constitution", help="A YAML file or a template name.")],
) -> None:
    """Create an organization governed by a constitution file or a shipped template."""
    from grassroots.constitution import ConstitutionError, load_constitution_text, template_names
    from grassroots.organizations.actions import create_organization

    try:
        text = load_constitution_text(constitution)
    except ConstitutionError as error:
        raise Refusal(f"--constitution: {error}") from None
    organization = create_organization(slug=slug, name=name, constitution_yaml=text, by=_actor())
    source = "template" if constitution in template_names() else "file"
    out.print(f"Created organization {organization.slug} ({organization.name}) from {source} {constitution}.")


@org_app.command("list")
def org_list(as_json: JsonFlag = False) -> None:
    """List the organizations of this installation."""
    from grassroots.organizations.selectors import organizations_visible_to

    organizations = organizations_visible_to(_operator())
    if as_json:
        _print_json([{"slug": o.slug, "name": o.name} for o in organizations])
        return
    for organization in organizations:
        out.print(f"{organization.slug}\t{organization.name}")


# Units.


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
    from grassroots.organizations.actions import add_unit

    organization = _organization(org)
    parent_unit = _unit(parent, organization=organization) if parent else None
    unit = add_unit(
        organization=organization, kind=kind, name=name, parent=parent_unit, slug=slug, on=_date(on), by=_actor()
    )
    out.print(f"Added {unit.kind_label.lower()} {unit.name} as {unit.slug} (planned).")


def _people(refs: str | None, organization) -> list | None:
    if refs is None:
        return None
    return [_person(ref.strip(), organization=organization) for ref in refs.split(",") if ref.strip()]


def _officers(values: list[str] | None, organization) -> dict:
    officers = {}
    for value in values or []:
        post, sep, ref = value.partition("=")
        if not sep or not post or not ref:
            raise Refusal(f"--officer: '{value}' should be POST=PERSON, e.g. secretary=12")
        officers[post.strip()] = _person(ref.strip(), organization=organization)
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
    from grassroots.organizations.actions import found_unit

    target = _unit(unit)
    founded = found_unit(
        unit=target,
        on=_date(on),
        founding_members=_people(members, target.organization),
        officers=_officers(officer, target.organization),
        minutes=minutes,
        by=_actor(),
    )
    out.print(f"{founded.name} is {founded.state_label} on {founded.founded_on}.")


def _simple_transition(action_name: str, done: str):
    def command(unit: str, on: OnOption = None) -> None:
        from grassroots.organizations import actions

        changed = getattr(actions, action_name)(unit=_unit(unit), on=_date(on), by=_actor())
        out.print(f"{changed.name} {done} ({changed.state_label}).")

    return command


unit_app.command("prepare", help="Start preparing a planned (or dormant) unit.")(
    _simple_transition("start_preparing", "is preparing")
)
unit_app.command("dormant", help="Mark a founded unit dormant.")(_simple_transition("make_dormant", "is dormant"))
unit_app.command("dissolve", help="Dissolve a unit with no members and no living children.")(
    _simple_transition("dissolve_unit", "is dissolved")
)


@unit_app.command("rename")
def unit_rename(unit: str, name: str, on: OnOption = None) -> None:
    """Rename a unit; its slug stays."""
    from grassroots.organizations.actions import rename_unit

    renamed = rename_unit(unit=_unit(unit), name=name, on=_date(on), by=_actor())
    out.print(f"{renamed.slug} is now called {renamed.name}.")


@unit_app.command("move")
def unit_move(
    unit: str,
    parent: Annotated[str | None, typer.Option("--parent", help="The new parent's slug.")] = None,
    top: Annotated[bool, typer.Option("--top", help="Move to the top of the tree.")] = False,
    on: OnOption = None,
) -> None:
    """Move a unit and its subtree under another parent."""
    from grassroots.organizations.actions import move_unit

    if (parent is None) == (not top):
        raise Refusal("give either --parent UNIT or --top")
    target = _unit(unit)
    new_parent = _unit(parent, organization=target.organization) if parent else None
    moved = move_unit(unit=target, parent=new_parent, on=_date(on), by=_actor())
    out.print(f"{moved.name} now stands under {new_parent.name if new_parent else 'nothing (top)'}.")


@app.command()
def readiness(unit: str, as_json: JsonFlag = False) -> None:
    """Each founding rule of a unit: what it requires, what is there, what is missing."""
    from grassroots.organizations.selectors import readiness_of

    target = _unit(unit)
    result = readiness_of(_operator(), target)
    if as_json:
        _print_json(result.as_dict())
        return
    verdict = "[green]ready[/]" if result.ready else "[red]not ready[/]"
    out.print(f"{target.name} ({target.kind_label.lower()}, {target.state_label}): {verdict}")
    table = Table("rule", "required", "actual", "", "missing")
    for rule in result.results:
        table.add_row(rule.title, rule.required, rule.actual, "✓" if rule.passed else "✗", rule.missing)
    out.print(table)


@app.command()
def tree(
    org: str,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Show the tree as it stood on this date.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """The organization's tree with states and current members in each subtree."""
    from grassroots.organizations.selectors import tree_of

    rows = tree_of(_operator(), _organization(org), as_of=_date(as_of, "--as-of"))
    if as_json:
        _print_json([row.as_dict() for row in rows])
        return
    table = Table("unit", "slug", "kind", "state", "members")
    for row in rows:
        table.add_row("  " * row.depth + row.name, row.slug, row.kind, row.state_label, str(row.members))
    out.print(table)


# People and memberships.


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
    from grassroots.people.actions import add_person

    organization = _organization(org)
    recruited_by = _person(recruiter, organization=organization) if recruiter else None
    if unit is None and (status is not None or on is not None):
        raise Refusal("--status and --on apply when the person joins a --unit")
    person = add_person(
        organization=organization,
        name=name,
        email=email,
        phone=phone,
        address=address,
        recruiter=recruited_by,
        unit=_unit(unit, organization=organization) if unit else None,
        status=status,
        on=_date(on),
        by=_actor(),
    )
    if as_json:
        _print_json({"id": person.pk, "name": person.name, "email": person.email})
        return
    out.print(f"Added person {person.pk}: {person.name}.")


@person_app.command("list")
def person_list(
    org: str,
    search: Annotated[str, typer.Option("--search", "-q")] = "",
    as_json: JsonFlag = False,
) -> None:
    """List the people of an organization with their current unit and status."""
    from grassroots.people.selectors import current_membership, search_people

    rows = []
    for person in search_people(_operator(), _organization(org), search):
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
        _print_json(rows)
        return
    table = Table("id", "name", "email", "unit", "status")
    for row in rows:
        table.add_row(str(row["id"]), row["name"], row["email"], row["unit"] or "", row["status"] or "")
    out.print(table)


OrgOption = Annotated[str | None, typer.Option("--org", help="Organization, when an email is ambiguous.")]


@person_app.command("export")
def person_export(person: str, org: OrgOption = None) -> None:
    """Print everything held about a person as JSON, for a subject access request; it is audited."""
    from grassroots.people.actions import export_person_record

    who = _person(person, organization=_organization(org) if org else None)
    _print_json(export_person_record(person=who, by=_actor()))


@person_app.command("erase")
def person_erase(
    person: str,
    org: OrgOption = None,
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: erasure cannot be undone.")] = False,
) -> None:
    """Erase a person for good: name, contacts and consents go; memberships stay without a name."""
    from grassroots.people.actions import erase_person

    who = _person(person, organization=_organization(org) if org else None)
    if not yes:
        raise Refusal(f"erasing person {who.pk} cannot be undone: add --yes to erase them")
    erase_person(person=who, by=_actor())
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
    from grassroots.people.actions import join_unit

    who = _person(person, organization=_organization(org) if org else None)
    membership = join_unit(
        person=who, unit=_unit(unit, organization=who.organization), status=status, on=_date(on), by=_actor()
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
    from grassroots.people.actions import transfer_member

    who = _person(person, organization=_organization(org) if org else None)
    membership = transfer_member(
        person=who, to_unit=_unit(to, organization=who.organization), on=_date(on), by=_actor()
    )
    out.print(f"{who.name} transferred to {membership.unit.name} on {membership.start}.")


@member_app.command("status")
def member_status(person: str, status: str, on: OnOption = None, org: OrgOption = None) -> None:
    """Change the status of a current membership, as the constitution allows."""
    from grassroots.people.actions import change_status

    who = _person(person, organization=_organization(org) if org else None)
    membership = change_status(person=who, status=status, on=_date(on), by=_actor())
    out.print(f"{who.name} is now {membership.status}.")


@member_app.command("end")
def member_end(
    person: str,
    on: OnOption = None,
    status: Annotated[str | None, typer.Option("--status", help="Final status, e.g. resigned.")] = None,
    org: OrgOption = None,
) -> None:
    """End a person's current membership."""
    from grassroots.people.actions import end_membership

    who = _person(person, organization=_organization(org) if org else None)
    membership = end_membership(person=who, on=_date(on), status=status, by=_actor())
    out.print(f"{who.name}'s membership of {membership.unit.name} ended on {membership.end}.")


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
    from grassroots.organizations.actions import assign_post

    who = _person(person, organization=_organization(org) if org else None)
    holding = assign_post(
        unit=_unit(unit, organization=who.organization),
        person=who,
        post=post,
        on=_date(start, "--from"),
        until=_date(until, "--until"),
        by=_actor(),
    )
    term = f" until {holding.end}" if holding.end else ""
    out.print(f"{who.name} holds {holding.post} of {holding.unit.name} from {holding.start}{term}.")


@post_app.command("end")
def post_end(unit: str, post: str, on: OnOption = None) -> None:
    """End the current holder's term of an officer post of a unit."""
    from django.db.models import Q
    from django.utils import timezone

    from grassroots.access import restrict
    from grassroots.organizations.actions import end_post
    from grassroots.organizations.models import OfficerPost

    target = _unit(unit)
    running = OfficerPost.objects.filter(unit=target, post=post).filter(
        Q(end__isnull=True) | Q(end__gt=timezone.localdate())
    )
    holding = restrict(running, user=_operator(), organization=target.organization).order_by("-start").first()
    if holding is None:
        raise Refusal(f"nobody holds {post} of {target.name}")
    ended = end_post(holding=holding, on=_date(on), by=_actor())
    out.print(f"{ended.person.name} no longer holds {ended.post} of {target.name} from {ended.end}.")


def _user(email: str):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=email.strip().lower()).first()
    if user is None:
        raise Refusal(f"no user '{email}'")
    return user


@token_app.command("create")
def token_create(
    email: str,
    org: Annotated[str, typer.Option("--org", help="The organization the token reaches (only that one).")],
    days: Annotated[int, typer.Option("--days", help="Days until it expires.")] = 90,
    name: Annotated[str, typer.Option("--name", help="What the token is for.")] = "",
) -> None:
    """Issue an API token for a user in one organization; it is printed once and stored only as a hash."""
    from grassroots.accounts.actions import create_api_token

    user = _user(email)
    record, token = create_api_token(user=user, organization=_organization(org), days=days, name=name, by=_actor())
    out.print(
        f"Token {record.prefix}… for {user.get_username()} in {org}, expires {record.expires_at:%Y-%m-%d}. "
        "It is shown only now:",
        style="bold",
    )
    sys.stdout.write(token + "\n")


@token_app.command("revoke")
def token_revoke(prefix: str) -> None:
    """Revoke the token whose prefix this is (as `token create` and the tokens page show it)."""
    from grassroots.accounts.actions import revoke_api_token
    from grassroots.accounts.models import ApiToken

    prefix = prefix.strip().rstrip("…")
    if not prefix:
        raise Refusal("give the token's prefix, e.g. gr_AbCdEfG")
    # The whole token pasted also names its token: its first characters are the stored prefix.
    matching = list(ApiToken.objects.filter(prefix__startswith=prefix).select_related("user", "organization")[:20])
    matching = matching or list(ApiToken.objects.filter(prefix=prefix[:10]).select_related("user", "organization"))
    if len(matching) > 1:
        usable = [token for token in matching if token.revoked_at is None]
        if len(usable) != 1:
            raise Refusal(f"several tokens start with '{prefix}'; give more of it")
        matching = usable
    if not matching:
        raise Refusal(f"no token starts with '{prefix}'")
    token = revoke_api_token(token=matching[0], by=_actor())
    out.print(f"Token {token.prefix}… of {token.user.get_username()} in {token.organization.slug} is revoked.")


def _new_password() -> str:
    """The password from standard input when it is piped (its first line), else typed twice."""
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    if not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise Refusal("no password on standard input (or give --no-password)")
    else:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password again: "):
            raise Refusal("the two passwords differ")
        if not password:
            raise Refusal("the password is empty (or give --no-password)")
    try:
        validate_password(password)
    except ValidationError as error:
        raise Refusal("password: " + " ".join(error.messages)) from None
    return password


@user_app.command("create")
def user_create(
    email: str,
    org: Annotated[str, typer.Option("--org", help="The organization of the account.")],
    person: Annotated[str | None, typer.Option("--person", help="Who they are there: id or email.")] = None,
    admin: Annotated[bool, typer.Option("--admin", help="Administers the whole organization.")] = False,
    no_password: Annotated[
        bool, typer.Option("--no-password", help="No password: they cannot sign in until one is set.")
    ] = False,
) -> None:
    """Give a user (created if new) an account in an organization.

    The password is read from standard input when it is piped (the first line), else asked for
    twice. Their rights come from the organization: --admin, or the posts and membership of --person.
    """
    from grassroots.accounts.actions import create_account

    organization = _organization(org)
    who = _person(person, organization=organization) if person else None
    password = None if no_password else _new_password()
    account = create_account(
        email=email, organization=organization, person=who, is_admin=admin, password=password, by=_actor()
    )
    role = "administrator" if admin else (f"person {who.pk}" if who else "no person, no rights yet")
    note = "; no password: cannot sign in until one is set" if no_password else ""
    out.print(f"Account of {account.user.get_username()} in {organization.slug} ({role}){note}.", soft_wrap=True)


# The audit trail.


@app.command()
def audit(
    org: str,
    action: Annotated[str | None, typer.Option("--action", help="An action, or a family: person, unit...")] = None,
    actor: Annotated[str | None, typer.Option("--actor", help="Part of who acted.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="From this day, YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option("--until", help="To this day included, YYYY-MM-DD.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many, newest first (0: all).")] = 100,
    as_json: JsonFlag = False,
) -> None:
    """The organization's audit trail, newest first."""
    from django.utils import timezone

    from grassroots.audit.selectors import audit_records_visible_to

    records = audit_records_visible_to(
        _operator(),
        _organization(org),
        action=action,
        actor=actor,
        since=_date(since, "--since"),
        until=_date(until, "--until"),
    )
    rows = [
        {
            "at": timezone.localtime(record.at).isoformat(),
            "actor": record.actor_label,
            "action": record.action,
            "target_type": record.target_type,
            "target_id": record.target_id,
            "target": record.target_label,
            "unit": record.unit.slug if record.unit_id else None,
            "changes": record.changes,
        }
        for record in (records[:limit] if limit > 0 else records.iterator(chunk_size=2000))
    ]
    if as_json:
        _print_json(rows)
        return
    from grassroots.audit.templatetags.audit_trail import audit_changes

    table = Table("at", "actor", Column("action", no_wrap=True, min_width=16), "target", "changes")
    for row in rows:
        table.add_row(
            row["at"][:16].replace("T", " "), row["actor"], row["action"], row["target"], audit_changes(row["changes"])
        )
    out.print(table)


# Member files.


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
    errors: Annotated[str | None, typer.Option("--errors", help="Write every rejected row to this CSV.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Import people and their memberships from a member file (CSV or XLSX)."""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    from grassroots.imports.actions import ON_DUPLICATE, OUTCOMES, close_interrupted_runs, import_members
    from grassroots.imports.columns import MappingError
    from grassroots.imports.reading import ImportFileError

    if on_duplicate not in ON_DUPLICATE:
        raise Refusal(f"--on-duplicate: '{on_duplicate}' is not one of {', '.join(ON_DUPLICATE)}")
    organization = _organization(org)
    close_interrupted_runs()
    options = dict(
        organization=organization,
        path=file,
        by=_operator(),
        mapping=mapping,
        dry_run=dry_run,
        valid_rows=valid_rows,
        on_duplicate=on_duplicate,
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
        _print_json(result.as_json())
    else:
        counts = ", ".join(f"{getattr(result, name)} {name}" for name in OUTCOMES)
        out.print(f"{result.rows} rows in {result.seconds:.1f} s: {counts}")
        for rejection in result.rejections[:10]:
            out.print(f"  line {rejection.line}, {rejection.column} '{rejection.value}': {rejection.reason}")
        if result.rejected > 10:
            out.print(f"  ... and {result.rejected - 10} more" + ("" if errors else " (write them all with --errors)"))
        if dry_run:
            out.print("dry run: nothing was written")
    if result.rejected and not result.written and not dry_run:
        raise Refusal(f"{result.rejected} rows rejected: nothing was written (--valid-rows imports the valid ones)")


@export_app.command("members")
def export_members_command(
    org: Annotated[str, typer.Option("--org", help="Organization (slug).")],
    output: Annotated[str, typer.Option("-o", "--output", help="File to write.")],
    unit: Annotated[str | None, typer.Option("--unit", help="Only this unit's subtree (slug).")] = None,
    format: Annotated[str, typer.Option("--format", help="csv or xlsx.")] = "csv",
) -> None:
    """Export the people of an organization (or a subtree) with their current membership."""
    from grassroots.imports.actions import export_members

    if format not in ("csv", "xlsx"):
        raise Refusal(f"--format: '{format}' is not csv or xlsx")
    organization = _organization(org)
    target = _unit(unit, organization=organization) if unit else None
    try:
        count = export_members(organization=organization, by=_operator(), path=output, format=format, unit=target)
    except OSError as error:
        raise Refusal(f"{error.filename or output}: {error.strerror}") from None
    out.print(f"{count} people written to {output}")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `grassroots` console script."""
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    from grassroots.errors import ActionRefused

    _setup()
    try:
        app(args=argv, prog_name="grassroots", standalone_mode=False)
    except ActionRefused as error:
        sys.stderr.write(f"refused: {error.full_message}\n")
        return 1
    except Http404 as error:
        sys.stderr.write(f"error: {error}\n")
        return 1
    except PermissionDenied as error:
        sys.stderr.write(f"refused: {error}\n")
        return 1
    except typer.Abort:
        sys.stderr.write("aborted\n")
        return 130
    except typer.TyperException as error:  # bad arguments and our own refusals
        sys.stderr.write(f"error: {error.format_message()}\n")
        return error.exit_code
    except typer.Exit as done:
        return done.exit_code
    return 0


__all__ = ["app", "main"]
