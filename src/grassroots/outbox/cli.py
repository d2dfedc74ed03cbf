"""The command line of the outbox: send what is due in the foreground."""

from __future__ import annotations

from typing import Annotated

import typer

from grassroots.cli.common import out

from .jobs import deliver

outbox_app = typer.Typer(help="The outbox: the one way Grassroots sends mail.", no_args_is_help=True)


@outbox_app.command("send")
def send(
    limit: Annotated[int | None, typer.Option("--limit", help="Stop after this many messages.")] = None,
) -> None:
    """Send every message that is due, then stop (as a `grassroots worker` job does)."""
    sent = deliver(limit=limit)
    out.print(f"{sent} message(s) sent")
