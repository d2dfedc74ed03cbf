"""The directives API: issuing, the roll-up and a unit's report, each within the caller's scope."""

from __future__ import annotations

import base64
import json

import pytest
from django.test import Client

from grassroots.accounts.actions import create_api_token
from grassroots.directives.models import Assignment, Directive, Report
from tests.support import builders
from tests.support.directives import region

pytestmark = pytest.mark.django_db


def _client(user, org) -> Client:
    token = create_api_token(user=user, organization=org, name="t", by="test")[1]
    return Client(headers={"Authorization": f"Bearer {token}"})


def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_issue_report_and_roll_up_through_the_api_within_scope(django_assert_max_num_queries):
    scene = region()
    admin = _client(builders.account(scene.org, "admin@example.org", is_admin=True), scene.org)
    base = f"/api/orgs/{scene.org.slug}"
    bad = _post(admin, f"{base}/directives", {"unit": "region", "title": "T", "due": "2027-05-01 23:59",
                                              "targets_kind": "building_committee",
                                              "form": [{"name": "n", "type": "choice"}]})  # fmt: skip
    assert bad.status_code == 409 and bad.json()["field"] == "form"
    assert "a choice field needs a list of choices" in bad.json()["detail"]
    unknown = _post(admin, f"{base}/directives", {"unit": "region", "title": "T", "due": "2027-05-01 23:59",
                                                  "decision": 999999})  # fmt: skip
    assert (unknown.status_code, unknown.json()["detail"]) == (409, "decision: no decision 999999 of Region")
    made = _post(
        admin,
        f"{base}/directives",
        {
            "unit": "region",
            "title": "Leaflets",
            "due": "2027-05-01 23:59",
            "kind": "report",
            "targets_kind": "building_committee",
            "form": [
                {"name": "Leaflets distributed", "type": "number", "required": True},
                {"name": "photo", "type": "file"},
            ],
        },
    )
    assert made.status_code == 201, made.json()
    assert made.json()["due"] == "2027-05-01T23:59:00+02:00" and made.json()["status"] == "issued"
    directive = made.json()["id"]
    assert Assignment.objects.filter(directive_id=directive).count() == 12

    house = scene.committees["district-1"][0]
    other_house = scene.committees["district-1"][1]
    officer = _client(scene.secretaries[house.slug], scene.org)
    with django_assert_max_num_queries(9):
        own = officer.get(f"{base}/assignments", {"open": "true"}).json()
    assert [row["unit"] for row in own["items"]] == [house.slug]
    photo = {"filename": "p.txt", "content_base64": base64.b64encode(b"hi").decode()}
    report = _post(
        officer,
        f"{base}/directives/{directive}/assignments/{house.slug}/reports",
        {"values": {"Leaflets distributed": 120}, "files": {"photo": photo}},
    )
    assert report.status_code == 201, report.json()
    assert report.json()["status"] == "done" and report.json()["reports"][0]["values"]["Leaflets distributed"] == 120
    wrong = _post(officer, f"{base}/directives/{directive}/assignments/{house.slug}/reports",
                  {"values": {"Leaflets distributed": "lots"}})  # fmt: skip
    assert wrong.status_code == 409 and wrong.json()["field"] == "Leaflets distributed"
    for value, detail in [(True, "true is not a number"), ("1_000", "'1_000' is not a number")]:
        refused = _post(officer, f"{base}/directives/{directive}/assignments/{house.slug}/reports",
                        {"values": {"Leaflets distributed": value}})  # fmt: skip
        assert (refused.status_code, refused.json()["detail"]) == (409, f"Leaflets distributed: {detail}")
    # Another unit's assignment, out of the caller's scope: 404, nothing written.
    for unit in (other_house, scene.committees["district-2"][0]):
        outside = _post(
            officer,
            f"{base}/directives/{directive}/assignments/{unit.slug}/reports",
            {"values": {"Leaflets distributed": 5}},
        )
        assert outside.status_code == 404
        assert _post(officer, f"{base}/directives/{directive}/assignments/{unit.slug}/status",
                     {"status": "done"}).status_code == 404  # fmt: skip
    assert Report.objects.filter(assignment__directive_id=directive).count() == 1
    assert Assignment.objects.filter(directive_id=directive, status="done").count() == 1
    # The unit sees its own part of the roll-up, not the region's.
    assert officer.get(f"{base}/directives/{directive}/status").status_code == 404
    mine = officer.get(f"{base}/directives/{directive}/status", {"unit": house.slug}).json()
    assert (mine["targets"], mine["done"], mine["completion"]) == (1, 1, 1.0)

    district = _client(scene.secretaries["district-1"], scene.org)
    with django_assert_max_num_queries(9):
        listed = district.get(f"{base}/directives/{directive}/assignments").json()
    assert listed["count"] == 4
    declined = _post(district, f"{base}/directives/{directive}/assignments/{other_house.slug}/status",
                     {"status": "declined"})  # fmt: skip
    assert declined.status_code == 409 and declined.json()["field"] == "reason"
    part = district.get(f"{base}/directives/{directive}/status", {"unit": "district-1"}).json()
    assert part["fields"]["Leaflets distributed"] == {"sum": 120, "mean": 120, "reported": 1, "of": 4}
    with django_assert_max_num_queries(9):
        table = admin.get(f"{base}/directives/{directive}/rollup").json()
    assert [(row["unit"], row["done"], row["targets"]) for row in table] == [
        ("region", 1, 12),
        ("district-1", 1, 4),
        ("district-2", 0, 4),
        ("district-3", 0, 4),
    ]
    with django_assert_max_num_queries(9):
        assert admin.get(f"{base}/directives").json()["count"] == 1
    assert district.get(f"{base}/directives").json()["count"] == 1


def test_a_refused_issue_writes_nothing_not_even_the_draft():
    """Create-and-issue is one transaction: a district has no federation below it, so the issue
    is refused (409 naming targets) and no directive, draft or not, is left behind."""
    scene = region()
    admin = _client(builders.account(scene.org, "admin@example.org", is_admin=True), scene.org)
    url = f"/api/orgs/{scene.org.slug}/directives"
    refused = _post(admin, url, {"unit": "district-1", "title": "T", "due": "2027-05-01 23:59",
                                 "targets_kind": "federation"})  # fmt: skip
    assert (refused.status_code, refused.json()["field"]) == (409, "targets")
    assert refused.json()["detail"] == "targets: no unit of federation in the subtree of District 1 to send it to"
    assert Directive.objects.count() == 0
    drafted = _post(admin, url, {"unit": "district-1", "title": "T", "due": "2027-05-01 23:59",
                                 "targets_kind": "federation", "draft": True})  # fmt: skip
    assert (drafted.status_code, drafted.json()["status"]) == (201, "draft")
    assert Directive.objects.count() == 1
    again = _post(admin, f"{url}/{drafted.json()['id']}/issue", {})
    assert again.status_code == 409  # no unit to send it to: still refused, still a draft
    broken = _post(admin, url, {"unit": "region", "title": "Rent\r\nstrike", "due": "2027-05-01 23:59",
                                "targets_kind": "district"})  # fmt: skip
    assert (broken.status_code, broken.json()["field"]) == (409, "title")
    assert Directive.objects.count() == 1
