"""Every API operation, called by every kind of caller against every kind of target.

The cases below must name exactly the operations of the OpenAPI schema: a route added without
a case here (or a case left for a removed route) fails `test_every_operation_has_a_case`.

Callers x targets, and what each must get:
- anonymous, or a revoked token                -> 401, nothing written
- a signed-in user with no scope (plain user)  -> 404 (the organization list is empty: 200)
- staff by bearer token, unknown organization  -> 404
- staff by bearer token, their organization    -> the operation's success status
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from grassroots.accounts.actions import create_api_token, revoke_api_token
from grassroots.audit.models import AuditRecord
from grassroots.bulletin.models import Article
from grassroots.meetings.actions import add_agenda_item, mark_held, schedule_meeting, schedule_series
from grassroots.meetings.models import Meeting
from grassroots.people import actions as people
from grassroots.people.models import Membership
from tests.support import builders
from tests.support.assembly import matrix_session
from tests.support.routes import api_operations

from .conftest import ON, Caller, bearer

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # an OpenAPI path template under /api
    success: int
    body: Any = None  # a dict, or a function of the scene returning one
    multipart: bool = False  # the body is a form with a file, not JSON


def _found_body(scene):
    return {"on": ON, "founding_members": scene["core"], "officers": {"secretary": scene["core"][0]}}


SESSION = "/orgs/{org_slug}/conferences/{conference_id}"  # a conference in session (see _call)
CASES = [
    Case("GET", "/orgs", 200),
    Case("GET", "/orgs/{org_slug}", 200),
    Case("GET", "/orgs/{org_slug}/tree", 200),
    Case("GET", "/orgs/{org_slug}/units", 200),
    Case("POST", "/orgs/{org_slug}/units", 201, {"kind": "building_committee", "name": "Birch", "parent": "south"}),
    Case("GET", "/orgs/{org_slug}/units/{unit_slug}", 200),
    Case("GET", "/orgs/{org_slug}/units/{unit_slug}/subtree", 200),
    Case("GET", "/orgs/{org_slug}/units/{unit_slug}/readiness", 200),
    Case("GET", "/orgs/{org_slug}/units/{unit_slug}/health", 200),
    Case("GET", "/orgs/{org_slug}/units/{unit_slug}/health/rollup", 200),
    Case("GET", "/orgs/{org_slug}/units/{unit_slug}/health/trend", 200),
    Case("GET", "/orgs/{org_slug}/units/{unit_slug}/health/needs-support", 200),
    Case("GET", "/orgs/{org_slug}/units/{unit_slug}/health/growth", 200),
    Case("GET", "/orgs/{org_slug}/units/{unit_slug}/events", 200),
    Case("GET", "/orgs/{org_slug}/units/{unit_slug}/members", 200),
    Case("POST", "/orgs/{org_slug}/units/{unit_slug}/prepare", 200, {"on": ON}),
    Case("POST", "/orgs/{org_slug}/units/{unit_slug}/found", 200, _found_body),
    Case("POST", "/orgs/{org_slug}/units/{unit_slug}/dormant", 200, {"on": ON}),
    Case("POST", "/orgs/{org_slug}/units/{unit_slug}/dissolve", 200, {"on": ON}),
    Case("POST", "/orgs/{org_slug}/units/{unit_slug}/rename", 200, {"name": "Renamed", "on": ON}),
    Case("POST", "/orgs/{org_slug}/units/{unit_slug}/move", 200, {"parent": "south", "on": ON}),
    Case(
        "POST",
        "/orgs/{org_slug}/units/{unit_slug}/posts",
        201,
        lambda scene: {"person": scene["member"], "post": "organizer", "on": ON},
    ),
    Case("GET", "/orgs/{org_slug}/people", 200),
    Case("POST", "/orgs/{org_slug}/people", 201, {"name": "Ada Tenant"}),
    Case("GET", "/orgs/{org_slug}/people/{person_id}", 200),
    Case("GET", "/orgs/{org_slug}/people/{person_id}/memberships", 200),
    Case("GET", "/orgs/{org_slug}/people/duplicates", 200),
    Case("POST", "/orgs/{org_slug}/people/{person_id}/edit", 200, {"phone": "07911 123458"}),
    Case("POST", "/orgs/{org_slug}/people/{person_id}/merge", 200, lambda scene: {"other": scene["newcomer"]}),
    Case("POST", "/orgs/{org_slug}/people/{person_id}/join", 200, {"unit": "oak-court", "on": ON}),
    Case("POST", "/orgs/{org_slug}/people/{person_id}/transfer", 200, {"unit": "oak-court", "on": ON}),
    Case("POST", "/orgs/{org_slug}/people/{person_id}/status", 200, {"status": "lapsed", "on": ON}),
    Case("POST", "/orgs/{org_slug}/people/{person_id}/end", 200, {"on": ON, "status": "resigned"}),
    Case("GET", "/orgs/{org_slug}/units/{unit_slug}/posts", 200),
    Case("POST", "/orgs/{org_slug}/units/{unit_slug}/posts/{post_id}/end", 200, {"on": ON}),
    Case("GET", "/orgs/{org_slug}/people/{person_id}/export", 200),
    Case("POST", "/orgs/{org_slug}/people/{person_id}/erase", 200),
    Case("GET", "/orgs/{org_slug}/people/{person_id}/consents", 200),
    Case(
        "POST",
        "/orgs/{org_slug}/people/{person_id}/consents",
        201,
        {"purpose": "email bulletins", "policy_version": "2024-1"},
    ),
    Case("POST", "/orgs/{org_slug}/people/{person_id}/consents/{consent_id}/withdraw", 200),
    Case("GET", "/orgs/{org_slug}/people/{person_id}/completions", 200),
    Case("POST", "/orgs/{org_slug}/people/{person_id}/completions", 201, {"course": "basics", "on": ON}),
    Case("GET", "/orgs/{org_slug}/people/{person_id}/education", 200),
    Case("GET", "/orgs/{org_slug}/units/{unit_slug}/education", 200),
    Case("GET", "/orgs/{org_slug}/audit", 200),
    Case("POST", "/orgs/{org_slug}/imports", 202, lambda scene: {"file": member_file()}, multipart=True),
    Case("GET", "/orgs/{org_slug}/imports", 200),
    Case("GET", "/orgs/{org_slug}/imports/{run_id}", 200),
    Case("GET", "/orgs/{org_slug}/imports/{run_id}/errors", 200),
    Case("POST", "/orgs/{org_slug}/imports/{run_id}/again", 202, {"dry_run": False}),
    Case("GET", "/orgs/{org_slug}/members/export", 200),
    Case("GET", "/orgs/{org_slug}/publications", 200),
    Case("POST", "/orgs/{org_slug}/publications", 201, {"name": "Elm Leaflet", "unit": "elm-house"}),
    Case("GET", "/orgs/{org_slug}/publications/{publication_slug}/issues", 200),
    Case(
        "POST",
        "/orgs/{org_slug}/publications/{publication_slug}/issues",
        201,
        {"title": "Two", "articles": [{"title": "News", "body": "Some *news*."}]},
    ),
    Case("GET", "/orgs/{org_slug}/publications/{publication_slug}/issues/{number}", 200),
    Case("GET", "/orgs/{org_slug}/publications/{publication_slug}/issues/{number}/audience", 200),
    Case(
        "POST",
        "/orgs/{org_slug}/publications/{publication_slug}/issues/{number}/send",
        200,
        lambda scene: {"confirm": scene["recipients"]},
    ),
    Case("GET", "/orgs/{org_slug}/publications/{publication_slug}/issues/{number}/status", 200),
    Case(
        "POST",
        "/orgs/{org_slug}/publications/{publication_slug}/issues/{number}/articles",
        201,
        {"title": "More", "body": "Text", "visibility": "subtree", "unit": "north"},
    ),
    Case(
        "POST",
        "/orgs/{org_slug}/publications/{publication_slug}/issues/{number}/articles/{article_id}/edit",
        200,
        {"title": "Renamed"},
    ),
    Case("POST", "/orgs/{org_slug}/publications/{publication_slug}/issues/{number}/articles/{article_id}/remove", 200),
    Case("GET", "/orgs/{org_slug}/units/{unit_slug}/meetings", 200),
    Case("POST", "/orgs/{org_slug}/units/{unit_slug}/meetings", 201, {"title": "Planned", "start": "2031-01-07 19:00"}),
    Case("GET", "/orgs/{org_slug}/meetings/{meeting_id}", 200),
    Case("GET", "/orgs/{org_slug}/meetings/{meeting_id}/attendance", 200),
    Case("POST", "/orgs/{org_slug}/meetings/{meeting_id}/attendance", 200, lambda scene: {"people": [scene["member"]]}),
    Case("POST", "/orgs/{org_slug}/meetings/{meeting_id}/held", 200),
    Case("POST", "/orgs/{org_slug}/meetings/{meeting_id}/cancel", 200),
    Case("POST", "/orgs/{org_slug}/meetings/{meeting_id}/decisions", 201, {"text": "Agreed", "outcome": "carried"}),
    Case("POST", "/orgs/{org_slug}/meetings/{meeting_id}/agenda", 201, {"title": "Rent"}),
    Case("POST", "/orgs/{org_slug}/meetings/{meeting_id}/minutes", 201, {"text": "We met."}),
    Case("GET", "/orgs/{org_slug}/people/{person_id}/standing", 200),
    Case("POST", "/orgs/{org_slug}/meetings/{meeting_id}/edit", 200, {"place": "Hall"}),
    Case(
        "POST",
        "/orgs/{org_slug}/meetings/{meeting_id}/attendance/sheet",
        200,
        lambda scene: {"file": SimpleUploadedFile("sheet.csv", f"id,status\n{scene['member']},present\n".encode())},
        multipart=True,
    ),
    Case("GET", "/orgs/{org_slug}/people/{person_id}/subscriptions", 200),
    Case(
        "POST",
        "/orgs/{org_slug}/people/{person_id}/subscriptions",
        200,
        {"publication": "gazette", "state": "unsubscribed"},
    ),
    Case("GET", "/orgs/{org_slug}/publications/{publication_slug}/subscriptions", 200),
    Case("GET", "/orgs/{org_slug}/publications/{publication_slug}/feed-tokens", 200),
    Case("POST", "/orgs/{org_slug}/meetings/{meeting_id}/agenda/{item_id}/move", 200, {"position": 1}),
    Case("GET", "/orgs/{org_slug}/series/{series_id}", 200),
    Case("POST", "/orgs/{org_slug}/series/{series_id}/edit", 200, {"place": "Hall"}),
    Case("GET", "/orgs/{org_slug}/directives", 200),
    Case(
        "POST",
        "/orgs/{org_slug}/directives",
        201,
        {"unit": "federation", "title": "Survey", "due": "2031-01-07 19:00", "targets_kind": "building_committee"},
    ),
    Case("GET", "/orgs/{org_slug}/directives/{directive_id}", 200),
    Case("POST", "/orgs/{org_slug}/directives/{directive_id}/issue", 200),
    Case("POST", "/orgs/{org_slug}/directives/{directive_id}/reissue", 200, {"title": "Again"}),
    Case("POST", "/orgs/{org_slug}/directives/{directive_id}/close", 200),
    Case("GET", "/orgs/{org_slug}/directives/{directive_id}/status", 200),
    Case("GET", "/orgs/{org_slug}/directives/{directive_id}/rollup", 200),
    Case("GET", "/orgs/{org_slug}/directives/{directive_id}/assignments", 200),
    Case("GET", "/orgs/{org_slug}/assignments", 200),
    Case("GET", "/orgs/{org_slug}/directives/{directive_id}/assignments/{unit_slug}", 200),
    Case("POST", "/orgs/{org_slug}/directives/{directive_id}/assignments/{unit_slug}/status", 200, {"status": "done"}),
    Case("POST", "/orgs/{org_slug}/directives/{directive_id}/assignments/{unit_slug}/adapt", 200, {"text": "Ours"}),
    Case("POST", "/orgs/{org_slug}/directives/{directive_id}/assignments/{unit_slug}/reports", 201, {"values": {}}),
    Case(
        "GET",
        "/orgs/{org_slug}/directives/{directive_id}/assignments/{unit_slug}/reports/{revision}/files/{field}",
        200,
    ),
    Case(
        "POST",
        "/orgs/{org_slug}/directives/{directive_id}/assignments/{unit_slug}/pass-on",
        201,
        {"targets_kind": "building_committee"},
    ),
    Case("GET", "/orgs/{org_slug}/conferences", 200),
    Case(
        "POST",
        "/orgs/{org_slug}/conferences",
        201,
        {"unit": "federation", "name": "Matrix", "cutoff": ON, "method": "dhondt", "seats": 3},
    ),
    Case("GET", "/orgs/{org_slug}/conferences/{conference_id}", 200),
    Case("GET", "/orgs/{org_slug}/conferences/{conference_id}/allocations", 200),
    Case("POST", "/orgs/{org_slug}/conferences/{conference_id}/apportion", 200),
    Case("POST", "/orgs/{org_slug}/conferences/{conference_id}/call", 200),
    Case("POST", "/orgs/{org_slug}/conferences/{conference_id}/status", 200, {"status": "credentialing"}),
    Case("GET", "/orgs/{org_slug}/conferences/{conference_id}/delegations", 200),
    Case("GET", "/orgs/{org_slug}/conferences/{conference_id}/delegates", 200),
    Case("GET", "/orgs/{org_slug}/conferences/{conference_id}/credentials", 200),
    Case("GET", "/orgs/{org_slug}/conferences/{conference_id}/presence", 200),
    Case("GET", "/orgs/{org_slug}/conferences/{conference_id}/participants", 200),
    Case("GET", f"{SESSION}/motions", 200),
    Case("POST", f"{SESSION}/motions", 201, lambda scene: {"title": "M", "text": "T", "delegate": scene["giver"]}),
    Case("POST", f"{SESSION}/motions/{{motion_number}}/status", 200, {"status": "admitted"}),
    Case("POST", f"{SESSION}/motions/{{motion_number}}/amendments", 201, {"text": "Higher dues."}),
    Case("POST", f"{SESSION}/motions/{{motion_number}}/publish", 200, {"publication": "gazette", "number": 1}),
    Case("GET", f"{SESSION}/polls", 200),
    Case("POST", f"{SESSION}/polls", 201, {"subject": "Matrix"}),
    Case("GET", f"{SESSION}/polls/{{poll_id}}", 200),
    Case("POST", f"{SESSION}/polls/{{poll_id}}/open", 200),
    Case("POST", f"{SESSION}/polls/{{poll_id}}/close", 200),
    Case("POST", f"{SESSION}/proxies", 201, lambda scene: {"giver": scene["giver"], "holder": scene["holder"]}),
    Case("POST", f"{SESSION}/proxies/{{proxy_id}}/withdraw", 204),
    Case("GET", f"{SESSION}/elections", 200),
    Case("POST", f"{SESSION}/elections", 201, {"title": "Board", "method": "approval", "candidates": ["A", "B"]}),
    Case("GET", f"{SESSION}/elections/{{election_id}}", 200),
    Case("POST", f"{SESSION}/elections/{{election_id}}/open", 200),
    Case("POST", f"{SESSION}/elections/{{election_id}}/close", 200),
]


def member_file():
    return SimpleUploadedFile("members.csv", b"name,email,unit\nAda Tenant,ada@example.org,elm-house\n")


# Which unit and person each operation acts on, so that the staff call can succeed.
UNIT_FOR = {
    "pass-on": "north",
    "prepare": "north",
    "found": "ash-tower",
    "dormant": "elm-house",
    "dissolve": "birch",
    "move": "oak-court",
}
PERSON_FOR = {"join": "newcomer"}
MEETING_FOR = {"minutes": "held meeting"}
DIRECTIVE_FOR = {"issue": "draft directive", "pass-on": "district directive", "{field}": "reported directive"}
CONFERENCE_FOR = {
    "status": "called conference",
    **dict.fromkeys(["delegations", "delegates", "credentials", "presence", "participants"], "called conference"),
}

MOTION_FOR = {"publish": 1}  # the resolution; motion 2 is submitted
POLL_FOR = {"open": "draft poll"}
ELECTION_FOR = {"open": "draft election"}


def _id(case: Case) -> str:
    return f"{case.method} {case.path}"


@pytest.fixture
def scene(org, tree, staff, settings, tmp_path):
    """The federation, a planned committee with nothing under it, three free people, a newcomer,
    and a checked member file."""
    settings.IMPORTS_DIR = tmp_path / "imports"
    settings.REPORT_FILES_DIR = tmp_path / "reports"
    builders.unit(org, "building_committee", "Birch", tree["south"])
    member = Membership.objects.filter(unit=tree["elm"]).exclude(person__posts__isnull=False).first().person
    return {
        "org": org,
        "member": member.pk,
        "consent": people.record_consent(person=member, purpose="phone", policy_version="1", by="test").pk,
        "course": people.add_course(organization=org, code="basics", title="Basics", by="test").pk,
        "post": tree["elm"].posts.get(post="secretary").pk,
        "newcomer": builders.person(org, "New Comer").pk,
        "core": [builders.person(org).pk for _ in range(3)],
        "run": _checked_import(org),
        "recipients": _gazette(org),
        "article": Article.objects.get(issue__number=1, issue__publication__organization=org).pk,
        "meeting": (meeting := _meeting_under_way(tree["elm"])),
        "item": _second_agenda_item(meeting),
        "series": _weekly_series(tree["elm"]),
        "held meeting": mark_held(meeting=Meeting.objects.get(pk=_meeting_under_way(tree["elm"])), by="test").pk,
        **_directives(tree["federation"]),
        **_conferences(tree["federation"]),
        **matrix_session(tree["federation"], dt.date.fromisoformat(ON)),
    } | {"actions recorded": actions_recorded()}


def _directives(federation) -> dict[str, int]:
    """An issued directive to the building committees, a draft, one to the districts, and one whose
    report form has a file field 'flyer' that Elm House's report (revision 1) filled."""
    from grassroots.directives import actions as directives

    due = dt.datetime(2031, 1, 7, 19, 0)

    def draft(kind: str, form=None):
        return directives.create_directive(
            issuer=federation, title="Matrix", due=due, by="test", target_kind=kind, form=form
        )

    issued, districts = draft("building_committee"), draft("district")
    reported = draft("building_committee", form=[{"name": "flyer", "type": "file"}])
    for directive in (issued, districts, reported):
        directives.issue_directive(directive=directive, by="test")
    directives.submit_report(
        assignment=reported.assignments.get(unit__slug="elm-house"),
        values={},
        files={"flyer": ("flyer.txt", b"Matrix")},
        by="test",
    )
    return {
        "directive": issued.pk,
        "draft directive": draft("building_committee").pk,
        "district directive": districts.pk,
        "reported directive": reported.pk,
    }


