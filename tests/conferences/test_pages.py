"""The conference pages: a committee's list, the conference with its apportionment table and
the buttons that apportion and call it, in a fixed number of queries; a unit below sees none."""

from __future__ import annotations

from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from grassroots.conferences import actions
from grassroots.conferences.models import Conference
from grassroots.outbox.models import Mailing
from tests.support import builders
from tests.support.conferences import conference, conference_scene
from tests.support.sessions import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def units(org):
    return conference_scene(org)


def _admin(org) -> Client:
    return sign_in(Client(), builders.account(org, "admin@example.org", is_admin=True))


def test_apportion_and_call_from_the_page(org, units, django_assert_max_num_queries):
    planned = conference(units["federation"], method="hamilton", seats=10, place="Union Hall")
    client = _admin(org)
    page = reverse("conference", args=[org.slug, planned.pk])
    text = unescape(client.get(page).content.decode())
    assert "Not apportioned yet." in text and "Union Hall" in text and "Apportion</button>" in text
    assert "one per basic unit founded on the cut-off date" in text
    response = client.post(reverse("conference_apportion", args=[org.slug, planned.pk]), follow=True)
    text = unescape(response.content.decode())
    assert "Delegates apportioned." in text
    assert "10 seats over 2 units and 10 members" in text
    elm = '<tr data-unit="elm-house"><th scope="row">Elm House</th><td>7</td><td><abbr title="7">7.0000</abbr></td>'
    assert elm + "<td>7</td><td>7</td><td>7</td></tr>" in text
    planned.refresh_from_db()
    assert f"Input SHA-256: <code>{planned.input_sha256}</code>" in text
    with django_assert_max_num_queries(12):
        client.get(page)
    response = client.post(reverse("conference_call", args=[org.slug, planned.pk]), follow=True)
    text = unescape(response.content.decode())
    assert "Conference called; the units' officers are told." in text
    assert 'data-status="called"' in text and "Call the conference</button>" not in text
    assert Mailing.objects.filter(source=f"conferences.call:{planned.pk}").exists()
    response = client.post(reverse("conference_step", args=[org.slug, planned.pk]), {"status": "credentialing"},
                           follow=True)  # fmt: skip
    text = unescape(response.content.decode())
    assert "The conference is credentialing." in text and "Now in session</button>" in text
    response = client.post(reverse("conference_step", args=[org.slug, planned.pk]), {"status": "closed"}, follow=True)
    assert "only in session follows" in unescape(response.content.decode())
    # Refusals come back as a message, and change nothing.
    response = client.post(reverse("conference_apportion", args=[org.slug, planned.pk]), follow=True)
    assert "only a planned one is apportioned" in unescape(response.content.decode())


def test_plan_a_conference_from_the_committees_page(org, units):
    client = _admin(org)
    page = reverse("unit_conferences", args=[org.slug, "federation"])
    assert "Plan it</button>" in client.get(page).content.decode()
    refused = client.post(page, {"name": "Founding", "cutoff": "2024-06-01", "method": "dhondt", "seats": "5",
                                 "minimum_seats": "3", "maximum_seats": "1"})  # fmt: skip
    assert refused.status_code == 400
    assert "At least, per unit: minimum: 3 is more than the maximum 1" in unescape(refused.content.decode())
    assert not Conference.objects.exists()
    response = client.post(page, {"name": "Founding", "cutoff": "2024-06-01", "method": "per", "per": "2",
                                  "rounding": "ceiling", "place": "Hall"}, follow=True)  # fmt: skip
    planned = Conference.objects.get()
    assert (planned.method, planned.per, planned.rounding, planned.place) == ("per", 2, "ceiling", "Hall")
    assert "Founding planned." in unescape(response.content.decode())
    # A basic unit convenes none: its page lists, and offers no form.
    assert (
        "Plan it</button>" not in client.get(reverse("unit_conferences", args=[org.slug, "elm-house"])).content.decode()
    )


def test_a_conference_of_district_delegations_says_so(org, units):
    planned = conference(units["federation"], delegation_kind="district")
    text = unescape(_admin(org).get(reverse("conference", args=[org.slug, planned.pk])).content.decode())
    assert "one per district committee founded on the cut-off date, for every member under it" in text


def test_the_list_on_the_convening_unit(org, units):
    planned = conference(units["federation"], seats=5)
    actions.apportion_conference(conference=planned, by="test")
    client = _admin(org)
    text = unescape(client.get(reverse("unit_conferences", args=[org.slug, "federation"])).content.decode())
    assert f'href="/o/{org.slug}/conferences/{planned.pk}/">Founding conference</a>' in text
    assert "<td>planned</td><td>2</td><td>5</td>" in text
    unit_page = unescape(client.get(reverse("unit", args=[org.slug, "federation"])).content.decode())
    assert "Conferences convened by Federation" in unit_page


def test_a_unit_below_sees_no_conference_and_cannot_apportion_it(org, units):
    planned = conference(units["federation"])
    secretary = units["elm"].posts.get(post="secretary").person
    client = sign_in(Client(), builders.account(org, "sec@example.org", person=secretary))
    assert client.get(reverse("conference", args=[org.slug, planned.pk])).status_code == 404
    assert client.post(reverse("conference_apportion", args=[org.slug, planned.pk])).status_code == 404
    assert client.post(reverse("conference_call", args=[org.slug, planned.pk])).status_code == 404
    assert Conference.objects.get(pk=planned.pk).status == "planned" and not planned.allocations.exists()


def test_the_admin_only_shows_conferences():
    """Changes go through the actions: Django's admin adds no conference and no allocation."""
    from django.contrib.admin.sites import site

    from grassroots.conferences.admin import AllocationInline, ConferenceAdmin

    assert ConferenceAdmin(Conference, site).has_add_permission(None) is False
    assert AllocationInline(Conference, site).has_add_permission(None) is False
    assert "input_sha256" in ConferenceAdmin.readonly_fields


def test_the_plan_form_offers_what_the_command_line_does(org, units):
    """Delegations sent by a level of the tree, weighted delegates, the statuses counted and the
    lot's seed, as `conference add` takes them; the rounding's default is offered once."""
    client = _admin(org)
    page = reverse("unit_conferences", args=[org.slug, "federation"])
    text = unescape(client.get(page).content.decode())
    assert '<option value="district">District committee</option>' in text
    assert '<option value="building_committee">' not in text  # a basic unit: the default
    assert text.count(">floor (the default)</option>") == 1 and '<option value="floor">' not in text
    response = client.post(page, {"name": "Districts", "cutoff": "2024-06-01", "method": "dhondt", "seats": "3",
                                  "delegation_kind": "district", "votes_per_delegate": "10",
                                  "statuses": ["member"], "seed": "hall-2024"}, follow=True)  # fmt: skip
    assert response.status_code == 200
    planned = Conference.objects.get()
    assert (planned.delegation_kind, planned.votes_per_delegate, planned.statuses, planned.seed) == (
        "district", 10, ["member"], "hall-2024"
    )  # fmt: skip
    refused = client.post(page, {"name": "Bad", "cutoff": "2024-06-01", "method": "dhondt", "seats": "3",
                                 "statuses": ["honorary"]})  # fmt: skip
    assert refused.status_code == 400 and "Select a valid choice. honorary" in unescape(refused.content.decode())
    assert Conference.objects.count() == 1
