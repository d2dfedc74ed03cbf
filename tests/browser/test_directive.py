"""A directive in a real browser: the region issues it from its page (the reach shown before it
goes), a building committee's secretary reports with a file, and the directive's page rolls the
report up and offers the file for download.

Drives Debian's Chromium (/usr/bin/chromium) through Playwright against the live test server.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.support import builders
from tests.support.directives import region
from tests.support.sessions import sign_in_with_two_factor

PASSWORD = "pw-test-1"  # what tests.support.builders.account gives every account


@pytest.fixture
def scene(transactional_db):
    # Built before Playwright starts (see test_found_unit.py).
    built = region()
    builders.account(built.org, "admin@example.org", is_admin=True)
    return built


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_issue_report_and_roll_up(live_server, scene, page: Page, settings, tmp_path):
    settings.REPORT_FILES_DIR = tmp_path / "reports"
    flyer = tmp_path / "flyer.txt"
    flyer.write_bytes(b"Rent freeze now!\n")
    base = live_server.url
    sign_in_with_two_factor(page, base, "admin@example.org", PASSWORD)
    page.goto(f"{base}/o/{scene.org.slug}/u/{scene.top.slug}/")
    page.get_by_role("link", name="Open assignments of Region").click()
    page.get_by_role("link", name="Issue a directive").click()
    page.get_by_label("Kind:", exact=True).select_option("report")
    page.get_by_label("Title:", exact=True).fill("Rent strike leaflets")
    page.get_by_label("Body (Markdown)").fill("Hand out the *leaflets*.")
    page.get_by_label("Due (local time of the issuer)").fill("2027-05-01T23:59")
    page.get_by_label("To every unit of the kind").select_option("building_committee")
    page.get_by_label("Report form").fill(
        "fields:\n  - {name: Leaflets, type: number, required: true}\n  - {name: flyer, type: file}\n"
    )
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#confirm")).to_contain_text("to 12 units? 12 officers will be told.")
    page.get_by_role("button", name="Yes, go ahead").click()
    expect(page.locator("#messages")).to_have_text("Issued to 12 units.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Rent strike leaflets")
    directive_url = page.url
    expect(page.locator('tr[data-unit="region"]')).to_contain_text("0 of 12")

    house = scene.committees["district-1"][0]
    officer = page.context.browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    officer.set_default_timeout(60_000)
    sign_in_with_two_factor(officer, base, f"sec-{house.slug}@example.org", PASSWORD)
    officer.goto(f"{base}/o/{scene.org.slug}/u/{house.slug}/")
    officer.get_by_role("link", name=f"Open assignments of {house.name}").click()
    officer.get_by_role("link", name="Rent strike leaflets").click()
    officer.get_by_label("Leaflets *").fill("lots")
    officer.get_by_role("button", name="File the report").click()
    expect(officer.locator("#report")).to_contain_text("Leaflets: 'lots' is not a number")
    officer.get_by_label("Leaflets *").fill("120")
    officer.get_by_label("flyer").set_input_files(str(flyer))
    officer.get_by_role("button", name="File the report").click()
    expect(officer.locator("#messages")).to_have_text(f"Report filed for {house.name}.")
    expect(officer.locator("#assignment-status")).to_have_text("Done")

    page.goto(directive_url)
    row = page.locator('tr[data-unit="region"]')
    expect(row).to_contain_text("1 of 12")
    expect(row).to_contain_text("8 %")
    expect(row).to_contain_text("120 (mean 120), reported by 1 of 12")
    expect(page.locator('tr[data-unit="district-1"]')).to_contain_text("1 of 4")
    with page.expect_download() as download:
        page.locator("#assignments").get_by_role("link", name="flyer.txt").click()
    assert download.value.suggested_filename == "flyer.txt"
    assert download.value.path().read_bytes() == b"Rent freeze now!\n"
