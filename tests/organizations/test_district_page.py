"""A district's page reads its building committees' consolidation from their latest health
snapshots of the day or the day before (the daily job writes each day's once it has ended), and
computes it from the records only for the committees without one: a fixed number of queries
whatever the number of committees. The founding gate, and the founding page that explains it,
always compute it from the records."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from grassroots.health.actions import write_snapshots
from grassroots.health.models import HealthSnapshot
from tests.support import builders
from tests.support.sessions import sign_in

pytestmark = pytest.mark.django_db
RULE = "consolidated_children: building_committee"
# The district's page, whatever the number of its committees and wherever their figures come from
# (24 measured with none of the day's snapshots or some, 18 with all of them).
PAGE_QUERIES = 24


def district_with(count: int):
    """A district of `count` founded building committees, every other one consolidated today."""
    org = builders.organization()
    district = builders.unit(org, "district", "North", builders.unit(org, "federation", "Federation"))
    committees = [builders.founded_basic_unit(org, f"House {number:02}", district) for number in range(count)]
    for committee in committees[::2]:
        builders.consolidate(committee)
    client = sign_in(Client(), builders.account(org, "admin@example.org", is_admin=True))
    return org, district, committees, client


def consolidated_on_page(client, org, district) -> str:
    response = client.get(f"/o/{org.slug}/u/{district.slug}/")
    assert response.status_code == 200
    (result,) = [result for result in response.context["readiness"].results if result.rule == RULE]
    return result.actual


def page_queries(client, org, district) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"/o/{org.slug}/u/{district.slug}/").status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("count", [3, 12])
def test_the_page_costs_the_same_for_3_and_12_committees_from_snapshots_or_live(count, django_assert_max_num_queries):
    org, district, _committees, client = district_with(count)
    consolidated = (count + 1) // 2
    with django_assert_max_num_queries(PAGE_QUERIES):
        live = consolidated_on_page(client, org, district)
    assert live.startswith(f"{consolidated} consolidated")
    live_queries = page_queries(client, org, district)

    write_snapshots(organization=org, on=timezone.localdate(), by="test")
    with django_assert_max_num_queries(PAGE_QUERIES):
        recorded = consolidated_on_page(client, org, district)
    assert recorded == live
    # The snapshots of the day replace the computation: fewer queries, not one more per committee.
    assert page_queries(client, org, district) < live_queries
    HealthSnapshot.objects.filter(unit__in=_committees[: count // 3]).delete()  # some without one
    with django_assert_max_num_queries(PAGE_QUERIES):
        assert consolidated_on_page(client, org, district) == live


def test_the_page_reads_the_days_snapshot_and_computes_only_the_committees_without_one():
    org, district, committees, client = district_with(4)  # Houses 00 and 02 consolidated
    assert consolidated_on_page(client, org, district).startswith("2 consolidated")
    write_snapshots(organization=org, on=timezone.localdate(), by="test")
    # Told by its snapshot that House 00 was not consolidated today, the page believes it ...
    HealthSnapshot.objects.filter(unit=committees[0], on=timezone.localdate()).update(consolidated=False)
    assert consolidated_on_page(client, org, district).startswith("1 consolidated")
    # ... while the founding page, which explains the gate, computes it from the records.
    found = client.get(f"/o/{org.slug}/u/{district.slug}/found/")
    (result,) = [result for result in found.context["readiness"].results if result.rule == RULE]
    assert result.actual.startswith("2 consolidated")
    # A committee with no snapshot of the day (House 02's removed) is computed: still consolidated.
    HealthSnapshot.objects.filter(unit=committees[2]).delete()
    assert consolidated_on_page(client, org, district).startswith("1 consolidated")
    # Today's snapshot comes before yesterday's: House 00's of yesterday says consolidated.
    today, yesterday = timezone.localdate(), timezone.localdate() - dt.timedelta(days=1)
    kept = HealthSnapshot.objects.get(unit=committees[0], on=today)
    fields = [field.name for field in HealthSnapshot._meta.concrete_fields if field.name != "id"]
    copied = {name: getattr(kept, name) for name in fields}
    HealthSnapshot.objects.create(**copied | {"on": yesterday, "consolidated": True})
    assert consolidated_on_page(client, org, district).startswith("1 consolidated")
    # The daily job writes a day's snapshot once the day has ended: yesterday's is the latest
    # there is, and the page reads it (House 00 not consolidated by the one it was told) ...
    HealthSnapshot.objects.filter(on=yesterday).delete()
    HealthSnapshot.objects.update(on=yesterday)
    assert consolidated_on_page(client, org, district).startswith("1 consolidated")
    # ... but one of two days before is no figure for today: every committee is computed.
    HealthSnapshot.objects.update(on=today - dt.timedelta(days=2))
    assert consolidated_on_page(client, org, district).startswith("2 consolidated")


def test_west_of_utc_the_page_reads_the_snapshot_the_daily_job_wrote(monkeypatch):
    """The daily job writes the organization's yesterday, by its own calendar: at 05:00 UTC it is
    still the day before in Honolulu, so that snapshot is two days behind the server's date; the
    page looks by the organization's calendar too, as the dashboard does, and reads it."""
    from grassroots.health.jobs import write_due_snapshots
    from grassroots.health.selectors.snapshots import today_of
    from grassroots.health.views import dashboard_day

    org, district, committees, client = district_with(4)  # Houses 00 and 02 consolidated
    org.time_zone = "Pacific/Honolulu"  # UTC-10
    org.save()
    fixed = timezone.now().replace(hour=5, minute=0, second=0, microsecond=0)
    monkeypatch.setattr(timezone, "now", lambda: fixed)
    server_today = timezone.localdate()
    assert today_of(org) == server_today - dt.timedelta(days=1)
    live_queries = page_queries(client, org, district)
    write_due_snapshots()  # the daily job, as at 00:15 UTC
    assert set(HealthSnapshot.objects.values_list("on", flat=True)) == {server_today - dt.timedelta(days=2)}
    assert dashboard_day(org, today_of(org)) == server_today - dt.timedelta(days=2)
    # Told by that snapshot that House 00 was not consolidated, the page believes it, from the snapshots.
    HealthSnapshot.objects.filter(unit=committees[0]).update(consolidated=False)
    assert consolidated_on_page(client, org, district).startswith("1 consolidated")
    assert page_queries(client, org, district) < live_queries
