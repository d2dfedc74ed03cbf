"""The authorization matrix: every web route and every API operation, for every role, against
every target, compared with a naive oracle of what that role may see and do.

The routes are enumerated from the URL configuration and from the OpenAPI schema; a route or
an operation with no rows in the matrix below fails the suite. Each case runs in a savepoint
that is rolled back, so the cases do not disturb one another. The test prints how many cases
it ran. It is one test per interface and role, so a parallel run spreads it over the workers.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grassroots.access import Right
from grassroots.accounts.models import ApiToken, token_digest
from grassroots.bulletin.models import FeedToken as BulletinFeedToken
from grassroots.meetings.actions import add_agenda_item, schedule_meeting, schedule_series
from grassroots.meetings.models import FeedToken, Meeting, MeetingSeries
from tests.support.routes import api_operations, web_routes
from tests.support.scene import ROLES, Actor, Scene, build_scene
from tests.support.sessions import sign_in

TODAY = dt.date.today().isoformat()
LATER = f"{dt.date.today() + dt.timedelta(days=30)} 19:00"  # a due time, local
UNIT_TARGETS = ["own unit", "child unit", "parent unit", "sibling unit", "unit in another organization"]
PERSON_TARGETS = [
    "own record",
    "person in the child unit",
    "person in the parent unit",
    "person in a sibling unit",
    "person in another organization",
]
ORG_TARGETS = ["own organization", "another organization"]
TOKEN_TARGETS = ["own token", "another user's token"]
RUN_TARGETS = ["own import", "the administrator's import", "an import in another organization"]
BULLETIN_TARGETS = ["own organization's publication", "another organization's publication"]
# A conference is convened by a committee: the scene's committees, each convening one.
CONFERENCE_TARGETS = ["own unit", "parent unit", "sibling unit", "unit in another organization"]
FEED_TARGETS = ["own feed", "another user's feed"]
FEED_ADDRESS_TARGETS = ["own members' feed address", "another user's members' feed address"]
TARGETS = {
    "self": [None],
    "meeting": UNIT_TARGETS,
    "series": UNIT_TARGETS,
    "directive": UNIT_TARGETS,
    "conference": CONFERENCE_TARGETS,
    "feed": FEED_TARGETS,
    "feed address": FEED_ADDRESS_TARGETS,
    "org": ORG_TARGETS,
    "unit": UNIT_TARGETS,
    "person": PERSON_TARGETS,
    "token": TOKEN_TARGETS,
    "run": RUN_TARGETS,
    "publication": BULLETIN_TARGETS,
    "issue": BULLETIN_TARGETS,
}


@dataclass(frozen=True)
class Route:
    """How one route is exercised: what it targets, how, and which right it needs where.

    `over` names the units the right is needed over (None standing for the whole organization);
    by default the target unit, or the unit of the target person. When `payload_seen` says the
    actor cannot see a unit or person the payload names, the answer is "unknown input" (a form
    error or a 409 naming the field), which comes before any right is weighed. `anywhere` asks for
    the right somewhere in the organization (the audit trail shows what lies within it).
    """

    kind: str
    method: str = "GET"
    right: str | None = None
    data: Callable[[Scene, object], dict] | None = None
    over: Callable[[Scene, object], list] | None = None
    payload_seen: Callable[[Scene, Actor, object], bool] | None = None
    anywhere: bool = False
    multipart: bool = False  # an API body sent as a form with a file, not JSON


def dated(scene, target) -> dict:
    return {"on": TODAY}


def confirmed(scene, target) -> dict:
    """A dated step that asks for confirmation first, posted as confirmed."""
    return {"on": TODAY, "confirmed": "yes"}


def to_same_parent(scene, unit) -> dict:
    return {"parent": unit.parent_id or "", "on": TODAY}


def over_unit_and_parent(scene, unit) -> list:
    return [unit, unit.parent]


def sees_parent(scene, actor, unit) -> bool:
    return unit.parent is None or scene.sees_unit(actor, unit.parent)


def own_unit_of(scene, person) -> dict:
    return {"to_unit": scene.unit_of(person).pk, "unit": scene.unit_of(person).pk, "on": TODAY, "status": "member"}


def member_under(scene, unit):
    """A person with a current membership in the unit's subtree (to be appointed to a post there)."""
    return {
        "own unit": scene.people["officer whose post ended"],
        "child unit": scene.people["officer whose post ended"],
        "parent unit": scene.people["in hall"],
        "sibling unit": scene.people["in south"],
        "unit in another organization": scene.people["in other"],
    }[next(name for name, u in scene.units.items() if u.pk == unit.pk)]


def appointment(scene, unit) -> dict:
    return {"post": "organizer", "person": member_under(scene, unit).pk, "on": TODAY}


def sees_appointee(scene, actor, unit) -> bool:
    return scene.sees_person(actor, member_under(scene, unit))


def over_person_history(scene, person) -> list:
    return [scene.unit_of(person)]


CONSENT = {"purpose": "phone contact", "policy_version": "2026-2"}


def accepted_declaration(scene, person) -> dict:
    """The review accepting the person's pending declaration of 'basics' (declared once per scene)."""
    from grassroots.education.actions import declare_completion
    from grassroots.people.models import CompletionDeclaration, Course

    course = Course.objects.get(organization=person.organization, code=course_of(person.organization))
    pending = CompletionDeclaration.objects.filter(person=person, course=course, reviewed_at__isnull=True).first()
    if pending is None:
        pending = declare_completion(person=person, course=course, on=dt.date.today(), by="test")
    return {"declaration": pending.pk, "decision": "accept"}


def member_file(scene, org) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {"file": SimpleUploadedFile("members.csv", b"name,unit\nNew Person,elm-house\n"), "on_duplicate": "skip"}


def attendance_sheet(scene, meeting) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {"file": SimpleUploadedFile("sheet.csv", f"id,status\n{scene.people['member'].pk},present\n".encode())}


IMPORTING = {"right": Right.IMPORT_EXPORT, "anywhere": True}
# The scene's publications are the organizations' own: publishing in them needs the whole organization.
PUBLISHING = {"over": lambda scene, target: [None]}


def new_issue(scene, publication) -> dict:
    return {"title": "No. 2", "article_title": "News", "body": "Some *news*.", "visibility": "members"}


WHOLE_ORGANIZATION = [None]
NEW_COMMITTEE = {"kind": "building_committee", "name": "New Committee", "on": TODAY}

