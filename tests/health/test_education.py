"""Member education: courses of an organization, completions per person with their day and
expiry, the education share indicator measured from them as of a day; the command line and the
API, in scope, audited."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from grassroots.accounts.actions import create_api_token
from grassroots.audit.models import AuditRecord
from grassroots.cli import main
from grassroots.errors import ActionRefused
from grassroots.health.selectors import health_of, health_of_units
from grassroots.people import actions as people
from grassroots.people.merging import merge_people
from grassroots.people.models import CourseCompletion
from tests.support import builders

from .test_health import NO_STANDING, organization, result_of

pytestmark = pytest.mark.django_db
BY = "test"
ON = dt.date(2024, 4, 30)
WITH_EDUCATION = NO_STANDING.replace(
    "      - coverage: {threshold: 0.1, required: false}\n",
    "      - coverage: {threshold: 0.1, required: false}\n"
    "      - education_share: {courses: [basics, history], threshold: 0.5, required: false}\n",
)


@pytest.fixture
def scene():
    """Elm House with 3 founders and 7 more members (10); the courses basics (valid 12 months)
    and history (for good)."""
    org = organization(WITH_EDUCATION)
    district = builders.unit(org, "district", "North", builders.unit(org, "federation", "Federation"))
    elm = builders.founded_basic_unit(org, "Elm House", district)
    members = [membership.person for membership in elm.memberships.order_by("pk")]
    members += builders.members(org, elm, 7)
    basics = people.add_course(organization=org, code="basics", title="Organizing basics", valid_months=12, by=BY)
    history = people.add_course(organization=org, code="history", title="Our history", by=BY)
    return {"org": org, "district": district, "elm": elm, "members": members, "basics": basics, "history": history}


def test_a_completion_is_dated_audited_and_expires_after_the_course_validity(scene):
    ann = scene["members"][0]
    done = people.record_completion(person=ann, course=scene["basics"], on=dt.date(2024, 1, 31), by=BY)
    assert (done.completed_on, done.expires_on, done.how) == (dt.date(2024, 1, 31), dt.date(2025, 1, 31), "marked")
    leap = people.record_completion(person=ann, course=scene["basics"], on=dt.date(2024, 2, 29), by=BY)
    assert leap.expires_on == dt.date(2025, 2, 28)
    forever = people.record_completion(person=ann, course=scene["history"], on=dt.date(2024, 2, 1), by=BY)
    assert forever.expires_on is None
    record = AuditRecord.objects.filter(action="course.complete").order_by("pk").first()
    assert record.changes == {"course": [None, "basics"], "completed_on": [None, "2024-01-31"], "how": [None, "marked"]}
    assert AuditRecord.objects.filter(action="course.add").count() == 2


def test_bad_courses_and_completions_are_refused_naming_the_field(scene):
    org, ann = scene["org"], scene["members"][0]
    with pytest.raises(ActionRefused, match="code: riverside already has a course 'basics'"):
        people.add_course(organization=org, code="basics", title="Again", by=BY)
    with pytest.raises(ActionRefused, match="code: letters, digits"):
        people.add_course(organization=org, code="two words", title="T", by=BY)
    with pytest.raises(ActionRefused, match="title: say what"):
        people.add_course(organization=org, code="x", title="  ", by=BY)
    with pytest.raises(ActionRefused, match="valid_months: from 1 to 600"):
        people.add_course(organization=org, code="x", title="X", valid_months=0, by=BY)
    people.record_completion(person=ann, course=scene["basics"], on=dt.date(2024, 3, 1), by=BY)
    with pytest.raises(ActionRefused, match="already completed basics on 2024-03-01"):
        people.record_completion(person=ann, course=scene["basics"], on=dt.date(2024, 3, 1), by=BY)
    with pytest.raises(ActionRefused, match="how: one of attendance, marked, reviewed, imported"):
        people.record_completion(person=ann, course=scene["basics"], on=dt.date(2024, 3, 2), how="graded", by=BY)
    with pytest.raises(ActionRefused, match="in the future"):
        people.record_completion(person=ann, course=scene["basics"], on=dt.date.today() + dt.timedelta(days=1), by=BY)
    other = organization(NO_STANDING, slug="hillside")
    stranger = builders.person(other, "Stranger")
    with pytest.raises(ActionRefused, match="course: no course 'basics' in this organization"):
        people.record_completion(person=stranger, course=scene["basics"], on=dt.date(2024, 3, 1), by=BY)
    assert CourseCompletion.objects.count() == 1


def test_completions_are_in_the_subject_access_export_and_move_with_a_merge(scene):
    ann, basics, history = scene["members"][0], scene["basics"], scene["history"]
    people.record_completion(person=ann, course=basics, on=dt.date(2024, 2, 1), by=BY)
    record = people.export_person_record(person=ann, by=BY)
    assert record["course_completions"] == [
        {"course": "basics", "completed_on": "2024-02-01", "how": "marked", "expires_on": "2025-02-01"}
    ]
    assert "course.complete" in [row["action"] for row in record["audit_records"]]
    twin = builders.person(scene["org"], "Ann Again")
    same = people.record_completion(person=twin, course=basics, on=dt.date(2024, 2, 1), by=BY)  # the same, twice
    moved = people.record_completion(person=twin, course=history, on=dt.date(2024, 3, 1), by=BY, how="reviewed")
    twin_pk = twin.pk
    merge_people(keep=ann, other=twin, by=BY)
    assert sorted(ann.completions.values_list("course__code", "completed_on", "how")) == [
        ("basics", dt.date(2024, 2, 1), "marked"),
        ("history", dt.date(2024, 3, 1), "reviewed"),
    ]
    merge = AuditRecord.objects.get(action="person.merge")
    assert merge.changes["course_completions"] == [None, [moved.pk]]
    (dropped,) = merge.changes["course_completions_dropped"][0]
    assert (dropped["id"], dropped["person_id"], dropped["completed_on"]) == (same.pk, twin_pk, "2024-02-01")


def test_education_share_from_completions_as_of_a_day(scene):
    members, basics, history = scene["members"], scene["basics"], scene["history"]
    # 6 of 10 complete both courses; basics is valid 12 months, so a completion of 2023-05-01
    # counts on 2024-04-30 but no longer on 2024-05-01.
    for person in members[:5]:
        people.record_completion(person=person, course=basics, on=dt.date(2024, 2, 1), by=BY)
        people.record_completion(person=person, course=history, on=dt.date(2024, 3, 1), by=BY)
    people.record_completion(person=members[5], course=basics, on=dt.date(2023, 5, 1), by=BY)
    people.record_completion(person=members[5], course=history, on=dt.date(2024, 3, 1), by=BY)
    people.record_completion(person=members[6], course=basics, on=dt.date(2024, 2, 1), by=BY)  # no history
    share = result_of(health_of(BY, scene["elm"], on=ON), "education_share")
    assert (share.value, share.passed) == (0.6, True)
    assert share.actual == "6 of 10 members completed basics, history: 60.0 %"
    later = result_of(health_of(BY, scene["elm"], on=dt.date(2024, 5, 1)), "education_share")
    assert later.value == 0.5 and later.actual == "5 of 10 members completed basics, history: 50.0 %"
    before = result_of(health_of(BY, scene["elm"], on=dt.date(2024, 2, 15)), "education_share")
    assert (before.value, before.passed) == (0, False)  # history was completed in March
    assert before.missing == "0.0 %, at least 50.0 % needed"


def test_education_share_in_a_fixed_number_of_queries(scene, django_assert_max_num_queries):
    org, district = scene["org"], scene["district"]
    others = [builders.founded_basic_unit(org, f"Committee {n}", district) for n in range(3)]
    for other in others:
        for membership in other.memberships.all():
            people.record_completion(person=membership.person, course=scene["basics"], on=dt.date(2024, 2, 1), by=BY)
            people.record_completion(person=membership.person, course=scene["history"], on=dt.date(2024, 2, 1), by=BY)
    every = [scene["elm"], *others]
    for unit in every:
        unit.organization = org
    with django_assert_max_num_queries(8):
        health = health_of_units(every, on=ON)
    assert [result_of(health[unit.pk], "education_share").value for unit in every] == [0, 1, 1, 1]


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_command_line_adds_a_course_and_records_completions(scene, capsys):
    ann = scene["members"][0]
    code, out, err = run(
        capsys, "course", "add", "riverside", "rights", "--title", "Tenants' rights", "--valid-months", "24"
    )
    assert code == 0, err
    assert "Course rights added: Tenants' rights." in out
    code, out, err = run(capsys, "course", "complete", "rights", str(ann.pk), "--on", "2024-03-05")
    assert code == 0, err
    assert f"{ann.name} completed rights on 2024-03-05." in out
    code, out, _err = run(capsys, "course", "completions", str(ann.pk), "--json")
    assert json.loads(out) == [
        {
            "course": "rights",
            "title": "Tenants' rights",
            "completed_on": "2024-03-05",
            "how": "marked",
            "expires_on": "2026-03-05",
        }
    ]
    code, _out, err = run(capsys, "course", "complete", "nonesuch", str(ann.pk))
    assert code == 1 and "no course 'nonesuch' in riverside" in err
    code, _out, err = run(capsys, "course", "complete", "rights", str(ann.pk), "--on", "2024-03-05")
    assert code == 1 and "already completed rights on 2024-03-05" in err


def client_for(user) -> Client:
    _record, token = create_api_token(user=user, organization=user.accounts.get().organization, by=BY)
    return Client(headers={"Authorization": f"Bearer {token}"})


def test_the_api_lists_and_records_completions_in_scope(scene):
    org, ann = scene["org"], scene["members"][1]
    path = f"/api/orgs/riverside/people/{ann.pk}/completions"
    staff = client_for(builders.account(org, "staff@example.org", is_admin=True))
    response = staff.post(path, {"course": "basics", "on": "2024-02-01"}, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json() == {
        "id": response.json()["id"],
        "course": "basics",
        "course_title": "Organizing basics",
        "completed_on": "2024-02-01",
        "how": "marked",
        "expires_on": "2025-02-01",
    }
    assert staff.post(path, {"course": "nonesuch"}, content_type="application/json").status_code == 404
    again = staff.post(path, {"course": "basics", "on": "2024-02-01"}, content_type="application/json")
    assert again.status_code == 409
    listed = staff.get(path).json()
    assert [(row["course"], row["completed_on"]) for row in listed["items"]] == [("basics", "2024-02-01")]
    # The person sees their own; the secretary of another committee does not see them at all.
    own = client_for(builders.account(org, "ann@example.org", person=ann))
    assert own.get(path).status_code == 200
    oak = builders.founded_basic_unit(org, "Oak Court", scene["district"])
    outsider = client_for(builders.account(org, "oak@example.org", person=oak.posts.get(post="secretary").person))
    assert outsider.get(path).status_code == 404
    refused = outsider.post(path, {"course": "history"}, content_type="application/json")
    assert refused.status_code == 404
    assert CourseCompletion.objects.count() == 1
