"""The person page's records: consents, the subject access download, erasure, and the recruiter."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from grassroots.audit.models import AuditRecord
from grassroots.people.models import Consent, Person
from tests.support import builders
from tests.support.html import text
from tests.support.sessions import sign_in
from tests.support.stories import rosa_story


@pytest.fixture
def story(org, tree):
    return rosa_story(org, tree)


def url(name: str, story, **kwargs) -> str:
    return reverse(name, kwargs={"org": story.org.slug, "pk": story.rosa.pk, **kwargs})


def client_of(user) -> Client:
    return sign_in(Client(), user)


def officer_client(story, post: str) -> Client:
    return client_of(builders.officer(story.org, story.ash, post, f"{post}@example.org"))


def test_the_page_lists_consents_with_their_forms(staff_client, story):
    response = staff_client.get(url("person", story))
    consents = text(response, "consents")
    assert consents.startswith("Consents Purpose Policy version Given Withdrawn Actions")
    assert "phone contact 2024-1" in consents and "email bulletins 2024-1" in consents
    assert consents.count("Withdraw") == 2  # the column heading, then one button for the one still given
    assert "Record the consent" in consents


def test_record_and_withdraw_a_consent_from_the_page(staff_client, story):
    response = staff_client.post(url("person_consent_add", story), {"purpose": "text messages", "policy_version": "v3"})
    assert response.status_code == 302
    consent = Consent.objects.get(purpose="text messages")
    assert (consent.person, consent.policy_version) == (story.rosa, "v3")
    response = staff_client.post(url("person_consent_withdraw", story, consent=consent.pk), follow=True)
    assert "Consent to text messages is withdrawn." in text(response, "messages")
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None
    response = staff_client.post(url("person_consent_add", story), {"purpose": "", "policy_version": "v3"}, follow=True)
    assert "Purpose: This field is required." in text(response, "messages")


def test_who_may_only_view_sees_the_consents_without_forms_and_may_not_post(story):
    treasurer = officer_client(story, "treasurer")
    consents = text(treasurer.get(url("person", story)), "consents")
    assert consents == (
        "Consents Purpose Policy version Given Withdrawn "
        + " ".join(
            f"{c.purpose} {c.policy_version} {c.given_at:%-d %b %Y %H:%M} "
            + (f"{c.withdrawn_at:%-d %b %Y %H:%M}" if c.withdrawn_at else "—")
            for c in Consent.objects.filter(person=story.rosa).order_by("-given_at", "-id")
        )
    )
    response = treasurer.post(url("person_consent_add", story), {"purpose": "x", "policy_version": "1"})
    assert response.status_code == 403
    response = treasurer.post(url("person_consent_withdraw", story, consent=story.email_consent.pk))
    assert response.status_code == 403
    assert Consent.objects.filter(person=story.rosa).count() == 2


def test_the_download_is_a_json_attachment_and_is_audited(staff_client, story):
    page = staff_client.get(url("person", story))
    assert "Download their data (JSON)" in text(page, "personal-data")
    response = staff_client.post(url("person_export", story))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{story.org.slug}-person-{story.rosa.pk}.json"'
    assert "no-store" in response["Cache-Control"]
    record = json.loads(response.content)
    assert (record["person"]["name"], record["recruiter"]["name"]) == ("Rosa Lindqvist", "Rex Recruiter")
    assert AuditRecord.objects.filter(action="person.export", target_id=str(story.rosa.pk)).count() == 1
    assert staff_client.get(url("person_export", story)).status_code == 405


def test_the_secretary_may_download_but_not_erase(story):
    secretary = officer_client(story, "secretary")
    section = text(secretary.get(url("person", story)), "personal-data")
    assert "Download their data (JSON)" in section and "Erase" not in section
    assert secretary.post(url("person_export", story)).status_code == 200
    assert secretary.post(url("person_erase", story), {"confirm": "ERASE"}).status_code == 403
    assert Person.objects.get(pk=story.rosa.pk).erased_at is None


def test_an_organizer_is_offered_neither_and_may_not_download(story):
    organizer = officer_client(story, "organizer")
    page = organizer.get(url("person", story))
    assert 'id="personal-data"' not in page.content.decode()
    assert organizer.post(url("person_export", story)).status_code == 403
    assert not AuditRecord.objects.filter(action="person.export").exists()


def test_erasure_needs_the_word_erase(staff_client, story):
    page = text(staff_client.get(url("person", story)), "personal-data")
    assert "Erase this person…" in page and "Type ERASE to confirm" in page
    response = staff_client.post(url("person_erase", story), {"confirm": "erase"}, follow=True)
    assert "Type ERASE to confirm: type ERASE in capitals to erase this person" in text(response, "messages")
    assert Person.objects.get(pk=story.rosa.pk).name == "Rosa Lindqvist"

    response = staff_client.post(url("person_erase", story), {"confirm": "ERASE"}, follow=True)
    assert "The person is erased" in text(response, "messages")
    rosa = Person.objects.get(pk=story.rosa.pk)
    assert rosa.name == f"Erased person {rosa.pk}"
    assert text(response, "erased").startswith("This record was erased on")
    assert "Erase this person" not in response.content.decode()


def test_the_recruiter_is_shown_only_to_who_may_see_lineage(staff_client, story):
    assert f"Recruited by {story.rex.name}" in text(staff_client.get(url("person", story)), "facts")
    treasurer = officer_client(story, "treasurer")
    facts = text(treasurer.get(url("person", story)), "facts")
    assert "Recruited by" not in facts and story.rex.name not in facts
    people_list = treasurer.get(reverse("people", kwargs={"org": story.org.slug}))
    assert story.rex.name not in text(people_list, "people-results")  # Rex has no unit: not even listed
    assert "Recruit" not in text(people_list, "people-results")
