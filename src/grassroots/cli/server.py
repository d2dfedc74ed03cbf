"""The command line's setting up and serving: migrate, serve, worker."""

from __future__ import annotations

import subprocess
import sys
from typing import Annotated

import typer
import waitress
from django.core.management import call_command

from grassroots.cli.common import out
from grassroots.imports.actions import close_interrupted_runs


def migrate() -> None:
    """Create or update the database tables."""
    call_command("migrate", interactive=False, verbosity=0)
    out.print("Database is up to date.")


def serve(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    workers: Annotated[
        int, typer.Option(help="Job workers to start beside the server (0: run `grassroots worker` yourself).")
    ] = 1,
) -> None:
    """Serve the web pages and the API (waitress, a production WSGI server), with job workers."""
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


def worker(
    batch: Annotated[bool, typer.Option("--batch", help="Run the queued jobs, then stop.")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between looks at an empty queue.")] = 1.0,
) -> None:
    """Run background jobs (imports started from the web or the API) until stopped. Start as many
    as wanted on PostgreSQL; each job runs once. Closes the imports whose process died first."""
    closed = close_interrupted_runs()
    if closed:
        out.print(f"{closed} interrupted import(s) closed")
    call_command("db_worker", batch=batch, interval=interval, reload=False, startup_delay=not batch, verbosity=1)
