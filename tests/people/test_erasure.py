"""Erasing a person: who they were goes for good; the counts and history stay true."""

from __future__ import annotations

import json

import pytest

from grassroots.access import OutOfScope
from grassroots.audit.models import AuditRecord
from grassroots.errors import ActionRefused
from grassroots.organizations.selectors import tree_of
from grassroots.people import actions
from grassroots.people.models import Consent, Membership, Person
from tests.support import builders
from tests.support.stories import rosa_story


@pytest.fixture
def story(org, tree):
    return rosa_story(org, tree)


def _audit_text() -> str:
    """Everything the audit trail says, as one text to search."""
    return json.dumps(list(AuditRecord.objects.values_list("target_label", "changes")), ensure_ascii=False)


def test_erasure_removes_who_they_were_and_keeps_the_counts(story, staff):
    rosa = story.rosa
    members_before = [(row.slug, row.members) for row in tree_of(staff, story.org)]
    memberships_before = list(
        Membership.objects.filter(person=rosa).values_list("unit__slug", "status", "start", "end")
    )
    assert "Rosa Lindqvist" in _audit_text()

    actions.erase_person(person=rosa, by=staff)

    rosa.refresh_from_db()
    assert (rosa.name, rosa.email, rosa.phone, rosa.address, rosa.recruiter) == (
        f"Erased person {rosa.pk}",
        "",
        "",
        "",
        None,
    )
    assert rosa.erased_at is not None
    assert not Consent.objects.filter(person=rosa).exists()
    assert list(Membership.objects.filter(person=rosa).values_list("unit__slug", "status", "start", "end")) == (
        memberships_before
    )
    assert [(row.slug, row.members) for row in tree_of(staff, story.org)] == members_before
    # Tom still counts Rosa as his recruiter, without her name.
    assert Person.objects.get(pk=story.tom.pk).recruiter_id == rosa.pk
    # Nothing in the audit trail names her any more: not her records, nor the appointment of her successor.
    text = _audit_text()
    assert "Rosa" not in text and "rosa@example.org" not in text
    succession = AuditRecord.objects.get(action="post.assign", target_id=str(story.sid.posts.get().pk))
    assert succession.changes["holder"] == [f"Erased person {rosa.pk}", story.sid.name]
    erased = AuditRecord.objects.get(action="person.erase")
    assert (erased.actor, erased.target_id, erased.changes) == (staff, str(rosa.pk), {})


def test_a_second_erasure_is_refused(story, staff):
    actions.erase_person(person=story.rosa, by=staff)
    with pytest.raises(ActionRefused, match="already erased"):
        actions.erase_person(person=Person.objects.get(pk=story.rosa.pk), by=staff)
    assert AuditRecord.objects.filter(action="person.erase").count() == 1
    with pytest.raises(ActionRefused, match="is erased"):
        actions.record_consent(person=story.rosa, purpose="email", policy_version="1", by=staff)


def test_an_officer_who_is_not_an_administrator_may_not_erase(story, tree):
    secretary = builders.officer(story.org, tree["south"], "secretary", "sec@example.org", member_of=story.ash)
    with pytest.raises(OutOfScope):
        actions.erase_person(person=story.rosa, by=secretary)
    rosa = Person.objects.get(pk=story.rosa.pk)
    assert (rosa.name, rosa.email, rosa.erased_at) == ("Rosa Lindqvist", "rosa@example.org", None)
    assert Consent.objects.filter(person=rosa).count() == 2
    assert "Rosa Lindqvist" in _audit_text()
    assert not AuditRecord.objects.filter(action="person.erase").exists()
