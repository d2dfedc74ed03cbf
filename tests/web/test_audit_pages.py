"""The audit trail page: who is offered it, filters, 100 a page, and the streamed CSV export."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from grassroots.audit.models import AuditRecord
from grassroots.people import actions as people
from tests.support import builders
from tests.support.html import text
from tests.support.sessions import sign_in


def url(name: str, org) -> str:
    return reverse(name, kwargs={"org": org.slug})


def test_the_navigation_offers_the_trail_only_to_who_may_read_it(staff_client, org, tree):
    assert "Audit trail" in staff_client.get(url("organization", org)).content.decode()
    secretary = sign_in(
        Client(), builders.officer(org, tree["north"], "secretary", "s@example.org", member_of=tree["elm"])
    )
    assert "Audit trail" in secretary.get(url("organization", org)).content.decode()
    organizer = sign_in(
        Client(), builders.officer(org, tree["north"], "organizer", "o@example.org", member_of=tree["elm"])
    )
    page = organizer.get(url("organization", org))
    assert page.status_code == 200
    assert "Audit trail" not in page.content.decode()


def test_the_trail_is_403_without_view_audit_and_404_out_of_scope(org, tree, plain_user):
    organizer = sign_in(
        Client(), builders.officer(org, tree["north"], "organizer", "o@example.org", member_of=tree["elm"])
    )
    assert organizer.get(url("audit", org)).status_code == 403
    assert organizer.post(url("audit_export", org)).status_code == 403
    plain = Client()
    plain.force_login(plain_user)
    assert plain.get(url("audit", org)).status_code == 404
    assert not AuditRecord.objects.filter(action="audit.export").exists()


def test_the_trail_lists_records_newest_first_with_filters(staff_client, org, tree):
    rosa = builders.person(org, "Rosa Lindqvist", unit=tree["elm"])
    people.record_consent(person=rosa, purpose="email bulletins", policy_version="2024-1", by="test")
    response = staff_client.get(url("audit", org))
    assert response.status_code == 200
    rows = text(response, "audit-records")
    assert rows.startswith("When Who Action About Unit Changes")
    assert (
        "test Consent given email bulletins (2024-1) Elm House purpose: — → email bulletins; policy_version: — → 2024-1"
        in rows
    )
    filtered = staff_client.get(url("audit", org), {"action": "consent"})
    assert text(filtered, "audit-count") == "1 record"
    assert staff_client.get(url("audit", org), {"actor": "nobody"}).context["page"].paginator.count == 0
    assert staff_client.get(url("audit", org), {"since": "2999-01-01"}).context["page"].paginator.count == 0
    # A filter that is not valid lists nothing (not every record, as if it had not been asked for).
    bad = staff_client.get(url("audit", org), {"since": "soon", "action": "consent"})
    assert bad.status_code == 400
    assert "From: Enter a valid date." in text(bad, "audit-filters")
    assert bad.context["page"].paginator.count == 0
    assert AuditRecord.objects.filter(organization=org).count() > 0
    refused = staff_client.post(url("audit_export", org), {"since": "soon"})
    assert refused.status_code == 400
    assert refused.content.decode() == "No export: since: Enter a valid date."
    assert not AuditRecord.objects.filter(organization=org, action="audit.export").exists()


def test_the_trail_has_a_hundred_a_page(staff_client, org, tree):
    rosa = builders.person(org, "Rosa", unit=tree["elm"])
    for number in range(120):
        people.record_consent(person=rosa, purpose=f"purpose {number}", policy_version="1", by="test")
    total = AuditRecord.objects.filter(organization=org).count()
    first = staff_client.get(url("audit", org), {"action": "consent"})
    assert len(first.context["page"]) == 100
    assert text(first, "audit-count") == "120 records, page 1 of 2"
    assert 'href="?action=consent&amp;page=2"' in first.content.decode()
    second = staff_client.get(url("audit", org), {"action": "consent", "page": 2})
    assert [r.changes["purpose"][1] for r in second.context["page"]] == [f"purpose {n}" for n in range(19, -1, -1)]
    assert total > 120


def test_the_csv_export_is_streamed_neutralized_and_audited(staff_client, org, tree):
    rosa = builders.person(org, "=cmd|' /C calc'!A0", unit=tree["elm"])
    people.record_consent(person=rosa, purpose="@SUM(1+1)", policy_version="-1", by="test")
    response = staff_client.post(url("audit_export", org), {"action": "consent"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(f'attachment; filename="{org.slug}-audit-')
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["at", "actor", "action", "target_type", "target_id", "target", "unit", "changes"]
    (row,) = rows[1:]
    assert row[1:7] == [
        "test",
        "consent.give",
        "people.consent",
        str(rosa.consents.get().pk),
        "'@SUM(1+1) (-1)",
        "elm-house",
    ]
    assert row[7] == '{"purpose": [null, "@SUM(1+1)"], "policy_version": [null, "-1"]}'
    export = AuditRecord.objects.get(action="audit.export")
    assert export.changes == {"rows": [None, 1], "action": [None, "consent"]}
    joined = [
        r
        for r in csv.reader(
            io.StringIO(
                b"".join(
                    staff_client.post(url("audit_export", org), {"action": "membership"}).streaming_content
                ).decode()
            )
        )
    ]
    assert any(cell.startswith("'=cmd") for line in joined for cell in line)


def test_the_export_form_carries_the_filters(staff_client, org, tree):
    page = staff_client.get(url("audit", org), {"action": "unit", "since": "2024-01-01", "page": "1"}).content.decode()
    assert f'<form method="post" action="{url("audit_export", org)}"' in page
    assert (
        '<input type="hidden" name="action" value="unit"><input type="hidden" name="since" value="2024-01-01">' in page
    )
    assert 'name="csrfmiddlewaretoken"' in page.split('id="audit-export"')[1].split("</form>")[0]


def test_a_cross_site_link_cannot_export_or_write_a_record(staff, org, tree):
    """Issue 9: a GET (a link or an image on another site) is refused and writes nothing; a POST
    without the page's CSRF token is refused too."""
    from django.test import Client

    from tests.support.sessions import sign_in

    browser = sign_in(Client(enforce_csrf_checks=True), staff)
    before = AuditRecord.objects.count()
    assert browser.get(url("audit_export", org), {"action": "consent"}).status_code == 405
    assert browser.post(url("audit_export", org), {"action": "consent"}).status_code == 403
    assert AuditRecord.objects.count() == before
    assert not AuditRecord.objects.filter(action="audit.export").exists()