def _conferences(federation) -> dict[str, int]:
    """A planned conference of the federation, its members counted on ON, and a called one."""
    from grassroots.conferences import actions as conferences

    def plan():
        return conferences.add_conference(
            unit=federation, name="Matrix", cutoff=dt.date.fromisoformat(ON), by="test", method="dhondt", seats=3
        )

    called = plan()
    conferences.call_conference(conference=called, by="test")
    return {"conference": plan().pk, "called conference": called.pk}


def _gazette(org) -> int:
    """The organization's publication with a draft issue; returns its exact recipient count."""
    from grassroots.bulletin import actions as bulletin
    from grassroots.bulletin.selectors import recipient_count

    gazette = bulletin.add_publication(organization=org, name="Gazette", by="test")
    bulletin.add_issue(publication=gazette, title="One", by="test", articles=[{"title": "A", "body": "B"}])
    return recipient_count(publication=gazette)


def _meeting_under_way(unit) -> int:
    """A planned meeting of the unit that started half an hour ago."""
    start = (timezone.localtime() - dt.timedelta(minutes=30)).replace(tzinfo=None, second=0, microsecond=0)
    return schedule_meeting(unit=unit, title="Under way", start=start, by="test").pk


def _second_agenda_item(meeting_id: int) -> int:
    """The second of two items on the meeting's agenda (moving it first changes something)."""
    meeting = Meeting.objects.get(pk=meeting_id)
    add_agenda_item(meeting=meeting, title="Rent", by="test")
    return add_agenda_item(meeting=meeting, title="Lift", by="test").pk


