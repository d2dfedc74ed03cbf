"""Member education: programmes, courses with their completion rules (attend k of n sessions,
marked by a post, prerequisite), self-declared completions under review, each person's status
per course, a unit's completion, and gated status changes (candidate to member) with their
override; through the actions, the command line, the API and the person page."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from grassroots.access.grants import Operator
from grassroots.accounts.actions import create_api_token
from grassroots.audit.models import AuditRecord
from grassroots.cli import main
from grassroots.constitution import load_constitution_text
from grassroots.education import actions as education
from grassroots.education.selectors import course_status, education_of, education_share_of
from grassroots.errors import ActionRefused
from grassroots.meetings import actions as meetings
from grassroots.organizations import actions as units
from grassroots.people import actions as people
from grassroots.people.merging import merge_people
from grassroots.people.models import CourseCompletion
from tests.support import builders
from tests.support.sessions import sign_in

pytestmark = pytest.mark.django_db
BY = "test"
GATED = load_constitution_text("tenants_federation").replace(
    "    resigned: [supporter]\n",
    "    resigned: [supporter]\n  gates:\n    candidate:\n      member: {courses: [basics], months_in_status: 6}\n",
)
SESSIONS = [dt.date(2026, 9, 1), dt.date(2026, 9, 8), dt.date(2026, 9, 15), dt.date(2026, 9, 22)]


@pytest.fixture
def scene():
    """Elm House (3 founders) under North district; the programme foundations with the course
    basics ("attend 3 of 4 sessions", valid 12 months) and its four sessions in September 2026."""
    org = units.create_organization(slug="riverside", name="Riverside", constitution_yaml=GATED, by=BY)
    district = builders.unit(org, "district", "North", builders.unit(org, "federation", "Federation"))
    elm = builders.founded_basic_unit(org, "Elm House", district)
    founders = [membership.person for membership in elm.memberships.order_by("pk")]
    foundations = people.add_programme(organization=org, code="foundations", title="Foundations", by=BY)
    basics = people.add_course(
        organization=org,
        code="basics",
        title="Organizing basics",
        valid_months=12,
        programme=foundations,
        sessions=(3, 4),
        by=BY,
    )
    sessions = []
    for day in SESSIONS:
        meeting = meetings.schedule_meeting(
            unit=elm, title=f"Basics {day}", start=dt.datetime.combine(day, dt.time(19)), kind="education", by=BY
        )
        sessions.append(education.link_session(meeting=meeting, course=basics, by=BY))
    return {"org": org, "district": district, "elm": elm, "founders": founders, "basics": basics, "sessions": sessions}


def status_of(person, code="basics", on=dt.date(2026, 11, 1)):
    (row,) = [row for row in education_of(Operator("t"), person, on=on) if row.course == code]
    return row


def test_attend_3_of_4_sessions_in_progress_then_complete_on_the_third(scene):
    """The issue's known value: after two attendances "in progress (2 of 3)", after the third
    "complete" dated on the third session (not the day it was recorded)."""
    ann = scene["founders"][0]
    first, second, third, fourth = scene["sessions"]
    assert status_of(ann).status == "not started"
    meetings.record_attendance(meeting=first, people=[ann], by=BY)
    meetings.record_attendance(meeting=second, people=[ann], by=BY)
    assert status_of(ann).status == "in progress (2 of 3)"
    assert not CourseCompletion.objects.filter(person=ann).exists()
    meetings.record_sheet(meeting=third, marks=[(ann, "present")], by=BY)
    row = status_of(ann)
    assert (row.status, row.completed_on, row.expires_on) == ("complete", SESSIONS[2], dt.date(2027, 9, 15))
    assert (row.attended, row.required, row.programme) == (3, 3, "foundations")
    completion = CourseCompletion.objects.get(person=ann)
    assert (completion.how, completion.completed_on) == ("attendance", SESSIONS[2])
    meetings.record_attendance(meeting=fourth, people=[ann], by=BY)
    assert CourseCompletion.objects.filter(person=ann).count() == 1
    assert AuditRecord.objects.filter(action="course.complete", changes__how=[None, "attendance"]).count() == 1


def test_an_absence_does_not_count_and_only_education_sessions_are_linked(scene):
    ann, bob = scene["founders"][:2]
    first, second, third, _fourth = scene["sessions"]
    for meeting in (first, second):
        meetings.record_attendance(meeting=meeting, people=[ann, bob], by=BY)
    meetings.record_attendance(meeting=third, people=[bob], by=BY, status="absent")
    assert status_of(bob).status == "in progress (2 of 3)"
    regular = meetings.schedule_meeting(unit=scene["elm"], title="Regular", start=dt.datetime(2026, 9, 29, 19), by=BY)
    with pytest.raises(ActionRefused, match="is a regular meeting, not an education session"):
        education.link_session(meeting=regular, course=scene["basics"], by=BY)


def test_statuses_expiring_soon_and_expired_from_the_completion_day():
    """Complete until 30 days before expiry, then expiring soon, expired on the expiry day."""
    done = [(dt.date(2026, 1, 15), dt.date(2027, 1, 15))]
    assert course_status(on=dt.date(2026, 12, 15), completed=done, pending=False, attended=0, required=None) == (
        "complete"
    )
    assert course_status(on=dt.date(2026, 12, 16), completed=done, pending=False, attended=0, required=None) == (
        "expiring soon"
    )
    assert course_status(on=dt.date(2027, 1, 15), completed=done, pending=False, attended=0, required=None) == (
        "expired"
    )
    assert course_status(on=dt.date(2027, 1, 15), completed=done, pending=True, attended=0, required=None) == (
        "pending review"
    )


def test_a_self_declared_completion_is_pending_until_an_officer_reviews_it(scene):
    ann = scene["founders"][1]
    declaration = education.declare_completion(person=ann, course=scene["basics"], on=dt.date(2026, 10, 1), by=BY)
    assert status_of(ann).status == "pending review"
    assert not CourseCompletion.objects.filter(person=ann).exists()
    with pytest.raises(ActionRefused, match="already pending review"):
        education.declare_completion(person=ann, course=scene["basics"], on=dt.date(2026, 10, 2), by=BY)
    education.review_declaration(declaration=declaration, accept=True, by=BY)
    row = status_of(ann)
    assert (row.status, row.completed_on) == ("complete", dt.date(2026, 10, 1))
    assert CourseCompletion.objects.get(person=ann).how == "reviewed"
    with pytest.raises(ActionRefused, match="already reviewed"):
        education.review_declaration(declaration=declaration, accept=False, by=BY)


def test_a_course_marked_by_a_post_only_by_its_holders_and_after_its_prerequisite(scene):
    org, elm, ann = scene["org"], scene["elm"], scene["founders"][2]
    advanced = people.add_course(
        organization=org,
        code="advanced",
        title="Advanced",
        marked_by="secretary",
        prerequisite=scene["basics"],
        by=BY,
    )
    secretary = builders.account(org, "sec@example.org", person=scene["founders"][0])
    organizer = builders.officer(org, elm, "organizer", "org@example.org")
    with pytest.raises(ActionRefused, match="course: advanced needs basics completed first"):
        people.record_completion(person=ann, course=advanced, on=dt.date(2026, 10, 1), by=secretary)
    people.record_completion(person=ann, course=scene["basics"], on=dt.date(2026, 9, 30), by=BY)
    with pytest.raises(ActionRefused, match="how: advanced is marked by the secretary"):
        people.record_completion(person=ann, course=advanced, on=dt.date(2026, 10, 1), by=organizer)
    done = people.record_completion(person=ann, course=advanced, on=dt.date(2026, 10, 1), by=secretary)
    assert done.how == "marked"
    with pytest.raises(ActionRefused, match="marked_by: 'pope' is not an officer post"):
        people.add_course(organization=org, code="x", title="X", marked_by="pope", by=BY)
    with pytest.raises(ActionRefused, match="sessions: attend k of n"):
        people.add_course(organization=org, code="x", title="X", sessions=(5, 4), by=BY)


def test_a_units_and_a_subtrees_share_of_members_complete_per_course(scene):
    org, elm, ann = scene["org"], scene["elm"], scene["founders"][0]
    oak = builders.founded_basic_unit(org, "Oak House", scene["district"])
    people.record_completion(person=ann, course=scene["basics"], on=dt.date(2026, 10, 1), by=BY)
    (own,) = education_share_of(Operator("t"), elm, on=dt.date(2026, 10, 2))
    assert (own.course, own.members, own.complete, round(own.share, 4)) == ("basics", 3, 1, 0.3333)
    (subtree,) = education_share_of(Operator("t"), scene["district"], on=dt.date(2026, 10, 2), subtree=True)
    assert (subtree.members, subtree.complete) == (6, 1)
    (before,) = education_share_of(Operator("t"), oak, on=dt.date(2026, 9, 30))
    assert (before.members, before.complete) == (3, 0)
    outsider = builders.officer(org, oak, "secretary", "oak@example.org", member_of=oak)
    assert education_share_of(outsider, elm, on=dt.date(2026, 10, 2)) == []


@pytest.fixture
def in_2027(monkeypatch):
    """Today is 2027-07-31, so the issue's 2027 dates are in the past."""
    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return real(value, timezone) if value is not None else dt.date(2027, 7, 31)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)


