"""The command line's setting up and serving: migrate, serve, worker."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
import waitress
from django.core.management import call_command

from grassroots.cli.common import out
from grassroots.imports.actions import close_interrupted_runs

WORKER_STOP_SECONDS = 30


def migrate() -> None:
    """Create or update the database tables."""
    call_command("migrate", interactive=False, verbosity=0)
    out.print("Database is up to date.")


@contextmanager
def job_workers(count: int) -> Iterator[list[subprocess.Popen]]:
    """Start `count` job worker processes (`grassroots worker`) and stop every one of them on the
    way out, however it comes: the end of serving, Ctrl-C, SIGTERM or an error."""
    command = [sys.executable, "-m", "grassroots.cli", "worker"]
    started = [subprocess.Popen(command) for _ in range(max(count, 0))]
    try:
        yield started
    finally:
        for process in started:
            process.terminate()  # a worker finishes its current job, then stops
        for process in started:
            try:
                process.wait(timeout=WORKER_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _stop_on_sigterm(_signum, _frame) -> None:
    # Waitress stops serving on SystemExit (as on Ctrl-C), so the workers are stopped after it.
    raise SystemExit(0)


def serve_with_workers(*, host: str, port: int, workers: int) -> None:
    """Serve the web pages and the API with `workers` job workers; Ctrl-C or SIGTERM stops all of them."""
    from grassroots.wsgi import application

    previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        with job_workers(workers) as started:
            out.print(f"Serving Grassroots at http://{host}:{port}/ with {len(started)} job worker(s)  (Ctrl+C stops)")
            waitress.serve(application, host=host, port=port, threads=8, ident="grassroots")
    finally:
        signal.signal(signal.SIGTERM, previous)


def serve(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    workers: Annotated[
        int, typer.Option(help="Job workers to start beside the server (0: run `grassroots worker` yourself).")
    ] = 1,
) -> None:
    """Serve the web pages and the API (waitress, a production WSGI server), with job workers."""
    serve_with_workers(host=host, port=port, workers=workers)


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
