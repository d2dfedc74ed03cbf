"""The dashboard (a signed-in user's home) and a unit's health tab: counts and charts for the
user's scope, in a fixed number of queries; the people behind a figure only to those who may see
the unit's people."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grassroots.health.actions import write_snapshots
from grassroots.health.selectors.snapshots import today_of
from grassroots.web import day
from tests.support import builders
from tests.support.html import text
from tests.support.sessions import sign_in

pytestmark = pytest.mark.django_db
BY = "test"


@pytest.fixture
def federation(org):
    units = builders.federation(org)
    builders.consolidate(units["elm"])
    today = today_of(org)
    for back in (2, 1):
        write_snapshots(organization=org, on=today - dt.timedelta(days=back), by=BY)
    return units


def dashboard(client, org):
    return client.get(reverse("dashboard", kwargs={"org": org.slug}))


def test_the_dashboard_shows_tiers_trends_growth_and_what_the_district_lacks(staff_client, org, federation):
    response = dashboard(staff_client, org)
    assert response.status_code == 200
    page = response.content.decode()
    (panel,) = response.context["panels"]
    assert panel["unit"] == federation["federation"]
    rollup = panel["rollup"]
    assert (rollup["units"], rollup["consolidated"]) == (2, 1)  # Elm consolidated, Oak Court not
    assert "2 basic units, 1 consolidated (50 %)" in text(response)
    # Charts: tiers today and by day, members and attendance day by day, memberships by month.
    assert page.count('<svg class="chart') >= 5
    assert "Basic units of Federation per tier, by day" in page
    assert page.count('<table class="visually-hidden">') == page.count('<svg class="chart')
    # The bodies not yet constituted, with what they lack.
    bodies = [body.name for body, _readiness in panel["bodies"]]
    assert bodies == ["Federation", "North", "South"]
    assert "Not ready" in text(response)
    assert "style=" not in page and "<script>" not in page


def test_the_home_page_of_a_districts_secretary_is_her_districts_dashboard(client, org, federation):
    secretary = builders.officer(org, federation["north"], "secretary", "sec@example.org", member_of=federation["elm"])
    signed_in = sign_in(client, secretary)
    assert signed_in.get(reverse("home"))["Location"] == reverse("dashboard", kwargs={"org": org.slug})
    response = dashboard(signed_in, org)
    assert [panel["unit"].name for panel in response.context["panels"]] == ["North"]
    assert "South" not in text(response)


def _queries(client, org) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert dashboard(client, org).status_code == 200
    return len(queries)


def test_the_dashboard_reads_in_a_fixed_number_of_queries(staff_client, org, federation):
    # Each body's readiness reads its founded children's health (none founded: not read), so
    # both districts have one, with meetings, before counting.
    builders.consolidate(builders.founded_basic_unit(org, "Birch House", federation["south"]))
    few = _queries(staff_client, org)
    for number in range(4):
        unit = builders.founded_basic_unit(org, f"More {number}", federation["south"], size=5)
        builders.consolidate(unit)
    assert _queries(staff_client, org) == few
    # With the daily job's snapshot (yesterday's), the figures and the bodies' consolidation are
    # read from it: fewer queries, still none per unit.
    write_snapshots(organization=org, on=today_of(org) - dt.timedelta(days=1), by=BY)
    from_snapshots = _queries(staff_client, org)
    assert from_snapshots < few
    # Units founded since have none: computed from the records, once for all of them.
    builders.consolidate(builders.founded_basic_unit(org, "Late House", federation["south"], size=5))
    some_live = _queries(staff_client, org)
    assert from_snapshots < some_live <= few
    builders.consolidate(builders.founded_basic_unit(org, "Later House", federation["south"], size=5))
    assert _queries(staff_client, org) == some_live


def test_the_health_tab_shows_each_indicator_against_its_threshold(staff_client, org, federation):
    elm = federation["elm"]
    response = staff_client.get(reverse("unit_health", kwargs={"org": org.slug, "unit": elm.slug}))
    assert response.status_code == 200
    page = response.content.decode()
    health = response.context["health"]
    assert health.consolidated and "consolidated." in text(response)
    assert page.count('<svg class="chart chart-bullet"') == len(health.results) > 0
    attendance = next(result for result in health.results if result.indicator == "attendance_rate")
    assert attendance.passed and "100.0 %" in text(response)
    # The meetings behind the figure, and the unit's members to someone who may see them.
    assert len(re.findall(r'href="/o/[^/]+/meetings/\d+/"', page)) >= 3
    assert response.context["with_people"] is True
    unit_page = staff_client.get(reverse("unit", kwargs={"org": org.slug, "unit": elm.slug})).content.decode()
    assert reverse("unit_health", kwargs={"org": org.slug, "unit": elm.slug}) in unit_page


def test_a_committee_health_tab_rolls_up_its_basic_units(staff_client, org, federation):
    north = federation["north"]
    response = staff_client.get(reverse("unit_health", kwargs={"org": org.slug, "unit": north.slug}))
    assert response.status_code == 200
    assert response.context["rollup"]["units"] == 2
    assert "2 basic units, 1 consolidated." in text(response)


def test_a_member_sees_the_figures_of_her_unit_but_not_the_people_behind_them(client, org, federation):
    elm = federation["elm"]
    (member,) = builders.members(org, elm, 1)
    user = builders.account(org, "member@example.org", person=member)
    response = sign_in(client, user).get(reverse("unit_health", kwargs={"org": org.slug, "unit": elm.slug}))
    assert response.context["with_people"] is False
    assert not re.search(r'href="/o/[^/]+/people/\d+/"', response.content.decode())


def _rows(page: str) -> list[str]:
    """The page's table rows of rules and indicators, white space between tags dropped, charts cut."""
    flat = re.sub(r">\s+<", "><", re.sub(r"\s+", " ", page))
    rows = re.findall(r'<tr class="(?:passed|failed|unmeasured)">.*?<td data-label="Missing">.*?</td></tr>', flat)
    return [re.sub(r'<td data-label="Chart">.*</td><td data-label="Missing">', "CHART", row) for row in rows]


