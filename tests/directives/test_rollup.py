"""Directives issued to the units of a subtree, and their roll-up with the issue's known values."""

from __future__ import annotations

import datetime as dt
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from grassroots.directives import actions
from grassroots.directives.models import Assignment
from grassroots.directives.selectors import committee_rollup, rollup
from grassroots.errors import ActionRefused
from tests.support import builders
from tests.support.directives import DUE, all_committees, region
from tests.support.sessions import sign_in

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")
LEAFLETS = [{"name": "Leaflets distributed", "type": "number", "required": True}]


def _issue(scene, **extra):
    directive = actions.create_directive(
        issuer=scene.top, title="Rent strike leaflets", due=DUE, by="test", target_kind="building_committee", **extra
    )
    actions.issue_directive(directive=directive, by="test")
    return directive


def _assignment(directive, unit):
    return Assignment.objects.select_related("unit", "directive").get(directive=directive, unit=unit)


def test_region_to_twelve_committees_nine_done_one_declined_two_pending(django_assert_num_queries):
    """The issue's check: 12 assignments; 9 done, 1 declined, 2 pending show 9 of 12 (75 %);
    a district whose 4 are done shows 100 %."""
    scene = region(secretaries=False)
    directive = _issue(scene)
    assert Assignment.objects.filter(directive=directive).count() == 12
    committees = all_committees(scene)
    for unit in committees[:9]:
        actions.set_assignment_status(assignment=_assignment(directive, unit), status="done", by="test")
    actions.set_assignment_status(
        assignment=_assignment(directive, committees[9]), status="declined", reason="no volunteers", by="test"
    )
    with django_assert_num_queries(1):
        top = rollup(directive)
    assert (top["targets"], top["done"], top["declined"], top["pending"]) == (12, 9, 1, 2)
    assert top["completion"] == 0.75
    first = rollup(directive, unit=scene.districts[0])
    assert (first["targets"], first["done"], first["completion"]) == (4, 4, 1.0)
    third = rollup(directive, unit=scene.districts[2])
    assert (third["done"], third["declined"], third["pending"], third["completion"]) == (1, 1, 2, 0.25)
    with django_assert_num_queries(1):
        table = committee_rollup(directive)
    assert [(row["unit"], row["done"], row["targets"], row["completion"]) for row in table] == [
        ("region", 9, 12, 0.75),
        ("district-1", 4, 4, 1.0),
        ("district-2", 4, 4, 1.0),
        ("district-3", 1, 4, 0.25),
    ]
    part = committee_rollup(directive, unit=scene.districts[2])
    assert [(row["unit"], row["done"], row["declined"], row["pending"]) for row in part] == [("district-3", 1, 1, 2)]


def test_leaflets_reported_by_three_of_four_units_sum_to_200():
    """The issue's check: 120, 80 and 0 reported by three of a district's four units: the district
    shows 200, reported by 3 of 4 (mean 66.67); the region the same, of 12."""
    scene = region(secretaries=False)
    directive = _issue(scene, kind="report", form={"fields": LEAFLETS}["fields"])
    district = scene.districts[0]
    for unit, count in zip(scene.committees[district.slug][:3], ["120", "80", "0"], strict=True):
        actions.submit_report(
            assignment=_assignment(directive, unit), values={"Leaflets distributed": count}, by="test"
        )
    figures = rollup(directive, unit=district)["fields"]["Leaflets distributed"]
    assert figures == {"sum": 200, "mean": 66.666667, "reported": 3, "of": 4}
    assert rollup(directive)["fields"]["Leaflets distributed"]["of"] == 12
    rows = {row["unit"]: row for row in committee_rollup(directive)}
    assert rows["district-1"]["fields"]["Leaflets distributed"] == figures
    assert rows["district-2"]["fields"]["Leaflets distributed"] == {"sum": 0, "mean": None, "reported": 0, "of": 4}
    # A new revision replaces the unit's figure: the latest counts, every revision is kept.
    first = scene.committees[district.slug][0]
    report = actions.submit_report(
        assignment=_assignment(directive, first), values={"Leaflets distributed": "150"}, by="test"
    )
    assert report.revision == 2 and _assignment(directive, first).reports.count() == 2
    assert rollup(directive, unit=district)["fields"]["Leaflets distributed"]["sum"] == 230


def test_due_at_23_59_berlin_is_overdue_at_midnight_local_time():
    scene = region(secretaries=False)
    directive = _issue(scene)
    assert directive.due == dt.datetime(2027, 5, 1, 23, 59, tzinfo=BERLIN)
    assert rollup(directive, now=dt.datetime(2027, 5, 1, 23, 59, tzinfo=BERLIN))["overdue"] == 0
    assert rollup(directive, now=dt.datetime(2027, 5, 2, 0, 0, tzinfo=BERLIN))["overdue"] == 12
    actions.set_assignment_status(assignment=_assignment(directive, all_committees(scene)[0]), status="done", by="t")
    assert rollup(directive, now=dt.datetime(2027, 5, 2, 0, 0, tzinfo=BERLIN))["overdue"] == 11


