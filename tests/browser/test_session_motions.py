"""Running the agenda from the session page in Debian's Chromium: an organizer submits a unit's
motion by its decision, admits it, amends its second paragraph, prepares a poll on the amendment
counted by a show of hands, opens it, closes it with the totals and reads the result (the issue's
known poll: yes 20, no 7 is 74.07 % of the valid votes and passes two thirds), with no
Content-Security-Policy violation on the way."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.support import builders
from tests.support.assembly import carried_decision, in_session, seat
from tests.support.conferences import conference, conference_scene
from tests.support.sessions import sign_in_with_two_factor


@pytest.fixture
def session(transactional_db):
    # Built before Playwright starts (its sync API runs where Django would open a second connection).
    org = builders.organization()
    scene = conference_scene(org)
    found = in_session(conference(scene["federation"]))
    seat(found, {"elm-house": [10, 10], "oak-court": [7]})
    builders.account(org, "chair@example.org", is_admin=True)
    decision = carried_decision(scene["elm"], "We move the rent strike.")
    return f"/o/{org.slug}/conferences/{found.pk}/session/", decision.pk


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_running_a_motion_and_its_amendment_through_a_poll(live_server, session, page: Page):
    address, decision = session
    page.add_init_script(
        "window.violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " (e) => window.violations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    sign_in_with_two_factor(page, live_server.url, "chair@example.org", "pw-test-1")
    page.goto(live_server.url + address)

    page.get_by_text("Submit a motion", exact=True).click()
    page.get_by_role("region", name="Agenda and motions").get_by_label("Title").fill("Rent strike")
    page.get_by_label("Text", exact=True).fill("We strike.\n\nFrom May.\n\nUntil repairs.")
    page.get_by_label("Decision number").fill(str(decision))
    page.get_by_role("button", name="Submit the motion").click()
    expect(page.locator("#messages")).to_have_text("Motion 1 submitted: Rent strike.")
    motion = page.locator('article.motion[data-motion="1"]')
    expect(motion.locator(".status")).to_have_text("submitted")

    motion.get_by_role("button", name="Admit").click()
    expect(page.locator("#messages")).to_have_text("Motion 1: admitted.")
    expect(motion.locator(".status")).to_have_text("admitted")

    motion.get_by_text("Amend motion 1").click()
    expect(motion.locator("ol.paragraphs li")).to_have_text(["We strike.", "From May.", "Until repairs."])
    motion.get_by_label("Replace").select_option(label="paragraph 2: From May.")
    motion.get_by_label("New text").fill("From June.")
    motion.get_by_role("button", name="Propose the amendment").click()
    expect(page.locator("#messages")).to_have_text("Amendment 1 to motion 1 (paragraph 2) submitted.")
    motion.get_by_text("Motion 1 as amendment 1 would make it").click()
    expect(motion.locator('[data-preview="1"] .text p')).to_have_text(["We strike.", "From June.", "Until repairs."])

    page.get_by_text("Prepare a poll", exact=True).click()
    page.get_by_label("On", exact=True).select_option(label="Amendment 1 to motion 1")
    page.get_by_label("Majority").select_option("two-thirds")
    page.get_by_label("totals entered at the close (a show of hands)").check()
    page.get_by_role("button", name="Prepare the poll").click()
    expect(page.locator("#messages")).to_contain_text("prepared: Amendment 1 to motion 1.")
    poll = page.locator("article.poll").first
    expect(poll.get_by_role("heading")).to_have_text("Amendment 1 to motion 1")

    poll.get_by_role("button", name="Open the poll").click()
    expect(page.locator("#messages")).to_contain_text("is open.")
    poll.get_by_label("Yes").fill("20")
    poll.get_by_label("No", exact=True).fill("7")
    poll.get_by_label("Abstain").fill("0")
    poll.get_by_role("button", name="Close with these totals").click()
    expect(page.locator("#messages")).to_contain_text("closed: passed.")
    expect(poll.locator("[data-yes]")).to_have_text("20")
    expect(poll.locator("[data-no]")).to_have_text("7")
    expect(poll).to_contain_text("74.07 %")
    expect(poll.locator("[data-passed]")).to_have_text("Passed")
    # The amendment adopted: the motion reads as amended.
    expect(motion.locator(".text").first).to_contain_text("From June.")
    expect(motion.locator('[data-amendment="1"]')).to_contain_text("adopted")
    assert page.evaluate("window.violations") == []
