"""How far a running import has got, readable by other processes before its batch commits.

An all-or-nothing import holds one transaction to the end, so the counts it writes on its
`ImportRun` stay invisible to the pages and the API until then. Each batch also writes them to a
small JSON file under the imports folder of the data directory (replaced atomically), which the
readers overlay on a running import. Counts only, never personal values. A run writes it through a
`ProgressFile`, at most once every `WRITE_EVERY_SECONDS` and always its last values.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from time import monotonic

from django.conf import settings

# A replace of the file costs milliseconds: written every 1,000 rows it took a tenth of a small
# import's time, for readers who look at most every few seconds.
WRITE_EVERY_SECONDS = 1.0


class ProgressFile:
    """The progress file of one run, written at most once every `WRITE_EVERY_SECONDS` (the first
    values at once): the values given in between are kept, and `flush()` writes the last of them,
    so the file ends with the run's final state."""

    def __init__(self, run_id: int):
        self.run_id = run_id
        self.written_at: float | None = None  # monotonic seconds
        self.due: dict | None = None  # given since, not written yet

    def write(self, **values) -> None:
        now = monotonic()
        if self.written_at is not None and now - self.written_at < WRITE_EVERY_SECONDS:
            self.due = values
            return
        write_progress(self.run_id, **values)
        self.written_at, self.due = now, None

    def flush(self) -> None:
        """Write the values kept back by `write`, if any."""
        if self.due is not None:
            write_progress(self.run_id, **self.due)
            self.written_at, self.due = monotonic(), None


def _path(run_id: int) -> Path:
    return Path(settings.IMPORTS_DIR) / "progress" / f"{run_id}.json"


def write_progress(run_id: int, **values) -> None:
    path = _path(run_id)
    if not path.parent.is_dir():
        # Like every folder and file under the imports folder: the owner's only (0700, 0600).
        for folder in (path.parent.parent, path.parent):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(folder, 0o700)
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    with open(partial, "w", encoding="utf-8", opener=lambda name, flags: os.open(name, flags, 0o600)) as stream:
        stream.write(json.dumps(values))
    os.replace(partial, path)


def read_progress(run_id: int) -> dict:
    try:
        return json.loads(_path(run_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def clear_progress(run_id: int) -> None:
    _path(run_id).unlink(missing_ok=True)