WEB = {
    ("home", "GET"): Route("self"),
    ("organization", "GET"): Route("org"),
    ("unit_add", "GET"): Route("org"),
    ("unit_add", "POST"): Route(
        "org",
        "POST",
        Right.MANAGE_UNITS,
        data=lambda scene, org: {**NEW_COMMITTEE, "parent": scene.units["own unit"].pk},
        over=lambda scene, org: [scene.units["own unit"]],
        payload_seen=lambda scene, actor, org: scene.sees_unit(actor, scene.units["own unit"]),
    ),
    ("unit", "GET"): Route("unit"),
    ("unit_found", "GET"): Route("unit"),
    ("unit_found", "POST"): Route("unit", "POST", Right.MANAGE_UNITS, data=dated),
    ("unit_prepare", "POST"): Route("unit", "POST", Right.MANAGE_UNITS, data=dated),
    ("unit_dormant", "POST"): Route("unit", "POST", Right.MANAGE_UNITS, data=confirmed),
    ("unit_dissolve", "POST"): Route("unit", "POST", Right.MANAGE_UNITS, data=confirmed),
    ("unit_rename", "POST"): Route(
        "unit", "POST", Right.MANAGE_UNITS, data=lambda s, u: {"name": "Renamed", "on": TODAY}
    ),
    ("unit_move", "POST"): Route(
        "unit", "POST", Right.MANAGE_UNITS, data=to_same_parent, over=over_unit_and_parent, payload_seen=sees_parent
    ),
    ("people", "GET"): Route("org"),
    ("person_add", "GET"): Route("org"),
    ("person_add", "POST"): Route(
        "org",
        "POST",
        Right.EDIT_PEOPLE,
        data=lambda scene, org: {
            "name": "Newcomer",
            "unit": scene.units["child unit"].pk,
            "status": "supporter",
            "on": TODAY,
        },
        over=lambda scene, org: [scene.units["child unit"]],
        payload_seen=lambda scene, actor, org: scene.sees_unit(actor, scene.units["child unit"]),
    ),
    ("person_options", "GET"): Route("org"),
    ("unit_options", "GET"): Route("org"),
    ("person", "GET"): Route("person"),
    ("person_transfer", "POST"): Route("person", "POST", Right.EDIT_PEOPLE, data=own_unit_of),
    ("person_status", "POST"): Route("person", "POST", Right.EDIT_PEOPLE, data=own_unit_of),
    ("person_end", "POST"): Route("person", "POST", Right.EDIT_PEOPLE, data=confirmed),
    ("person_edit", "GET"): Route("person", right=Right.EDIT_PEOPLE),
    ("person_edit", "POST"): Route("person", "POST", Right.EDIT_PEOPLE, data=lambda s, p: {"name": "Renamed Person"}),
    ("person_duplicates", "GET"): Route("org"),
    ("person_merge", "GET"): Route("person"),
    # Merged with itself: refused as such once the right over the person's unit is checked.
    ("person_merge", "POST"): Route("person", "POST", Right.EDIT_PEOPLE, data=lambda s, p: {"other": p.pk}),
    ("person_join", "POST"): Route("person", "POST", Right.EDIT_PEOPLE, data=own_unit_of),
    ("person_export", "POST"): Route("person", "POST", Right.IMPORT_EXPORT),
    ("person_erase", "POST"): Route(
        "person",
        "POST",
        Right.EDIT_PEOPLE,
        data=lambda s, p: {"confirm": "ERASE"},
        over=lambda s, p: WHOLE_ORGANIZATION,
    ),
    ("person_consent_add", "POST"): Route("person", "POST", Right.EDIT_PEOPLE, data=lambda s, p: CONSENT),
    ("person_consent_withdraw", "POST"): Route("person", "POST", Right.EDIT_PEOPLE),
    ("person_education", "GET"): Route("person"),
    ("person_education", "POST"): Route(
        "person", "POST", Right.EDIT_PEOPLE, data=lambda s, p: {"course": course_of(p.organization), "on": TODAY}
    ),
    ("person_education_review", "POST"): Route("person", "POST", Right.EDIT_PEOPLE, data=accepted_declaration),
    ("unit_education_reviews", "GET"): Route("unit"),
    ("unit_post_assign", "POST"): Route(
        "unit", "POST", Right.MANAGE_UNITS, data=appointment, payload_seen=sees_appointee
    ),
    ("unit_post_candidates", "GET"): Route("unit"),
    ("unit_tree_children", "GET"): Route("unit"),
    ("unit_parent_options", "GET"): Route("unit"),
    ("unit_post_end", "POST"): Route("unit", "POST", Right.MANAGE_UNITS, data=dated),
    ("audit", "GET"): Route("org", right=Right.VIEW_AUDIT, anywhere=True),
    ("audit_export", "POST"): Route("org", "POST", right=Right.VIEW_AUDIT, anywhere=True),
    ("imports", "GET"): Route("org", **IMPORTING),
    ("imports", "POST"): Route("org", "POST", data=member_file, **IMPORTING),
    ("members_export", "GET"): Route("org", **IMPORTING),
    ("import_run", "GET"): Route("run"),
    ("import_errors", "GET"): Route("run"),
    ("import_again", "POST"): Route("run", "POST", data=lambda s, r: {"action": "check"}, **IMPORTING),
    ("person_subscriptions", "GET"): Route("person"),
    ("person_subscriptions", "POST"): Route(
        "person", "POST", Right.EDIT_PEOPLE, data=lambda s, p: {"publication": bulletin_of(s.org).pk}
    ),
    ("bulletin", "GET"): Route("org"),
    ("bulletin", "POST"): Route(
        "org", "POST", Right.MANAGE_UNITS, data=lambda s, o: {"name": "New Paper", "colour": "#000000"}, **PUBLISHING
    ),
    ("bulletin_publication", "GET"): Route("publication"),
    ("bulletin_members_feed_address", "POST"): Route("publication", "POST"),
    ("bulletin_publication", "POST"): Route("publication", "POST", Right.MANAGE_UNITS, data=new_issue, **PUBLISHING),
    ("bulletin_issue", "GET"): Route("issue", right=Right.MANAGE_UNITS, **PUBLISHING),
    # Confirmed with a wrong count: refused as such once the right is checked.
    ("bulletin_issue_send", "POST"): Route(
        "issue", "POST", Right.MANAGE_UNITS, data=lambda s, i: {"confirm": 999}, **PUBLISHING
    ),
    ("bulletin_issue_pause", "POST"): Route("issue", "POST", Right.MANAGE_UNITS, **PUBLISHING),
    ("bulletin_article_add", "POST"): Route(
        "issue", "POST", Right.MANAGE_UNITS, data=lambda s, i: {"new-title": "More", "new-body": "Text"}, **PUBLISHING
    ),
    # Moving the only article down: nothing to move, answered once the right is checked.
    ("bulletin_article", "POST"): Route(
        "issue", "POST", Right.MANAGE_UNITS, data=lambda s, i: {"do": "down"}, **PUBLISHING
    ),
    ("unit_meetings", "GET"): Route("unit"),
    ("unit_meetings", "POST"): Route("unit", "POST", Right.MANAGE_UNITS),
    ("unit_assignments", "GET"): Route("unit"),
    ("directive_add", "GET"): Route("unit", right=Right.ISSUE_DIRECTIVES),
    ("directive_add", "POST"): Route(
        "unit", "POST", Right.ISSUE_DIRECTIVES, data=lambda s, u: {"kind": "task", "title": "T", "due": LATER}
    ),
    ("directive", "GET"): Route("directive"),
    ("assignment", "GET"): Route("directive"),
    ("assignment_report", "POST"): Route("directive", "POST", Right.MANAGE_UNITS),
    ("assignment_status", "POST"): Route(
        "directive", "POST", Right.MANAGE_UNITS, data=lambda s, d: {"status": "acknowledged"}
    ),
    ("assignment_adapt", "POST"): Route("directive", "POST", Right.MANAGE_UNITS, data=lambda s, d: {"text": "Our way"}),
    # Last of the directive's rows: the report it files (once) marks the assignment done.
    ("report_file", "GET"): Route("directive"),
    ("unit_conferences", "GET"): Route("unit"),
    ("unit_conferences", "POST"): Route(
        "unit",
        "POST",
        Right.MANAGE_UNITS,
        data=lambda s, u: {"name": "New", "cutoff": TODAY, "method": "dhondt", "seats": 3},
    ),  # fmt: skip
    ("conference", "GET"): Route("conference"),
    ("conference_apportion", "POST"): Route("conference", "POST", Right.MANAGE_UNITS),
    ("conference_call", "POST"): Route("conference", "POST", Right.MANAGE_UNITS),
    ("conference_step", "POST"): Route(
        "conference", "POST", Right.MANAGE_UNITS, data=lambda s, c: {"status": "credentialing"}
    ),
    # Delegations, credentials and presence: the names for who sees the convening unit's people,
    # the buttons for who manages it (the scene's conference is planned: refused as such after).
    ("conference_delegations", "GET"): Route("conference", right=Right.VIEW_PEOPLE),
    ("conference_presence", "GET"): Route("conference", right=Right.VIEW_PEOPLE),
    ("conference_participants", "GET"): Route("conference", right=Right.VIEW_PEOPLE),
    ("conference_credential", "POST"): Route(
        "conference", "POST", Right.MANAGE_UNITS, data=lambda s, c: {"delegate": delegate_at(c).pk, "step": "verify"}
    ),
    ("conference_host_link", "POST"): Route("conference", "POST", Right.MANAGE_UNITS),
    # The convening committee's own delegation page (a unit's officers reach theirs through their unit).
    ("unit_delegation", "GET"): Route("conference"),
    ("unit_delegation", "POST"): Route("conference", "POST", Right.MANAGE_UNITS),
    ("conference_checkin", "POST"): Route(
        "conference", "POST", Right.MANAGE_UNITS, data=lambda s, c: {"delegate": delegate_at(c).pk, "present": "yes"}
    ),
    # The session pages (rows made once, see session_of); a vote is the delegate's own (none here).
    ("conference_session", "GET"): Route("conference"),
    ("conference_poll_step", "POST"): Route("conference", "POST", Right.MANAGE_UNITS),
    ("conference_delegate", "GET"): Route("conference"),
    ("conference_vote", "POST"): Route("conference", "POST", data=lambda s, c: {"choice": "yes"}),
    ("conference_projector", "GET"): Route("conference"),
    # The session page's forms (views_motions): motion 1 and the draft poll of session_of; a motion
    # by a unit names the committee's carried decision (delegate_at). Who may not run the agenda is
    # refused (403) before anything is read; the planned conference then refuses a new motion or poll
    # by name, and the publication and the totals name what is missing.
    ("conference_motion_add", "POST"): Route(
        "conference",
        "POST",
        Right.MANAGE_UNITS,
        data=lambda s, c: {"title": "M", "text": "T", "submitter": "decision", "decision": decision_at(c)},
    ),
    ("conference_motion_status", "POST"): Route(
        "conference", "POST", Right.MANAGE_UNITS, data=lambda s, c: {"status": "admitted"}
    ),
    ("conference_motion_amend", "POST"): Route(
        "conference", "POST", Right.MANAGE_UNITS, data=lambda s, c: {"paragraph": "1", "text": "New text."}
    ),
    ("conference_motion_publish", "POST"): Route(
        "conference", "POST", Right.MANAGE_UNITS, data=lambda s, c: {"issue": "gazette:1"}
    ),
    ("conference_poll_add", "POST"): Route(
        "conference",
        "POST",
        Right.MANAGE_UNITS,
        data=lambda s, c: {"subject": "P", "kind": "yes-no", "base": "cast", "majority": "simple", "counting": "named"},
    ),
    ("conference_poll_totals", "POST"): Route(
        "conference", "POST", Right.MANAGE_UNITS, data=lambda s, c: {"yes": "1", "no": "0"}
    ),
    # Elections, ballots, proxies and constituting from the pages (views_elections): prepared, opened,
    # closed and constituted by the organizers (the scene's conference is planned, or not convened
    # by the top unit: refused as such after); a ballot and a proxy are the delegate's own (none here).
    ("conference_election_add", "POST"): Route(
        "conference",
        "POST",
        Right.MANAGE_UNITS,
        data=lambda s, c: {"title": "E", "method": "plurality", "seats": 1, "candidates": "A\nB"},
    ),  # fmt: skip
    ("conference_election_step", "POST"): Route("conference", "POST", Right.MANAGE_UNITS),
    ("conference_ballot", "POST"): Route("conference", "POST", data=lambda s, c: {"choice": "A"}),
    ("conference_proxy_give", "POST"): Route(
        "conference", "POST", data=lambda s, c: {"holder": session_of(c)["holder"]}
    ),
    ("conference_proxy_withdraw", "POST"): Route("conference", "POST"),
    ("conference_constitute", "POST"): Route("conference", "POST", Right.MANAGE_UNITS),
    ("meeting", "GET"): Route("meeting"),
    ("meeting_attend", "POST"): Route("meeting", "POST", Right.MANAGE_UNITS),
    ("meeting_held", "POST"): Route("meeting", "POST", Right.MANAGE_UNITS),
    # The scene's meeting is no education session: refused as such once the right is checked.
    ("meeting_course", "POST"): Route(
        "meeting", "POST", Right.MANAGE_UNITS, data=lambda s, m: {"course": course_of(m.unit.organization)}
    ),
    ("meeting_cancel", "POST"): Route("meeting", "POST", Right.MANAGE_UNITS),
    ("meeting_decide", "POST"): Route("meeting", "POST", Right.MANAGE_UNITS),
    ("meeting_agenda", "POST"): Route("meeting", "POST", Right.MANAGE_UNITS),
    ("meeting_minutes", "POST"): Route("meeting", "POST", Right.MANAGE_UNITS),
    ("meeting_host_link", "POST"): Route("meeting", "POST", Right.MANAGE_UNITS),
    ("meeting_attend_file", "POST"): Route("meeting", "POST", Right.MANAGE_UNITS, data=attendance_sheet),
    ("meeting_approve_minutes", "POST"): Route("meeting", "POST", Right.MANAGE_UNITS),
    ("meeting_agenda_carry", "POST"): Route("meeting", "POST", Right.MANAGE_UNITS),
    # A member's own registration and check-in: whoever sees the meeting may ask; who is no
    # person of its unit is refused by name (a message, not a 403).
    ("meeting_register", "POST"): Route("meeting", "POST"),
    ("meeting_check_in", "POST"): Route("meeting", "POST"),
    ("meeting_edit", "GET"): Route("meeting", right=Right.MANAGE_UNITS),
    ("meeting_edit", "POST"): Route("meeting", "POST", Right.MANAGE_UNITS, data=lambda s, m: {"title": "Renamed"}),
    ("meeting_agenda_move", "POST"): Route("meeting", "POST", Right.MANAGE_UNITS, data=lambda s, m: {"position": 1}),
    ("meeting_series", "GET"): Route("series"),
    ("meeting_series", "POST"): Route("series", "POST", Right.MANAGE_UNITS, data=lambda s, x: {"title": "Renamed"}),
    ("meeting_feeds", "GET"): Route("org"),
    ("dashboard", "GET"): Route("org"),
    ("unit_health", "GET"): Route("unit"),
    ("meeting_feeds", "POST"): Route("org", "POST"),
    ("meeting_feed_revoke", "POST"): Route("feed", "POST"),
    ("tokens", "GET"): Route("self"),
    ("token_revoke", "POST"): Route("token", "POST"),
    ("two_factor_setup", "GET"): Route("self"),
    ("two_factor_verify", "GET"): Route("self"),
    ("two_factor_replace", "GET"): Route("self"),
}

