"""Consents: recorded and withdrawn through actions, by whoever may edit the person."""

from __future__ import annotations

import pytest
from django.http import Http404

from grassroots.access import OutOfScope
from grassroots.audit.models import AuditRecord
from grassroots.errors import ActionRefused
from grassroots.people import actions
from grassroots.people.models import Consent
from grassroots.people.selectors import consent_for, consents_of
from tests.support import builders


@pytest.fixture
def rosa(org, tree):
    return builders.person(org, "Rosa Lindqvist", unit=tree["elm"], on=builders.START)


def test_record_and_withdraw_a_consent(rosa, tree, staff):
    consent = actions.record_consent(person=rosa, purpose=" email bulletins ", policy_version=" 2024-1 ", by=staff)
    assert (consent.purpose, consent.policy_version, consent.withdrawn_at) == ("email bulletins", "2024-1", None)
    given = AuditRecord.objects.get(action="consent.give")
    assert (given.unit, given.changes) == (
        tree["elm"],
        {"purpose": [None, "email bulletins"], "policy_version": [None, "2024-1"]},
    )

    actions.withdraw_consent(consent=consent, by=staff)
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None
    assert AuditRecord.objects.get(action="consent.withdraw").target_id == str(consent.pk)
    with pytest.raises(ActionRefused, match="already withdrawn"):
        actions.withdraw_consent(consent=consent, by=staff)


def test_a_consent_needs_a_purpose_and_a_policy_version(rosa, staff):
    with pytest.raises(ActionRefused) as refusal:
        actions.record_consent(person=rosa, purpose=" ", policy_version="1", by=staff)
    assert refusal.value.field == "purpose"
    with pytest.raises(ActionRefused) as refusal:
        actions.record_consent(person=rosa, purpose="email", policy_version="", by=staff)
    assert refusal.value.field == "policy_version"
    assert not Consent.objects.exists()


def test_an_officer_who_may_only_view_people_may_not_record_consents(org, rosa, tree):
    treasurer = builders.officer(org, tree["elm"], "treasurer", "treasurer@example.org")
    with pytest.raises(OutOfScope):
        actions.record_consent(person=rosa, purpose="email", policy_version="1", by=treasurer)
    consent = actions.record_consent(person=rosa, purpose="email", policy_version="1", by="test")
    with pytest.raises(OutOfScope):
        actions.withdraw_consent(consent=consent, by=treasurer)
    # They may read them, as they read the person.
    assert list(consents_of(treasurer, rosa)) == [consent]
    assert Consent.objects.get().withdrawn_at is None


def test_consents_are_read_within_scope(org, rosa, tree):
    consent = actions.record_consent(person=rosa, purpose="email", policy_version="1", by="test")
    south = builders.officer(org, tree["south"], "secretary", "south@example.org", member_of=tree["ash"])
    assert list(consents_of(south, rosa)) == []
    with pytest.raises(Http404):
        consent_for(south, rosa, consent.pk)
    someone = builders.person(org, "Someone", unit=tree["elm"])
    with pytest.raises(Http404):
        consent_for("test", someone, consent.pk)
