"""The life of an import run: its `ImportRun` record from start to end, its audit record, and the
runs a killed process left open. Every write to an `ImportRun` made by an import goes through
`RunRecord`, so the run's state is written in one place.

A run is staged (`jobs.stage_import`, state queued) or created here (running); each batch writes
its progress first (on SQLite that takes the write lock for the batch) and its counts after; the
end writes the state, the counts and one audit record (who, file name, hash, counts; never
personal values). A killed import cannot write its own: `close_interrupted_runs` (run when a
worker or a command-line import starts) marks it interrupted and writes it, with the counts of
the committed batches.
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from grassroots.audit.actions import actor_label, write_audit_record

from .columns import ColumnMap
from .deciding import OUTCOMES, WOULD, ImportResult
from .models import ImportRun
from .progress import ProgressFile, clear_progress


class RunRecord:
    """The `ImportRun` of one import (None for a dry run from the command line, which keeps none)."""

    def __init__(self, run: ImportRun | None, *, dry_run: bool):
        self.run, self.dry_run = run, dry_run
        self.progress = ProgressFile(run.pk) if run is not None else None
        self.kept = (0, 0)  # (batches, rows) known to be committed
        self.kept_writes = (0, 0)  # (created, updated) by the committed batches

    @classmethod
    def start(
        cls,
        run: ImportRun | None,
        *,
        organization,
        by,
        path: Path,
        options: dict[str, Any],
        columns: ColumnMap,
        read: dict[str, Any],
        dry_run: bool,
    ) -> RunRecord:
        """A job's queued run (staged when the file was uploaded) now running here; or a new run,
        unless this is a dry run. `read`: what was decided about the file (`ImportResult.read`)."""
        if run is not None:
            run.state, run.host, run.pid, run.started_at = (
                ImportRun.State.RUNNING,
                socket.gethostname(),
                os.getpid(),
                timezone.now(),
            )
            run.columns, run.read = columns.as_pairs(), read
            run.save(update_fields=["state", "host", "pid", "started_at", "columns", "read"])
        elif not dry_run:
            run = ImportRun.objects.create(
                organization=organization,
                actor_label=actor_label(by)[:200],
                file_name=path.name[:255],
                sha256=file_sha256(path),
                options=options,
                columns=columns.as_pairs(),
                read=read,
                host=socket.gethostname(),
                pid=os.getpid(),
                started_at=timezone.now(),
            )
        return cls(run, dry_run=dry_run)

    @property
    def id(self) -> int | None:
        return self.run.pk if self.run is not None else None

    @property
    def batches_committed(self) -> int:
        return self.run.batches_committed if self.run is not None else 0

    def batch_started(self, read: int, fraction: float, result: ImportResult) -> None:
        """Before a batch is written: how far the file is read, and the counts so far."""
        if self.run is None or self.dry_run:
            return
        self.run.batches_committed += 1
        ImportRun.objects.filter(pk=self.run.pk).update(
            rows_done=read, progress=fraction, batches_committed=self.run.batches_committed, **_counts(result)
        )

    def batch_done(self, read: int, fraction: float, result: ImportResult) -> None:
        """After a batch is decided (and written): its counts, and the progress other processes read
        while the batch (or the whole all-or-nothing import) is not committed yet."""
        if self.run is None:
            return
        if not self.dry_run:
            ImportRun.objects.filter(pk=self.run.pk).update(**_counts(result))
        self.reading(read, fraction, result)

    def reading(self, read: int, fraction: float, result: ImportResult) -> None:
        """While a batch is read: how far, for other processes (the counts are those so far).
        Written at most once a second (`progress.ProgressFile`); `read_all` writes the last."""
        if self.progress is not None:
            self.progress.write(rows_done=read, progress=fraction, **_counts(result))

    def read_all(self) -> None:
        """The last batch is decided: its progress is written, whenever the one before was."""
        if self.progress is not None:
            self.progress.flush()

    def committed(self, read: int, result: ImportResult) -> None:
        """The batch's transaction committed (`valid_rows`): what a later failure keeps."""
        self.kept = (self.batches_committed, read)
        self.kept_writes = (result.created, result.updated)

    def rolled_back(self) -> None:
        """An all-or-nothing import that rolled back committed none of its batches."""
        if self.run is not None:
            self.run.batches_committed = 0

    def finish(self, result: ImportResult, by, organization, state: str, started: float) -> None:
        """Close the run with its counts and the import's audit record."""
        _close(self.run, result, by, organization, state, started)

    def failed(self, result: ImportResult, by, organization, started: float, error: BaseException) -> None:
        """Close the run as failed, with what the database kept: the batches committed before the
        failure (none, for all or nothing), and the people they created and updated."""
        if not self.dry_run:  # the failed transaction wrote nothing of what it counted
            result.created, result.updated = self.kept_writes
        if self.run is None:
            return
        result.state = ImportRun.State.FAILED
        self.run.batches_committed, self.run.rows_done = self.kept
        with transaction.atomic():
            _close(self.run, result, by, organization, ImportRun.State.FAILED, started, error=error)


