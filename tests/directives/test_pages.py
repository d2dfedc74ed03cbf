"""The directive pages: issue with the reach shown first, the roll-up page, a unit's assignment
with its report form, status and adaptation, a unit's open assignments; each in a fixed number of
queries, each refusal naming the field."""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from grassroots.directives import actions
from grassroots.directives.models import Assignment, Directive, Report
from tests.support import builders
from tests.support.directives import DUE, all_committees, region
from tests.support.sessions import sign_in

pytestmark = pytest.mark.django_db
FORM_YAML = "fields:\n  - {name: Leaflets, type: number, required: true}\n  - {name: photo, type: file}\n"


def _client(user) -> Client:
    return sign_in(Client(), user)


def _issue(scene, **extra):
    directive = actions.create_directive(
        issuer=scene.top, title="Leaflets", due=DUE, by="test", target_kind="building_committee", **extra
    )
    actions.issue_directive(directive=directive, by="test")
    return directive


def test_issuing_from_the_page_shows_the_reach_then_issues(settings):
    scene = region()
    admin = _client(builders.account(scene.org, "admin@example.org", is_admin=True))
    url = reverse("directive_add", args=[scene.org.slug, scene.top.slug])
    assert admin.get(url).status_code == 200
    data = {"kind": "report", "title": "Leaflets", "body": "Hand them *out*.", "due": "2027-05-01T23:59",
            "targets_kind": "building_committee", "form": FORM_YAML}  # fmt: skip
    asked = admin.post(url, data)
    # 12 committees, each with its secretary; three district secretaries are not targets.
    assert asked.status_code == 200
    assert "to 12 units? 12 officers will be told." in asked.content.decode()
    assert not Directive.objects.exists()
    done = admin.post(url, {**data, "confirmed": "yes"})
    directive = Directive.objects.get()
    assert done.status_code == 302 and done["Location"] == reverse("directive", args=[scene.org.slug, directive.pk])
    assert (directive.status, directive.assignments.count()) == ("issued", 12)
    assert directive.due.isoformat() == "2027-05-01T21:59:00+00:00"


def test_issuing_refusals_name_the_field_and_write_nothing():
    scene = region()
    admin = _client(builders.account(scene.org, "admin@example.org", is_admin=True))
    url = reverse("directive_add", args=[scene.org.slug, scene.top.slug])
    base = {"kind": "task", "title": "T", "due": "2027-05-01T23:59"}
    cases = [
        ({**base, "form": "fields: [{name: n, type: choice}]", "targets_kind": "district", "confirmed": "yes"},
         "a choice field needs a list of choices"),
        ({**base, "targets": "no-such-unit"}, "separated by commas): no unit 'no-such-unit'"),
        ({**base, "due": "2020-01-01T10:00", "targets_kind": "district", "confirmed": "yes"},
         "Due (local time of the issuer): 2020-01-01 10:00 in Europe/Berlin has passed"),
        ({**base, "due": "tomorrow"}, "Due (local time of the issuer): Enter a valid date/time."),
        ({**base}, "choose a kind of unit or name the units"),
    ]  # fmt: skip
    for data, message in cases:
        response = admin.post(url, data)
        assert response.status_code == 400, data
        assert message in unescape(response.content.decode()), (message, unescape(response.content.decode())[-3000:])
    assert not Directive.objects.exists() and not Assignment.objects.exists()


def test_a_district_may_not_choose_units_outside_its_subtree_nor_issue_above_it():
    scene = region()
    secretary = _client(scene.secretaries["district-1"])
    url = reverse("directive_add", args=[scene.org.slug, scene.districts[0].slug])
    other = scene.committees["district-2"][0].slug
    response = secretary.post(url, {"kind": "task", "title": "T", "due": "2027-05-01T23:59", "targets": other})
    assert response.status_code == 400 and f"no unit '{other}'" in unescape(response.content.decode())
    assert secretary.get(reverse("directive_add", args=[scene.org.slug, scene.top.slug])).status_code == 404