# Django's own pages: sign-in and sign-out are open to all, the admin is the operator's (a
# separate test covers it), and static files are served by whitenoise.
# The bulletin's public archive, its public feed, its subscribe form and the one-click unsubscribe
# page are open to anyone by design (tests/bulletin/test_public.py and test_subscribe_form.py
# cover what each shows and does, and to whom).
# Provider webhooks authenticate with their shared secret, not a session (tests/outbox/test_webhooks.py).
# A calendar feed is read by its secret address, without signing in: tests/meetings/test_feeds.py
# checks that an unknown or revoked address is 404 and that a feed shows only its owner's scope.
# The host's check-in pages are opened by a signed link, without signing in: tests/meetings/
# test_checkin.py checks their window, regeneration, revocation and that they reach one meeting.
HOST_PAGES = {"host_page", "host_counter", "host_tap", "host_walk_in", "host_scan"}
NOT_IN_MATRIX = (
    {"login", "logout", "bulletin_archive", "bulletin_archive_issue", "bulletin_feed", "bulletin_subscribe"}
    | {"unsubscribe"}
    | {"subscription_confirm", "bulletin_members_feed", "bulletin_subtree_feed", "meeting_feed", *HOST_PAGES}
    # The hall's host pages open by their signed link (tests/conferences/test_delegation_pages.py).
    | {"conference_host_page", "conference_host_checkin"}
    | {name for name in web_routes() if name.endswith("_tracking_webhook")}
)


def api_body_dated(scene, target) -> dict:
    return {}


def api_same_parent(scene, unit) -> dict:
    return {"parent": unit.parent.slug if unit.parent else None}


