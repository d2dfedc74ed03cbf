"""A unit's queue of self-declared completions in a real browser: an administrator opens it from
the unit's page, accepts one declaration, and the person's education page then reads "complete"
for that course while the other declaration waits in the queue.

Drives Debian's Chromium (/usr/bin/chromium) through Playwright against the live test server.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from grassroots.education.actions import declare_completion
from grassroots.people.actions import add_course, join_unit
from tests.support import builders
from tests.support.sessions import sign_in_with_two_factor

PASSWORD = "pw-test-1"  # what tests.support.builders.account gives every account


@pytest.fixture
def scene(transactional_db):
    # Built before Playwright starts (see test_found_unit.py).
    org = builders.organization(slug="riverside")
    district = builders.unit(org, "district", "North", builders.unit(org, "federation", "Federation"))
    elm = builders.founded_basic_unit(org, "Elm House", district)
    course = add_course(organization=org, code="first-aid", title="First aid", by="test")
    ann, bob = [builders.person(org, name) for name in ("Ann Declares", "Bob Declares")]
    for person in (ann, bob):
        join_unit(person=person, unit=elm, status="member", on=timezone.localdate() - dt.timedelta(days=60), by="test")
        declare_completion(person=person, course=course, on=timezone.localdate() - dt.timedelta(days=5), by="test")
    builders.account(org, "admin@example.org", is_admin=True)
    return {"org": org, "district": district, "ann": ann, "bob": bob}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_accept_a_declaration_and_its_course_reads_complete(live_server, scene, page: Page):
    base = live_server.url
    ann = scene["ann"]
    sign_in_with_two_factor(page, base, "admin@example.org", PASSWORD)
    page.goto(f"{base}/o/riverside/people/{ann.pk}/education/")
    expect(page.locator("#course-first-aid .status")).to_have_text("pending review")
    page.goto(f"{base}/o/riverside/u/{scene['district'].slug}/")
    page.get_by_role("link", name="Completions awaiting review").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Completions awaiting review in North")
    queue = page.locator("#review-queue tbody tr")
    expect(queue).to_have_count(2)
    row = page.locator("#review-queue tbody tr", has_text="Ann Declares")
    row.get_by_role("button", name="Accept").click()
    expect(page.locator("#messages")).to_have_text("Ann Declares's declaration of First aid is accepted.")
    expect(queue).to_have_count(1)
    expect(queue.first).to_contain_text("Bob Declares")

    page.goto(f"{base}/o/riverside/people/{ann.pk}/education/")
    expect(page.locator("#course-first-aid .status")).to_have_text("complete")
    expect(page.locator("#declarations")).to_contain_text("Accepted by")
