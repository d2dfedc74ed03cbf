"""Exporting one unit's members names the unit as an import does: by its slug or its name, in any
case, on the command line, the export page and the API alike."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from grassroots.accounts.actions import create_api_token
from grassroots.cli import main
from tests.support import builders
from tests.support.sessions import sign_in


def _rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


@pytest.fixture
def admin_client(client, staff):
    return sign_in(client, staff)


@pytest.fixture
def people(org, tree):
    """Elm House has 5 people, Oak Court 6 (each founded committee starts with 3)."""
    builders.members(org, tree["elm"], 2)
    builders.members(org, tree["oak"], 3)


@pytest.mark.parametrize("ref", ["oak-court", "Oak Court", "oak court"])
def test_the_export_page_takes_a_unit_by_name_or_slug(admin_client, org, people, ref):
    response = admin_client.get(reverse("members_export", args=[org.slug]), {"unit": ref})
    assert response.status_code == 200
    rows = _rows(response)
    assert len(rows) == 1 + 6 and {row[5] for row in rows[1:]} == {"oak-court"}


def test_the_api_takes_a_unit_by_name(org, staff, people):
    from django.test import Client

    _record, secret = create_api_token(user=staff, organization=org, by="test")
    response = Client().get(
        f"/api/orgs/{org.slug}/members/export", {"unit": "Elm House"}, headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 200
    assert len(_rows(response)) == 1 + 5


def test_two_units_of_one_name_need_the_slug(admin_client, org, tree, people):
    builders.unit(org, "building_committee", "Oak Court", tree["south"])
    response = admin_client.get(reverse("members_export", args=[org.slug]), {"unit": "Oak Court"})
    assert response.status_code == 400
    assert response.context["form"].errors["unit"] == [
        "several units are called 'Oak Court': give the slug shown on its page"
    ]
    assert admin_client.get(reverse("members_export", args=[org.slug]), {"unit": "oak-court"}).status_code == 200


def test_an_unknown_or_unseen_unit_is_an_error_on_the_kept_form(admin_client, client, org, tree, people):
    """A mistyped unit and one out of the caller's scope get the same answer: the form again,
    with its values and the error on Unit; the out-of-scope lookup is audited."""
    from grassroots.audit.models import AuditRecord

    page = reverse("members_export", args=[org.slug])
    response = admin_client.get(page, {"unit": "nowhere", "format": "xlsx"})
    assert response.status_code == 400
    assert response.context["form"].errors == {"unit": ["no unit 'nowhere' that you can see"]}
    assert 'value="nowhere"' in response.content.decode() and 'value="xlsx" selected' in response.content.decode()
    secretary = builders.officer(org, tree["elm"], "secretary", "elm@example.org")
    sign_in(client, secretary)
    denied = AuditRecord.objects.filter(action="access.denied").count()
    response = client.get(page, {"unit": "oak-court"})
    assert (response.status_code, response.context["form"].errors) == (
        400,
        {"unit": ["no unit 'oak-court' that you can see"]},
    )
    assert AuditRecord.objects.filter(action="access.denied").count() == denied + 1


def test_the_command_line_takes_a_unit_by_name(org, people, capsys, tmp_path):
    output = tmp_path / "oak.csv"
    code = main(["export", "members", "--org", org.slug, "--unit", "Oak Court", "-o", str(output)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "6 people written to" in " ".join(captured.out.split())
    assert main(["export", "members", "--org", org.slug, "--unit", "Nowhere", "-o", str(output)]) == 1
    assert "no unit 'Nowhere'" in capsys.readouterr().err
