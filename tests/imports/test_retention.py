"""Uploaded member files and errors files hold personal data (issue 9): they are readable by the
owner only, and removed after `GRASSROOTS_IMPORT_RETENTION_DAYS`."""

from __future__ import annotations

import json
import os
import stat
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from grassroots.imports import jobs
from grassroots.imports.models import ImportRun
from tests.support.builders import run_jobs

GOOD = "name,email,unit\nAnna Lee,anna@example.org,elm-house\nBob,not-an-email,elm-house\n"
DAY = 86400


@pytest.fixture(autouse=True)
def imports_dir(settings, tmp_path):
    settings.IMPORTS_DIR = tmp_path / "imports"
    return settings.IMPORTS_DIR


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def stage(org, staff, dry_run: bool = True) -> ImportRun:
    upload = SimpleUploadedFile("members.csv", GOOD.encode(), content_type="text/csv")
    return jobs.stage_import(organization=org, upload=upload, by=staff, dry_run=dry_run)


def test_files_and_folders_are_the_owners_only(org, tree, staff, imports_dir):
    run = stage(org, staff)
    stored = jobs.stored_path(run)
    assert mode(stored) == 0o600
    assert [mode(folder) for folder in (imports_dir, stored.parent.parent, stored.parent)] == [0o700] * 3
    run_jobs()
    run.refresh_from_db()
    errors = jobs.errors_path(run)
    assert errors.read_text(encoding="utf-8").count("\n") == 2  # the header and Bob's row
    assert (mode(errors), mode(errors.parent)) == (0o600, 0o700)
    progress = imports_dir / "progress"
    assert not progress.exists() or mode(progress) == 0o700


def test_files_older_than_the_retention_period_are_removed(org, tree, staff, imports_dir, settings):
    settings.GRASSROOTS_IMPORT_RETENTION_DAYS = 30
    checked = stage(org, staff)
    run_jobs()
    checked.refresh_from_db()
    queued = stage(org, staff)  # not run yet: its file stays, however old
    old = time.time() - 31 * DAY
    files = [jobs.stored_path(checked), jobs.errors_path(checked), jobs.stored_path(queued)]
    for path in files:
        os.utime(path, (old, old))
        os.utime(path.parent, (old, old))
    fresh = stage(org, staff)

    assert jobs.prune_import_files() == 2
    assert [path.exists() for path in files] == [False, False, True]
    assert not jobs.stored_path(checked).parent.exists()  # its emptied folder went too
    assert jobs.stored_path(fresh).exists()
    # A shorter period, as configured: the fresh file is a day old tomorrow.
    assert jobs.prune_import_files(days=1, now=time.time() + 2 * DAY) == 0  # queued files stay
    ImportRun.objects.filter(pk__in=[queued.pk, fresh.pk]).update(state=ImportRun.State.DONE)
    assert jobs.prune_import_files(days=1, now=time.time() + 2 * DAY) == 2
    assert not any(path.is_file() for path in imports_dir.rglob("*") if "progress" not in path.parts)


def test_every_import_job_prunes_first(org, tree, staff, settings):
    settings.GRASSROOTS_IMPORT_RETENTION_DAYS = 30
    first = stage(org, staff)
    run_jobs()
    first.refresh_from_db()
    old = time.time() - 31 * DAY
    os.utime(jobs.errors_path(first), (old, old))
    stage(org, staff)
    run_jobs()
    assert not jobs.errors_path(first).exists()


def test_the_prune_command_removes_what_is_past_the_period(org, tree, staff, settings, capsys):
    from grassroots.cli import main

    settings.GRASSROOTS_IMPORT_RETENTION_DAYS = 30
    run = stage(org, staff)
    ImportRun.objects.filter(pk=run.pk).update(state=ImportRun.State.DONE)  # checked long ago
    old = time.time() - 10 * DAY
    os.utime(jobs.stored_path(run), (old, old))
    assert main(["import", "prune", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"removed": 0, "days": 30}
    assert main(["import", "prune", "--days", "7"]) == 0
    assert capsys.readouterr().out.strip() == "1 import file(s) older than 7 days removed"
    assert not jobs.stored_path(run).exists()
