"""The audit trail: append-only, read within scope, exported with a record of the export."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from grassroots.access import OutOfScope
from grassroots.audit.actions import export_audit_records
from grassroots.audit.models import AppendOnly, AuditRecord
from grassroots.audit.selectors import audit_records_visible_to, may_read_audit
from grassroots.audit.views import spreadsheet_safe
from grassroots.people import actions as people
from tests.support import builders


def test_an_audit_record_cannot_be_changed_or_deleted(org):
    record = AuditRecord.objects.filter(organization=org).first()
    record.action = "organization.forged"
    with pytest.raises(AppendOnly):
        record.save()
    with pytest.raises(AppendOnly):
        record.delete()
    with pytest.raises(AppendOnly):
        AuditRecord.objects.filter(organization=org).delete()
    assert AuditRecord.objects.get(pk=record.pk).action == "organization.create"


def test_an_administrator_reads_the_whole_trail_newest_first(org, tree, staff):
    records = list(audit_records_visible_to(staff, org))
    assert records == list(AuditRecord.objects.filter(organization=org).order_by("-at", "-id"))
    assert records[-1].action == "organization.create"
    assert may_read_audit(staff, org)


def test_an_officer_reads_the_records_of_their_subtree_only(org, tree):
    secretary = builders.officer(org, tree["north"], "secretary", "north@example.org", member_of=tree["elm"])
    south_person = builders.person(org, "Sue South", unit=tree["ash"])
    north_person = builders.person(org, "Nat North", unit=tree["oak"])
    visible = audit_records_visible_to(secretary, org)
    units = {record.unit.slug for record in visible}
    assert units == {"north", "elm-house", "oak-court"}
    labels = {record.target_label for record in visible}
    assert f"{north_person.name} in Oak Court" in labels
    assert not any(south_person.name in label for label in labels)
    # Records about the whole organization (no unit) are for its administrators.
    assert not visible.filter(unit__isnull=True).exists()


def test_who_holds_view_audit_nowhere_is_refused(org, tree):
    organizer = builders.officer(org, tree["north"], "organizer", "organizer@example.org", member_of=tree["elm"])
    assert not may_read_audit(organizer, org)
    with pytest.raises(OutOfScope):
        audit_records_visible_to(organizer, org)
    (member,) = builders.members(org, tree["elm"], 1)
    with pytest.raises(OutOfScope):
        audit_records_visible_to(builders.account(org, "member@example.org", person=member), org)


def test_filters_by_action_family_actor_and_days(org, tree, staff):
    rosa = builders.person(org, "Rosa", unit=tree["elm"])
    people.record_consent(person=rosa, purpose="email", policy_version="1", by=staff)
    actions = [record.action for record in audit_records_visible_to(staff, org, action="consent")]
    assert actions == ["consent.give"]
    assert audit_records_visible_to(staff, org, action="consent.give").count() == 1
    assert audit_records_visible_to(staff, org, action="consent.giv").count() == 0
    assert [r.action for r in audit_records_visible_to(staff, org, actor="STAFF@")] == ["consent.give"]
    today = timezone.localdate()
    assert (
        audit_records_visible_to(staff, org, since=today).count()
        == AuditRecord.objects.filter(organization=org).count()
    )
    assert audit_records_visible_to(staff, org, until=today - dt.timedelta(days=1)).count() == 0
    assert audit_records_visible_to(staff, org, since=today + dt.timedelta(days=1)).count() == 0


def test_export_counts_its_rows_and_is_audited_with_its_filters(org, tree, staff):
    count, records = export_audit_records(organization=org, by=staff, action="unit")
    assert (
        count == len(list(records)) == AuditRecord.objects.filter(organization=org, action__startswith="unit.").count()
    )
    export = AuditRecord.objects.get(action="audit.export")
    assert (export.actor, export.changes) == (staff, {"rows": [None, count], "action": [None, "unit"]})
    # Rows are fixed when the export is recorded: the export record itself is not among them.
    assert export not in list(records)


def test_export_is_refused_to_who_may_not_read_the_trail(org, tree):
    organizer = builders.officer(org, tree["north"], "organizer", "organizer@example.org", member_of=tree["elm"])
    with pytest.raises(OutOfScope):
        export_audit_records(organization=org, by=organizer)
    assert not AuditRecord.objects.filter(action="audit.export").exists()


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Rosa = friend", "Rosa = friend"),
        ("", ""),
    ],
)
def test_spreadsheet_formulas_are_neutralized(cell, safe):
    assert spreadsheet_safe(cell) == safe
