"""What the tests that run imports and workers in child processes share: the environment of a
child (its own data directory, and its own database) and the script that sets up a federation
with one committee people may join (organization slug 'crash')."""

from __future__ import annotations

import os
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[2] / "src")

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


def environment(tmp_path: Path, database_url: str | None = None) -> dict:
    """A child's environment: a data directory under `tmp_path`, with its SQLite file unless
    `database_url` names another database."""
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(PYTHONPATH=SRC, DJANGO_SETTINGS_MODULE="grassroots.settings", GRASSROOTS_DATA_DIR=str(tmp_path / "data"))
    if database_url:
        env["DATABASE_URL"] = database_url
    return env