API = {
    ("GET", "/orgs"): Route("self"),
    ("GET", "/orgs/{org_slug}"): Route("org"),
    ("GET", "/orgs/{org_slug}/tree"): Route("org"),
    ("GET", "/orgs/{org_slug}/units"): Route("org"),
    ("POST", "/orgs/{org_slug}/units"): Route(
        "org",
        "POST",
        Right.MANAGE_UNITS,
        data=lambda scene, org: {"kind": "building_committee", "name": "New", "parent": scene.units["own unit"].slug},
        over=lambda scene, org: [scene.units["own unit"]],
        payload_seen=lambda scene, actor, org: scene.sees_unit(actor, scene.units["own unit"]),
    ),
    ("GET", "/orgs/{org_slug}/units/{unit_slug}"): Route("unit"),
    ("GET", "/orgs/{org_slug}/units/{unit_slug}/subtree"): Route("unit"),
    ("GET", "/orgs/{org_slug}/units/{unit_slug}/readiness"): Route("unit"),
    ("GET", "/orgs/{org_slug}/units/{unit_slug}/health"): Route("unit"),
    ("GET", "/orgs/{org_slug}/units/{unit_slug}/health/rollup"): Route("unit"),
    ("GET", "/orgs/{org_slug}/units/{unit_slug}/health/trend"): Route("unit"),
    ("GET", "/orgs/{org_slug}/units/{unit_slug}/health/needs-support"): Route("unit"),
    ("GET", "/orgs/{org_slug}/units/{unit_slug}/health/growth"): Route("unit"),
    ("GET", "/orgs/{org_slug}/units/{unit_slug}/events"): Route("unit"),
    ("GET", "/orgs/{org_slug}/units/{unit_slug}/members"): Route("unit"),
    ("POST", "/orgs/{org_slug}/units/{unit_slug}/prepare"): Route("unit", "POST", Right.MANAGE_UNITS, api_body_dated),
    ("POST", "/orgs/{org_slug}/units/{unit_slug}/found"): Route("unit", "POST", Right.MANAGE_UNITS, api_body_dated),
    ("POST", "/orgs/{org_slug}/units/{unit_slug}/dormant"): Route("unit", "POST", Right.MANAGE_UNITS, api_body_dated),
    ("POST", "/orgs/{org_slug}/units/{unit_slug}/dissolve"): Route("unit", "POST", Right.MANAGE_UNITS, api_body_dated),
    ("POST", "/orgs/{org_slug}/units/{unit_slug}/rename"): Route(
        "unit", "POST", Right.MANAGE_UNITS, data=lambda s, u: {"name": "Renamed"}
    ),
    ("POST", "/orgs/{org_slug}/units/{unit_slug}/move"): Route(
        "unit", "POST", Right.MANAGE_UNITS, data=api_same_parent, over=over_unit_and_parent, payload_seen=sees_parent
    ),
    ("POST", "/orgs/{org_slug}/units/{unit_slug}/posts"): Route(
        "unit",
        "POST",
        Right.MANAGE_UNITS,
        data=lambda s, u: {"person": member_under(s, u).pk, "post": "organizer"},
        payload_seen=sees_appointee,
    ),
    ("GET", "/orgs/{org_slug}/people"): Route("org"),
    ("POST", "/orgs/{org_slug}/people"): Route(
        "org",
        "POST",
        Right.EDIT_PEOPLE,
        data=lambda scene, org: {"name": "Newcomer", "unit": scene.units["child unit"].slug},
        over=lambda scene, org: [scene.units["child unit"]],
        payload_seen=lambda scene, actor, org: scene.sees_unit(actor, scene.units["child unit"]),
    ),
    ("GET", "/orgs/{org_slug}/people/{person_id}"): Route("person"),
    ("GET", "/orgs/{org_slug}/people/{person_id}/memberships"): Route("person"),
    ("GET", "/orgs/{org_slug}/people/duplicates"): Route("org"),
    ("POST", "/orgs/{org_slug}/people/{person_id}/edit"): Route(
        "person", "POST", Right.EDIT_PEOPLE, data=lambda s, p: {"address": "1 New Street"}
    ),
    ("POST", "/orgs/{org_slug}/people/{person_id}/merge"): Route(
        "person", "POST", Right.EDIT_PEOPLE, data=lambda s, p: {"other": p.pk}
    ),
    ("POST", "/orgs/{org_slug}/people/{person_id}/join"): Route(
        "person", "POST", Right.EDIT_PEOPLE, data=lambda s, p: {"unit": s.unit_of(p).slug}
    ),
    ("POST", "/orgs/{org_slug}/people/{person_id}/transfer"): Route(
        "person", "POST", Right.EDIT_PEOPLE, data=lambda s, p: {"unit": s.unit_of(p).slug}
    ),
    ("POST", "/orgs/{org_slug}/people/{person_id}/status"): Route(
        "person", "POST", Right.EDIT_PEOPLE, data=lambda s, p: {"status": "member"}
    ),
    ("POST", "/orgs/{org_slug}/people/{person_id}/end"): Route("person", "POST", Right.EDIT_PEOPLE, api_body_dated),
    ("GET", "/orgs/{org_slug}/people/{person_id}/export"): Route("person", right=Right.IMPORT_EXPORT),
    ("POST", "/orgs/{org_slug}/people/{person_id}/erase"): Route(
        "person", "POST", Right.EDIT_PEOPLE, over=lambda s, p: WHOLE_ORGANIZATION
    ),
    ("GET", "/orgs/{org_slug}/people/{person_id}/consents"): Route("person"),
    ("POST", "/orgs/{org_slug}/people/{person_id}/consents"): Route(
        "person", "POST", Right.EDIT_PEOPLE, data=lambda s, p: CONSENT
    ),
    ("GET", "/orgs/{org_slug}/people/{person_id}/completions"): Route("person"),
    ("GET", "/orgs/{org_slug}/people/{person_id}/education"): Route("person"),
    ("GET", "/orgs/{org_slug}/units/{unit_slug}/education"): Route("unit"),
    ("POST", "/orgs/{org_slug}/people/{person_id}/completions"): Route(
        "person", "POST", Right.EDIT_PEOPLE, data=lambda s, p: {"course": course_of(p.organization)}
    ),
    ("POST", "/orgs/{org_slug}/people/{person_id}/consents/{consent_id}/withdraw"): Route(
        "person", "POST", Right.EDIT_PEOPLE
    ),
    ("GET", "/orgs/{org_slug}/units/{unit_slug}/posts"): Route("unit"),
    ("POST", "/orgs/{org_slug}/units/{unit_slug}/posts/{post_id}/end"): Route("unit", "POST", Right.MANAGE_UNITS),
    ("GET", "/orgs/{org_slug}/audit"): Route("org", right=Right.VIEW_AUDIT, anywhere=True),
    ("POST", "/orgs/{org_slug}/imports"): Route("org", "POST", data=member_file, multipart=True, **IMPORTING),
    ("GET", "/orgs/{org_slug}/imports"): Route("org", **IMPORTING),
    ("GET", "/orgs/{org_slug}/imports/{run_id}"): Route("run"),
    ("GET", "/orgs/{org_slug}/imports/{run_id}/errors"): Route("run"),
    ("POST", "/orgs/{org_slug}/imports/{run_id}/again"): Route(
        "run", "POST", data=lambda s, r: {"dry_run": True}, **IMPORTING
    ),
    ("GET", "/orgs/{org_slug}/members/export"): Route("org", **IMPORTING),
    ("GET", "/orgs/{org_slug}/publications"): Route("org"),
    ("POST", "/orgs/{org_slug}/publications"): Route(
        "org", "POST", Right.MANAGE_UNITS, data=lambda s, o: {"name": "New Paper"}, **PUBLISHING
    ),
    ("GET", "/orgs/{org_slug}/publications/{publication_slug}/issues"): Route("publication"),
    ("POST", "/orgs/{org_slug}/publications/{publication_slug}/issues"): Route(
        "publication",
        "POST",
        Right.MANAGE_UNITS,
        data=lambda s, p: {"title": "Two", "articles": [{"title": "A", "body": "B"}]},
        **PUBLISHING,
    ),
    **{
        ("GET", f"/orgs/{{org_slug}}/publications/{{publication_slug}}/issues/{{number}}{tail}"): Route(
            "issue", right=Right.MANAGE_UNITS, **PUBLISHING
        )
        for tail in ("", "/audience", "/status")
    },
    ("POST", "/orgs/{org_slug}/publications/{publication_slug}/issues/{number}/send"): Route(
        "issue", "POST", Right.MANAGE_UNITS, data=lambda s, i: {"confirm": 999}, **PUBLISHING
    ),
    ("POST", "/orgs/{org_slug}/publications/{publication_slug}/issues/{number}/articles"): Route(
        "issue", "POST", Right.MANAGE_UNITS, data=lambda s, i: {"title": "More", "body": "Text"}, **PUBLISHING
    ),
    **{
        (
            "POST",
            f"/orgs/{{org_slug}}/publications/{{publication_slug}}/issues/{{number}}/articles/{{article_id}}/{tail}",
        ): Route("issue", "POST", Right.MANAGE_UNITS, data=lambda s, i: {"position": 1}, **PUBLISHING)
        for tail in ("edit", "remove")
    },
    # On a draft: refused (409, nothing is being sent) once the right is checked.
    **{
        ("POST", f"/orgs/{{org_slug}}/publications/{{publication_slug}}/issues/{{number}}/{tail}"): Route(
            "issue", "POST", Right.MANAGE_UNITS, **PUBLISHING
        )
        for tail in ("pause", "resume")
    },
    ("GET", "/orgs/{org_slug}/people/{person_id}/subscriptions"): Route("person"),
    ("POST", "/orgs/{org_slug}/people/{person_id}/subscriptions"): Route(
        "person",
        "POST",
        Right.EDIT_PEOPLE,
        data=lambda s, p: {"publication": bulletin_of(s.org).slug, "state": "unsubscribed"},
    ),
    # Within scope: an officer reads the subscriptions of their subtree's people only (tests/bulletin/test_api.py).
    ("GET", "/orgs/{org_slug}/publications/{publication_slug}/subscriptions"): Route("publication"),
    # Each caller's own members' feed addresses: anyone of the organization makes, lists and revokes theirs.
    ("GET", "/orgs/{org_slug}/publications/{publication_slug}/feed-tokens"): Route("publication"),
    ("POST", "/orgs/{org_slug}/publications/{publication_slug}/feed-tokens"): Route("publication", "POST"),
    # Revoking names the address: exactly the caller's own, 404 for anyone else's.
    ("POST", "/orgs/{org_slug}/publications/{publication_slug}/feed-tokens/{token_id}/revoke"): Route(
        "feed address", "POST"
    ),
    ("GET", "/orgs/{org_slug}/units/{unit_slug}/meetings"): Route("unit"),
    ("POST", "/orgs/{org_slug}/units/{unit_slug}/meetings"): Route(
        "unit", "POST", Right.MANAGE_UNITS, data=lambda s, u: {"title": "Planned", "start": "2031-01-07 19:00"}
    ),
    ("GET", "/orgs/{org_slug}/meetings/{meeting_id}"): Route("meeting"),
    ("GET", "/orgs/{org_slug}/meetings/{meeting_id}/attendance"): Route("meeting"),
    ("POST", "/orgs/{org_slug}/meetings/{meeting_id}/attendance"): Route(
        "meeting",
        "POST",
        Right.MANAGE_UNITS,
        data=lambda s, m: {"people": [s.people["member"].pk]},
        payload_seen=lambda s, a, m: s.sees_person(a, s.people["member"]),
    ),
    ("POST", "/orgs/{org_slug}/meetings/{meeting_id}/held"): Route("meeting", "POST", Right.MANAGE_UNITS),
    ("POST", "/orgs/{org_slug}/meetings/{meeting_id}/cancel"): Route("meeting", "POST", Right.MANAGE_UNITS),
    ("POST", "/orgs/{org_slug}/meetings/{meeting_id}/decisions"): Route(
        "meeting", "POST", Right.MANAGE_UNITS, data=lambda s, m: {"text": "Agreed", "outcome": "carried"}
    ),
    ("POST", "/orgs/{org_slug}/meetings/{meeting_id}/agenda"): Route(
        "meeting", "POST", Right.MANAGE_UNITS, data=lambda s, m: {"title": "Rent"}
    ),
    ("POST", "/orgs/{org_slug}/meetings/{meeting_id}/minutes"): Route(
        "meeting", "POST", Right.MANAGE_UNITS, data=lambda s, m: {"text": "We met."}
    ),
    ("POST", "/orgs/{org_slug}/meetings/{meeting_id}/attendance/sheet"): Route(
        "meeting", "POST", Right.MANAGE_UNITS, data=attendance_sheet, multipart=True
    ),
    ("POST", "/orgs/{org_slug}/meetings/{meeting_id}/registration"): Route("meeting", "POST"),
    ("POST", "/orgs/{org_slug}/meetings/{meeting_id}/check-in"): Route("meeting", "POST"),
    # Approving at a meeting the minutes of the same meeting: refused as such once the right is checked.
    ("POST", "/orgs/{org_slug}/meetings/{meeting_id}/minutes/approve"): Route(
        "meeting", "POST", Right.MANAGE_UNITS, data=lambda s, m: {"minutes_of": m.pk}
    ),
    ("GET", "/orgs/{org_slug}/people/{person_id}/standing"): Route("person"),
    ("POST", "/orgs/{org_slug}/meetings/{meeting_id}/edit"): Route(
        "meeting", "POST", Right.MANAGE_UNITS, data=lambda s, m: {"title": "Renamed"}
    ),
    ("POST", "/orgs/{org_slug}/meetings/{meeting_id}/agenda/{item_id}/move"): Route(
        "meeting", "POST", Right.MANAGE_UNITS, data=lambda s, m: {"position": 1}
    ),
    ("GET", "/orgs/{org_slug}/series/{series_id}"): Route("series"),
    ("POST", "/orgs/{org_slug}/series/{series_id}/edit"): Route(
        "series", "POST", Right.MANAGE_UNITS, data=lambda s, x: {"title": "Renamed"}
    ),
    # Each unit's directive is issued by it to itself: seen by whoever sees the unit.
    ("GET", "/orgs/{org_slug}/directives"): Route("org"),
    ("POST", "/orgs/{org_slug}/directives"): Route(
        "org",
        "POST",
        Right.ISSUE_DIRECTIVES,
        data=lambda scene, org: {
            "unit": scene.units["own unit"].slug,
            "title": "New",
            "due": LATER,
            "targets": [scene.units["own unit"].slug],
        },
        over=lambda scene, org: [scene.units["own unit"]],
        payload_seen=lambda scene, actor, org: scene.sees_unit(actor, scene.units["own unit"]),
    ),
    ("GET", "/orgs/{org_slug}/assignments"): Route("org"),
    **{
        ("GET", f"/orgs/{{org_slug}}/directives/{{directive_id}}{tail}"): Route("directive")
        for tail in ("", "/status", "/rollup", "/assignments", "/assignments/{unit_slug}")
    },
    ("POST", "/orgs/{org_slug}/directives/{directive_id}/issue"): Route("directive", "POST", Right.ISSUE_DIRECTIVES),
    ("POST", "/orgs/{org_slug}/directives/{directive_id}/reissue"): Route(
        "directive", "POST", Right.ISSUE_DIRECTIVES, data=lambda s, d: {"title": "Again"}
    ),
    ("POST", "/orgs/{org_slug}/directives/{directive_id}/close"): Route("directive", "POST", Right.ISSUE_DIRECTIVES),
    ("POST", "/orgs/{org_slug}/directives/{directive_id}/assignments/{unit_slug}/status"): Route(
        "directive", "POST", Right.MANAGE_UNITS, data=lambda s, d: {"status": "acknowledged"}
    ),
    ("POST", "/orgs/{org_slug}/directives/{directive_id}/assignments/{unit_slug}/adapt"): Route(
        "directive", "POST", Right.MANAGE_UNITS, data=lambda s, d: {"text": "Our way"}
    ),
    ("POST", "/orgs/{org_slug}/directives/{directive_id}/assignments/{unit_slug}/reports"): Route(
        "directive", "POST", Right.MANAGE_UNITS, data=lambda s, d: {"values": {}}
    ),
    ("POST", "/orgs/{org_slug}/directives/{directive_id}/assignments/{unit_slug}/pass-on"): Route(
        "directive", "POST", Right.ISSUE_DIRECTIVES, data=lambda s, d: {"targets_kind": "building_committee"}
    ),
    # Last of the directive's rows: the report it files (once) marks the assignment done.
    (
        "GET",
        "/orgs/{org_slug}/directives/{directive_id}/assignments/{unit_slug}/reports/{revision}/files/{field}",
    ): Route("directive"),
    # Each committee's conference, convened by it: seen by whoever sees the committee.
    ("GET", "/orgs/{org_slug}/conferences"): Route("org"),
    ("POST", "/orgs/{org_slug}/conferences"): Route(
        "org",
        "POST",
        Right.MANAGE_UNITS,
        data=lambda scene, org: {
            "unit": scene.units["own unit"].slug,
            "name": "New",
            "cutoff": TODAY,
            "method": "dhondt",
            "seats": 3,
        },
        over=lambda scene, org: [scene.units["own unit"]],
        payload_seen=lambda scene, actor, org: scene.sees_unit(actor, scene.units["own unit"]),
    ),
    ("GET", "/orgs/{org_slug}/conferences/{conference_id}"): Route("conference"),
    ("GET", "/orgs/{org_slug}/conferences/{conference_id}/allocations"): Route("conference"),
    ("POST", "/orgs/{org_slug}/conferences/{conference_id}/apportion"): Route("conference", "POST", Right.MANAGE_UNITS),
    ("POST", "/orgs/{org_slug}/conferences/{conference_id}/call"): Route("conference", "POST", Right.MANAGE_UNITS),
    ("POST", "/orgs/{org_slug}/conferences/{conference_id}/status"): Route(
        "conference", "POST", Right.MANAGE_UNITS, data=lambda s, c: {"status": "credentialing"}
    ),
    # Delegations (after the rows that apportion: the delegate made here protects an allocation).
    ("GET", "/orgs/{org_slug}/conferences/{conference_id}/delegations"): Route("conference"),
    ("POST", "/orgs/{org_slug}/conferences/{conference_id}/delegations"): Route(
        "conference",
        "POST",
        Right.MANAGE_UNITS,
        data=lambda s, c: {"unit": c.unit.slug, "decision": 1, "delegates": [1], "chair": 1},
    ),
    ("GET", "/orgs/{org_slug}/conferences/{conference_id}/presence"): Route("conference"),
    ("GET", "/orgs/{org_slug}/conferences/{conference_id}/delegates"): Route("conference", right=Right.VIEW_PEOPLE),
    ("GET", "/orgs/{org_slug}/conferences/{conference_id}/credentials"): Route("conference", right=Right.VIEW_PEOPLE),
    ("GET", "/orgs/{org_slug}/conferences/{conference_id}/participants"): Route("conference", right=Right.VIEW_PEOPLE),
    ("POST", "/orgs/{org_slug}/conferences/{conference_id}/delegates/{delegate_id}/credential"): Route(
        "conference", "POST", Right.MANAGE_UNITS, data=lambda s, c: {"action": "verify"}
    ),
    ("POST", "/orgs/{org_slug}/conferences/{conference_id}/delegates/{delegate_id}/presence"): Route(
        "conference", "POST", Right.MANAGE_UNITS, data=lambda s, c: {"present": True}
    ),
    # A conference's motions, polls, proxies and elections (rows made once on the target conference,
    # see session_of): read by whoever sees it; prepared, opened and closed by its organizers; a
    # vote or ballot by a delegate for themself (no actor here is one: 409, after the scope).
    ("GET", "/orgs/{org_slug}/conferences/{conference_id}/motions"): Route("conference"),
    ("POST", "/orgs/{org_slug}/conferences/{conference_id}/motions"): Route(
        "conference",
        "POST",
        Right.MANAGE_UNITS,
        data=lambda s, c: {"title": "M", "text": "T", "delegate": session_of(c)["giver"]},
    ),
    ("POST", "/orgs/{org_slug}/conferences/{conference_id}/motions/{motion_number}/status"): Route(
        "conference", "POST", Right.MANAGE_UNITS, data=lambda s, c: {"status": "admitted"}
    ),
    ("POST", "/orgs/{org_slug}/conferences/{conference_id}/motions/{motion_number}/amendments"): Route(
        "conference", "POST", Right.MANAGE_UNITS, data=lambda s, c: {"text": "New text."}
    ),
    ("POST", "/orgs/{org_slug}/conferences/{conference_id}/motions/{motion_number}/publish"): Route(
        "conference", "POST", Right.MANAGE_UNITS, data=lambda s, c: {"publication": "gazette", "number": 1}
    ),
    ("GET", "/orgs/{org_slug}/conferences/{conference_id}/polls"): Route("conference"),
    ("POST", "/orgs/{org_slug}/conferences/{conference_id}/polls"): Route(
        "conference", "POST", Right.MANAGE_UNITS, data=lambda s, c: {"subject": "P"}
    ),
    ("GET", "/orgs/{org_slug}/conferences/{conference_id}/polls/{poll_id}"): Route("conference"),
    ("POST", "/orgs/{org_slug}/conferences/{conference_id}/polls/{poll_id}/open"): Route(
        "conference", "POST", Right.MANAGE_UNITS
    ),
    ("POST", "/orgs/{org_slug}/conferences/{conference_id}/polls/{poll_id}/close"): Route(
        "conference", "POST", Right.MANAGE_UNITS
    ),
    ("POST", "/orgs/{org_slug}/conferences/{conference_id}/polls/{poll_id}/vote"): Route(
        "conference", "POST", data=lambda s, c: {"choice": "yes"}
    ),
    ("POST", "/orgs/{org_slug}/conferences/{conference_id}/proxies"): Route(
        "conference",
        "POST",
        Right.MANAGE_UNITS,
        data=lambda s, c: {"giver": session_of(c)["giver"], "holder": session_of(c)["holder"]},
    ),
    ("POST", "/orgs/{org_slug}/conferences/{conference_id}/proxies/{proxy_id}/withdraw"): Route(
        "conference", "POST", Right.MANAGE_UNITS
    ),
    ("GET", "/orgs/{org_slug}/conferences/{conference_id}/elections"): Route("conference"),
    ("POST", "/orgs/{org_slug}/conferences/{conference_id}/elections"): Route(
        "conference",
        "POST",
        Right.MANAGE_UNITS,
        data=lambda s, c: {"title": "E", "method": "plurality", "candidates": ["A", "B"]},
    ),
    ("GET", "/orgs/{org_slug}/conferences/{conference_id}/elections/{election_id}"): Route("conference"),
    ("POST", "/orgs/{org_slug}/conferences/{conference_id}/constitute"): Route(
        "conference", "POST", Right.MANAGE_UNITS
    ),
    ("POST", "/orgs/{org_slug}/conferences/{conference_id}/elections/{election_id}/open"): Route(
        "conference", "POST", Right.MANAGE_UNITS
    ),
    ("POST", "/orgs/{org_slug}/conferences/{conference_id}/elections/{election_id}/close"): Route(
        "conference", "POST", Right.MANAGE_UNITS
    ),
    ("POST", "/orgs/{org_slug}/conferences/{conference_id}/elections/{election_id}/ballot"): Route(
        "conference", "POST", data=lambda s, c: {"choices": ["A"]}
    ),
}
# The host's check-in operations are opened by the signed host link, without signing in, as its
# pages are (see HOST_PAGES).
HOST_OPERATIONS = {(method, path) for method, path in api_operations() if path.startswith("/checkin/")}


