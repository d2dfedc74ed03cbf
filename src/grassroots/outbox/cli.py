"""The command line of the outbox: send what is due in the foreground, and read the unsubscribe
requests that arrive by mail."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from grassroots.cli.common import JsonFlag, Refusal, out, print_json

from .bounces import mbox_problem
from .jobs import deliver
from .unsubscribes import read_unsubscribe_bytes, read_unsubscribe_mbox

outbox_app = typer.Typer(help="The outbox: the one way Grassroots sends mail.", no_args_is_help=True)


@outbox_app.command("send")
def send(
    limit: Annotated[int | None, typer.Option("--limit", help="Stop after this many messages.")] = None,
) -> None:
    """Send every message that is due, then stop (as a `grassroots worker` job does)."""
    sent = deliver(limit=limit)
    out.print(f"{sent} message(s) sent")


@outbox_app.command("unsubscribes")
def unsubscribes(
    mbox: Annotated[
        str,
        typer.Option(
            "--mbox", help="An mbox file of unsubscribe messages ('-': one message or an mbox on standard input)."
        ),
    ],
    as_json: JsonFlag = False,
) -> None:
    """Read the messages sent to the List-Unsubscribe mailto address: each valid token (in the
    subject or the address) unsubscribes its person from its list; a second request changes nothing."""
    if mbox == "-":
        report = read_unsubscribe_bytes(sys.stdin.buffer.read())
    else:
        if not Path(mbox).is_file():
            raise Refusal(f"--mbox: no file {mbox}")
        problem = mbox_problem(mbox)
        if problem:
            raise Refusal(problem)
        report = read_unsubscribe_mbox(mbox)
    if as_json:
        print_json(vars(report))
    else:
        out.print(
            f"{report.messages} message(s): {report.unsubscribed} unsubscribed, {report.unchanged} already "
            f"unsubscribed, {report.unrecognised} without a valid token"
        )
