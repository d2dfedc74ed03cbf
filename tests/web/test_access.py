"""Who may open which page: every route against a matrix of callers and targets.

A route of the web interface that the matrix does not cover fails the suite.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from grassroots.people import actions as people
from tests.support import builders
from tests.support.routes import web_routes

# Each route: its method and the kind of target its URL names.
ROUTES = {
    "home": ("GET", "nothing"),
    "organization": ("GET", "organization"),
    "unit_add": ("GET", "organization"),
    "unit": ("GET", "unit"),
    "unit_found": ("GET", "unit"),
    "unit_prepare": ("POST", "unit"),
    "unit_dormant": ("POST", "unit"),
    "unit_dissolve": ("POST", "unit"),
    "unit_rename": ("POST", "unit"),
    "unit_move": ("POST", "unit"),
    "people": ("GET", "organization"),
    "person_add": ("GET", "organization"),
    "person_options": ("GET", "organization"),
    "unit_options": ("GET", "organization"),
    "person": ("GET", "person"),
    "person_transfer": ("POST", "person"),
    "person_status": ("POST", "person"),
    "person_end": ("POST", "person"),
    "person_edit": ("GET", "person"),
    "person_duplicates": ("GET", "organization"),
    "person_merge": ("GET", "person"),
    "person_join": ("POST", "person"),
    "person_export": ("POST", "person"),
    "person_erase": ("POST", "person"),
    "person_consent_add": ("POST", "person"),
    "person_consent_withdraw": ("POST", "consent"),
    "person_education": ("GET", "person"),
    "person_education_review": ("POST", "person"),
    "unit_education_reviews": ("GET", "unit"),
    "unit_post_assign": ("POST", "unit"),
    "unit_post_candidates": ("GET", "unit"),
    "unit_tree_children": ("GET", "unit"),
    "unit_parent_options": ("GET", "unit"),
    "unit_post_end": ("POST", "post"),
    "audit": ("GET", "organization"),
    "audit_export": ("POST", "organization"),
    "unit_meetings": ("GET", "unit"),
    "meeting_feeds": ("GET", "organization"),
    "unit_assignments": ("GET", "unit"),
    "unit_conferences": ("GET", "unit"),
    "directive_add": ("GET", "unit"),
    "dashboard": ("GET", "organization"),
    "unit_health": ("GET", "unit"),
}
ROUTES_WITH_TARGET = [name for name, (_method, target) in ROUTES.items() if target != "nothing"]


@pytest.fixture
def targets(org):
    """Slugs and ids of a unit, a person, a consent and an officer post of this organization,
    and of another one's."""
    other = builders.organization()
    federation = builders.unit(org, "federation", "Federation")
    rosa = builders.person(org, "Rosa Here")
    committee = builders.founded_basic_unit(org, "Post House", builders.unit(org, "district", "North", federation))
    other_committee = builders.founded_basic_unit(
        other, "Elsewhere House", builders.unit(other, "district", "Far", builders.unit(other, "federation", "Fed"))
    )
    return {
        "org": org.slug,
        "unit": federation.slug,
        "person": rosa.pk,
        "consent": people.record_consent(person=rosa, purpose="email", policy_version="v1", by="test").pk,
        "post_unit": committee.slug,
        "post": committee.posts.get().pk,
        "other_unit": builders.unit(other, "federation", "Elsewhere").slug,
        "other_person": builders.person(other, "Sam Elsewhere").pk,
        "other_post": other_committee.posts.get().pk,
    }


def url_of(name: str, targets, **overrides) -> str:
    """The route's URL for this organization's targets, or for the ones named in `overrides`."""
    target = ROUTES[name][1]
    wanted = {**targets, **overrides}
    kwargs = {} if target == "nothing" else {"org": wanted["org"]}
    if target == "unit":
        kwargs["unit"] = wanted["unit"]
    if target in ("person", "consent"):
        kwargs["pk"] = wanted["person"]
    if target == "consent":
        kwargs["consent"] = wanted["consent"]
    if target == "post":
        kwargs["unit"], kwargs["post"] = wanted["post_unit"], wanted["post"]
    return reverse(name, kwargs=kwargs)