@pytest.fixture
def candidate(scene, in_2027):
    """A candidate of Elm House since 2027-01-10 who completed basics on 2027-05-02."""
    cara = builders.person(scene["org"], "Cara Candidate")
    people.join_unit(person=cara, unit=scene["elm"], status="candidate", on=dt.date(2027, 1, 10), by=BY)
    return cara


def test_the_gate_candidate_to_member_known_value(scene, candidate):
    """The issue's known value: six months as candidate from 2027-01-10, the course completed on
    2027-05-02: refused on 2027-07-09 naming the day, allowed on 2027-07-10."""
    with pytest.raises(ActionRefused) as refused:
        people.change_status(person=candidate, status="member", on=dt.date(2027, 4, 1), by=BY)
    assert refused.value.full_message == (
        "cannot change candidate to member: course basics not completed; six months as candidate reached on 2027-07-10"
    )
    assert refused.value.reasons == ["course basics not completed", "six months as candidate reached on 2027-07-10"]
    people.record_completion(person=candidate, course=scene["basics"], on=dt.date(2027, 5, 2), by=BY)
    with pytest.raises(ActionRefused, match=r"member: six months as candidate reached on 2027-07-10$"):
        people.change_status(person=candidate, status="member", on=dt.date(2027, 7, 9), by=BY)
    membership = people.change_status(person=candidate, status="member", on=dt.date(2027, 7, 10), by=BY)
    assert membership.status == "member"