def test_every_route_and_operation_has_rows_in_the_matrix():
    web_missing = sorted(set(web_routes()) - NOT_IN_MATRIX - {name for name, _ in WEB})
    api_missing = sorted(set(api_operations()) - set(API) - HOST_OPERATIONS)
    assert web_missing == [], f"web routes with no authorization rows: {web_missing}"
    assert api_missing == [], f"API operations with no authorization rows: {api_missing}"
    assert not {name for name, _ in WEB} - set(web_routes()), "the matrix names a route that no longer exists"


def resolve_target(scene: Scene, actor: Actor, kind: str, target: str | None):
    """The organization and object a target name stands for, from this actor's point of view."""
    if kind == "self":
        return scene.org, None
    if kind == "org":
        return (scene.org, scene.org) if target == "own organization" else (scene.other, scene.other)
    if kind == "token":
        owner = actor if actor.token and target == "own token" else None
        if owner is None:
            owner = scene.actors["administrator" if actor.role != "administrator" else "member"]
        return scene.org, ApiToken.objects.get(digest=token_digest(owner.token))
    if kind == "unit":
        unit = scene.units[target]
        return unit.organization, unit
    if kind in ("publication", "issue"):
        organization = scene.org if target == BULLETIN_TARGETS[0] else scene.other
        publication = bulletin_of(organization)
        return organization, publication if kind == "publication" else publication.issues.get()
    if kind == "meeting":
        return scene.units[target].organization, meeting_of(scene.units[target])
    if kind == "directive":
        return scene.units[target].organization, directive_of(scene.units[target])
    if kind == "conference":
        return scene.units[target].organization, conference_of(scene.units[target])
    if kind == "series":
        return scene.units[target].organization, series_of(scene.units[target])
    if kind == "feed":
        owner = actor if actor.user is not None and actor.person and target == "own feed" else None
        owner = owner or scene.actors["administrator" if actor.role != "administrator" else "member"]
        organization = owner.person.organization if owner.person else scene.org
        feed, _created = FeedToken.objects.get_or_create(
            owner=owner.user, organization=organization, scope="mine", defaults={"digest": owner.role}
        )
        return organization, feed
    if kind == "feed address":
        # A members' feed address of the organization's publication: the actor's own when they
        # belong to the organization, else an administrator's (or a member's, for the administrator).
        own = actor.user is not None and scene.sees_organization(actor, scene.org) and target.startswith("own")
        owner = actor if own else scene.actors["administrator" if actor.role != "administrator" else "member"]
        publication = bulletin_of(scene.org)
        address, _created = BulletinFeedToken.objects.get_or_create(
            publication=publication, user=owner.user, defaults={"digest": owner.role, "created_at": timezone.now()}
        )
        return scene.org, address
    if kind == "run":
        role = {"the administrator's import": "administrator", "an import in another organization": "officer elsewhere"}
        run = scene.runs.get(role.get(target, actor.role)) or scene.runs["administrator"]
        return run.organization, run
    person = {
        "own record": actor.person or scene.people["member"],
        "person in the child unit": scene.people["officer whose post ended"],
        "person in the parent unit": scene.people["in hall"],
        "person in a sibling unit": scene.people["in south"],
        "person in another organization": scene.people["in other"],
    }[target]
    return person.organization, person


