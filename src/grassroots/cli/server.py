"""The command line's setting up and serving: migrate, serve, worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
import waitress
from django.conf import settings
from django.core.management import call_command
from django.db import OperationalError

from grassroots.cli.common import out
from grassroots.directives.jobs import queue_reminder_job
from grassroots.health.jobs import queue_snapshot_job
from grassroots.imports.jobs import prune_import_files
from grassroots.imports.runs import close_interrupted_runs
from grassroots.meetings.jobs import queue_series_job
from grassroots.outbox.jobs import queue_waiting_mail
from grassroots.settings import sender_for

WORKER_STOP_SECONDS = 30
# How often `serve` looks for a job worker that stopped by itself, to start it again.
RESTART_SECONDS = 2.0
# Set by `serve` for the workers it starts: the process id they stop without.
PARENT_VARIABLE = "GRASSROOTS_SERVE_PID"
# By default these end the process at once, without the `finally` that stops the workers.
# SIGINT too: a process started with SIGINT ignored (as a test runner's worker may start it) would
# otherwise not stop on Ctrl-C, which Python only turns into KeyboardInterrupt when not ignored.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)


def migrate() -> None:
    """Create or update the database tables."""
    call_command("migrate", interactive=False, verbosity=0)
    out.print("Database is up to date.")


@contextmanager
def job_workers(count: int) -> Iterator[list[subprocess.Popen]]:
    """Start `count` job worker processes (`grassroots worker`) and stop every one of them on the
    way out, however it comes: the end of serving, Ctrl-C, SIGTERM, SIGHUP or an error. A server
    killed outright leaves workers that notice within a second that their parent is gone, and stop."""
    command = [sys.executable, "-m", "grassroots.cli", "worker"]
    environment = {**os.environ, PARENT_VARIABLE: str(os.getpid())}
    started = [subprocess.Popen(command, env=environment) for _ in range(max(count, 0))]
    stopping = threading.Event()

    def keep() -> None:
        # A worker that stopped by itself (an error it could not survive) is started again, at
        # most once every RESTART_SECONDS per worker, so that queued jobs never wait for nobody.
        while not stopping.wait(RESTART_SECONDS):
            for slot, process in enumerate(started):
                code = process.poll()
                if code is not None and not stopping.is_set():
                    out.print(f"job worker {slot + 1} stopped (exit code {code}); starting it again")
                    started[slot] = subprocess.Popen(command, env=environment)

    keeper = threading.Thread(target=keep, name="grassroots-worker-keeper", daemon=True)
    keeper.start()
    try:
        yield started
    finally:
        stopping.set()
        keeper.join()
        for process in started:
            process.terminate()  # a worker finishes its current job, then stops
        for process in started:
            try:
                process.wait(timeout=WORKER_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _stop_serving(signum: int, _frame) -> None:
    # Waitress stops serving on SystemExit (as on Ctrl-C), so the workers are stopped after it.
    raise SystemExit(128 + signum)


def use_served_address(*, host: str, port: int) -> str:
    """The address links in mail and feeds point at: GRASSROOTS_BASE_URL when it is given
    explicitly, otherwise the one being served (`http://host:port`, `localhost` for a wildcard
    host), set for this process and the job workers it starts."""
    given = os.environ.get("GRASSROOTS_BASE_URL", "").strip()
    if given:
        return given
    shown = "localhost" if host in ("", "0.0.0.0", "::") else host  # noqa: S104 -- compared, not bound
    base = f"http://{'[' + shown + ']' if ':' in shown else shown}:{port}"
    os.environ["GRASSROOTS_BASE_URL"] = base  # the job workers are started with this environment
    settings.GRASSROOTS_BASE_URL = base
    if not os.environ.get("DEFAULT_FROM_EMAIL"):
        # The sender follows the served address, as the workers derive it from the environment.
        settings.DEFAULT_FROM_EMAIL = sender_for(base)
    return base


def serve_with_workers(*, host: str, port: int, workers: int) -> None:
    """Serve the web pages and the API with `workers` job workers; Ctrl-C, SIGTERM or SIGHUP stops
    all of them. Links in mail and feeds point at the served address unless GRASSROOTS_BASE_URL says otherwise."""
    from grassroots.wsgi import application

    use_served_address(host=host, port=port)

    previous = {stop: signal.signal(stop, _stop_serving) for stop in STOP_SIGNALS}
    try:
        with job_workers(workers) as started:
            out.print(f"Serving Grassroots at http://{host}:{port}/ with {len(started)} job worker(s)  (Ctrl+C stops)")
            waitress.serve(application, host=host, port=port, threads=8, ident="grassroots")
    finally:
        for stop, handler in previous.items():
            signal.signal(stop, handler)


def serve(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    workers: Annotated[
        int, typer.Option(help="Job workers to start beside the server (0: run `grassroots worker` yourself).")
    ] = 1,
) -> None:
    """Serve the web pages and the API (waitress, a production WSGI server), with job workers.

    Stopping it stops every worker it started: Ctrl+C, SIGTERM (a service manager, `kill`) and
    SIGHUP end the server and then its workers (each finishes the job it is running).
    """
    serve_with_workers(host=host, port=port, workers=workers)


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
    queue_series_job()  # meeting series' occurrences, created ahead, day after day
    queue_reminder_job()  # directives' reminders, hour after hour
    queue_snapshot_job()  # every unit's health, written each day
    queue_waiting_mail()  # a send whose worker was killed goes on
    while True:
        try:
            call_command(
                "db_worker", batch=batch, interval=interval, reload=False, startup_delay=not batch, verbosity=1
            )
            return
        except OperationalError as error:
            # SQLite: another process (a long import from the command line) holds the write lock
            # past the busy timeout. Wait and look again rather than stop with the jobs queued.
            if "locked" not in str(error):
                raise
            out.print(f"the database is busy ({error}); looking again in {interval:g} s")
            time.sleep(max(interval, 0.1))
