"""Daily health snapshots, their roll-up, the units that need support and the growth of a
subtree, with the issue's known values: five basic units in tiers 5, 4, 4, 2 and 1 give
{5: 1, 4: 2, 2: 1, 1: 1} and 3 of 5 consolidated (60 %); 40 members on 2026-01-01, 34 of them
still members on 2027-01-01 and 10 who joined give a retention of 85.0 % and a net growth of +4.
Through the command line and the API, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from grassroots.accounts.actions import create_api_token
from grassroots.cli import main
from grassroots.health.actions import write_snapshots
from grassroots.health.jobs import queue_snapshot_job, write_due_snapshots
from grassroots.health.models import HealthSnapshot
from grassroots.health.selectors import health_of
from grassroots.health.selectors.snapshots import today_of
from grassroots.people import actions as people
from tests.health.test_health import MEETING_DAYS, ON, held_meeting, organization
from tests.support import builders

pytestmark = pytest.mark.django_db
BY = "test"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def district():
    """North district with Elm House (20 members; 12, 10 and 8 present at three meetings: 50 %)
    and Oak House (5 members, all present at three meetings: 100 %)."""
    org = organization()
    top = builders.unit(org, "federation", "Federation")
    north = builders.unit(org, "district", "North", top)
    elm = builders.founded_basic_unit(org, "Elm House", north)
    elm_people = [m.person for m in elm.memberships.order_by("pk")] + builders.members(org, elm, 17)
    for day, count in zip(MEETING_DAYS, (12, 10, 8), strict=True):
        held_meeting(elm, day, elm_people[:count])
    oak = builders.founded_basic_unit(org, "Oak House", north)
    oak_people = [m.person for m in oak.memberships.order_by("pk")] + builders.members(org, oak, 2)
    for day in MEETING_DAYS:
        held_meeting(oak, day, oak_people)
    return {"org": org, "top": top, "north": north, "elm": elm, "oak": oak}


def test_a_snapshot_records_each_units_health_as_computed_from_the_records(district):
    org, elm = district["org"], district["elm"]
    written = write_snapshots(organization=org, on=ON, by=BY)
    assert written == 2  # the two founded committees; the planned district and federation are not measured
    row = HealthSnapshot.objects.get(unit=elm, on=ON)
    live = health_of(BY, elm, on=ON)
    assert (row.tier, row.consolidated, row.members, row.in_good_standing) == (live.tier, True, 20, 20)
    assert (row.present, row.expected) == (30, 60)
    attendance = next(entry for entry in row.indicators if entry["indicator"] == "attendance_rate")
    assert attendance == {
        "indicator": "attendance_rate",
        "value": 0.5,
        "threshold": 0.5,
        "passed": True,
        "required": True,
    }
    # Written again, the day's rows are replaced, not doubled.
    first = list(HealthSnapshot.objects.filter(on=ON).values_list("unit_id", "tier", "members", "present", "expected"))
    assert write_snapshots(organization=org, on=ON, by=BY) == 2
    again = list(HealthSnapshot.objects.filter(on=ON).values_list("unit_id", "tier", "members", "present", "expected"))
    assert sorted(first) == sorted(again) and len(again) == 2


def test_a_snapshot_takes_a_fixed_number_of_queries_whatever_the_number_of_units(
    district, django_assert_max_num_queries
):
    org, north = district["org"], district["north"]
    for number in range(4):
        extra = builders.founded_basic_unit(org, f"Extra {number}", north)
        held_meeting(extra, MEETING_DAYS[2], [m.person for m in extra.memberships.all()][:2])
    with django_assert_max_num_queries(16):
        assert write_snapshots(organization=org, on=ON, by=BY) == 6


def _day(org, on) -> list[tuple]:
    rows = HealthSnapshot.objects.filter(organization=org, on=on).order_by("unit_id")
    return list(rows.values_list("unit_id", "tier", "consolidated", "members", "present", "expected", "indicators"))


def test_each_batch_of_units_is_written_in_its_own_transaction_with_the_same_rows(district, monkeypatch):
    """A long run must not hold SQLite's one write lock throughout: with one unit per batch, a
    failure in the second batch leaves the first one's row written (its own transaction), the
    day is seen as incomplete, and the run again gives the rows of a run in one batch. A row of
    a unit no longer measured (North is only planned) is removed."""
    from grassroots.health import actions as health_actions
    from grassroots.health.selectors.snapshots import snapshot_complete

    org, elm, oak, north = district["org"], district["elm"], district["oak"], district["north"]
    assert write_snapshots(organization=org, on=ON, by=BY) == 2
    whole = _day(org, ON)
    assert [row[0] for row in whole] == sorted([elm.pk, oak.pk])
    HealthSnapshot.objects.filter(organization=org).delete()

    monkeypatch.setattr(health_actions, "BATCH", 1)
    evaluate = health_actions._rows
    calls = []

    def failing_second(organization, units, on, history):
        calls.append([unit.slug for unit in units])
        if len(calls) == 2:
            raise RuntimeError("the worker was stopped")
        return evaluate(organization, units, on, history)

    monkeypatch.setattr(health_actions, "_rows", failing_second)
    with pytest.raises(RuntimeError):
        write_snapshots(organization=org, on=ON, by=BY)
    assert calls == [["elm-house"], ["oak-house"]]
    assert [row[0] for row in _day(org, ON)] == [elm.pk]  # the first batch stayed written
    assert snapshot_complete(org, ON) is False

    monkeypatch.setattr(health_actions, "_rows", evaluate)
    stale = HealthSnapshot.objects.get(unit=elm, on=ON)
    stale.pk, stale.unit, stale.path = None, north, north.path
    stale.save()
    assert write_snapshots(organization=org, on=ON, by=BY) == 2
    assert _day(org, ON) == whole
    assert snapshot_complete(org, ON) is True


def test_backfill_rebuilds_past_days_and_is_idempotent(district, capsys):
    code, out, err = run(capsys, "health", "backfill", "riverside", "--from", "2024-04-28", "--to", "2024-04-30")
    assert code == 0, err
    assert "3 days written (2024-04-28 to 2024-04-30), 6 unit-days." in out
    code, out, err = run(capsys, "health", "backfill", "riverside", "--from", "2024-04-28", "--to", "2024-04-30")
    assert code == 0
    assert HealthSnapshot.objects.filter(organization=district["org"]).count() == 6
    code, _out, err = run(capsys, "health", "backfill", "riverside", "--from", "2024-04-30", "--to", "2024-04-28")
    assert code == 1 and "--to: 2024-04-28 is before --from 2024-04-30" in err
    code, _out, err = run(capsys, "health", "backfill", "riverside", "--from", "yesterday")
    assert code != 0 and "--from" in err


def test_the_daily_job_writes_yesterdays_snapshot_once(district):
    org = district["org"]
    assert queue_snapshot_job() is True
    assert queue_snapshot_job() is False  # one waiting is enough
    assert builders.run_jobs() == 1
    yesterday = today_of(org) - dt.timedelta(days=1)
    assert set(HealthSnapshot.objects.values_list("on", flat=True)) == {yesterday}
    assert HealthSnapshot.objects.count() == 2
    assert write_due_snapshots() == {}  # the day is written: nothing is due


def test_the_rollup_of_the_issue_counts_units_by_tier_and_weights_attendance_by_members(district, capsys):
    """Five basic units in tiers 5, 4, 4, 2 and 1 (the issue's known value): the rows are the
    day's snapshot as the job would write it."""
    org, north = district["org"], district["north"]
    day = dt.date(2024, 3, 1)
    committees = [district["elm"], district["oak"]] + [
        builders.founded_basic_unit(org, name, north) for name in ("Ash House", "Birch House", "Cedar House")
    ]
    # tier, consolidated, members, present, expected, failing
    figures = [
        (5, True, 20, 30, 60, []),
        (4, True, 5, 15, 15, ["retention"]),
        (4, True, 10, 0, 0, ["coverage"]),
        (2, False, 8, 4, 16, ["attendance_rate", "meetings_held"]),
        (1, False, 3, 1, 9, ["attendance_rate", "meetings_held", "officers_filled"]),
    ]
    for unit, (tier, consolidated, members, present, expected, failing) in zip(committees, figures, strict=True):
        HealthSnapshot.objects.create(
            organization=org,
            unit=unit,
            on=day,
            path=unit.path,
            kind=unit.kind,
            basic=True,
            consolidated=consolidated,
            tier=tier,
            score=(tier - 1) / 4 if failing else 1.0,
            members=members,
            in_good_standing=members,
            present=present,
            expected=expected,
            indicators=[{"indicator": name, "value": 0, "threshold": 1, "passed": False} for name in failing],
        )
    code, out, err = run(capsys, "health", "rollup", "riverside/north", "--on", "2024-03-01", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["units"] == 5 and data["source"] == "snapshot"
    assert data["tiers"] == {"1": 1, "2": 1, "3": 0, "4": 2, "5": 1}
    assert (data["consolidated"], data["consolidated_share"]) == (3, 0.6)
    # 50 present of 100 expected: 50.0 %, not the mean of the units' rates (about 55.9 %).
    assert (data["present"], data["expected"], data["attendance_rate"]) == (50, 100, 0.5)
    assert [(row["unit"], row["tier"], row["failing"]) for row in data["weakest"]] == [
        ("cedar-house", 1, ["attendance_rate", "meetings_held", "officers_filled"]),
        ("birch-house", 2, ["attendance_rate", "meetings_held"]),
        ("oak-house", 4, ["retention"]),
        ("ash-house", 4, ["coverage"]),
    ]
    assert "name" not in json.dumps(data["weakest"]).replace('"name": "', "")  # units only, no person
    code, out, _err = run(capsys, "health", "rollup", "riverside/north", "--on", "2024-03-01")
    assert "5 basic units, 3 consolidated (60.0 %), attendance 50.0 %" in out


def test_the_rollup_of_a_day_with_no_snapshot_is_computed_live(district, capsys):
    code, out, err = run(capsys, "health", "rollup", "riverside/north", "--on", ON.isoformat(), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["source"] == "live" and data["units"] == 2
    # Elm House 30 of 60, Oak House 15 of 15: 45 of 75 = 60.0 % (the mean of rates would be 75 %).
    assert (data["present"], data["expected"], data["attendance_rate"]) == (45, 75, 0.6)


def test_a_unit_that_fell_a_tier_is_listed_for_its_parent(district, capsys):
    org, elm = district["org"], district["elm"]
    write_snapshots(organization=org, on=ON, by=BY)
    # A month later Elm House's meetings are older than the window allows: it falls.
    later = dt.date(2024, 6, 1)
    write_snapshots(organization=org, on=later, by=BY)
    before = HealthSnapshot.objects.get(unit=elm, on=ON).tier
    after = HealthSnapshot.objects.get(unit=elm, on=later).tier
    assert after < before
    code, out, err = run(capsys, "health", "needs-support", "riverside/north", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert (data["on"], data["since"]) == ("2024-06-01", "2024-04-30")
    fallen = {row["unit"]: row for row in data["units"]}
    assert fallen["elm-house"]["from_tier"] == before and fallen["elm-house"]["to_tier"] == after
    assert fallen["elm-house"]["parent"] == "north"
    assert "meetings_held" in fallen["elm-house"]["failing"]


def test_the_command_line_health_unit_prints_the_issues_shape(district, capsys):
    code, out, err = run(capsys, "health", "riverside/elm-house", "--on", ON.isoformat(), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert {"unit", "on", "consolidated", "tier", "indicators"} <= set(data)
    assert (data["unit"], data["on"], data["consolidated"], data["tier"]) == ("elm-house", "2024-04-30", True, 4)
    attendance = next(row for row in data["indicators"] if row["indicator"] == "attendance_rate")
    assert {key: attendance[key] for key in ("value", "threshold", "passed", "window_days")} == {
        "value": 0.5,
        "threshold": 0.5,
        "passed": True,
        "window_days": 90,
    }
    code, _out, err = run(capsys, "health", "riverside/nowhere")
    assert code == 1 and "no unit 'riverside/nowhere'" in err


@pytest.fixture
def growing():
    """The issue's known value: North's Elm House has 40 members from 2025-06-01; in 2026 four
    resign, two move to South's Pine House, one moves within North (to Oak House), and ten join."""
    org = organization(slug="growers")
    top = builders.unit(org, "federation", "Federation")
    north = builders.unit(org, "district", "North", top)
    south = builders.unit(org, "district", "South", top)
    elm = builders.unit(org, "building_committee", "Elm House", north, state="preparing")
    oak = builders.unit(org, "building_committee", "Oak House", north, state="preparing")
    pine = builders.unit(org, "building_committee", "Pine House", south, state="preparing")
    founders = [builders.person(org) for _ in range(40)]
    for person in founders:
        people.join_unit(person=person, unit=elm, by=BY, on=dt.date(2025, 6, 1), status="member")
    for number, person in enumerate(founders[:4]):
        people.end_membership(person=person, by=BY, on=dt.date(2026, 3 + number, 10), status="resigned")
    for person in founders[4:6]:
        people.transfer_member(person=person, to_unit=pine, by=BY, on=dt.date(2026, 5, 20))
    people.transfer_member(person=founders[6], to_unit=oak, by=BY, on=dt.date(2026, 7, 1))
    for number in range(10):
        newcomer = builders.person(org)
        people.join_unit(person=newcomer, unit=oak, by=BY, on=dt.date(2026, 1 + number, 15), status="member")
    return {"org": org, "north": north, "elm": elm, "south": south}


def test_growth_of_the_issue_retention_85_percent_and_net_growth_plus_4(growing, capsys):
    code, out, err = run(capsys, "growth", "growers/north", "--from", "2026-01", "--to", "2026-12", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert len(data["months"]) == 12 and data["months"][0]["month"] == "2026-01"
    total = data["total"]
    assert (total["opening"], total["members"]) == (40, 44)
    assert (total["retention"], total["net_growth"]) == (0.85, 4)
    assert (total["joined"], total["transferred_in"], total["transferred_out"], total["resigned"]) == (10, 0, 2, 4)
    assert total["churn"] == {"resigned": 4, "transferred out": 2}
    may = data["months"][4]
    assert (may["month"], may["opening"], may["transferred_out"], may["resigned"], may["members"]) == (
        "2026-05",
        42,
        2,
        1,
        40,
    )
    assert may["churn"] == {"resigned": 1, "transferred out": 2}
    assert data["months"][-1]["by_status"] == {"member": 44, "resigned": 0} or data["months"][-1]["by_status"] == {
        "member": 44
    }
    # For South, the two came in by transfer: not joined.
    code, out, _err = run(capsys, "growth", "growers/south", "--from", "2026-01", "--to", "2026-12", "--json")
    south = json.loads(out)["total"]
    assert (south["opening"], south["joined"], south["transferred_in"], south["members"]) == (0, 0, 2, 2)
    code, out, _err = run(capsys, "growth", "growers/north", "--from", "2026-01", "--to", "2026-12")
    assert "85.0 %" in out and "+4" in out
    code, _out, err = run(capsys, "growth", "growers/north", "--from", "2026-13")
    assert code == 1 and "--from: '2026-13'" in err


def test_growth_reads_in_a_fixed_number_of_queries(growing, django_assert_max_num_queries):
    from grassroots.health.selectors.growth import growth_of

    with django_assert_max_num_queries(5):
        result = growth_of(BY, growing["north"], since=dt.date(2026, 1, 1), until=dt.date(2026, 12, 31))
    assert result["total"]["net_growth"] == 4


def api_get(user, path: str, **params):
    if not hasattr(user, "token"):
        _record, user.token = create_api_token(user=user, organization=user.accounts.get().organization, by=BY)
    return Client().get(f"/api{path}", params, headers={"Authorization": f"Bearer {user.token}"})


def test_the_api_serves_rollup_trend_needs_support_and_growth_in_scope(district, django_assert_max_num_queries):
    org, elm = district["org"], district["elm"]
    write_snapshots(organization=org, on=ON, by=BY)
    write_snapshots(organization=org, on=dt.date(2024, 6, 1), by=BY)
    staff = builders.account(org, "staff@example.org", is_admin=True)
    api_get(staff, "/orgs/riverside/units/north/health/rollup", on="2024-04-30")
    with django_assert_max_num_queries(8):
        response = api_get(staff, "/orgs/riverside/units/north/health/rollup", on="2024-04-30")
    assert response.status_code == 200, response.content
    assert response.json()["attendance_rate"] == 0.6 and response.json()["source"] == "snapshot"
    response = api_get(staff, "/orgs/riverside/units/elm-house/health/trend", since="2024-04-01", until="2024-06-30")
    assert response.status_code == 200, response.content
    assert [(day["on"], day["source"]) for day in response.json()["days"]] == [
        ("2024-04-30", "snapshot"),
        ("2024-06-01", "snapshot"),
    ]
    response = api_get(staff, "/orgs/riverside/units/north/health/needs-support")
    assert response.status_code == 200 and response.json()["units"][0]["unit"] == "elm-house"
    response = api_get(staff, "/orgs/riverside/units/north/health/growth", since="2024-01-01", until="2024-04-30")
    assert response.status_code == 200, response.content
    assert response.json()["total"]["members"] == 25
    response = api_get(staff, "/orgs/riverside/units/north/health/growth", since="2024-05-01", until="2024-04-30")
    assert response.status_code == 422 and "since" in response.content.decode()
    # A long period reads its latest 120 months, and says where it starts; a trend reads every
    # snapshot in its period however long.
    response = api_get(staff, "/orgs/riverside/units/north/health/growth", since="2000-01-01", until="2024-04-30")
    assert response.status_code == 200, response.content
    assert (response.json()["since"], len(response.json()["months"])) == ("2014-05-01", 120)
    response = api_get(staff, "/orgs/riverside/units/elm-house/health/trend", since="2000-01-01", until="2025-12-31")
    assert [day["on"] for day in response.json()["days"]] == ["2024-04-30", "2024-06-01"]
    # A month is a period's bound as on the command line: its first day, or its last.
    response = api_get(staff, "/orgs/riverside/units/north/health/growth", since="2024-01", until="2024-04")
    assert response.status_code == 200, response.content
    assert (response.json()["since"], response.json()["until"], response.json()["total"]["members"]) == (
        "2024-01-01",
        "2024-04-30",
        25,
    )
    # Oak House's secretary sees Oak House, not Elm House nor North's roll-up.
    secretary = builders.officer(org, district["oak"], "secretary", "oak@example.org")
    assert api_get(secretary, "/orgs/riverside/units/elm-house/health/trend").status_code == 404
    assert api_get(secretary, "/orgs/riverside/units/north/health/rollup").status_code == 404
    assert api_get(secretary, "/orgs/riverside/units/oak-house/health/growth").status_code == 200
    assert elm.pk


def test_a_snapshot_counts_good_standing_as_the_live_health_does(capsys):
    """Under the tenants' federation's standing rule (3 meetings attended in 12 months), Elm
    House's members present at all three meetings are in good standing, the others are not."""
    from grassroots.constitution import load_constitution_text

    org = organization(load_constitution_text("tenants_federation"), slug="standing")
    north = builders.unit(org, "district", "North", builders.unit(org, "federation", "Federation"))
    elm = builders.founded_basic_unit(org, "Elm House", north)
    members = [m.person for m in elm.memberships.order_by("pk")] + builders.members(org, elm, 17)
    for day, count in zip(MEETING_DAYS, (12, 10, 8), strict=True):
        held_meeting(elm, day, members[:count])
    write_snapshots(organization=org, on=ON, by=BY)
    row = HealthSnapshot.objects.get(unit=elm, on=ON)
    live = health_of(BY, elm, on=ON)
    assert row.members == 20 and 8 <= row.in_good_standing < 20
    assert (row.in_good_standing, row.present, row.expected) == (
        live.in_good_standing,
        *(sum(getattr(m, key) for m in live.results[1].meetings) for key in ("present", "members")),
    )


def test_every_snapshot_row_is_the_live_health_of_its_unit_on_a_varied_scene():
    """Under the tenants' federation (3 meetings attended in 12 months for good standing), on
    2025-03-31: Elm House's first six members attended three meetings in 2024 (in good standing
    every day of the attendance window), four more reach their third meeting only on 2025-03-11;
    one left in October, one lapsed in February, one moved to Oak House in January; three
    supporters joined in June, one of them a candidate (counted) from February. Every unit's
    snapshot row is its live health, figure by figure; Elm House counts 13 members, 8 of them in
    good standing (the five of the six still members and three of the four)."""
    from grassroots.constitution import load_constitution_text
    from grassroots.health.selectors.snapshots import attendance_sums

    on = dt.date(2025, 3, 31)
    org = organization(load_constitution_text("tenants_federation"), slug="varied")
    north = builders.unit(org, "district", "North", builders.unit(org, "federation", "Federation"))
    elm = builders.founded_basic_unit(org, "Elm House", north)
    oak = builders.founded_basic_unit(org, "Oak House", north)
    builders.founded_basic_unit(org, "Ash House", north)  # no meeting: nothing to rate
    elm_people = [m.person for m in elm.memberships.order_by("pk")] + builders.members(org, elm, 12)
    oak_people = [m.person for m in oak.memberships.order_by("pk")] + builders.members(org, oak, 4)
    for day in (dt.date(2024, 5, 14), dt.date(2024, 8, 13), dt.date(2024, 11, 12)):
        held_meeting(elm, day, elm_people[:6])
        held_meeting(oak, day, oak_people[:2])
    people.end_membership(person=elm_people[14], by=BY, on=dt.date(2024, 10, 1))
    supporters = []
    for _ in range(3):
        supporter = builders.person(org)
        people.join_unit(person=supporter, unit=elm, by=BY, on=dt.date(2024, 6, 1), status="supporter")
        supporters.append(supporter)
    held_meeting(elm, dt.date(2025, 1, 14), elm_people[:4] + elm_people[6:10])
    people.transfer_member(person=elm_people[9], to_unit=oak, by=BY, on=dt.date(2025, 1, 20))
    people.change_status(person=elm_people[5], status="lapsed", by=BY, on=dt.date(2025, 2, 1))
    held_meeting(elm, dt.date(2025, 2, 11), elm_people[:4] + elm_people[6:9], absent=elm_people[4:6])
    held_meeting(oak, dt.date(2025, 2, 11), oak_people + [elm_people[9]])
    people.change_status(person=supporters[0], status="candidate", by=BY, on=dt.date(2025, 2, 15))
    held_meeting(elm, dt.date(2025, 3, 11), elm_people[:9] + supporters)
    held_meeting(oak, dt.date(2025, 3, 11), oak_people[:3] + [elm_people[9]])

    written = write_snapshots(organization=org, on=on, by=BY)
    rows = {row.unit_id: row for row in HealthSnapshot.objects.filter(organization=org, on=on)}
    assert written == len(rows) == 3  # the three houses (the planned district is not measured)
    for row in rows.values():
        live = health_of(BY, row.unit, on=on)
        assert (row.tier, row.consolidated, row.score, row.members, row.in_good_standing) == (
            live.tier,
            live.consolidated,
            live.score,
            live.members,
            live.in_good_standing,
        ), row.unit.slug
        assert (row.present, row.expected) == attendance_sums(live), row.unit.slug
        assert [(entry["indicator"], entry["passed"]) for entry in row.indicators] == [
            (result.indicator, result.passed) for result in live.results
        ], row.unit.slug
        assert [entry["value"] for entry in row.indicators] == [
            round(result.value, 6) if isinstance(result.value, float) else result.value for result in live.results
        ], row.unit.slug
    assert (rows[elm.pk].members, rows[elm.pk].in_good_standing) == (13, 8)
    assert 0 < rows[oak.pk].in_good_standing < rows[oak.pk].members


def test_every_health_read_refuses_a_day_in_the_future_or_before_1900(district, capsys):
    """The issue's fault: 9999-12-31 gave a 500 (a date overflow), 2030 and 1850 gave made-up
    figures. Every read for a day refuses one after today where the organization is, or before
    1900-01-01, naming the field: 409 with the refusal's shape on the API, a message and exit 1
    on the command line."""
    org = district["org"]
    today = today_of(org)
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    staff = builders.account(org, "staff@example.org", is_admin=True)
    for path, field, value in (
        ("elm-house/health", "as_of", "9999-12-31"),
        ("elm-house/health", "on", tomorrow),
        ("elm-house/health", "on", "1850-01-01"),
        ("north/health/rollup", "on", "9999-12-31"),
        ("north/health/rollup", "on", "0001-01-01"),
        ("elm-house/health/trend", "until", "9999-12-31"),
        ("elm-house/health/trend", "since", "0001-01-01"),
        ("north/health/growth", "until", "2031-12"),
        ("north/health/growth", "until", "0001-01-01"),
        ("north/health/growth", "since", "1899-12"),
        ("elm-house/education", "on", tomorrow),
    ):
        response = api_get(staff, f"/orgs/riverside/units/{path}", **{field: value})
        assert response.status_code == 409, (path, field, value, response.content)
        body = response.json()
        assert body["field"] == field
        if value > today.isoformat():
            assert body["detail"].startswith(f"{field}: {value}") and "is in the future" in body["detail"]
        else:
            assert body["detail"] == (
                f"{field}: {value if len(value) == 10 else value + '-01'} is before 1900-01-01, "
                "earlier than any record kept here"
            )
    # `on` is the health's other name for `as_of`, as on the roll-up.
    by_on = api_get(staff, "/orgs/riverside/units/elm-house/health", on=ON.isoformat()).json()
    assert (by_on["on"], by_on["tier"]) == (ON.isoformat(), health_of(BY, district["elm"], on=ON).tier)
    both = api_get(staff, "/orgs/riverside/units/elm-house/health", on=ON.isoformat(), as_of="2024-04-29")
    assert both.status_code == 409 and both.json()["field"] == "as_of"
    for args, option in (
        (("health", "riverside/elm-house", "--on", "9999-12-31"), "--on"),
        (("health", "rollup", "riverside/north", "--on", "2030-01-01"), "--on"),
        (("health", "riverside/elm-house", "--on", "1850-01-01"), "--on"),
        (("unit", "health", "riverside", "elm-house", "--as-of", "9999-12-31"), "--as-of"),
        (("growth", "riverside/north", "--to", "2031-12"), "--to"),
        (("growth", "riverside/north", "--from", "0001-01-01"), "--from"),
        (("education", str(district["elm"].memberships.first().person_id), "--on", tomorrow), "--on"),
    ):
        code, out, err = run(capsys, *args)
        assert code == 1 and out == "", (args, out, err)
        assert err.startswith(f"refused: {option}: ") and ("is in the future" in err or "before 1900-01-01" in err)
        assert "Traceback" not in err


def test_growth_says_when_it_reads_only_the_latest_months(district, capsys):
    code, out, err = run(capsys, "growth", "riverside/north", "--from", "1990-01", "--to", "2024-04")
    assert code == 0, err
    assert out.startswith("From 2014-05: at most 120 months are read, the latest.")


def test_needs_support_and_backfill_say_plainly_what_is_missing(district, capsys):
    code, out, err = run(capsys, "health", "needs-support", "riverside/north")
    assert code == 0, err
    assert out == "No two snapshot days yet below North: nothing to compare.\n"
    code, out, err = run(capsys, "health", "needs-support", f"riverside/{district['elm'].slug}")
    assert (code, out) == (0, "Elm House is a basic unit: there is no unit below it to compare.\n")
    tomorrow = today_of(district["org"]) + dt.timedelta(days=1)
    yesterday = tomorrow - dt.timedelta(days=2)
    code, _out, err = run(capsys, "health", "backfill", "riverside", "--from", tomorrow.isoformat())
    assert code == 1
    assert err == f"refused: --from: {tomorrow} is after the last complete day, {yesterday}\n"
