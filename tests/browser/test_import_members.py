"""Importing a member file in a real browser: upload, say which column holds the unit, watch the
check's progress, read the preview and the rejected rows, import the valid rows, and find the
new member.

A job worker runs in a thread beside the live server, as `grassroots serve` runs one beside
waitress; the page learns that a job has finished by polling (htmx), under the
Content-Security-Policy.
"""

from __future__ import annotations

import re
import threading

import pytest
from django.db import OperationalError, connection
from django_tasks_db.models import DBTaskResult
from playwright.sync_api import Page, expect

from grassroots.demo import DEMO_PASSWORD, DEMO_USERNAME, build_demo
from tests.support import builders
from tests.support.sessions import sign_in_with_two_factor

MEMBERS = (
    "First Name,Last Name,Email,Mobile,House\n"
    "Nia,Okoro,nia.okoro@example.org,07911 123456,elm-house\n"
    "Ravi,Shah,not-an-email,,elm-house\n"
)


@pytest.fixture
def demo(transactional_db):
    return build_demo()


@pytest.fixture
def worker(transactional_db):
    """Runs queued jobs every fifth of a second until the test ends."""
    stop = threading.Event()
    failures: list[BaseException] = []

    def work() -> None:
        try:
            while not stop.is_set():
                try:
                    # A plain read first: claiming opens a write transaction (IMMEDIATE on SQLite),
                    # which every turn would collide with the live server's writes (a sign-in's).
                    if DBTaskResult.objects.ready().exists():
                        builders.run_jobs()
                except OperationalError as error:
                    # The test database is SQLite in memory with a shared cache, where a table
                    # written by the live server's thread is locked (SQLITE_LOCKED, which no busy
                    # timeout waits for): try again at the next turn, as a worker does.
                    if "locked" not in str(error):
                        raise
                stop.wait(0.2)
        except BaseException as error:  # reported by the test, not lost in the thread
            failures.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    yield failures
    stop.set()
    thread.join(timeout=30)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_import_a_member_file(live_server, demo, worker, page: Page, tmp_path, settings):
    settings.IMPORTS_DIR = tmp_path / "imports"
    members = tmp_path / "new-members.csv"
    members.write_text(MEMBERS, encoding="utf-8")
    sign_in_with_two_factor(page, live_server.url, DEMO_USERNAME, DEMO_PASSWORD)

    page.goto(f"{live_server.url}/o/demo/people/")
    page.get_by_role("link", name="Import and export").click()
    page.get_by_label("Member file (CSV or XLSX)").set_input_files(str(members))
    page.get_by_role("button", name="Upload and check").click()

    # The check runs as a job; the page polls until it is done. No column says which unit: the
    # page says so, and the organizer picks the column.
    expect(page.locator("#run-status")).to_contain_text("no unit column", timeout=20_000)
    expect(page.locator("#preview")).to_contain_text("not imported")
    page.get_by_label("House").select_option("unit")
    page.get_by_role("button", name="Check again").click()

    # Checked again: the page shows what an import would do.
    expect(page.locator("#verdict")).to_have_text("1 row would be rejected.", timeout=20_000)
    expect(page.locator("#run-counts")).to_contain_text(re.compile(r"Would be created\s*1\b"))
    expect(page.locator("#preview")).to_contain_text("→ first name")
    expect(page.locator("#preview")).to_contain_text("Okoro")
    expect(page.locator("#errors")).to_contain_text("not a valid email address")
    expect(page.get_by_role("link", name="Download the errors file (CSV)")).to_be_visible()

    page.get_by_label("Import the valid rows even if some are rejected").check()
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator("#verdict")).to_have_text("Imported.", timeout=20_000)
    expect(page.locator("#run-counts")).to_contain_text(re.compile(r"Created\s*1\b"))

    page.goto(f"{live_server.url}/o/demo/people/?q=okoro")
    expect(page.locator("#people-results")).to_contain_text("Nia Okoro")
    assert worker == []