def _weekly_series(unit) -> int:
    start = dt.datetime.combine(timezone.localdate() + dt.timedelta(days=1), dt.time(19, 0))
    return schedule_series(unit=unit, title="Weekly", start=start, rule="FREQ=WEEKLY;COUNT=3", by="test").pk


def actions_recorded() -> int:
    """Audit records of actions (not of sign-ins or refusals) by a user."""
    return AuditRecord.objects.filter(actor__isnull=False).exclude(action__in=["auth.sign_in", "access.denied"]).count()


def _checked_import(org) -> int:
    """A member file uploaded and checked by a worker: its run has an errors file and may run again."""
    from grassroots.accounts.models import Account
    from grassroots.imports.jobs import stage_import

    staff = Account.objects.get(organization=org, is_admin=True).user
    run = stage_import(organization=org, upload=member_file(), by=staff)
    builders.run_jobs()
    return run.pk


def _conference_for(path: str, action: str) -> str:
    """The conference an operation acts on: the one in session for its motions, polls, proxies
    and elections."""
    if any(f"/{part}" in path for part in ("motions", "polls", "proxies", "elections")):
        return "session"
    return CONFERENCE_FOR.get(action, "conference")


def _call(caller: Caller, case: Case, scene, *, org_slug: str | None = None):
    action = case.path.rsplit("/", 1)[-1]
    path = case.path.format(
        org_slug=org_slug or scene["org"].slug,
        unit_slug=UNIT_FOR.get(action, "elm-house"),
        person_id=scene[PERSON_FOR.get(action, "member")],
        post_id=scene["post"],
        consent_id=scene["consent"],
        run_id=scene["run"],
        publication_slug="gazette",
        number=1,
        meeting_id=scene[MEETING_FOR.get(action, "meeting")],
        item_id=scene["item"],
        series_id=scene["series"],
        directive_id=scene[DIRECTIVE_FOR.get(action, "directive")],
        revision=1,
        field="flyer",
        article_id=scene["article"],
        conference_id=scene[_conference_for(case.path, action)],
        motion_number=MOTION_FOR.get(action, 2),
        poll_id=scene[POLL_FOR.get(action, "open poll")],
        election_id=scene[ELECTION_FOR.get(action, "open election")],
        proxy_id=scene["proxy"],
    )
    if case.method == "GET":
        return caller.get(path)
    body = case.body(scene) if callable(case.body) else case.body
    if case.multipart:
        return caller.client.post(f"/api{path}", body, headers=caller.headers)
    return caller.post(path, body)