def course_of(organization) -> str:
    """The code of the organization's course 'basics', added once per scene."""
    from grassroots.people.actions import add_course
    from grassroots.people.models import Course

    if not Course.objects.filter(organization=organization, code="basics").exists():
        add_course(organization=organization, code="basics", title="Basics", by="test")
    return "basics"


def bulletin_of(organization):
    """The organization's own publication with one draft issue, made once per scene."""
    from grassroots.bulletin import actions as bulletin
    from grassroots.bulletin.models import Publication

    publication = Publication.objects.filter(organization=organization, slug="gazette").first()
    if publication is None:
        publication = bulletin.add_publication(organization=organization, name="Gazette", by="test")
        bulletin.add_issue(publication=publication, title="One", by="test", articles=[{"title": "A", "body": "B"}])
    return publication


def expected(scene: Scene, actor: Actor, route: Route, organization, target) -> str:
    """What the oracle says the answer must be: login, hidden (404), forbidden (403) or allowed."""
    if actor.role in ("anonymous", "deactivated"):
        return "login"
    if route.kind == "self":
        return "allowed"
    if route.kind == "token":
        return "allowed" if target.user_id == actor.user.pk else "hidden"
    if route.kind == "feed":
        return "allowed" if target.owner_id == actor.user.pk else "hidden"
    if route.kind == "feed address":
        return "allowed" if target.user_id == actor.user.pk else "hidden"
    if not scene.sees_organization(actor, organization):
        return "hidden"
    if route.kind == "unit" and not scene.sees_unit(actor, target):
        return "hidden"
    if route.kind == "person" and not scene.sees_person(actor, target):
        return "hidden"
    if route.kind == "run" and not scene.sees_run(actor, target):
        return "hidden"
    if route.kind in ("meeting", "series", "directive", "conference") and not scene.sees_unit(actor, target.unit):
        return "hidden"
    if route.kind == "issue" and not all(
        scene.holds(actor, Right.MANAGE_UNITS, place) for place in route.over(scene, target)
    ):
        return "hidden"  # the scene's issue is a draft: only who may publish sees it at all
    if route.payload_seen and not route.payload_seen(scene, actor, target):
        return "allowed"  # answered as an unknown choice in the input, before any right is needed
    if route.right and route.anywhere:
        return "allowed" if scene.holds_anywhere(actor, route.right, organization) else "forbidden"
    if route.right:
        if route.over:
            places = route.over(scene, target)
        else:
            places = {
                "person": lambda: [scene.unit_of(target)],
                "meeting": lambda: [target.unit],
                "series": lambda: [target.unit],
                "directive": lambda: [target.unit],
                "conference": lambda: [target.unit],
            }.get(route.kind, lambda: [target])()
        if not all(scene.holds(actor, route.right, place) for place in places):
            return "forbidden"
    return "allowed"


