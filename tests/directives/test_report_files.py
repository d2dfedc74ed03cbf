"""The files of a unit's report, downloaded from the directive's page, the assignment page and the
API by whoever may read the report: the unit's officers and the committees above it (the issuer's
among them). An officer of a sibling unit gets a 404; nothing outside the report files'
directory is ever served."""

from __future__ import annotations

import base64
import json
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grassroots.accounts.actions import create_api_token
from grassroots.directives import actions
from grassroots.directives.models import Assignment, Report
from tests.support.directives import DUE, region
from tests.support.sessions import sign_in

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
FORM = [{"name": "Leaflets", "type": "number", "required": True}, {"name": "flyer", "type": "file"}]


@pytest.fixture
def filed(settings, tmp_path):
    """District 1 sent a report directive to its four houses; its first house filed a report with
    the flyer 'Rent freeze.pdf' through the page."""
    settings.REPORT_FILES_DIR = tmp_path / "reports"
    scene = region()
    district = scene.districts[0]
    directive = actions.create_directive(
        issuer=district, title="Flyers", due=DUE, by="test", target_kind="building_committee", form=FORM
    )
    actions.issue_directive(directive=directive, by="test")
    house, sibling = scene.committees[district.slug][:2]
    officer = sign_in(Client(), scene.secretaries[house.slug])
    report = reverse("assignment_report", args=[scene.org.slug, directive.pk, house.slug])
    upload = SimpleUploadedFile("Rent freeze.pdf", PDF, content_type="application/pdf")
    assert officer.post(report, {"Leaflets": "40", "flyer": upload}).status_code == 302
    url = reverse("report_file", args=[scene.org.slug, directive.pk, house.slug, 1, "flyer"])
    return scene, directive, house, sibling, url


def _download(client: Client, url: str) -> tuple[int, bytes, str, str]:
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.status_code == 200 else b""
    return response.status_code, body, response.get("Content-Type", ""), response.get("Content-Disposition", "")


def test_the_units_officer_and_the_issuers_officer_download_the_file_a_sibling_gets_404(filed):
    scene, directive, house, sibling, url = filed
    attachment = (200, PDF, "application/pdf", 'attachment; filename="Rent_freeze.pdf"')
    assert _download(sign_in(Client(), scene.secretaries[house.slug]), url) == attachment
    district_officer = sign_in(Client(), scene.secretaries[scene.districts[0].slug])
    assert _download(district_officer, url) == attachment
    region_page = district_officer.get(reverse("directive", args=[scene.org.slug, directive.pk])).content.decode()
    assert f'<a href="{url}" download>Rent_freeze.pdf</a>' in unescape(region_page)
    assignment_page = district_officer.get(reverse("assignment", args=[scene.org.slug, directive.pk, house.slug]))
    assert f'flyer: <a href="{url}" download>Rent_freeze.pdf</a>' in unescape(assignment_page.content.decode())
    assert "Leaflets: 40" in unescape(assignment_page.content.decode())
    # The sibling house was sent the same directive, but its officer does not see this house.
    assert _download(sign_in(Client(), scene.secretaries[sibling.slug]), url)[0] == 404
    # Neither does an officer of another district.
    assert _download(sign_in(Client(), scene.secretaries[scene.districts[1].slug]), url)[0] == 404


def test_the_api_serves_the_file_within_the_callers_scope(filed):
    scene, directive, house, sibling, _url = filed
    path = f"/api/orgs/{scene.org.slug}/directives/{directive.pk}/assignments/{house.slug}/reports/1/files/flyer"

    def api(user) -> Client:
        token = create_api_token(user=user, organization=scene.org, name="t", by="test")[1]
        return Client(headers={"Authorization": f"Bearer {token}"})

    attachment = (200, PDF, "application/pdf", 'attachment; filename="Rent_freeze.pdf"')
    assert _download(api(scene.secretaries[house.slug]), path) == attachment
    assert _download(api(scene.secretaries[scene.districts[0].slug]), path) == attachment
    assert _download(api(scene.secretaries[sibling.slug]), path)[0] == 404
    officer = api(scene.secretaries[house.slug])
    for wrong in ("reports/2/files/flyer", "reports/1/files/Leaflets", "reports/1/files/photo"):
        assert officer.get(path.replace("reports/1/files/flyer", wrong)).status_code == 404, wrong


def test_no_revision_field_or_path_outside_the_directory_is_served(filed, tmp_path):
    scene, directive, house, _sibling, url = filed
    officer = sign_in(Client(), scene.secretaries[house.slug])
    assert officer.get(url.replace("/reports/1/", "/reports/2/")).status_code == 404
    assert officer.get(url.replace("/flyer/", "/Leaflets/")).status_code == 404
    assert officer.get(url.replace("/flyer/", "/..%2F..%2Fsecret/")).status_code == 404
    # A stored value that points out of the directory (as a tampered row would) is not followed.
    (tmp_path / "secret.txt").write_bytes(b"not for you")
    report = Report.objects.get(assignment__directive=directive, assignment__unit=house)
    for outside in ("../secret.txt", str(tmp_path / "secret.txt")):
        Report.objects.filter(pk=report.pk).update(values={"Leaflets": 40, "flyer": outside})
        assert officer.get(url).status_code == 404, outside
    # A stored file gone from the disk is a 404, not an error.
    Report.objects.filter(pk=report.pk).update(values=report.values)
    (tmp_path / "reports" / report.values["flyer"]).unlink()
    assert officer.get(url).status_code == 404
    assert Assignment.objects.get(directive=directive, unit=house).status == "done"