# Operations not called here, and where they are checked: the host link's check-in, opened by its
# token without signing in (tests/meetings); the caller's own registration, check-in and members'
# feed token, which need the caller to be a person of the unit, and approving minutes, which needs
# an earlier meeting's minutes (tests/access/test_matrix.py, tests/meetings, tests/bulletin).
CHECKED_ELSEWHERE = {
    "POST /orgs/{org_slug}/meetings/{meeting_id}/registration",
    "POST /orgs/{org_slug}/meetings/{meeting_id}/check-in",
    "POST /orgs/{org_slug}/meetings/{meeting_id}/minutes/approve",
    "POST /orgs/{org_slug}/publications/{publication_slug}/feed-tokens",
    "POST /orgs/{org_slug}/publications/{publication_slug}/feed-tokens/{token_id}/revoke",
    # Pause and resume need an issue being sent (tests/bulletin/test_articles.py; rights: tests/access).
    "POST /orgs/{org_slug}/publications/{publication_slug}/issues/{number}/pause",
    "POST /orgs/{org_slug}/publications/{publication_slug}/issues/{number}/resume",
    # Electing a delegation needs a unit's meeting after the call with its members in good standing,
    # the credential and presence steps a delegate: tests/conferences/test_delegations_api.py (and
    # every role and target: tests/access/test_matrix.py).
    "POST /orgs/{org_slug}/conferences/{conference_id}/delegations",
    "POST /orgs/{org_slug}/conferences/{conference_id}/delegates/{delegate_id}/credential",
    "POST /orgs/{org_slug}/conferences/{conference_id}/delegates/{delegate_id}/presence",
    # A delegate votes and casts a ballot only for themself (the staff caller is no delegate; its
    # 409 and the delegates' own votes: tests/conferences/test_assembly.py).
    "POST /orgs/{org_slug}/conferences/{conference_id}/polls/{poll_id}/vote",
    "POST /orgs/{org_slug}/conferences/{conference_id}/elections/{election_id}/ballot",
    # Constituting the top unit needs one ready to be founded (tests/conferences/test_assembly.py).
    "POST /orgs/{org_slug}/conferences/{conference_id}/constitute",
}