def request(client, name: str, url: str):
    return client.post(url) if ROUTES[name][0] == "POST" else client.get(url)


# Routes whose access is checked only by the authorization matrix (tests/access/test_matrix.py):
# signing in and out, the user's own account pages, and member files.
ONLY_IN_THE_AUTHORIZATION_MATRIX = {
    "login",
    "logout",
    "tokens",
    "token_revoke",
    "two_factor_setup",
    "two_factor_verify",
    "two_factor_replace",
    "imports",
    "import_run",
    "import_errors",
    "import_again",
    "members_export",
    # The bulletin's pages (publications, the issue editor, send, pause, a person's subscriptions).
    "bulletin",
    "bulletin_publication",
    "bulletin_issue",
    "bulletin_issue_send",
    "bulletin_issue_pause",
    "bulletin_article_add",
    "bulletin_article",
    "bulletin_members_feed_address",
    "person_subscriptions",
    # Open without signing in, by design (tests/bulletin/test_public.py, test_feeds.py,
    # test_double_opt_in.py): the archive, the feeds, the one-click and confirmation addresses.
    "bulletin_archive",
    "bulletin_archive_issue",
    "bulletin_feed",
    "bulletin_members_feed",
    "bulletin_subtree_feed",
    "unsubscribe",
    "subscription_confirm",
    "bulletin_subscribe",  # the public subscribe form (tests/bulletin/test_subscribe_form.py)
    # A meeting's page and its forms (a unit's meetings are in the matrix above).
    "meeting",
    "meeting_attend",
    "meeting_held",
    "meeting_course",
    "meeting_cancel",
    "meeting_decide",
    "meeting_agenda",
    "meeting_minutes",
    "meeting_feed_revoke",
    "meeting_host_link",
    "meeting_edit",
    "meeting_agenda_move",
    "meeting_series",
    "meeting_attend_file",
    "meeting_approve_minutes",
    "meeting_agenda_carry",
    # A member's own registration and check-in (tests/meetings: who is no person of the unit is
    # refused by name).
    "meeting_register",
    "meeting_check_in",
    # A directive's page and a unit's assignment with its forms and report files
    # (tests/access/test_matrix.py has their rows; tests/directives/test_pages.py and
    # test_report_files.py check that another unit's is absent and unchanged).
    "directive",
    "assignment",
    "assignment_report",
    "assignment_status",
    "assignment_adapt",
    "report_file",
    # A conference's page and its buttons (tests/access/test_matrix.py has their rows;
    # tests/conferences/test_pages.py checks a unit below sees none of it).
    "conference",
    "conference_apportion",
    "conference_call",
    "conference_step",
    # Delegations, credentials, presence and the participants' CSV (tests/access/test_matrix.py
    # has their rows; tests/conferences/test_delegation_pages.py checks another district sees none).
    "conference_delegations",
    "conference_credential",
    "conference_presence",
    "conference_checkin",
    "conference_participants",
    "conference_host_link",
    "unit_delegation",
    # The session pages (tests/conferences/test_assembly_pages.py: the delegate's page and vote).
    "conference_session",
    "conference_poll_step",
    "conference_delegate",
    "conference_vote",
    "conference_projector",
    # The session page's forms (tests/conferences/test_views_motions.py: another conference's motion
    # or poll is a 404, a delegate's own motion and amendment, the organizers' steps).
    "conference_motion_add",
    "conference_motion_status",
    "conference_motion_amend",
    "conference_motion_publish",
    "conference_poll_add",
    "conference_poll_totals",
    # Elections, ballots, proxies and constituting (tests/conferences/test_views_elections.py).
    "conference_election_add",
    "conference_election_step",
    "conference_ballot",
    "conference_proxy_give",
    "conference_proxy_withdraw",
    "conference_constitute",
} | {name for name in web_routes() if name.endswith("_tracking_webhook")}  # provider secrets (tests/outbox)
# Opened by a secret address or a signed link without signing in: tests/meetings/test_feeds.py
# and tests/meetings/test_checkin.py check them.
CHECKED_BY_THEIR_OWN_TESTS = {"meeting_feed", "host_page", "host_counter", "host_tap", "host_walk_in", "host_scan"} | {
    "conference_host_page",
    "conference_host_checkin",
}