def test_an_override_needs_a_carried_decision_of_the_next_body_up_and_a_reason(scene, candidate):
    district, elm = scene["district"], scene["elm"]
    own = meetings.schedule_meeting(unit=elm, title="Elm", start=dt.datetime(2026, 10, 1, 19), by=BY)
    own_decision = meetings.record_decision(meeting=own, text="Admit Cara", outcome="carried", by=BY)
    above = meetings.schedule_meeting(unit=district, title="North", start=dt.datetime(2026, 10, 2, 19), by=BY)
    decision = meetings.record_decision(meeting=above, text="Admit Cara now", outcome="carried", by=BY)
    on = dt.date(2027, 3, 1)
    with pytest.raises(ActionRefused, match="reason: say why"):
        people.change_status(person=candidate, status="member", on=on, override_decision=decision.pk, by=BY)
    with pytest.raises(ActionRefused, match=f"override_decision: no decision {own_decision.pk} of a meeting of North"):
        people.change_status(
            person=candidate, status="member", on=on, override_decision=own_decision.pk, reason="x", by=BY
        )
    membership = people.change_status(
        person=candidate, status="member", on=on, override_decision=decision.pk, reason="Led the rent strike", by=BY
    )
    assert membership.status == "member"
    record = AuditRecord.objects.filter(action="membership.status").latest("pk")
    assert {key: value[1] for key, value in record.changes.items() if key.startswith("overrid")} == {
        "override_decision": decision.pk,
        "override_meeting": above.pk,
        "override_reason": "Led the rent strike",
        "overridden": "course basics not completed; six months as candidate reached on 2027-07-10",
    }


