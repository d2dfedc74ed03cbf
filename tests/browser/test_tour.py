"""What an organizer sees after `make demo`, at a laptop's width (1280 px): the tree, a unit, and
the audit trail, whose changes column stays within the window.

With GRASSROOTS_SCREENSHOTS=1 the tour's two screenshots are written to docs/ for the README.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from grassroots.audit.actions import write_audit_record
from grassroots.demo import DEMO_PASSWORD, DEMO_USERNAME, build_demo
from grassroots.people.models import Person
from tests.support.sessions import sign_in_with_two_factor

DOCS = Path(__file__).parents[2] / "docs"
LONG_VALUE = "bulletin-" * 40  # one long word: nowhere to break but anywhere


@pytest.fixture
def demo(transactional_db):
    organization = build_demo()
    person = Person.objects.filter(organization=organization).order_by("pk").first()
    write_audit_record(
        by="cli:tester",
        action="person.add",
        target=person,
        organization=organization,
        changes={"note": [None, LONG_VALUE], "address": [None, "Flat 12, " * 20]},
    )
    return organization


def _screenshot(page: Page, name: str, tmp_path: Path) -> None:
    folder = DOCS if os.environ.get("GRASSROOTS_SCREENSHOTS") == "1" else tmp_path
    page.screenshot(path=str(folder / name))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_organizers_tour_at_1280_px(live_server, demo, page: Page, tmp_path):
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in_with_two_factor(page, live_server.url, DEMO_USERNAME, DEMO_PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/o/demo/dashboard/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Tree").click()
    expect(page.locator("#top")).to_contain_text("Readiness")
    _screenshot(page, "tour-tree.png", tmp_path)

    page.locator("#unit-north-bank").get_by_role("link", name="North Bank").click()
    expect(page.locator("#facts")).to_contain_text("north-bank")
    _screenshot(page, "tour-unit.png", tmp_path)

    page.goto(f"{live_server.url}/o/demo/audit/")
    cell = page.locator("#audit-records td.changes", has_text="bulletin-bulletin-")
    expect(cell).to_contain_text("bulletin-bulletin-")
    box = cell.bounding_box()
    assert box is not None
    scroller = page.locator(".table-scroll").first
    frame = scroller.bounding_box()
    assert frame is not None
    # The column ends inside the table's box, which ends inside the window: nothing hides behind a scroll bar.
    assert box["x"] + box["width"] <= frame["x"] + frame["width"] <= 1280, (box, frame)
    assert scroller.evaluate("element => element.scrollWidth <= element.clientWidth")
    assert box["height"] > 40  # the long values wrap onto several lines