def test_refusals_name_the_field_and_write_nothing():
    scene = region(secretaries=False)
    other = scene.committees[scene.districts[1].slug][0]

    def refused(**arguments):
        with pytest.raises(ActionRefused) as refusal:
            actions.create_directive(**{"issuer": scene.districts[0], "title": "T", "due": DUE, "by": "t"} | arguments)
        return refusal.value

    assert refused(targets=[other]).field == "targets"
    assert "not in the subtree of District 1" in refused(targets=[other]).message
    assert refused(target_kind="planet").field == "targets_kind"
    assert refused(due=dt.datetime(2020, 1, 1, 12, 0), target_kind="building_committee").field == "due"
    assert refused(due=dt.datetime(2027, 3, 28, 2, 30), target_kind="building_committee").field == "due"
    assert refused(title=" ", target_kind="building_committee").field == "title"
    assert refused(title="Leaflets\nSubject: spam", target_kind="building_committee").message == (
        "title: one line, without line breaks or control characters (found U+000A)"
    )
    bad_form = refused(target_kind="building_committee", form=[{"name": "colour", "type": "colr"}])
    assert bad_form.message == "form field 'colour': type 'colr' is not one of number, text, choice, date, file"
    no_choices = refused(target_kind="building_committee", form=[{"name": "size", "type": "choice"}])
    assert no_choices.message == "form field 'size': a choice field needs a list of choices (text)"
    directive = _issue(scene, form=[*LEAFLETS, {"name": "when", "type": "date"}])
    assignment = _assignment(directive, all_committees(scene)[0])
    for values, field, words in [
        ({}, "Leaflets distributed", "Leaflets distributed: required"),
        ({"Leaflets distributed": "many"}, "Leaflets distributed", "'many' is not a number"),
        ({"Leaflets distributed": True}, "Leaflets distributed", "Leaflets distributed: true is not a number"),
        ({"Leaflets distributed": "1_000"}, "Leaflets distributed", "Leaflets distributed: '1_000' is not a number"),
        ({"Leaflets distributed": "NaN"}, "Leaflets distributed", "Leaflets distributed: 'NaN' is not a number"),
        ({"Leaflets distributed": "3", "when": "May 1"}, "when", "when: 'May 1' is not a date (YYYY-MM-DD)"),
        ({"Leaflets distributed": "3", "colour": "red"}, "colour", "colour: the report form has no such field"),
    ]:
        with pytest.raises(ActionRefused) as refusal:
            actions.submit_report(assignment=assignment, values=values, by="t")
        assert refusal.value.field == field and words in refusal.value.message
    with pytest.raises(ActionRefused) as refusal:
        actions.set_assignment_status(assignment=assignment, status="declined", by="t")
    assert refusal.value.field == "reason"
    assignment.refresh_from_db()
    assert (assignment.status, assignment.reports.count(), assignment.latest_values) == ("pending", 0, None)


def test_report_files_are_kept_under_the_data_directory_up_to_the_limit(settings, tmp_path):
    settings.REPORT_FILES_DIR = tmp_path / "reports"
    settings.GRASSROOTS_REPORT_FILE_LIMIT = 10
    scene = region(secretaries=False)
    directive = _issue(scene, form=[{"name": "photo", "type": "file", "required": True}])
    assignment = _assignment(directive, all_committees(scene)[0])
    with pytest.raises(ActionRefused) as refusal:
        actions.submit_report(assignment=assignment, values={}, files={"photo": ("a.jpg", b"x" * 11)}, by="t")
    assert refusal.value.field == "photo" and "11 bytes, more than the 10 allowed" in refusal.value.message
    assert not (tmp_path / "reports").exists()
    report = actions.submit_report(assignment=assignment, values={}, files={"photo": ("a b.jpg", b"123")}, by="t")
    stored = tmp_path / "reports" / report.values["photo"]
    assert stored.read_bytes() == b"123" and stored.name == "photo-a_b.jpg"