@pytest.mark.parametrize("size", [0, 60])
def test_the_page_queries_do_not_grow_with_the_records(staff_client, org, tree, size, django_assert_max_num_queries):
    rosa = builders.person(org, "Rosa", unit=tree["elm"])
    for number in range(size):
        people.record_consent(person=rosa, purpose=f"p{number}", policy_version="1", by="test")
    with django_assert_max_num_queries(12):
        assert staff_client.get(url("audit", org)).status_code == 200


def test_the_action_filter_is_a_list_of_labelled_actions(staff_client, org, tree):
    from grassroots.audit.labels import ACTION_LABELS

    response = staff_client.get(url("audit", org))
    filters = response.content.decode()
    assert '<option value="people.import.queued">Import of members queued</option>' in filters
    assert '<option value="unit">Units: all</option>' in filters
    assert ">people.import.queued<" not in filters
    # Every action the code writes has a label (the unit lifecycle's through its event kinds).
    from grassroots.organizations.models import UnitEvent

    lifecycle = {f"unit.{kind}" for kind in UnitEvent.Kind.values} - {"unit.created", "unit.renamed", "unit.moved"}
    assert lifecycle <= set(ACTION_LABELS)
    founded = staff_client.get(url("audit", org), {"action": "unit.founded"})
    assert "Unit founded or constituted" in text(founded, "audit-records")
    assert "unit.founded" not in text(founded, "audit-records")


def test_every_action_the_code_audits_has_a_label():
    import pathlib
    import re

    from grassroots.audit.labels import ACTION_LABELS

    source = pathlib.Path(__file__).parents[2] / "src" / "grassroots"
    written = {
        "".join(match)
        for path in source.rglob("*.py")
        # action="unit.add", or an app's own audit helper called with the action second.
        for match in re.findall(
            r'\baction="([a-z_]+\.[a-z_.]+)"|_audit\(\s*\w+,\s*"([a-z_]+\.[a-z_.]+)"', path.read_text(encoding="utf-8")
        )
    }
    assert len(written) > 20
    assert written <= set(ACTION_LABELS), sorted(written - set(ACTION_LABELS))