def test_founding_rules_and_indicators_read_as_rows_of_their_own_columns(staff_client, org, federation):
    """One row template serves a unit's founding rules and its health tab, each with its columns."""
    health = staff_client.get(reverse("unit_health", kwargs={"org": org.slug, "unit": federation["elm"].slug}))
    assert _rows(health.content.decode())[1] == (
        '<tr class="passed"><th scope="row">Attendance rate</th><td data-label="Value">3 present of 3 members in'
        ' good standing at 3 meetings: 100.0 %</td><td data-label="Threshold">at least 50.0 % over the last 90'
        ' days</td><td data-label="Passes">yes</td>CHART—</td></tr>'
    )
    unit = staff_client.get(reverse("unit", kwargs={"org": org.slug, "unit": federation["north"].slug}))
    assert _rows(unit.content.decode())[1] == (
        '<tr class="failed"><th scope="row">Consolidated building committees</th><td data-label="Holds">no</td>'
        '<td data-label="Required">at least 2 consolidated building committees</td><td data-label="Actual">1'
        ' consolidated of 2 founded</td><td data-label="Missing">1 more consolidated building committee (not yet'
        " consolidated: Oak Court)</td></tr>"
    )


def test_a_bodys_dashboard_stands_on_the_days_the_job_ran_weekly(staff_client, org, federation):
    """Snapshots written once a week (as the demo's are): the trend and the tiers draw a bar on
    each week's snapshot, the growth one on each month's last, not just on the latest day."""
    today = today_of(org)
    weekly = [today - dt.timedelta(days=1 + 7 * week) for week in range(13)]
    for on in weekly[1:]:  # yesterday's is the fixture's
        write_snapshots(organization=org, on=on, by=BY)
    response = dashboard(staff_client, org)
    (panel,) = response.context["panels"]
    assert response.context["snapshot_day"] == today - dt.timedelta(days=1)
    # A bar on each week's snapshot: thirteen weeks back, each stretch of seven days has one.
    assert panel["trend"]["days"] == 13
    assert panel["trend"]["when"] == f"on {day(today - dt.timedelta(days=1))}"
    growth = panel["members_by_month"]
    months = {(on.year, on.month) for on in weekly}
    assert growth["last"][0] == today - dt.timedelta(days=1)
    assert growth["first"][0] == max(on for on in weekly if (on.year, on.month) == min(months))  # its month's last
    assert growth["net_growth"] == growth["last"][1] - growth["first"][1]
    assert str(panel["growth_chart"]).count("<rect") >= len(months)


def test_the_health_pages_write_days_as_their_tables_do(staff_client, org, federation):
    """The roll-up's row and the retention's words name days as "30 Nov 2026", not ISO."""
    today = today_of(org)
    north = staff_client.get(reverse("unit_health", kwargs={"org": org.slug, "unit": federation["north"].slug}))
    assert f'<th scope="row">{day(today)}</th>' in north.content.decode()
    assert today.isoformat() not in text(north)
    elm = staff_client.get(reverse("unit_health", kwargs={"org": org.slug, "unit": federation["elm"].slug}))
    actual = {result.indicator: result.actual for result, _chart in elm.context["rows"]}
    assert "still members" in actual["retention"] and re.search(r"\d{4}-\d{2}-\d{2}", actual["retention"]) is None