def test_the_command_line_refuses_the_gate_and_prints_the_education(scene, candidate, capsys):
    people.record_completion(person=candidate, course=scene["basics"], on=dt.date(2027, 5, 2), by=BY)
    assert main(["member", "status", str(candidate.pk), "member", "--on", "2027-07-09"]) == 1
    assert "six months as candidate reached on 2027-07-10" in capsys.readouterr().err
    assert main(["member", "status", str(candidate.pk), "member", "--on", "2027-07-10"]) == 0
    capsys.readouterr()
    assert main(["education", str(candidate.pk), "--json", "--on", "2027-07-10"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {
            "course": "basics",
            "title": "Organizing basics",
            "programme": "foundations",
            "status": "complete",
            "completed_on": "2027-05-02",
            "expires_on": "2028-05-02",
            "attended": 0,
            "required": 3,
        }
    ]


def test_the_api_refuses_the_gate_and_reads_the_education_in_scope(scene, candidate, django_assert_max_num_queries):
    org = scene["org"]
    admin = builders.account(org, "admin@example.org", is_admin=True)
    token = create_api_token(user=admin, organization=org, name="t", by=BY)[1]
    client = Client(headers={"authorization": f"Bearer {token}"})
    base = f"/api/orgs/riverside/people/{candidate.pk}"
    refused = client.post(f"{base}/status", {"status": "member", "on": "2027-07-09"}, content_type="application/json")
    assert refused.status_code == 409
    assert "course basics not completed; six months as candidate reached on 2027-07-10" in refused.json()["detail"]
    with django_assert_max_num_queries(12):
        read = client.get(f"{base}/education?on=2027-07-09")
    assert read.status_code == 200
    assert [(row["course"], row["status"]) for row in read.json()] == [("basics", "not started")]
    with django_assert_max_num_queries(12):
        shares = client.get(f"/api/orgs/riverside/units/{scene['district'].slug}/education?subtree=true&on=2027-07-09")
    assert shares.json() == [
        {"course": "basics", "title": "Organizing basics", "members": 4, "complete": 0, "share": 0.0}
    ]
    oak = builders.founded_basic_unit(org, "Oak House", scene["district"])
    outsider = builders.officer(org, oak, "secretary", "oak@example.org", member_of=oak)
    other_token = create_api_token(user=outsider, organization=org, name="o", by=BY)[1]
    other = Client(headers={"authorization": f"Bearer {other_token}"})
    assert other.get(f"{base}/education").status_code == 404
    page = sign_in(Client(), admin)
    html = page.get(f"/o/riverside/people/{candidate.pk}/").content.decode()
    assert 'id="education"' in html and "Organizing basics" in html


def test_an_import_refuses_a_gated_status_change_on_its_row(scene, candidate, tmp_path):
    from grassroots.imports.actions import import_members

    Person = type(candidate)
    Person.objects.filter(pk=candidate.pk).update(email="cara@example.org")
    file = tmp_path / "members.csv"
    file.write_text(f"name,email,unit,status\nCara Candidate,cara@example.org,{scene['elm'].slug},member\n")
    result = import_members(organization=scene["org"], path=file, on_duplicate="update", by=BY)
    (rejection,) = result.rejections
    assert (rejection.line, rejection.column, rejection.value) == (2, "status", "member")
    assert rejection.reason.startswith("candidate to member is gated by the constitution")
    assert candidate.memberships.get().status == "candidate"


def test_the_page_refuses_the_gate_listing_every_requirement_and_takes_an_override(scene, candidate):
    from django.urls import reverse

    from tests.support.html import text

    org, district = scene["org"], scene["district"]
    admin = builders.account(org, "admin@example.org", is_admin=True)
    client = sign_in(Client(), admin)
    address = reverse("person_status", args=[org.slug, candidate.pk])
    refused = client.post(address, {"status": "member", "on": "2027-07-09"}, follow=True)
    # The page lists the reasons under the refusal, as it does the founding gate's.
    assert text(refused, "messages") == (
        "cannot change candidate to member course basics not completed six months as candidate reached on 2027-07-10"
    )
    above = meetings.schedule_meeting(unit=district, title="North", start=dt.datetime(2026, 10, 2, 19), by=BY)
    decision = meetings.record_decision(meeting=above, text="Admit Cara now", outcome="carried", by=BY)
    done = client.post(
        address,
        {"status": "member", "on": "2027-07-09", "override_decision": decision.pk, "reason": "Strike leader"},
        follow=True,
    )
    assert text(done, "messages") == "Cara Candidate's status is changed."
    assert candidate.memberships.get().status == "member"


def test_a_host_tap_at_the_third_session_completes_the_course(scene):
    """Attendance by the host link's tap credits the session like any other path."""
    ann = scene["founders"][0]
    first, second, third, _fourth = scene["sessions"]
    meetings.record_attendance(meeting=first, people=[ann], by=BY)
    meetings.record_attendance(meeting=second, people=[ann], by=BY)
    meetings.record_attendance(meeting=third, people=[ann], by=BY, status="invited")
    assert meetings.tap(meeting=third, person_id=ann.pk, present=True)
    assert CourseCompletion.objects.get(person=ann).completed_on == SESSIONS[2]


def test_completions_export_and_import_round_trip_with_every_bad_row_reported(scene, tmp_path, capsys):
    """Exported through the member files' writer, imported back into a fresh organization's
    people by email; a bad file is refused row by row and writes nothing unless --valid-rows."""
    from grassroots.imports.actions import export_completions, import_completions

    org, ann, bob = scene["org"], *scene["founders"][:2]
    people.record_completion(person=ann, course=scene["basics"], on=dt.date(2026, 10, 1), by=BY)
    Person = type(ann)
    Person.objects.filter(pk=ann.pk).update(email="ann@example.org")
    Person.objects.filter(pk=bob.pk).update(email="bob@example.org")
    exported = tmp_path / "completions.csv"
    assert main(["export", "completions", "--org", "riverside", "-o", str(exported)]) == 0
    lines = exported.read_text(encoding="utf-8-sig").splitlines()
    assert lines == [
        "person_id,name,email,course,completed_on,how,expires_on",
        f"{ann.pk},{ann.name},ann@example.org,basics,2026-10-01,marked,2027-10-01",
    ]
    CourseCompletion.objects.all().delete()
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "email,course,completed_on\n"
        "ann@example.org,basics,2026-10-01\n"
        "nobody@example.org,basics,2026-10-01\n"
        "bob@example.org,cooking,2026-10-01\n"
        "bob@example.org,basics,1 Oct\n"
    )
    result = import_completions(organization=org, by=BY, path=bad)
    assert [(r.line, r.column, r.reason) for r in result.rejections] == [
        (3, "email", "no such person among those you may import"),
        (4, "course", "no course with this code"),
        (5, "completed_on", "not a date (YYYY-MM-DD)"),
    ]
    assert (result.written, CourseCompletion.objects.count()) == (False, 0)
    assert main(["import", "completions", str(bad), "--org", "riverside", "--valid-rows"]) == 0
    assert "1 completions imported, 3 rows rejected." in capsys.readouterr().out
    done = CourseCompletion.objects.get()
    assert (done.person_id, done.how, done.completed_on, done.expires_on) == (
        ann.pk,
        "imported",
        dt.date(2026, 10, 1),
        dt.date(2027, 10, 1),
    )
    oak = builders.founded_basic_unit(org, "Oak House", scene["district"])
    outsider = builders.officer(org, oak, "secretary", "oak@example.org", member_of=oak)
    assert export_completions(organization=org, by=outsider, path=tmp_path / "theirs.csv") == 0
    again = import_completions(organization=org, by=outsider, path=bad)
    assert again.rejections[0].reason == "no such person among those you may import"