def test_every_route_of_the_web_interface_is_in_the_matrix():
    assert set(web_routes()) == set(ROUTES) | ONLY_IN_THE_AUTHORIZATION_MATRIX | CHECKED_BY_THEIR_OWN_TESTS


@pytest.mark.parametrize("name", ROUTES)
def test_anonymous_is_sent_to_sign_in(client, targets, name):
    url = url_of(name, targets)
    response = request(client, name, url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize("name", ROUTES_WITH_TARGET)
def test_signed_in_user_without_a_role_gets_404(client, plain_user, targets, name):
    client.force_login(plain_user)
    assert request(client, name, url_of(name, targets)).status_code == 404


def test_signed_in_user_without_a_role_sees_no_organization(client, plain_user, targets):
    client.force_login(plain_user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert list(response.context["organizations"]) == []


@pytest.mark.parametrize("name", ROUTES_WITH_TARGET)
def test_staff_gets_404_for_an_unknown_organization(staff_client, targets, name):
    assert request(staff_client, name, url_of(name, targets, org="no-such-org")).status_code == 404


@pytest.mark.parametrize("name", [name for name in ROUTES if ROUTES[name][1] == "unit"])
def test_staff_gets_404_for_an_unknown_unit_and_another_organizations_unit(staff_client, targets, name):
    assert request(staff_client, name, url_of(name, targets, unit="no-such-unit")).status_code == 404
    assert request(staff_client, name, url_of(name, targets, unit=targets["other_unit"])).status_code == 404


@pytest.mark.parametrize("name", [name for name in ROUTES if ROUTES[name][1] == "person"])
def test_staff_gets_404_for_an_unknown_person_and_another_organizations_person(staff_client, targets, name):
    assert request(staff_client, name, url_of(name, targets, person=987654)).status_code == 404
    assert request(staff_client, name, url_of(name, targets, person=targets["other_person"])).status_code == 404


@pytest.mark.parametrize("name", ROUTES)
def test_staff_reaches_every_route_of_its_organization(staff_client, targets, name):
    # An empty POST is a form with errors: it comes back to the page with a message.
    assert request(staff_client, name, url_of(name, targets)).status_code in (200, 302)


@pytest.mark.parametrize("name", [name for name in ROUTES if ROUTES[name][0] == "POST"])
def test_changes_are_posted_not_fetched(staff_client, targets, name):
    assert staff_client.get(url_of(name, targets)).status_code == 405


def test_staff_gets_404_for_an_unknown_consent_and_another_persons(staff_client, org, targets):
    someone = builders.person(org, "Someone Else")
    assert (
        request(
            staff_client, "person_consent_withdraw", url_of("person_consent_withdraw", targets, consent=987654)
        ).status_code
        == 404
    )
    elsewhere = url_of("person_consent_withdraw", targets, person=someone.pk)
    assert request(staff_client, "person_consent_withdraw", elsewhere).status_code == 404


def test_staff_gets_404_for_an_unknown_post_and_another_units_or_organizations(staff_client, targets):
    for overrides in ({"post": 987654}, {"post_unit": targets["unit"]}, {"post": targets["other_post"]}):
        assert request(staff_client, "unit_post_end", url_of("unit_post_end", targets, **overrides)).status_code == 404