def _counts(result: ImportResult) -> dict[str, int]:
    return {name: getattr(result, name) for name in (*OUTCOMES, *WOULD)}


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def owner_only(path, flags: int) -> int:
    """An `open` opener: the file is readable and writable by its owner only (0600), since it
    holds personal data (an errors file repeats the rejected rows' values)."""
    descriptor = os.open(path, flags, 0o600)
    os.fchmod(descriptor, 0o600)
    return descriptor


def _close(run, result: ImportResult, by, organization, state: str, started: float, *, error=None) -> None:
    """Close the run with its counts and write the import's one audit record."""
    if run is None:
        return
    result.state = state
    result.seconds = time.perf_counter() - started
    counts = _counts(result)
    run.state = state
    run.rows_total = result.rows
    run.finished_at = timezone.now()
    run.error = f"{type(error).__name__}: {error}"[:2000] if error is not None else ""
    for name, value in counts.items():
        setattr(run, name, value)
    if state in (ImportRun.State.DONE, ImportRun.State.REJECTED):
        run.rows_done = result.rows  # read to the end (otherwise: what the committed batches read)
    run.progress = 1.0 if state in (ImportRun.State.DONE, ImportRun.State.REJECTED) else run.progress
    ImportRun.objects.filter(pk=run.pk).update(
        state=state,
        rows_total=run.rows_total,
        rows_done=run.rows_done,
        progress=run.progress,
        finished_at=run.finished_at,
        error=run.error,
        batches_committed=run.batches_committed,
        **counts,
    )
    clear_progress(run.pk)
    if not run.dry_run:  # a check writes nothing: no audit record
        _audit_import(run, by, organization, state, result.rows, counts)


def _audit_import(run: ImportRun, by, organization, state: str, rows: int, counts: dict[str, int]) -> None:
    write_audit_record(
        by=by,
        action="people.import",
        target=run,
        organization=organization,
        changes={
            "file": [None, run.file_name],
            "sha256": [None, run.sha256],
            "state": [None, state],
            "rows": [None, rows],
            **{name: [None, value] for name, value in counts.items()},
        },
    )


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


def close_interrupted_runs() -> int:
    """Close the imports still marked running whose process on this host has died (killed, or the
    machine restarted): interrupted, with the counts of the batches they committed and the import's
    audit record. Called when a worker or a command-line import starts. Returns how many."""
    closed = 0
    stale = ImportRun.objects.filter(state=ImportRun.State.RUNNING, host=socket.gethostname())
    for run in stale.select_related("organization"):
        if run.pid is None or run.pid == os.getpid() or _process_alive(run.pid):
            continue
        with transaction.atomic():
            if not ImportRun.objects.filter(pk=run.pk, state=ImportRun.State.RUNNING).update(
                state=ImportRun.State.INTERRUPTED,
                finished_at=timezone.now(),
                error="the importing process stopped before the end; committed batches are kept",
            ):
                continue  # closed by someone else meanwhile
            if not run.dry_run:
                counts = {name: getattr(run, name) for name in OUTCOMES}
                by = run.requested_by if run.requested_by_id else run.actor_label
                _audit_import(run, by, run.organization, ImportRun.State.INTERRUPTED, run.rows_done, counts)
        clear_progress(run.pk)
        closed += 1
    return closed
