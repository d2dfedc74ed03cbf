"""Officer posts on the unit page: current and former holders, appointing and ending a term."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grassroots.organizations.actions import assign_post
from grassroots.organizations.models import OfficerPost
from tests.support import builders
from tests.support.html import text
from tests.support.sessions import sign_in


def url(name: str, org, unit, **kwargs) -> str:
    return reverse(name, kwargs={"org": org.slug, "unit": unit.slug, **kwargs})


def test_assign_a_post_until_a_day_then_end_it(staff_client, org, tree):
    elm = tree["elm"]
    (member,) = builders.members(org, elm, 1)
    page = staff_client.get(url("unit", org, elm))
    assert "Assign a post…" in text(page, "assign-post")
    response = staff_client.post(
        url("unit_post_assign", org, elm),
        {"post": "organizer", "person": member.pk, "on": "2024-03-01", "until": "2099-12-31"},
        follow=True,
    )
    assert "The post is assigned." in text(response, "messages")
    assert f"Organizer {member.name} 1 Mar 2024 31 Dec 2099" in text(response, "posts")

    holding = OfficerPost.objects.get(person=member)
    response = staff_client.post(url("unit_post_end", org, elm, post=holding.pk), {"on": "2024-04-01"}, follow=True)
    assert f"{member.name} no longer holds organizer." in text(response, "messages")
    assert f"Organizer {member.name} 1 Mar 2024 1 Apr 2024" in text(response, "past-posts")
    assert "Organizer" not in text(response, "posts")

    again = staff_client.post(url("unit_post_end", org, elm, post=holding.pk), {"on": "2024-04-02"}, follow=True)
    assert "already ended on 2024-04-01" in text(again, "messages")


def test_refusals_are_shown_and_change_nothing(staff_client, org, tree):
    elm = tree["elm"]
    (member,) = builders.members(org, elm, 1)
    outsider = builders.person(org, "Out Sider", unit=tree["oak"])
    response = staff_client.post(
        url("unit_post_assign", org, elm), {"post": "organizer", "person": outsider.pk, "on": "2024-03-01"}, follow=True
    )
    assert "Person: Select a valid choice." in text(response, "messages")
    response = staff_client.post(
        url("unit_post_assign", org, elm),
        {"post": "organizer", "person": member.pk, "on": "2024-03-01", "until": "2024-03-01"},
        follow=True,
    )
    assert "until: the term must end after it begins on 2024-03-01" in text(response, "messages")
    assert not OfficerPost.objects.filter(post="organizer").exists()


def test_candidates_are_searched_among_the_members_within(staff_client, org, tree):
    zelda = builders.person(org, "Zelda Quist", unit=tree["oak"])
    builders.person(org, "Zelda Elsewhere", unit=tree["ash"])
    response = staff_client.get(url("unit_post_candidates", org, tree["north"]), {"q": "zelda"})
    assert response.content.decode().count("<option") == 2  # the empty choice and Zelda Quist
    assert f'value="{zelda.pk}"' in response.content.decode()


def test_who_does_not_manage_the_unit_sees_no_forms_and_may_not_post(org, tree):
    elm = tree["elm"]
    organizer = builders.officer(org, tree["north"], "organizer", "o@example.org", member_of=elm)
    client = sign_in(Client(), organizer)
    page = client.get(url("unit", org, elm))
    assert "End this post" not in page.content.decode() and 'id="assign-post"' not in page.content.decode()
    secretary = elm.posts.get(post="secretary")
    assert client.post(url("unit_post_end", org, elm, post=secretary.pk), {"on": "2024-04-01"}).status_code == 403
    response = client.post(
        url("unit_post_assign", org, elm), {"post": "treasurer", "person": organizer.person.pk, "on": "2024-04-01"}
    )
    assert response.status_code == 403
    assert OfficerPost.objects.get(pk=secretary.pk).end is None
    assert not OfficerPost.objects.filter(post="treasurer").exists()


def test_a_term_appointed_from_a_later_day_is_listed_as_current(staff_client, org, tree):
    elm = tree["elm"]
    (member,) = builders.members(org, elm, 1)
    later = timezone.localdate() + dt.timedelta(days=5)
    assign_post(unit=elm, person=member, post="treasurer", by="test", on=later)
    assert f"Treasurer {member.name} {later:%-d %b %Y} —" in text(staff_client.get(url("unit", org, elm)), "posts")
