"""The `grassroots` command line: set up, serve, and run the organization from a terminal.

Every command calls the same actions and selectors as the web pages and the API. The
person at the terminal operates the installation (see `access.Operator`); their changes
are audited as `cli:<login name>`. A refused action or a bad argument prints one line on
standard error and exits non-zero; nothing is half-written.

Each app keeps its commands in its own `cli.py`; this package sets Django up once, then
assembles their groups (shared helpers are in `grassroots.cli.common`).
"""

from __future__ import annotations

import os
import sys

import django
import typer
from django.apps import apps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grassroots.settings")
if not apps.ready:
    django.setup()

# The apps' command lines import models and actions: Django must be set up first.
from django.core.exceptions import PermissionDenied  # noqa: E402
from django.http import Http404  # noqa: E402

from grassroots.accounts import cli as accounts_cli  # noqa: E402
from grassroots.audit import cli as audit_cli  # noqa: E402
from grassroots.bulletin import cli as bulletin_cli  # noqa: E402
from grassroots.cli import server  # noqa: E402
from grassroots.conferences import cli as conferences_cli  # noqa: E402
from grassroots.demo import cli as demo_cli  # noqa: E402
from grassroots.directives import cli as directives_cli  # noqa: E402
from grassroots.education import cli as education_cli  # noqa: E402
from grassroots.errors import ActionRefused  # noqa: E402
from grassroots.health import cli as health_cli  # noqa: E402
from grassroots.imports import cli as imports_cli  # noqa: E402
from grassroots.meetings import cli as meetings_cli  # noqa: E402
from grassroots.organizations import cli as organizations_cli  # noqa: E402
from grassroots.outbox import cli as outbox_cli  # noqa: E402
from grassroots.people import cli as people_cli  # noqa: E402

app = typer.Typer(
    name="grassroots",
    help="Build and run member organizations from the ground up.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.command()(server.migrate)
app.command()(server.serve)
app.command()(server.worker)
app.command()(demo_cli.demo)
app.command("demo-code")(demo_cli.demo_code)
app.command()(organizations_cli.readiness)
app.command()(organizations_cli.tree)
app.command()(audit_cli.audit)
app.command()(conferences_cli.apportion)
app.command()(meetings_cli.standing)
app.command()(health_cli.growth)
app.add_typer(organizations_cli.org_app, name="org")
app.add_typer(organizations_cli.unit_app, name="unit")
app.add_typer(people_cli.person_app, name="person")
app.add_typer(people_cli.member_app, name="member")
app.add_typer(people_cli.course_app, name="course")
people_cli.course_app.command("session")(education_cli.course_session)
people_cli.course_app.command("declare")(education_cli.course_declare)
people_cli.course_app.command("review")(education_cli.course_review)
app.command("education")(education_cli.education)
app.add_typer(organizations_cli.post_app, name="post")
app.add_typer(accounts_cli.token_app, name="token")
app.add_typer(accounts_cli.user_app, name="user")
app.add_typer(imports_cli.import_app, name="import")
app.add_typer(imports_cli.export_app, name="export")
app.add_typer(bulletin_cli.bulletin_app, name="bulletin")
app.add_typer(outbox_cli.outbox_app, name="outbox")
app.add_typer(meetings_cli.meeting_app, name="meeting")
app.add_typer(directives_cli.directive_app, name="directive")
app.add_typer(directives_cli.assignment_app, name="assignment")
app.add_typer(health_cli.health_app, name="health")
app.add_typer(conferences_cli.conference_app, name="conference")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `grassroots` console script."""
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