def test_the_directive_page_shows_the_roll_up_in_a_fixed_number_of_queries(django_assert_max_num_queries):
    scene = region()
    directive = _issue(scene, kind="report", form=[{"name": "Leaflets", "type": "number", "required": True}])
    houses = scene.committees["district-1"]
    for house, count in zip(houses[:3], ["120", "80", "0"], strict=True):
        assignment = Assignment.objects.get(directive=directive, unit=house)
        actions.submit_report(assignment=assignment, values={"Leaflets": count}, by="test")
    declined = Assignment.objects.get(directive=directive, unit=scene.committees["district-2"][0])
    actions.set_assignment_status(assignment=declined, status="declined", reason="no one", by="test")
    admin = _client(builders.account(scene.org, "admin@example.org", is_admin=True))
    url = reverse("directive", args=[scene.org.slug, directive.pk])
    admin.get(url)
    with django_assert_max_num_queries(12):
        page = admin.get(url).content.decode()
    assert '<tr data-unit="region">' in page
    region_row = page.split('<tr data-unit="region">')[1].split("</tr>")[0]
    assert (
        "3 of 12" in region_row and "25 %" in region_row and "200 (mean 66.666667), reported by 3 of 12" in region_row
    )
    district_row = page.split('<tr data-unit="district-1">')[1].split("</tr>")[0]
    assert "3 of 4" in district_row and "75 %" in district_row and "reported by 3 of 4" in district_row
    assert "<td>1</td>" in page.split('<tr data-unit="district-2">')[1].split("</tr>")[0]  # declined
    # A house secretary sees the directive and only its own part of the roll-up.
    own = _client(scene.secretaries[houses[3].slug]).get(url).content.decode()
    assert 'data-unit="region"' not in own and 'data-unit="district-1"' not in own
    assert f'data-unit="{houses[3].slug}"' in own and houses[0].name not in own


def test_a_unit_reports_with_a_file_and_the_size_limit_names_the_field(settings, tmp_path):
    settings.REPORT_FILES_DIR = tmp_path
    settings.GRASSROOTS_REPORT_FILE_LIMIT = 10
    scene = region()
    directive = _issue(scene, form=[{"name": "Leaflets", "type": "number", "required": True},
                                    {"name": "photo", "type": "file"}])  # fmt: skip
    house = scene.committees["district-1"][0]
    secretary = _client(scene.secretaries[house.slug])
    page = reverse("assignment", args=[scene.org.slug, directive.pk, house.slug])
    assert secretary.get(page).status_code == 200
    report = reverse("assignment_report", args=[scene.org.slug, directive.pk, house.slug])
    wrong = secretary.post(report, {"Leaflets": "many"})
    assert wrong.status_code == 400 and "Leaflets: 'many' is not a number" in unescape(wrong.content.decode())
    underscored = secretary.post(report, {"Leaflets": "1_000"})
    assert underscored.status_code == 400
    assert "<li>Leaflets: '1_000' is not a number</li>" in unescape(underscored.content.decode())
    big = secretary.post(report, {"Leaflets": "5", "photo": SimpleUploadedFile("p.jpg", b"x" * 11)})
    assert big.status_code == 400 and "photo: the file has 11 bytes, more than the 10 allowed" in unescape(
        big.content.decode()
    )
    assert not Report.objects.exists() and not list(tmp_path.rglob("*.jpg"))
    good = secretary.post(report, {"Leaflets": "5", "photo": SimpleUploadedFile("p.jpg", b"xy")})
    assert good.status_code == 302
    assignment = Assignment.objects.get(directive=directive, unit=house)
    assert (assignment.status, assignment.latest_values["Leaflets"]) == ("done", 5)
    assert (tmp_path / assignment.latest_values["photo"]).read_bytes() == b"xy"
    # Another house's assignment is absent to this secretary, and stays untouched.
    other = scene.committees["district-1"][1]
    elsewhere = reverse("assignment_report", args=[scene.org.slug, directive.pk, other.slug])
    assert secretary.post(elsewhere, {"Leaflets": "5"}).status_code == 404
    assert Assignment.objects.get(directive=directive, unit=other).status == "pending"


