"""The directives panel of the dashboard (the roll-up "on the dashboard of each officer"): for each
of the user's top units, the open directives issued in its subtree with done of targets and
overdue, and its units' open assignments with their due time in the directive's zone; scoped to
the user, in as many queries for five directives as for one."""

from __future__ import annotations

import datetime as dt
from html import unescape
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grassroots.directives import actions
from grassroots.directives.models import Assignment
from tests.support import builders
from tests.support.directives import DUE, region
from tests.support.sessions import sign_in

pytestmark = pytest.mark.django_db
AFTER_DUE = dt.datetime(2027, 5, 2, 12, 0, tzinfo=dt.UTC)  # DUE is 1 May 2027 23:59 Berlin (21:59 UTC)


def _issue(issuer, title: str, **extra):
    directive = actions.create_directive(
        issuer=issuer, title=title, due=DUE, by="test", target_kind="building_committee", **extra
    )
    actions.issue_directive(directive=directive, by="test")
    return directive


def _page(client, scene) -> str:
    return unescape(client.get(reverse("dashboard", args=[scene.org.slug])).content.decode())


def test_the_dashboard_lists_open_directives_with_completion_and_the_units_open_assignments():
    scene = region()
    leaflets = _issue(scene.top, "Leaflets")
    door = _issue(scene.districts[1], "Door knocking")
    house = scene.committees["district-1"][0]
    actions.set_assignment_status(
        assignment=Assignment.objects.get(directive=leaflets, unit=house), status="done", by="test"
    )
    account = builders.account(scene.org, "admin@example.org", is_admin=True)
    with mock.patch("django.utils.timezone.now", return_value=AFTER_DUE):
        page = _page(sign_in(Client(), account), scene)
    link = reverse("directive", args=[scene.org.slug, leaflets.pk])
    # 12 houses, one done; the other 11 are open after the due time.
    assert f'<a href="{link}">Leaflets</a></th><td>Region</td><td>Sat 1 May 2027, 23:59 (Europe/Berlin)</td>' in page
    assert "<td>1 of 12</td><td>11</td>" in page
    assert "Door knocking</a></th><td>District 2</td>" in page and "<td>0 of 4</td><td>4</td>" in page
    # The district 1 secretary: her district issued nothing; her houses' open assignments only.
    secretary = sign_in(Client(), scene.secretaries["district-1"])
    page = _page(secretary, scene)
    assert "No open directive issued in District 1." in page
    assert "Door knocking" not in page and "D2 House" not in page
    second = scene.committees["district-1"][1]
    assignment = reverse("assignment", args=[scene.org.slug, leaflets.pk, second.slug])
    assert (
        f'<th scope="row">D1 House 2</th><td><a href="{assignment}">Leaflets</a></td><td>Region</td>'
        "<td>Sat 1 May 2027, 23:59 (Europe/Berlin)</td><td>Pending</td>"
    ) in page
    assert page.count(">Leaflets</a></td>") == 3  # houses 2 to 4; house 1 is done
    assert door.pk


def test_the_panel_reads_as_many_queries_for_five_directives_as_for_one(django_assert_max_num_queries):
    scene = region()
    admin = sign_in(Client(), builders.account(scene.org, "admin@example.org", is_admin=True))
    _issue(scene.top, "Directive 1")
    _page(admin, scene)
    with CaptureQueriesContext(connection) as one:
        _page(admin, scene)
    for number in range(2, 6):
        _issue(scene.districts[number % 3], f"Directive {number}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = _page(admin, scene)
    assert all(f">Directive {number}</a>" in page for number in range(1, 6))
