"""The command line's demo: load and serve it, and its logins' two-factor codes."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from django.core.management import call_command

from grassroots.cli.common import out
from grassroots.cli.server import serve
from grassroots.demo import DEMO_OFFICER_USERNAME, DEMO_PASSWORD, DEMO_SLUG, DEMO_USERNAME, build_demo
from grassroots.demo import demo_code as current_code


def demo(
    serve_it: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the demo after loading it.")] = True,
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
) -> None:
    """Migrate, load the demo tenants' federation (fixed seed), print its two logins, and serve it."""
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


def demo_code(login: str) -> None:
    """Print the current two-factor code of a demo login (demo logins only)."""
    sys.stdout.write(current_code(login) + "\n")