def web_outcome(response) -> str:
    if response.status_code == 302 and response.url.startswith(reverse("login")):
        return "login"
    return {404: "hidden", 403: "forbidden"}.get(
        response.status_code, "error" if response.status_code >= 500 else "allowed"
    )


def api_outcome(response) -> str:
    return {401: "login", 404: "hidden", 403: "forbidden"}.get(
        response.status_code, "error" if response.status_code >= 500 else "allowed"
    )


def web_client(actor: Actor) -> Client:
    client = Client()
    if actor.user is not None:
        sign_in(client, actor.user)
    return client


def web_url(name: str, wanted: set[str], organization, target) -> str:
    kwargs = {}
    if "org" in wanted:
        kwargs["org"] = organization.slug
    if "unit" in wanted:
        kwargs["unit"] = getattr(target, "slug", None) or target.unit.slug
    if "directive" in wanted:
        kwargs["directive"] = target.pk
    if "conference" in wanted:
        kwargs["conference"] = target.pk
    if "poll" in wanted:
        kwargs["poll"] = session_of(target)["poll"]
    if "motion" in wanted:
        session_of(target)  # writes motion 1
        kwargs["motion"] = 1
    if "election" in wanted:
        kwargs["election"] = session_of(target)["election"]
    if "step" in wanted:
        kwargs["step"] = "open"
    if "revision" in wanted:
        kwargs["revision"], kwargs["field"] = report_of(target).revision, "flyer"
    if "pk" in wanted:
        kwargs["pk"] = target.pk
    if "consent" in wanted:
        kwargs["consent"] = target.consents.get().pk
    if "post" in wanted:
        kwargs["post"] = current_post(target).pk
    if "publication" in wanted:
        kwargs["publication"] = getattr(target, "publication", target).slug
    if "number" in wanted:
        kwargs["number"] = target.number
    if "article" in wanted:
        kwargs["article"] = target.articles.first().pk
    if "meeting" in wanted:
        kwargs["meeting"] = target.pk
    if "item" in wanted:
        kwargs["item"] = agenda_item_of(target).pk
    if "series" in wanted:
        kwargs["series"] = target.pk
    if "feed" in wanted:
        kwargs["feed"] = target.pk
    return reverse(name, kwargs=kwargs)


def meeting_of(unit):
    """A planned meeting of the unit that started an hour ago (made once, kept for every case)."""
    meeting = Meeting.objects.filter(unit=unit, status="planned").first()
    if meeting is None:
        start = (timezone.localtime() - dt.timedelta(hours=1)).replace(tzinfo=None, second=0, microsecond=0)
        meeting = schedule_meeting(unit=unit, title="Matrix", start=start, by="t")
    return meeting


def directive_of(unit):
    """A directive the unit issued to itself, due in a month, its report form an optional file
    field 'flyer' (made once, kept for every case). A committee's directive goes to units below it
    (`create_directive` refuses the committee itself); the matrix still gives each unit its own,
    so a committee's draft is made for its basic units and then targeted at the committee before
    it is issued: who may see and act on a directive and an assignment does not depend on that."""
    from grassroots.directives import actions as directives
    from grassroots.directives.models import Directive

    directive = Directive.objects.filter(unit=unit, title="Matrix").first()
    if directive is None:
        constitution = unit.organization.constitution
        basic = constitution.kind(unit.kind).basic
        directive = directives.create_directive(
            issuer=unit,
            title="Matrix",
            due=dt.datetime.fromisoformat(LATER),
            by="t",
            targets=[unit] if basic else None,
            target_kind="" if basic else constitution.basic_kinds[0],
            form=[{"name": "flyer", "type": "file"}],
        )
        if not basic:
            Directive.objects.filter(pk=directive.pk).update(target_kind="", target_units=[unit.pk])
            directive.refresh_from_db()
        directives.issue_directive(directive=directive, by="t")
    return directive


def conference_of(unit):
    """A planned conference the committee convened, its members counted today (made once)."""
    from grassroots.conferences import actions as conferences
    from grassroots.conferences.models import Conference

    conference = Conference.objects.filter(unit=unit).first()
    if conference is None:
        conference = conferences.add_conference(
            unit=unit, name="Matrix", cutoff=dt.date.today(), by="t", method="dhondt", seats=3
        )
    return conference


