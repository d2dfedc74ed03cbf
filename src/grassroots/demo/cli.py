"""The command line's demo: load and serve it, and its logins' two-factor codes."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from django.core.management import call_command

from grassroots.cli.common import command_name, out
from grassroots.cli.server import serve_with_workers, use_served_address
from grassroots.demo import (
    DEMO_OFFICER_USERNAME,
    DEMO_PASSWORD,
    DEMO_SLUG,
    DEMO_USERNAME,
    build_demo,
    demo_conference,
    demo_meeting_today,
)
from grassroots.demo import demo_code as current_code
from grassroots.meetings import selectors
from grassroots.meetings.actions import issue_host_link
from grassroots.organizations.models import Organization


def demo(
    serve_it: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the demo after loading it.")] = True,
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
) -> None:
    """Migrate, load the demo tenants' federation (fixed seed), print its two logins, and serve it.

    A demo already in the database is kept as it is (with whatever was changed in it); delete the
    data directory (var/, or `make clean`) to start afresh."""
    call_command("migrate", interactive=False, verbosity=0)
    existed = Organization.objects.filter(slug=DEMO_SLUG).exists()
    with out.status("Loading the demo organization…"):
        organization = build_demo()
    if existed:
        out.print(
            f"Demo organization '{organization.name}' was already loaded: kept as it is "
            "(delete the var/ directory, or `make clean`, to start afresh)."
        )
    else:
        out.print(f"Demo organization '{organization.name}' is loaded (slug: {DEMO_SLUG}).")
    address = f"http://127.0.0.1:{port}/o/{DEMO_SLUG}/"
    out.print(f"Address: {address}" if serve_it else f"Address, once served (`{command_name()} serve`): {address}")
    if serve_it:
        base = use_served_address(host="127.0.0.1", port=port)
        out.print(f"Links in mail and feeds point at {base} (GRASSROOTS_BASE_URL, when set, decides).")
    today = demo_meeting_today(organization)
    if today is not None:
        out.print(f"A meeting of Elm House: http://127.0.0.1:{port}/o/{DEMO_SLUG}/meetings/{today.pk}/")
        token = issue_host_link(meeting=today, by="demo")
        # A demo loaded on an earlier day: that meeting's check-in has closed.
        if selectors.meeting_by_host_token(token) is not None:
            out.print(f"Its host check-in link (a phone at the door, no sign-in): http://127.0.0.1:{port}/h/{token}/")
    conference = demo_conference(organization)
    if conference is not None:
        out.print(f"The founding conference: http://127.0.0.1:{port}/o/{DEMO_SLUG}/conferences/{conference.pk}/")
    out.print(f"Sign in as the administrator (sees everything): {DEMO_USERNAME} / {DEMO_PASSWORD}")
    out.print(f"Sign in as North Bank's secretary (sees that district only): {DEMO_OFFICER_USERNAME} / {DEMO_PASSWORD}")
    out.print(
        "Both need a second factor: scan the key shown at first sign-in with an authenticator app, "
        f"or print the current code with `{command_name()} demo-code LOGIN`."
    )
    if serve_it:
        serve_with_workers(port=port, host="127.0.0.1", workers=1)


def demo_code(login: str) -> None:
    """Print the current two-factor code of a demo login (demo logins only); works before the first sign-in."""
    sys.stdout.write(current_code(login) + "\n")