def test_status_decline_needs_a_reason_and_the_adaptation_is_kept():
    scene = region()
    directive = _issue(scene)
    house = scene.committees["district-3"][2]
    secretary = _client(scene.secretaries[house.slug])
    status = reverse("assignment_status", args=[scene.org.slug, directive.pk, house.slug])
    refused = secretary.post(status, {"status": "declined"}, follow=True)
    assert "reason: required to decline" in unescape(refused.content.decode())
    assert Assignment.objects.get(directive=directive, unit=house).status == "pending"
    secretary.post(status, {"status": "declined", "reason": "No volunteers"})
    assert Assignment.objects.get(directive=directive, unit=house).reason == "No volunteers"
    other = scene.committees["district-3"][3]
    secretary_b = _client(scene.secretaries[other.slug])
    adapt = reverse("assignment_adapt", args=[scene.org.slug, directive.pk, other.slug])
    secretary_b.post(adapt, {"text": "At the Sunday market", "local_date": "2027-04-25"})
    assignment = Assignment.objects.get(directive=directive, unit=other)
    assert (assignment.adaptation, str(assignment.local_date)) == ("At the Sunday market", "2027-04-25")


def test_a_units_open_assignments_are_listed_and_linked_from_its_page(django_assert_max_num_queries):
    scene = region()
    first = _issue(scene)
    second = actions.create_directive(
        issuer=scene.districts[0], title="Door knocking", due=DUE, by="test", target_kind="building_committee"
    )
    actions.issue_directive(directive=second, by="test")
    house = scene.committees["district-1"][0]
    actions.set_assignment_status(
        assignment=Assignment.objects.get(directive=first, unit=house), status="done", by="test"
    )
    secretary = _client(scene.secretaries[house.slug])
    assert (
        reverse("unit_assignments", args=[scene.org.slug, house.slug])
        in secretary.get(reverse("unit", args=[scene.org.slug, house.slug])).content.decode()
    )
    url = reverse("unit_assignments", args=[scene.org.slug, house.slug])
    secretary.get(url)
    with django_assert_max_num_queries(12):
        page = secretary.get(url).content.decode()
    assert "Door knocking" in page and "District 1" in page and "Leaflets" not in page
    assert all_committees(scene)  # the scene is whole


@pytest.mark.parametrize(
    ("due", "shown"),
    [
        (dt.datetime(2026, 12, 15, 18, 0), "Tue 15 Dec 2026, 18:00 (Europe/Berlin)"),  # CET, UTC+1
        (dt.datetime(2027, 7, 15, 18, 0), "Thu 15 Jul 2027, 18:00 (Europe/Berlin)"),  # CEST, UTC+2
    ],
)
def test_the_pages_show_the_due_time_in_the_directives_own_zone(due, shown):
    """The viewer's zone is UTC (the site's); the due time reads as the issuer wrote it, in
    Europe/Berlin (18:00 is 17:00 UTC in December and 16:00 UTC in July)."""
    scene = region()
    directive = actions.create_directive(
        issuer=scene.top, title="Leaflets", due=due, by="test", target_kind="building_committee"
    )
    actions.issue_directive(directive=directive, by="test")
    house = scene.committees["district-1"][0]
    admin = _client(builders.account(scene.org, "admin@example.org", is_admin=True))
    pages = [
        reverse("directive", args=[scene.org.slug, directive.pk]),
        reverse("assignment", args=[scene.org.slug, directive.pk, house.slug]),
        reverse("unit_assignments", args=[scene.org.slug, house.slug]),
    ]
    for url in pages:
        page = unescape(admin.get(url).content.decode())
        assert shown in page, url
