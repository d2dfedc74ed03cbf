"""The command line's setting up and serving: migrate, serve, worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from typing import Annotated

import typer
import waitress
from django.core.management import call_command

from grassroots.cli.common import out
from grassroots.imports.actions import close_interrupted_runs
from grassroots.imports.jobs import prune_import_files


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
    """Serve the web pages and the API (waitress, a production WSGI server), with job workers.

    Stopping it stops every worker it started: Ctrl+C, SIGTERM (a service manager, `kill`) and
    SIGHUP end the server and then its workers (each finishes the job it is running); a server
    killed outright leaves workers that notice within a second that their parent is gone, and stop.
    """
    from grassroots.wsgi import application

    command = [sys.executable, "-m", "grassroots.cli", "worker"]
    environment = {**os.environ, PARENT_VARIABLE: str(os.getpid())}
    started = [subprocess.Popen(command, env=environment) for _ in range(max(workers, 0))]
    for stop in (signal.SIGTERM, signal.SIGHUP):
        # By default these end the process at once, without the `finally` that stops the workers.
        signal.signal(stop, _stop_serving)
    out.print(f"Serving Grassroots at http://{host}:{port}/ with {len(started)} job worker(s)  (Ctrl+C stops)")
    try:
        waitress.serve(application, host=host, port=port, threads=8, ident="grassroots")
    finally:
        for process in started:
            process.terminate()
        for process in started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:  # a job that will not finish: the worker goes anyway
                process.kill()
                process.wait()


# Set by `serve` for the workers it starts: the process id they stop without.
PARENT_VARIABLE = "GRASSROOTS_SERVE_PID"


def _stop_serving(signum: int, frame) -> None:
    raise SystemExit(128 + signum)


def _stop_with_parent(parent: int) -> None:
    """Watch the `serve` process that started this worker; when it is gone (killed outright, so
    it could not stop us), stop as on SIGTERM: after the running job."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def worker(
    batch: Annotated[bool, typer.Option("--batch", help="Run the queued jobs, then stop.")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between looks at an empty queue.")] = 1.0,
) -> None:
    """Run background jobs (imports started from the web or the API) until stopped. Start as many
    as wanted on PostgreSQL; each job runs once. Closes the imports whose process died first."""
    parent = os.environ.get(PARENT_VARIABLE)
    if parent and parent.isdigit():
        _stop_with_parent(int(parent))
    closed = close_interrupted_runs()
    if closed:
        out.print(f"{closed} interrupted import(s) closed")
    pruned = prune_import_files()
    if pruned:
        out.print(f"{pruned} import file(s) past the retention period removed")
    call_command("db_worker", batch=batch, interval=interval, reload=False, startup_delay=not batch, verbosity=1)
