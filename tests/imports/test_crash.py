"""Killing an import process: whole batches or nothing stay, the ImportRun says how far it got,
and running the same file again completes without duplicates.

The imports run in child processes against a SQLite file of their own (the test database of
this process is not visible to them); the child kills itself with SIGKILL inside the chosen
batch's transaction, before it commits (GRASSROOTS_IMPORT_TEST_KILL_IN_BATCH).
"""

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[2] / "src")
ROWS, BATCH = 600, 100

SETUP = """
import django; django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from grassroots.constitution import load_constitution_text
from grassroots.organizations import actions as units
org = units.create_organization(slug="crash", name="Crash", by="t",
                                constitution_yaml=load_constitution_text("tenants_federation"))
top = units.add_unit(organization=org, kind="federation", name="Federation", by="t")
unit = units.add_unit(organization=org, kind="building_committee", name="Elm House", parent=top, by="t")
units.start_preparing(unit=unit, by="t")
"""

IMPORT = """
import sys, django; django.setup()
from grassroots.organizations.models import Organization
from grassroots.imports.actions import import_members
result = import_members(organization=Organization.objects.get(slug="crash"), path=sys.argv[1], by="t",
                        valid_rows=sys.argv[2] == "valid", batch_size=BATCH)
print(result.as_json())
""".replace("BATCH", str(BATCH))


def child(script: str, tmp_path: Path, *args: str, kill_in_batch: int = 0) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(
        PYTHONPATH=SRC,
        DJANGO_SETTINGS_MODULE="grassroots.settings",
        GRASSROOTS_DATA_DIR=str(tmp_path / "data"),
        GRASSROOTS_IMPORT_TEST_KILL_IN_BATCH=str(kill_in_batch),
    )
    return subprocess.run([sys.executable, "-c", script, *args], env=env, capture_output=True, text=True, timeout=120)


def state(tmp_path: Path) -> tuple[int, int, list[tuple]]:
    database = sqlite3.connect(tmp_path / "data" / "grassroots.sqlite3")
    try:
        people = database.execute("SELECT COUNT(*) FROM people_person").fetchone()[0]
        emails = database.execute("SELECT COUNT(DISTINCT email) FROM people_person").fetchone()[0]
        members = database.execute('SELECT COUNT(*) FROM people_membership WHERE "end" IS NULL').fetchone()[0]
        assert members == people  # every imported person has their membership: no half-written row
        runs = database.execute("SELECT state, batches_committed, rows_done FROM imports_importrun ORDER BY id")
        return people, emails, runs.fetchall()
    finally:
        database.close()


def test_killed_imports_leave_whole_batches_and_rerun_completes(tmp_path):
    members = tmp_path / "members.csv"
    members.write_text("name,email,unit\n" + "".join(f"P {i},p{i}@example.org,elm-house\n" for i in range(ROWS)))
    assert child(SETUP, tmp_path).returncode == 0

    # All or nothing, killed in the third batch: nothing at all.
    killed = child(IMPORT, tmp_path, str(members), "all", kill_in_batch=3)
    assert killed.returncode == -signal.SIGKILL
    assert state(tmp_path) == (0, 0, [("running", 0, 0)])

    # Valid rows, killed in the first batch, then in the third: whole committed batches only.
    assert child(IMPORT, tmp_path, str(members), "valid", kill_in_batch=1).returncode == -signal.SIGKILL
    assert state(tmp_path)[0] == 0
    assert child(IMPORT, tmp_path, str(members), "valid", kill_in_batch=3).returncode == -signal.SIGKILL
    people, emails, runs = state(tmp_path)
    assert people == emails == 2 * BATCH
    assert runs[-1] == ("running", 2, 2 * BATCH)

    # The same file again: the committed people are matched (skipped), the rest created.
    done = child(IMPORT, tmp_path, str(members), "valid")
    assert done.returncode == 0, done.stderr
    assert "'created': 400, 'updated': 0, 'unchanged': 0, 'skipped': 200" in done.stdout
    people, emails, runs = state(tmp_path)
    assert people == emails == ROWS
    assert runs[-1] == ("done", ROWS // BATCH, ROWS)