def test_the_pages_with_files_run_as_many_queries_for_one_report_as_for_four(filed):
    """The file links are built from rows already read: no query per unit or per revision."""
    scene, directive, house, _sibling, _url = filed
    district_officer = sign_in(Client(), scene.secretaries[scene.districts[0].slug])
    pages = [
        reverse("directive", args=[scene.org.slug, directive.pk]),
        reverse("assignment", args=[scene.org.slug, directive.pk, house.slug]),
    ]

    def counted() -> list[int]:
        counts = []
        for url in pages:
            district_officer.get(url)
            with CaptureQueriesContext(connection) as queries:
                district_officer.get(url)
            counts.append(len(queries))
        return counts

    before = counted()
    for unit in scene.committees[scene.districts[0].slug][1:]:
        assignment = Assignment.objects.get(directive=directive, unit=unit)
        actions.submit_report(assignment=assignment, values={"Leaflets": 1}, files={"flyer": ("f.txt", b"f")}, by="t")
    assignment = Assignment.objects.get(directive=directive, unit=house)
    actions.submit_report(assignment=assignment, values={"Leaflets": 2}, files={"flyer": ("g.txt", b"g")}, by="t")
    page = unescape(district_officer.get(pages[0]).content.decode())
    assert page.count(">f.txt</a>") == 3 and page.count(">g.txt</a>") == 1 and "Rent_freeze.pdf" not in page
    revisions = unescape(district_officer.get(pages[1]).content.decode())
    assert ">g.txt</a>" in revisions and ">Rent_freeze.pdf</a>" in revisions
    after = counted()
    assert after == before


def test_the_api_takes_a_report_file_up_to_the_documented_limit_and_names_the_field_over_it(filed):
    """The file limit is 10 MiB (10485760 bytes) and files come base64-encoded in JSON: a 3 MB file
    (4 MB as base64, over the 2.5 MiB body limit of other routes) is stored byte for byte; an 11 MB
    one is read and refused naming the field, its true size and the limit. Other routes keep theirs."""
    scene, directive, house, _sibling, _url = filed
    token = create_api_token(user=scene.secretaries[house.slug], organization=scene.org, name="t", by="test")[1]
    api = Client(headers={"Authorization": f"Bearer {token}"})
    base = f"/api/orgs/{scene.org.slug}/directives/{directive.pk}/assignments/{house.slug}/reports"

    def report(content: bytes):
        body = {"values": {"Leaflets": 5}, "files": {"flyer": {"filename": "big.pdf",
                "content_base64": base64.b64encode(content).decode()}}}  # fmt: skip
        return api.post(base, json.dumps(body), content_type="application/json")

    three = PDF + bytes(range(256)) * (3_000_000 // 256)
    filed_three = report(three)
    assert filed_three.status_code == 201, filed_three.content[:300]
    assert _download(api, f"{base}/2/files/flyer")[:2] == (200, three)
    eleven = b"x" * 11_000_000
    refused = report(eleven)
    assert (refused.status_code, refused.json()["field"]) == (409, "flyer")
    assert refused.json()["detail"] == "flyer: the file has 11000000 bytes, more than the 10485760 allowed"
    assert Report.objects.filter(assignment__unit=house).count() == 2
    elsewhere = api.post(f"/api/orgs/{scene.org.slug}/directives", json.dumps({"title": "x" * 3_000_000}),
                         content_type="application/json")  # fmt: skip
    assert (elsewhere.status_code, elsewhere.json()["detail"]) == (413, "body: larger than the limit of 2621440 bytes")


def test_a_report_body_over_the_routes_own_limit_is_413_naming_that_limit(filed, settings):
    scene, directive, house, _sibling, _url = filed
    settings.GRASSROOTS_BODY_LIMITS = [(pattern, 5000) for pattern, _limit in settings.GRASSROOTS_BODY_LIMITS]
    token = create_api_token(user=scene.secretaries[house.slug], organization=scene.org, name="t", by="test")[1]
    api = Client(headers={"Authorization": f"Bearer {token}"})
    base = f"/api/orgs/{scene.org.slug}/directives/{directive.pk}/assignments/{house.slug}/reports"
    body = {"files": {"flyer": {"filename": "a.pdf", "content_base64": base64.b64encode(b"x" * 6000).decode()}}}
    refused = api.post(base, json.dumps(body), content_type="application/json")
    assert (refused.status_code, refused.json()["detail"]) == (413, "body: larger than the limit of 5000 bytes")
    assert Report.objects.filter(assignment__unit=house).count() == 1
