"""The layer contracts of `make lint` (import-linter, configured in pyproject.toml) hold on the
tree, and they do fail on a break: the same contracts, run on a copy of the package with one
import that goes upward, report it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(source: Path) -> subprocess.CompletedProcess:
    """Run the project's contracts over the `grassroots` package found under `source`."""
    env = {**os.environ, "PYTHONPATH": str(source)}
    command = [str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml"), "--no-cache"]
    return subprocess.run(command, cwd=source, env=env, capture_output=True, text=True, timeout=300)


def copy_of_the_package(tmp_path: Path) -> Path:
    ignore = shutil.ignore_patterns("__pycache__", "templates", "static", "migrations", "*.yaml")
    shutil.copytree(ROOT / "src" / "grassroots", tmp_path / "grassroots", ignore=ignore)
    return tmp_path


def test_the_tree_keeps_every_contract():
    done = lint_imports(ROOT / "src")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_a_selector_that_writes_the_audit_trail_breaks_the_layers(tmp_path):
    source = copy_of_the_package(tmp_path)
    selectors = source / "grassroots" / "people" / "selectors.py"
    upward = "from grassroots.audit.actions import record_denied_access  # noqa"
    selectors.write_text(f"{selectors.read_text()}\n{upward}\n")
    done = lint_imports(source)
    assert done.returncode != 0
    assert "Selectors only read: no app's actions (which write) and no interfaces BROKEN" in done.stdout
    assert "grassroots.people.selectors -> grassroots.audit.actions" in done.stdout


def test_an_app_importing_another_apps_forms_breaks_a_contract(tmp_path):
    source = copy_of_the_package(tmp_path)
    forms = source / "grassroots" / "people" / "forms.py"
    forms.write_text(forms.read_text() + "\nfrom grassroots.organizations.forms import AsOfForm  # noqa\n")
    done = lint_imports(source)
    assert done.returncode != 0
    assert "grassroots.people.forms -> grassroots.organizations.forms" in done.stdout