def test_a_district_passes_it_on_and_is_done_when_its_units_are():
    scene = region(secretaries=False)
    directive = actions.create_directive(
        issuer=scene.top, title="Campaign", due=DUE, by="t", kind="campaign", target_kind="district"
    )
    assert actions.issue_directive(directive=directive, by="t") == 3
    district = scene.districts[0]
    child = actions.pass_on(assignment=_assignment(directive, district), by="t", target_kind="building_committee")
    assert (child.parent_id, child.unit_id, child.due) == (directive.pk, district.pk, directive.due)
    assert child.assignments.count() == 4
    assert _assignment(directive, district).status == "in_progress"
    with pytest.raises(ActionRefused) as refusal:
        actions.set_assignment_status(assignment=_assignment(directive, district), status="done", by="t")
    assert refusal.value.field == "status"
    for unit in scene.committees[district.slug]:
        assert _assignment(directive, district).status == "in_progress"
        actions.set_assignment_status(assignment=_assignment(child, unit), status="done", by="t")
    assert _assignment(directive, district).status == "done"
    assert rollup(directive)["done"] == 1
    # Under the other rule, the district is done when it files its own report.
    by_report = actions.create_directive(
        issuer=scene.top, title="Report", due=DUE, by="t", target_kind="district", completion="report"
    )
    actions.issue_directive(directive=by_report, by="t")
    second = scene.districts[1]
    actions.pass_on(assignment=_assignment(by_report, second), by="t", target_kind="building_committee")
    actions.submit_report(assignment=_assignment(by_report, second), values={}, by="t")
    assert _assignment(by_report, second).status == "done"


def test_a_carried_decision_of_the_issuers_meeting_is_executed_as_a_directive():
    from grassroots.meetings.actions import record_decision, schedule_meeting

    scene = region(secretaries=False)
    district = scene.districts[0]
    meeting = schedule_meeting(unit=district, title="Committee", start=dt.datetime(2026, 1, 5, 19, 0), by="t")
    carried = record_decision(meeting=meeting, text="Leaflets in every house", outcome="carried", by="t")
    failed = record_decision(meeting=meeting, text="A march", outcome="failed", by="t")
    directive = actions.create_directive(
        issuer=district, title="Leaflets", due=DUE, by="t", target_kind="building_committee", decision=carried
    )
    assert directive.decision == carried and actions.issue_directive(directive=directive, by="t") == 4
    for decision, issuer, words in [
        (failed, district, "decision: it failed; only a carried decision is executed"),
        (carried, scene.districts[1], "decision: it was taken at a meeting of another unit"),
    ]:
        with pytest.raises(ActionRefused) as refusal:
            actions.create_directive(issuer=issuer, title="T", due=DUE, by="t", target_kind="building_committee",
                                     decision=decision)  # fmt: skip
        assert refusal.value.message == words


def test_a_passed_on_directive_sums_its_units_reports_up_to_the_parents_roll_up():
    """The federation asks its three districts for signatures; each passes it on to its four houses
    (the "units" rule). The houses' latest reports sum to 210, 250 and 155 per district, so the
    federation's roll-up reads 615 from its three districts, and a house's second revision (60
    instead of 50) moves both its district's figure and the federation's by 10."""
    scene = region(secretaries=False)
    form = [{"name": "Signatures", "type": "number", "required": True}]
    directive = actions.create_directive(
        issuer=scene.top, title="Petition", due=DUE, by="t", kind="report", target_kind="district", form=form
    )
    actions.issue_directive(directive=directive, by="t")
    reports = {"district-1": [50, 60, 40, 60], "district-2": [100, 50, 50, 50], "district-3": [55, 100]}
    children = {}
    for district in scene.districts:
        children[district.slug] = actions.pass_on(
            assignment=_assignment(directive, district), by="t", target_kind="building_committee"
        )
        for house, count in zip(scene.committees[district.slug], reports[district.slug], strict=False):
            actions.submit_report(
                assignment=_assignment(children[district.slug], house), values={"Signatures": count}, by="t"
            )
    sums = {a.unit.slug: a.latest_values for a in Assignment.objects.filter(directive=directive).select_related("unit")}
    assert sums == {"district-1": {"Signatures": 210}, "district-2": {"Signatures": 250},
                    "district-3": {"Signatures": 155}}  # fmt: skip
    assert rollup(directive)["fields"]["Signatures"] == {"sum": 615, "mean": 205, "reported": 3, "of": 3}
    # District 3's houses 3 and 4 have not reported: it is still in progress, its sum is partial.
    assert (_assignment(directive, scene.districts[2]).status, rollup(directive)["done"]) == ("in_progress", 2)
    first = scene.committees["district-1"][0]
    actions.submit_report(assignment=_assignment(children["district-1"], first), values={"Signatures": 60}, by="t")
    assert _assignment(directive, scene.districts[0]).latest_values == {"Signatures": 220}
    assert rollup(directive)["fields"]["Signatures"]["sum"] == 625
    table = {row["unit"]: row["fields"]["Signatures"]["sum"] for row in committee_rollup(directive)}
    assert table == {"region": 625}
    admin = sign_in(Client(), builders.account(scene.org, "admin@example.org", is_admin=True))
    page = unescape(admin.get(reverse("directive", args=[scene.org.slug, directive.pk])).content.decode())
    assert "<td>625 (mean 208.333333), reported by 3 of 3</td>" in page
    assert "the sum from its units' reports" in page and page.count("(from its units' reports)") == 3
