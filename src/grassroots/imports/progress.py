"""How far a running import has got, readable by other processes before its batch commits.

An all-or-nothing import holds one transaction to the end, so the counts it writes on its
`ImportRun` stay invisible to the pages and the API until then. Each batch also writes them to a
small JSON file under the imports folder of the data directory (replaced atomically), which the
readers overlay on a running import. Counts only, never personal values.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.conf import settings


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