def test_a_merge_moves_declarations_and_the_subject_access_export_lists_them(scene):
    ann, bob = scene["founders"][:2]
    twin = builders.person(scene["org"], ann.name)
    education.declare_completion(person=twin, course=scene["basics"], on=dt.date(2026, 10, 1), by=BY)
    merge_people(keep=ann, other=twin, by=BY)
    assert status_of(ann).status == "pending review"
    record = people.export_person_record(person=ann, by=BY)
    assert record["course_declarations"] == [
        {
            "course": "basics",
            "completed_on": "2026-10-01",
            "declared_at": record["course_declarations"][0]["declared_at"],
            "accepted": None,
            "review_reason": "",
        }
    ]


def test_the_command_line_declares_programmes_rules_sessions_and_reviews(scene, capsys):
    org, elm, bob = scene["org"], scene["elm"], scene["founders"][1]
    assert main(["course", "programme", "riverside", "advanced-track", "--title", "Advanced track"]) == 0
    assert (
        main(
            [
                "course",
                "add",
                "riverside",
                "strategy",
                "--title",
                "Strategy",
                "--programme",
                "advanced-track",
                "--sessions",
                "2/3",
                "--marked-by",
                "secretary",
                "--prerequisite",
                "basics",
                "--valid-months",
                "24",
            ]
        )
        == 0
    )
    assert main(["course", "add", "riverside", "x", "--title", "X", "--sessions", "two"]) != 0
    assert "--sessions: 'two' is not K/N" in capsys.readouterr().err
    strategy = org.courses.get(code="strategy")
    assert (strategy.programme.code, strategy.sessions_required, strategy.sessions_total) == ("advanced-track", 2, 3)
    assert (strategy.marked_by, strategy.prerequisite.code, strategy.valid_months) == ("secretary", "basics", 24)
    meeting = meetings.schedule_meeting(
        unit=elm, title="Strategy 1", start=dt.datetime(2026, 10, 6, 19), kind="education", by=BY
    )
    assert main(["course", "session", str(meeting.pk), "strategy"]) == 0
    meeting.refresh_from_db()
    assert meeting.course == strategy
    assert main(["course", "declare", "basics", str(bob.pk), "--on", "2026-10-01"]) == 0
    declaration = bob.declarations.get()
    assert main(["course", "review", str(declaration.pk), "--decline"]) != 0
    assert "reason: say why the declaration is declined" in capsys.readouterr().err
    assert main(["course", "review", str(declaration.pk), "--decline", "--reason", "No such session"]) == 0
    declaration.refresh_from_db()
    assert (declaration.accepted, declaration.review_reason) == (False, "No such session")
    assert status_of(bob).status == "not started"