def test_every_operation_has_a_case():
    operations = {f"{method} {path}" for method, path in api_operations() if not path.startswith("/checkin/")}
    assert operations - CHECKED_ELSEWHERE == {_id(case) for case in CASES}


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_staff_succeeds(case, api, scene):
    response = _call(api, case, scene)
    assert response.status_code == case.success, response.json()
    if case.method == "POST":
        assert actions_recorded() > scene["actions recorded"]


@pytest.mark.parametrize("case", [case for case in CASES if "{org_slug}" in case.path], ids=_id)
def test_staff_on_an_unknown_organization_gets_404(case, api, scene):
    response = _call(api, case, scene, org_slug="atlantis")
    assert response.status_code == 404
    assert response.json() == {"detail": "no organization 'atlantis'"}


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_plain_user_gets_404(case, plain_api, scene):
    response = _call(plain_api, case, scene)
    if case.path == "/orgs":
        assert (response.status_code, response.json()) == (200, {"items": [], "count": 0})
    else:
        assert response.status_code == 404
        assert "detail" in response.json()
    assert actions_recorded() == scene["actions recorded"]


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_anonymous_gets_401(case, anonymous_api, scene):
    response = _call(anonymous_api, case, scene)
    assert response.status_code == 401
    assert actions_recorded() == scene["actions recorded"]


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_revoked_token_gets_401(case, staff, scene):
    record, token = create_api_token(user=staff, organization=staff.accounts.get().organization, by="test")
    revoke_api_token(token=record, by="test")
    response = _call(Caller(Client(enforce_csrf_checks=True), bearer(token)), case, scene)
    assert response.status_code == 401
    assert actions_recorded() == scene["actions recorded"]
