"""Member education on the web: a person's education page (status per course, their declarations,
marking a completion), a unit's queue of declarations awaiting review with accept and decline
(a reason required to decline), and choosing the course of an education session on its page.
Scope: a person or unit out of reach is a 404, a change out of one's rights a 403, and neither
changes anything."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone

from grassroots.audit.models import AuditRecord
from grassroots.constitution import load_constitution_text
from grassroots.education import actions as education
from grassroots.meetings import actions as meetings
from grassroots.organizations import actions as units
from grassroots.people import actions as people
from grassroots.people.models import CourseCompletion
from tests.support import builders
from tests.support.sessions import sign_in

pytestmark = pytest.mark.django_db
BY = "test"
TODAY = timezone.localdate()
DAY = TODAY - dt.timedelta(days=20)


@pytest.fixture
def scene():
    """Elm House (3 founders) and Oak House under North; the course basics ("attend 3 of 4
    sessions", valid 12 months) and a course first-aid marked by any officer; the secretary of
    North, the secretary of Oak House (who may not see Elm House) and an administrator."""
    org = units.create_organization(
        slug="riverside", name="Riverside", constitution_yaml=load_constitution_text("tenants_federation"), by=BY
    )
    district = builders.unit(org, "district", "North", builders.unit(org, "federation", "Federation"))
    elm = builders.founded_basic_unit(org, "Elm House", district)
    oak = builders.founded_basic_unit(org, "Oak House", district)
    basics = people.add_course(
        organization=org, code="basics", title="Organizing basics", valid_months=12, sessions=(3, 4), by=BY
    )
    first_aid = people.add_course(organization=org, code="first-aid", title="First aid", by=BY)
    return {
        "org": org,
        "district": district,
        "elm": elm,
        "oak": oak,
        "founders": [membership.person for membership in elm.memberships.order_by("pk")],
        "basics": basics,
        "first_aid": first_aid,
        "north": sign_in(Client(), builders.officer(org, district, "secretary", "north@example.org", member_of=elm)),
        "oak_secretary": sign_in(Client(), builders.officer(org, oak, "secretary", "oak@example.org")),
        "admin": sign_in(Client(), builders.account(org, "admin@example.org", is_admin=True)),
    }


def flashed(response) -> str:
    """The message the request flashed (the last one: earlier unread ones wait in the session)."""
    return [str(message) for message in get_messages(response.wsgi_request)][-1]


def statuses(client, person) -> dict[str, str]:
    response = client.get(f"/o/riverside/people/{person.pk}/education/")
    assert response.status_code == 200
    return {row.course: row.status for row in response.context["education"]}


def test_a_persons_education_page_shows_each_course_with_its_status(scene):
    ann, bob = scene["founders"][:2]
    session = meetings.schedule_meeting(
        unit=scene["elm"], title="Basics 1", start=dt.datetime.combine(DAY, dt.time(19)), kind="education", by=BY
    )
    education.link_session(meeting=session, course=scene["basics"], by=BY)
    meetings.record_attendance(meeting=session, people=[ann], by=BY)
    education.declare_completion(person=ann, course=scene["first_aid"], on=DAY, by=BY)
    people.record_completion(person=bob, course=scene["first_aid"], on=TODAY - dt.timedelta(days=400), by=BY)
    assert statuses(scene["north"], ann) == {"basics": "in progress (1 of 3)", "first-aid": "pending review"}
    assert statuses(scene["north"], bob) == {"basics": "not started", "first-aid": "complete"}
    html = scene["north"].get(f"/o/riverside/people/{ann.pk}/education/").content.decode()
    assert "in progress (1 of 3)" in html and 'id="mark-completion"' in html
    assert 'name="decision" value="decline"' in html  # the pending declaration's review
    # The person's page links its education tab.
    assert (
        f"/o/riverside/people/{ann.pk}/education/"
        in scene["north"].get(f"/o/riverside/people/{ann.pk}/").content.decode()
    )
    # Oak House's secretary does not see Elm House's people: their education is absent, not forbidden.
    assert scene["oak_secretary"].get(f"/o/riverside/people/{ann.pk}/education/").status_code == 404


def test_an_officer_marks_a_completion_and_a_bad_one_names_its_field(scene):
    ann = scene["founders"][0]
    url = f"/o/riverside/people/{ann.pk}/education/"
    missing = scene["north"].post(url, {"on": TODAY.isoformat()})
    assert missing.status_code == 200
    assert missing.context["form"].errors == {"course": ["This field is required."]}
    future = (TODAY + dt.timedelta(days=2)).isoformat()
    refused = scene["north"].post(url, {"course": "first-aid", "on": future})
    assert "is in the future" in refused.context["form"].errors["on"][0]
    unknown = scene["north"].post(url, {"course": "no-such", "on": TODAY.isoformat()})
    assert "course" in unknown.context["form"].errors
    assert not CourseCompletion.objects.filter(person=ann).exists()

    done = scene["north"].post(url, {"course": "first-aid", "on": DAY.isoformat()})
    assert done.status_code == 302 and done["Location"] == url
    completion = CourseCompletion.objects.get(person=ann)
    assert (completion.course.code, completion.completed_on, completion.how) == ("first-aid", DAY, "marked")
    assert AuditRecord.objects.filter(action="course.complete", target_id=str(completion.pk)).exists()
    assert statuses(scene["north"], ann)["first-aid"] == "complete"
    # Oak House's secretary may not reach Elm House's people: 404, nothing written.
    assert scene["oak_secretary"].post(url, {"course": "basics", "on": DAY.isoformat()}).status_code == 404
    assert CourseCompletion.objects.filter(person=ann).count() == 1


def test_the_review_queue_accepts_and_declines_with_a_reason(scene, django_assert_max_num_queries):
    ann, bob, _cat = scene["founders"]
    oak_member = builders.members(scene["org"], scene["oak"], 1)[0]
    for person in (ann, bob, oak_member):
        education.declare_completion(person=person, course=scene["first_aid"], on=DAY, by=BY)
    queue = f"/o/riverside/u/{scene['district'].slug}/education/reviews/"
    with django_assert_max_num_queries(10):  # as many with 1 or 9 in the queue
        listed = scene["north"].get(queue)
    assert [row[0].person.name for row in listed.context["rows"]] == [ann.name, bob.name, oak_member.name]
    assert listed.context["total"] == 3
    # Elm House's queue holds Elm House's people only.
    elm_queue = scene["north"].get(f"/o/riverside/u/{scene['elm'].slug}/education/reviews/")
    assert [row[0].person.name for row in elm_queue.context["rows"]] == [ann.name, bob.name]
    # Oak House's secretary sees Oak's queue, with Oak's member alone; Elm House's is absent.
    oak_queue = scene["oak_secretary"].get(f"/o/riverside/u/{scene['oak'].slug}/education/reviews/")
    assert [row[0].person.name for row in oak_queue.context["rows"]] == [oak_member.name]
    assert scene["oak_secretary"].get(f"/o/riverside/u/{scene['elm'].slug}/education/reviews/").status_code == 404

    ann_declaration, bob_declaration = ann.declarations.get(), bob.declarations.get()
    review = f"/o/riverside/people/{ann.pk}/education/review/"
    accepted = scene["north"].post(review, {"declaration": ann_declaration.pk, "decision": "accept", "next": queue})
    assert accepted["Location"] == queue
    assert flashed(accepted) == f"{ann.name}'s declaration of First aid is accepted."
    completion = CourseCompletion.objects.get(person=ann)
    assert (completion.completed_on, completion.how) == (DAY, "reviewed")
    assert statuses(scene["north"], ann)["first-aid"] == "complete"

    review = f"/o/riverside/people/{bob.pk}/education/review/"
    bare = scene["north"].post(review, {"declaration": bob_declaration.pk, "decision": "decline", "next": queue})
    assert flashed(bare) == "reason: say why the declaration is declined"
    bob_declaration.refresh_from_db()
    assert bob_declaration.reviewed_at is None
    # Ann's declaration through Bob's address: not his, so not found.
    stray = scene["north"].post(review, {"declaration": ann_declaration.pk, "decision": "decline", "reason": "x"})
    assert flashed(stray) == f"Declaration: {bob.name} has no declaration {ann_declaration.pk} pending review."
    declined = scene["north"].post(
        review, {"declaration": bob_declaration.pk, "decision": "decline", "reason": "No such course that day"}
    )
    bob_declaration.refresh_from_db()
    assert (bob_declaration.accepted, bob_declaration.review_reason) == (False, "No such course that day")
    assert declined["Location"] == f"/o/riverside/people/{bob.pk}/education/"
    record = AuditRecord.objects.get(action="course.review", target_id=str(bob_declaration.pk))
    assert record.changes == {"accepted": [None, False], "reason": [None, "No such course that day"]}
    assert not CourseCompletion.objects.filter(person=bob).exists()
    assert [row[0].person.name for row in scene["north"].get(queue).context["rows"]] == [oak_member.name]
    assert "No such course that day" in scene["north"].get(f"/o/riverside/people/{bob.pk}/education/").content.decode()


def test_a_review_out_of_scope_or_rights_changes_nothing(scene):
    ann, bob = scene["founders"][:2]  # Ann is Elm House's secretary, Bob a member
    declaration = education.declare_completion(person=bob, course=scene["first_aid"], on=DAY, by=BY)
    review = f"/o/riverside/people/{bob.pk}/education/review/"
    data = {"declaration": declaration.pk, "decision": "accept"}
    assert scene["oak_secretary"].post(review, data).status_code == 404
    # A member sees their own record but may not review their own declaration (403, before the form).
    own = sign_in(Client(), builders.account(scene["org"], "bob@example.org", person=bob))
    assert own.post(review, data).status_code == 403
    assert own.get(f"/o/riverside/people/{bob.pk}/education/").status_code == 200
    assert own.post(f"/o/riverside/people/{bob.pk}/education/", {"course": "basics", "on": DAY}).status_code == 403
    # An officer who may change their own record still may not review their own declaration.
    secretary = sign_in(Client(), builders.account(scene["org"], "ann@example.org", person=ann))
    mine = education.declare_completion(person=ann, course=scene["first_aid"], on=DAY, by=BY)
    refused = secretary.post(
        f"/o/riverside/people/{ann.pk}/education/review/", {"declaration": mine.pk, "decision": "accept"}
    )
    assert flashed(refused) == "you may not review your own declaration"
    # The next address is a path of this site, never another site.
    elsewhere = scene["north"].post(review, {**data, "decision": "decline", "next": "https://evil.example/"})
    assert elsewhere["Location"] == f"/o/riverside/people/{bob.pk}/education/"
    for pending in (declaration, mine):
        pending.refresh_from_db()
        assert pending.reviewed_at is None
    assert not CourseCompletion.objects.filter(person__in=[ann, bob]).exists()


def test_an_education_session_is_given_its_course_on_its_page(scene):
    ann = scene["founders"][0]
    start = dt.datetime.combine(DAY, dt.time(19))
    session = meetings.schedule_meeting(unit=scene["elm"], title="Basics 1", start=start, kind="education", by=BY)
    meetings.record_attendance(meeting=session, people=[ann], by=BY)
    page = scene["north"].get(f"/o/riverside/meetings/{session.pk}/").content.decode()
    assert 'id="session-course-form"' in page and "none chosen" in page
    url = f"/o/riverside/meetings/{session.pk}/course/"
    unknown = scene["north"].post(url, {"course": "no-such"})
    assert flashed(unknown).startswith("Session of the course: Select a valid choice.")
    linked = scene["north"].post(url, {"course": "basics"})
    assert flashed(linked) == "The meeting is a session of Organizing basics."
    session.refresh_from_db()
    assert session.course == scene["basics"]
    # The attendance recorded before the link counts toward the course's rule.
    assert statuses(scene["north"], ann)["basics"] == "in progress (1 of 3)"
    assert "Organizing basics (basics)" in scene["north"].get(f"/o/riverside/meetings/{session.pk}/").content.decode()
    # Oak House's secretary does not see Elm House's meetings: absent, unchanged.
    assert scene["oak_secretary"].post(url, {"course": ""}).status_code == 404
    session.refresh_from_db()
    assert session.course == scene["basics"]
    # A meeting of another kind is refused by name.
    regular = meetings.schedule_meeting(unit=scene["elm"], title="Monthly", start=start, by=BY)
    refused = scene["north"].post(f"/o/riverside/meetings/{regular.pk}/course/", {"course": "basics"})
    assert "not an education session" in flashed(refused)
    assert "session-course-form" not in scene["north"].get(f"/o/riverside/meetings/{regular.pk}/").content.decode()
    unlinked = scene["north"].post(url, {"course": ""})
    assert flashed(unlinked) == "The meeting is a session of no course."
    session.refresh_from_db()
    assert session.course is None
