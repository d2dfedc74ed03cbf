"""The delegations pages (issue 17): the credentials committee's buttons, the presence page with
the live quorum and the participants' CSV, each in a fixed number of queries and without inline
style or script; an officer of another district gets 404."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from grassroots.conferences import actions, delegations
from grassroots.conferences.models import Delegate
from tests.support import builders
from tests.support.conferences import conference_scene
from tests.support.delegations import called, election, members_of
from tests.support.html import text
from tests.support.sessions import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(org):
    units = conference_scene(org)
    conference = called(units["federation"])
    people = members_of(units["elm"])
    delegations.elect_delegation(
        conference=conference,
        unit=units["elm"],
        decision=election(units["elm"]),
        delegates=people[:2],
        alternates=people[2:3],
        chair=people[0],
        by="test",
    )
    return units, conference, people


def _admin(org) -> Client:
    return sign_in(Client(), builders.account(org, "admin@example.org", is_admin=True))


def _row(person) -> Delegate:
    return Delegate.objects.get(person=person)


def test_credentials_and_presence_from_the_pages(org, scene, django_assert_max_num_queries):
    units, conference, people = scene
    client = _admin(org)
    page = reverse("conference_delegations", args=[org.slug, conference.pk])
    step = reverse("conference_credential", args=[org.slug, conference.pk])
    for person in people[:3]:
        client.post(step, {"delegate": _row(person).pk, "step": "verify"})
    client.post(step, {"delegate": _row(people[0]).pk, "step": "seat"})
    refused = client.post(step, {"delegate": _row(people[1]).pk, "step": "challenge", "grounds": ""}, follow=True)
    assert "grounds: required" in text(refused)
    client.post(step, {"delegate": _row(people[1]).pk, "step": "challenge", "grounds": "Lapsed in May"})
    ruled = client.post(
        step, {"delegate": _row(people[1]).pk, "step": "rule", "ruling": "Paid up", "seat": "yes"}, follow=True
    )
    assert f"{people[1].name}: credential ruled on." in text(ruled)
    with django_assert_max_num_queries(12):
        response = client.get(page)
    body = response.content.decode()
    assert "style=" not in body and "<script>" not in body
    assert text(response, "credentials-figures") == (
        "2 seats seated, carrying 2 votes; the quorum is 2 (more than half the seated votes present)."
    )
    assert "Challenged: Lapsed in May Ruling: Paid up" in text(response)
    assert text(response, "units") == (
        "Units and their seats Elm House : 4 seats Oak Court : 1 seat, no delegation recorded"
    )
    actions.set_conference_status(conference=conference, status="credentialing", by="test")
    checkin = reverse("conference_checkin", args=[org.slug, conference.pk])
    client.post(checkin, {"delegate": _row(people[2]).pk, "present": "yes"})
    out = client.post(checkin, {"delegate": _row(people[0]).pk, "present": "no"}, follow=True)
    assert f"{people[0].name}: absent." in text(out)
    with django_assert_max_num_queries(12):
        presence = client.get(reverse("conference_presence", args=[org.slug, conference.pk]))
    assert text(presence, "presence-figures") == (
        "Seated 2 seats, 2 votes Present 1 seat, 1 vote Quorum 2 votes (more than half the seated votes): not met"
    )
    assert "in the seat of delegate 1" in text(presence)
    client.post(checkin, {"delegate": _row(people[1]).pk, "present": "yes"})
    presence = client.get(reverse("conference_presence", args=[org.slug, conference.pk]))
    assert text(presence, "presence-figures").endswith("met") and "not met" not in text(presence, "presence-figures")
    download = client.get(reverse("conference_participants", args=[org.slug, conference.pk]))
    assert download["Content-Disposition"] == f'attachment; filename="conference-{conference.pk}-participants.csv"'
    assert download.content.decode().splitlines() == [
        "name,unit,weight,role,present",
        # Delegates first, then alternates; the absent delegate's vote is carried by the
        # alternate in their seat, so the weights add up to the seats' votes once.
        f"{people[0].name},Elm House,0,delegate,no",
        f"{people[1].name},Elm House,1,delegate,yes",
        f"{people[2].name},Elm House,1,alternate,yes",
    ]


def test_bad_posts_and_scope(org, scene):
    units, conference, people = scene
    client = _admin(org)
    step = reverse("conference_credential", args=[org.slug, conference.pk])
    assert "step: choose verify" in text(client.post(step, {"delegate": "1", "step": "x"}, follow=True))
    assert "delegate: choose a delegate" in text(client.post(step, {"step": "verify"}, follow=True))
    assert client.post(step, {"delegate": "999999", "step": "verify"}).status_code == 404
    south = sign_in(
        Client(),
        builders.officer(org, units["south"], "secretary", "south@example.org", member_of=units["birch"]),
    )
    for name in ("conference_delegations", "conference_presence", "conference_participants"):
        assert south.get(reverse(name, args=[org.slug, conference.pk])).status_code == 404, name
    checkin = reverse("conference_checkin", args=[org.slug, conference.pk])
    assert south.post(checkin, {"delegate": _row(people[0]).pk, "present": "yes"}).status_code == 404
    assert south.post(step, {"delegate": _row(people[0]).pk, "step": "verify"}).status_code == 404
    assert not Delegate.objects.exclude(credential="submitted").exists()


def test_the_hosts_link_checks_delegates_in_without_signing_in(org, scene):
    """The organizers issue the hall's link; the host taps delegates in and out with it alone; a
    link issued again ends the old one; the link opens nothing before credentialing."""
    from grassroots.audit.models import AuditRecord
    from grassroots.conferences.selectors import conference_by_host_token

    units, conference, people = scene
    for row in Delegate.objects.all():
        delegations.verify_credential(delegate=row, by="test")
        delegations.seat_delegate(delegate=row, by="test")
    client = _admin(org)
    issued = client.post(reverse("conference_host_link", args=[org.slug, conference.pk]), follow=True)
    address = text(issued).split("Host link (valid while the conference is credentialing or in session): ")[1]
    token = address.split("/c/")[1].split("/")[0]
    host = Client()
    assert host.get(f"/c/{token}/").status_code == 404  # called, not yet credentialing
    actions.set_conference_status(conference=conference, status="credentialing", by="test")
    page = host.get(f"/c/{token}/")
    assert page.status_code == 200
    assert text(page, "host-figures") == "Present 0 of 2 seated votes; quorum 2: not met."
    short = people[0].name.split()[0]
    assert short in text(page, "expected")
    checkin = f"/c/{token}/checkin/"
    for person in people[:2]:
        host.post(checkin, {"delegate": _row(person).pk, "present": "yes"})
    assert text(host.get(f"/c/{token}/"), "host-figures") == "Present 2 of 2 seated votes; quorum 2: met."
    host.post(checkin, {"delegate": _row(people[1]).pk, "present": "no"})
    assert _row(people[1]).present is False
    assert AuditRecord.objects.filter(action="conferences.presence", actor__isnull=True).count() == 3
    assert host.post(checkin, {"delegate": "x"}).status_code == 404
    assert host.post(checkin, {"delegate": "999999"}).status_code == 404
    client.post(reverse("conference_host_link", args=[org.slug, conference.pk]))
    assert host.get(f"/c/{token}/").status_code == 404
    assert conference_by_host_token("not-a-token") is None
    actions.set_conference_status(conference=conference, status="in_session", by="test")
    actions.set_conference_status(conference=conference, status="closed", by="test")
    refused = client.post(reverse("conference_host_link", args=[org.slug, conference.pk]), follow=True)
    assert "a host link is issued only while it is called or credentialing or in session" in text(refused)


def test_the_units_secretary_records_the_delegation_on_the_units_page(org):
    units = conference_scene(org)
    secretary = builders.officer(org, units["elm"], "secretary", "elm@example.org")
    conference = called(units["federation"])
    people = members_of(units["elm"])
    for number, person in enumerate(people):
        person.email = f"elm{number}@example.org"
        person.save(update_fields=["email"])
    decision = election(units["elm"])
    client = sign_in(Client(), secretary)
    page = reverse("unit_delegation", args=[org.slug, "elm-house", conference.pk])
    shown = client.get(page)
    assert text(shown, "seats").startswith("Elm House elects 4 delegates, at a meeting held after the call")
    assert "style=" not in shown.content.decode()
    form = {"decision": decision.pk, "delegates": "elm0@example.org\nELM1@example.org", "chair": "elm0@example.org"}
    unknown = client.post(page, form | {"alternates": "nobody@example.org"})
    assert unknown.status_code == 400
    assert "no one is 'nobody@example.org'" in text(unknown)
    refused = client.post(page, form | {"chair": str(people[2].pk)})
    assert f"chair: {people[2].name} is not one of the delegates" in text(refused)
    done = client.post(page, form | {"alternates": str(people[2].pk)}, follow=True)
    assert "Elm House's delegation is recorded." in text(done)
    assert text(done, "delegation") == (
        f"Name Role Weight Credential {people[0].name} (chair) delegate 1 1 submitted "
        f"{people[1].name} delegate 2 1 submitted {people[2].name} alternate 1 1 submitted"
    )
    south = sign_in(
        Client(), builders.officer(org, units["south"], "secretary", "south@example.org", member_of=units["birch"])
    )
    assert south.get(page).status_code == 404
    assert south.post(page, form).status_code == 404
