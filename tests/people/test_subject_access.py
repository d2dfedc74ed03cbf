"""The subject access export: everything held about one person, for the rights that allow it."""

from __future__ import annotations

import json

import pytest

from grassroots.access import OutOfScope
from grassroots.audit.models import AuditRecord
from grassroots.people import actions
from tests.support import builders
from tests.support.stories import FOUNDED, JOINED, PROMOTED, REPLACED, rosa_story


@pytest.fixture
def story(org, tree):
    return rosa_story(org, tree)


def test_the_export_holds_everything_about_the_person(story, staff):
    rosa = story.rosa
    record = actions.export_person_record(person=rosa, by=staff)

    assert record["organization"] == {"slug": story.org.slug, "name": story.org.name}
    assert {key: record["person"][key] for key in ("id", "name", "email", "phone", "address", "erased_at")} == {
        "id": rosa.pk,
        "name": "Rosa Lindqvist",
        "email": "rosa@example.org",
        "phone": "+442079460000",
        "address": "1 Ash Tower, Southside",
        "erased_at": None,
    }
    assert record["recruiter"] == {"id": story.rex.pk, "name": "Rex Recruiter"}
    assert record["recruits"] == [story.tom.pk]
    (membership,) = record["memberships"]
    assert membership["unit"] == {"slug": "ash-tower", "name": "Ash Tower"}
    assert (membership["status"], membership["start"], membership["end"]) == ("member", JOINED.isoformat(), None)
    assert membership["status_changes"] == [{"on": PROMOTED.isoformat(), "old": "supporter", "new": "member"}]
    assert [(p["unit"]["slug"], p["post"], p["start"], p["end"]) for p in record["officer_posts"]] == [
        ("ash-tower", "secretary", FOUNDED.isoformat(), REPLACED.isoformat())
    ]
    assert [(m["unit"]["slug"], m["on"], m["kind"]) for m in record["meetings_attended"]] == [
        ("ash-tower", FOUNDED.isoformat(), "founding")
    ]
    consents = {c["purpose"]: c for c in record["consents"]}
    assert set(consents) == {"email bulletins", "phone contact"}
    assert consents["email bulletins"]["withdrawn_at"] is None
    assert consents["phone contact"]["withdrawn_at"] is not None
    assert consents["phone contact"]["policy_version"] == "2024-1"
    assert record["accounts"] == []
    assert [(r["action"], r["actor"]) for r in record["audit_records"]] == [
        ("person.add", "test"),
        ("membership.join", "test"),
        ("post.assign", "test"),
        ("membership.status", "test"),
        ("consent.give", "test"),
        ("consent.give", "test"),
        ("consent.withdraw", "test"),
    ]
    assert record["audit_records"][3]["changes"] == {"status": ["supporter", "member"], "on": [None, "2024-02-01"]}
    json.dumps(record)  # plain JSON values throughout


def test_the_export_is_audited_with_counts_never_values(story, staff):
    actions.export_person_record(person=story.rosa, by=staff)
    audit = AuditRecord.objects.get(action="person.export")
    assert (audit.actor, audit.target_id, audit.unit) == (staff, str(story.rosa.pk), story.ash)
    assert audit.changes == {
        "recruits": [None, 1],
        "memberships": [None, 1],
        "officer_posts": [None, 1],
        "meetings_attended": [None, 1],
        "consents": [None, 2],
        "course_completions": [None, 0],
        "course_declarations": [None, 0],
        "accounts": [None, 0],
        "audit_records": [None, 7],
    }
    assert "rosa" not in json.dumps(audit.changes).lower()


def test_an_officer_with_the_rights_over_the_persons_units_may_export(story, tree):
    secretary = builders.officer(story.org, tree["south"], "secretary", "sec@example.org", member_of=story.ash)
    record = actions.export_person_record(person=story.rosa, by=secretary)
    assert record["person"]["name"] == "Rosa Lindqvist"
    assert AuditRecord.objects.filter(action="person.export", actor=secretary).count() == 1


def test_an_officer_without_import_export_is_refused_and_nothing_is_recorded(story, tree):
    organizer = builders.officer(story.org, tree["south"], "organizer", "org@example.org", member_of=story.ash)
    with pytest.raises(OutOfScope, match="import and export members"):
        actions.export_person_record(person=story.rosa, by=organizer)
    assert not AuditRecord.objects.filter(action="person.export").exists()


def test_the_export_needs_the_rights_over_every_unit_of_the_persons_history(story, tree):
    """After a transfer north, the north secretary sees Rosa, but her past in the south is not
    theirs to hand out: an administrator exports her whole record."""
    from grassroots.people.actions import transfer_member

    transfer_member(person=story.rosa, to_unit=tree["elm"], by="test")
    north_secretary = builders.officer(
        story.org, tree["north"], "secretary", "north@example.org", member_of=tree["elm"]
    )
    with pytest.raises(OutOfScope) as refused:
        actions.export_person_record(person=story.rosa, by=north_secretary)
    # The refusal does not name a unit the secretary may not see (issue 9, leak 10).
    assert refused.value.message == "you may not import and export members in a unit outside your scope"
    record = actions.export_person_record(person=story.rosa, by="cli:ops")
    assert [m["unit"]["slug"] for m in record["memberships"]] == ["ash-tower", "elm-house"]


def test_a_person_with_no_unit_is_exported_by_an_administrator_only(org, tree, staff):
    loner = builders.person(org, "Lone Walker", email="lone@example.org")
    secretary = builders.officer(org, tree["north"], "secretary", "north@example.org", member_of=tree["elm"])
    with pytest.raises(OutOfScope):
        actions.export_person_record(person=loner, by=secretary)
    record = actions.export_person_record(person=loner, by=staff)
    assert (record["person"]["email"], record["memberships"], record["recruiter"]) == ("lone@example.org", [], None)