def delegate_at(conference):
    """A delegate of the committee's own delegation to its conference, the first person of its
    organization, elected by a decision of the committee's meeting (made once; written directly,
    as the planned conference of the scene cannot take an election)."""
    from grassroots.conferences.models import Allocation, Delegate, Delegation
    from grassroots.meetings.models import Decision
    from grassroots.people.models import Person

    found = Delegate.objects.filter(conference=conference).first()
    if found is not None:
        return found
    unit = conference.unit
    allocation = Allocation.objects.create(conference=conference, unit=unit, unit_path=unit.path, members=1, seats=1)
    decision = Decision.objects.create(
        meeting=meeting_of(unit), text="Matrix delegation", outcome="carried", present=0, required=0, quorate=True
    )
    person = Person.objects.filter(organization=conference.organization).order_by("pk").first()
    delegation = Delegation.objects.create(
        conference=conference, allocation=allocation, unit=unit, decision=decision, chair=person,
        elected_at=timezone.now(),
    )  # fmt: skip
    return Delegate.objects.create(delegation=delegation, conference=conference, person=person, role="delegate", rank=1)


def decision_at(conference) -> int:
    """The carried decision of the committee's meeting that elected its delegation (`delegate_at`)."""
    return delegate_at(conference).delegation.decision_id


def session_of(conference) -> dict[str, int]:
    """The conference's rows for its motions, polls, proxies and elections, written directly
    once (a planned conference takes none through the actions): the committee's delegation
    (`delegate_at`) grown to three delegates (the third gave a proxy to the second), motion 1, a
    draft poll and a draft election."""
    from grassroots.conferences.models import Delegate, Election, Motion, Poll, Proxy

    delegates = list(Delegate.objects.filter(conference=conference).order_by("rank"))
    if len(delegates) < 3:
        delegation = (delegates[0] if delegates else delegate_at(conference)).delegation
        delegates = list(Delegate.objects.filter(conference=conference).order_by("rank"))
        delegation.allocation.seats = 3
        delegation.allocation.save(update_fields=["seats"])
        delegates += [
            Delegate.objects.create(
                delegation=delegation, conference=conference, person=person, role="delegate", rank=rank
            )
            for rank, person in enumerate(people_of(conference.unit, 3 - len(delegates)), len(delegates) + 1)
        ]
        now = timezone.now()
        Proxy.objects.create(conference=conference, giver=delegates[2], holder=delegates[1], given_at=now)
        Motion.objects.create(conference=conference, number=1, title="M", text="T", delegate=delegates[0],
                              submitted_at=now)  # fmt: skip
        Poll.objects.create(conference=conference, subject="P", kind="yes-no", base="valid", majority="simple",
                            created_at=now)  # fmt: skip
        Election.objects.create(conference=conference, title="E", method="plurality", candidates=["A", "B"], seed="s")
    return {
        "giver": delegates[0].pk,
        "holder": delegates[1].pk,
        "proxy": Proxy.objects.get(conference=conference).pk,
        "poll": Poll.objects.filter(conference=conference).first().pk,
        "election": Election.objects.filter(conference=conference).first().pk,
    }


def people_of(unit, count: int):
    """`count` new people of the unit's organization."""
    from tests.support import builders

    return [builders.person(unit.organization) for _ in range(count)]


def report_of(directive):
    """The report of the directive's (only) assignment with a file in 'flyer' (filed once)."""
    from grassroots.directives import actions as directives

    assignment = directive.assignments.get()
    return assignment.reports.first() or directives.submit_report(
        assignment=assignment, values={}, files={"flyer": ("flyer.txt", b"Matrix")}, by="t"
    )


def series_of(unit):
    """A weekly series of the unit, its first meeting tomorrow (made once, kept for every case)."""
    series = MeetingSeries.objects.filter(unit=unit).first()
    if series is None:
        start = dt.datetime.combine(timezone.localdate() + dt.timedelta(days=1), dt.time(19, 0))
        series = schedule_series(unit=unit, title="Matrix series", start=start, rule="FREQ=WEEKLY;COUNT=2", by="t")
    return series


def agenda_item_of(meeting):
    """An item of the meeting's agenda (made once)."""
    return meeting.agenda.first() or add_agenda_item(meeting=meeting, title="Matrix item", by="t")


def current_post(unit):
    return unit.posts.filter(end__isnull=True).order_by("pk").first()


def api_url(path: str, organization, target) -> str:
    return "/api" + path.format(
        org_slug=organization.slug,
        unit_slug=getattr(target, "slug", "") or getattr(getattr(target, "unit", None), "slug", ""),
        person_id=getattr(target, "pk", ""),
        run_id=getattr(target, "pk", ""),
        consent_id=target.consents.get().pk if "{consent_id}" in path else "",
        post_id=current_post(target).pk if "{post_id}" in path else "",
        publication_slug=getattr(getattr(target, "publication", target), "slug", ""),
        number=getattr(target, "number", ""),
        meeting_id=getattr(target, "pk", ""),
        series_id=getattr(target, "pk", ""),
        item_id=agenda_item_of(target).pk if "{item_id}" in path else "",
        token_id=getattr(target, "pk", ""),
        directive_id=getattr(target, "pk", ""),
        conference_id=getattr(target, "pk", ""),
        delegate_id=delegate_at(target).pk if "{delegate_id}" in path else "",
        revision=report_of(target).revision if "{revision}" in path else "",
        field="flyer",
        article_id=target.articles.first().pk if "{article_id}" in path else "",
        motion_number=1,
        poll_id=session_of(target)["poll"] if "{poll_id}" in path else "",
        election_id=session_of(target)["election"] if "{election_id}" in path else "",
        proxy_id=session_of(target)["proxy"] if "{proxy_id}" in path else "",
    )


@pytest.fixture
def scene(db, settings, tmp_path):
    settings.IMPORTS_DIR = tmp_path / "imports"
    settings.REPORT_FILES_DIR = tmp_path / "reports"
    return build_scene()


def run_case(send: Callable, *args, **kwargs):
    """Send one request inside a savepoint that is rolled back, so no case sees another's writes."""
    with transaction.atomic():
        response = send(*args, **kwargs)
        transaction.set_rollback(True)
    return response


def web_failures(scene: Scene, role: str) -> tuple[int, list[str]]:
    """Every web route as `role` against every target: the cases run and those that differ from the oracle."""
    routes = web_routes()
    actor, client = scene.actors[role], web_client(scene.actors[role])
    failures, cases = [], 0
    for (name, method), route in WEB.items():
        for target_name in TARGETS[route.kind]:
            organization, target = resolve_target(scene, actor, route.kind, target_name)
            url = web_url(name, routes[name], organization, target)
            if method == "POST":
                response = run_case(client.post, url, route.data(scene, target) if route.data else {})
            else:
                response = run_case(client.get, url)
            got, want = web_outcome(response), expected(scene, actor, route, organization, target)
            cases += 1
            if got != want:
                failures.append(f"{method} {name} as {role} on {target_name}: {got} ({response.status_code}), {want=}")
    return cases, failures


def api_failures(scene: Scene, role: str) -> tuple[int, list[str]]:
    """Every API operation as `role` against every target, as `web_failures` does for pages."""
    actor, client = scene.actors[role], Client()
    headers = {"Authorization": f"Bearer {actor.token}"} if actor.token else {}
    failures, cases = [], 0
    for (method, path), route in API.items():
        for target_name in TARGETS[route.kind]:
            organization, target = resolve_target(scene, actor, route.kind, target_name)
            url = api_url(path, organization, target)
            if method == "POST" and route.multipart:
                response = run_case(client.post, url, route.data(scene, target), headers=headers)
            elif method == "POST":
                body = json.dumps(route.data(scene, target) if route.data else {})
                response = run_case(client.post, url, body, content_type="application/json", headers=headers)
            else:
                response = run_case(client.get, url, headers=headers)
            got, want = api_outcome(response), expected(scene, actor, route, organization, target)
            cases += 1
            if got != want:
                failures.append(f"{method} {path} as {role} on {target_name}: {got} ({response.status_code}), {want=}")
    return cases, failures


# One test per interface and role, so that the parallel run (pytest-xdist) spreads the matrix
# over the workers; each builds its own scene.
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("interface", ["web", "api"])
def test_the_authorization_matrix(scene, interface, role, capsys):
    cases, failures = (web_failures if interface == "web" else api_failures)(scene, role)
    with capsys.disabled():
        print(f"\nauthorization matrix, {interface} as {role}: {cases} cases, {len(failures)} failures")
    assert cases > 0
    assert failures == [], "\n".join(failures[:60]) + (
        f"\n... and {len(failures) - 60} more" if len(failures) > 60 else ""
    )
