"""Real job workers: two `grassroots worker --batch` processes share six queued imports on the
database the suite runs on (a SQLite file of their own, or a fresh PostgreSQL database); each
import runs exactly once and completely.
"""

from __future__ import annotations

import os
import subprocess
import sys

import psycopg
import pytest
from django.db import connection

from tests.imports.children import SETUP, environment

FILES, ROWS = 6, 200

QUEUE = """
import django; django.setup()
from django.core.files.uploadedfile import SimpleUploadedFile
from grassroots.accounts.actions import create_account
from grassroots.imports.jobs import stage_import
from grassroots.organizations.models import Organization
org = Organization.objects.get(slug="crash")
admin = create_account(email="admin@example.org", organization=org, is_admin=True, by="t").user
for f in range(FILES):
    text = "name,email,unit\\n" + "".join(f"P{f}-{i},p{f}-{i}@example.org,elm-house\\n" for i in range(ROWS))
    stage_import(organization=org, upload=SimpleUploadedFile(f"m{f}.csv", text.encode()), by=admin,
                 dry_run=False, valid_rows=True)
""".replace("FILES", str(FILES)).replace("ROWS", str(ROWS))

REPORT = """
import django; django.setup()
from django_tasks_db.models import DBTaskResult
from grassroots.imports.models import ImportRun
from grassroots.people.models import Person
runs = list(ImportRun.objects.order_by("id").values_list("state", "created", "rows_done"))
jobs = list(DBTaskResult.objects.filter(task_path__contains="imports").values_list("status", flat=True))
people = Person.objects.count(), Person.objects.values("email").distinct().count()
print(repr((runs, sorted(jobs), people)))
"""


@pytest.fixture
def database_url(tmp_path):
    """A database of the suite's kind, empty, that child processes can reach."""
    if connection.vendor != "postgresql":
        yield None  # the children use a SQLite file under their data directory
        return
    settings = connection.settings_dict
    name = f"grassroots_workers_{os.getpid()}"
    server = f"host={settings['HOST'] or '127.0.0.1'} port={settings['PORT'] or 5432} user={settings['USER']}"
    if settings["PASSWORD"]:
        server += f" password={settings['PASSWORD']}"
    with psycopg.connect(server + " dbname=postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    yield f"postgres://{settings['USER']}{password}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{name}"
    with psycopg.connect(server + " dbname=postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_script(script: str, env: dict) -> str:
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_two_workers_run_every_queued_import_exactly_once(tmp_path, database_url):
    env = environment(tmp_path, database_url)
    run_script(SETUP, env)
    run_script(QUEUE, env)
    command = [sys.executable, "-m", "grassroots.cli", "worker", "--batch", "--interval", "0.1"]
    workers = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in "ab"]
    outputs = [worker.communicate(timeout=300)[0].decode() for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], outputs
    runs, jobs, people = eval(run_script(REPORT, env))  # noqa: S307 -- our own script's repr
    assert runs == [("done", ROWS, ROWS)] * FILES
    assert jobs == ["SUCCESSFUL"] * FILES
    assert people == (FILES * ROWS, FILES * ROWS)
    # (The meeting series job, which each worker queues as it starts, runs beside the imports.)
    lines = [line for output in outputs for line in output.splitlines()]
    ran = sum(1 for line in lines if "state=SUCCESSFUL" in line and "run_import" in line)
    assert ran == FILES  # each job once, whichever worker claimed it