def test_a_subtrees_share_today_reads_the_counts_and_agrees_with_the_memberships(scene):
    """Today, a subtree's share is read from its member counts and the completions (a body over a
    million members reads it in milliseconds): the same figures as from the memberships."""
    from grassroots.education.selectors import _share_from_memberships  # the same figures, the long way
    from grassroots.health.selectors.snapshots import today_of

    org, district = scene["org"], scene["district"]
    today = today_of(org)
    ann, bob, cleo = scene["founders"]
    oak = builders.founded_basic_unit(org, "Oak House", district)
    south = builders.unit(org, "district", "South", district.parent)
    pine = builders.founded_basic_unit(org, "Pine House", south)
    people.record_completion(person=ann, course=scene["basics"], on=today - dt.timedelta(days=3), by=BY)
    # Expired: completed 13 months ago, valid 12.
    people.record_completion(person=bob, course=scene["basics"], on=today - dt.timedelta(days=400), by=BY)
    # A completion, then no longer a counted member (lapsed): counted in neither figure.
    people.record_completion(person=cleo, course=scene["basics"], on=today - dt.timedelta(days=2), by=BY)
    people.change_status(person=cleo, status="lapsed", by=BY)
    oak_member = oak.memberships.order_by("pk").first().person
    people.record_completion(person=oak_member, course=scene["basics"], on=today, by=BY)
    # Outside the district: not counted.
    pine_member = pine.memberships.order_by("pk").first().person
    people.record_completion(person=pine_member, course=scene["basics"], on=today, by=BY)

    (share,) = education_share_of(Operator("t"), district, on=today, subtree=True)
    assert (share.members, share.complete) == (5, 2)  # Elm's two counted and Oak's three; Ann and Oak's one
    counted = org.constitution.member_statuses.counted
    assert [share] == _share_from_memberships(district, counted, today, subtree=True)
    (everyone,) = education_share_of(Operator("t"), district.parent, on=today, subtree=True)
    assert (everyone.members, everyone.complete) == (8, 3)
    assert [everyone] == _share_from_memberships(district.parent, counted, today, subtree=True)
