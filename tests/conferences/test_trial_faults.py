"""Faults the trials of issue 17 found in conferences and delegations, each checked through what a
user sees: the command's exit code and its one line naming the flag, the API's 409/422 naming the
field, the form's error beside its field. Bounds are one set (the engine's), the same everywhere."""

from __future__ import annotations

import datetime as dt
import json
import threading
from html import unescape

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grassroots.conferences import actions, assembly, delegations
from grassroots.conferences.models import Conference, Delegate, Delegation
from grassroots.errors import ActionRefused
from tests.support import builders
from tests.support.conferences import api_client, conference, conference_scene, post_json, run_cli
from tests.support.delegations import called, election, members_of
from tests.support.sessions import sign_in

pytestmark = pytest.mark.django_db


run = run_cli


@pytest.fixture
def units(org):
    return conference_scene(org)


def _tomorrow() -> str:
    return (timezone.localdate() + dt.timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--cutoff", "2030-11-01"), "error: --cutoff: 2030-11-01 is in the future (today is "),
        (("--cutoff", "9999-12-31"), "error: --cutoff: 9999-12-31 is in the future (today is "),
        (("--cutoff", "0001-01-01"), "error: --cutoff: 0001-01-01 is before 1900-01-01"),
        (("--seats", "1000000000000"), "error: --seats: must be at most 1,000,000, not 1,000,000,000,000\n"),
        (("--seats", "99999999999999999999"), "error: --seats: must be at most 1,000,000, not 99,999,999,999,999,99"),
        (("--seats", "0"), "error: --seats: must be at least 1, not 0\n"),
        (("--seats", "5", "--tenure", "800000"), "error: --tenure: must be at most 100,000 days, not 800,000\n"),
        (("--seats", "5", "--maximum", "2000000"), "error: --maximum: must be at most 1,000,000, not 2,000,000\n"),
        (("--seats", "5", "--votes-per-delegate", "0"), "error: --votes-per-delegate: must be at least 1, not 0\n"),
    ],
)
def test_conference_add_refuses_out_of_bounds_naming_the_flag(capsys, org, units, args, message):
    rule = () if any(arg.startswith("--seats") for arg in args) else ("--seats", "5")
    cutoff = () if "--cutoff" in args else ("--cutoff", "2024-06-01")
    code, out, err = run(capsys, "conference", "add", f"{org.slug}/federation", "--name", "F", "--method", "dhondt",
                         *rule, *cutoff, *args)  # fmt: skip
    assert (code, out) == (1, "")
    assert err.startswith(message) and err.count("\n") == 1
    assert not Conference.objects.exists()


def test_per_zero_is_named(capsys, org, units):
    code, out, err = run(capsys, "conference", "add", f"{org.slug}/federation", "--name", "F", "--cutoff",
                         "2024-06-01", "--per", "0")  # fmt: skip
    assert (code, err) == (1, "error: --per: must be at least 1, not 0\n")


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"cutoff": "2030-11-01"}, 409, "cutoff"),
        ({"cutoff": "0001-01-01"}, 409, "cutoff"),
        ({"seats": True}, 422, "seats"),
        ({"seats": 1_000_001}, 422, "seats"),
        ({"minimum_tenure_days": 800_000}, 422, "minimum_tenure_days"),
    ],
)
def test_the_api_refuses_the_same_naming_the_field(org, units, body, status, field):
    admin = api_client(builders.account(org, "admin@example.org", is_admin=True), org)
    payload = {"unit": "federation", "name": "F", "cutoff": "2024-06-01", "method": "dhondt", "seats": 5} | body
    response = post_json(admin, f"/api/orgs/{org.slug}/conferences", payload)
    assert response.status_code == status, response.json()
    assert field in json.dumps(response.json())
    assert not Conference.objects.exists()


def test_a_whole_number_written_with_a_point_is_a_number(org, units):
    """JSON Schema's integer includes 5.0; true and false are refused above."""
    admin = api_client(builders.account(org, "admin@example.org", is_admin=True), org)
    payload = {"unit": "federation", "name": "F", "cutoff": "2024-06-01", "method": "dhondt", "seats": 5.0}
    response = post_json(admin, f"/api/orgs/{org.slug}/conferences", payload)
    assert response.status_code == 201, response.json()
    assert Conference.objects.get().seats == 5


def test_a_cutoff_of_tomorrow_is_refused_by_the_action(units):
    with pytest.raises(ActionRefused, match="cutoff: .* is in the future") as refused:
        actions.add_conference(unit=units["federation"], name="F", cutoff=dt.date.fromisoformat(_tomorrow()),
                               method="dhondt", seats=5, by="test")  # fmt: skip
    assert refused.value.field == "cutoff"


def test_the_form_names_the_field(org, units):
    client = sign_in(Client(), builders.account(org, "admin@example.org", is_admin=True))
    page = reverse("unit_conferences", args=[org.slug, "federation"])
    form = {"name": "F", "cutoff": "2024-06-01", "method": "dhondt", "seats": "99999999999999999999"}
    refused = client.post(page, form)
    assert refused.status_code == 400
    assert "seats: must be at most 1,000,000, not 99,999,999,999,999,999,999" in unescape(refused.content.decode())
    future = client.post(page, form | {"seats": "5", "cutoff": "2030-11-01"})
    assert future.status_code == 400
    assert "cutoff: 2030-11-01 is in the future" in unescape(future.content.decode())
    tenure = client.post(page, form | {"seats": "5", "minimum_tenure_days": "800000"})
    assert "minimum_tenure_days: must be at most 100,000 days" in unescape(tenure.content.decode())
    assert not Conference.objects.exists()


def test_a_conference_of_no_seats_is_not_called(capsys, units):
    # Elm House 7 and Oak Court 3 members: one delegate per 1000, rounded down, gives none.
    planned = conference(units["federation"], method="per", per=1000, seats=None)
    code, out, err = run(capsys, "conference", "call", str(planned.pk))
    assert (code, out) == (1, "")
    assert err == "error: --seats: the apportionment gives no seats at all (2 units, 10 members on 2024-06-01); " \
                  "change the rule before the call\n"  # fmt: skip
    assert Conference.objects.get(pk=planned.pk).status == "planned"


def test_a_called_conference_prints_its_stored_apportionment(capsys, units):
    planned = conference(units["federation"], method="hamilton", seats=5)
    code, before, _ = run(capsys, "conference", "apportion", str(planned.pk), "--json")
    assert code == 0
    run(capsys, "conference", "call", str(planned.pk))
    # A member joining after the call changes nothing: the stored apportionment is printed.
    code, after, err = run(capsys, "conference", "apportion", str(planned.pk), "--json")
    assert (code, err) == (0, "")
    assert json.loads(after) == json.loads(before)
    assert json.loads(after)["units"][0]["unit"] == "elm-house"
    code, table, _ = run(capsys, "conference", "apportion", str(planned.pk))
    assert code == 0 and "hamilton: 5 seats" in table and json.loads(before)["input_sha256"] in table


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--seats", "99999999999999999999", "--method", "dhondt"], "--seats: must be at most 1,000,000, not 99,999"),
        (["--seats", "1000001", "--method", "dhondt"], "--seats: must be at most 1,000,000, not 1,000,001"),
        (["--per", "0"], "--per: must be at least 1, not 0"),
        (["--weighted", "0"], "--weighted: must be at least 1, not 0"),
        (["--per", "5", "--at-large", "2000000"], "--at-large: must be at most 1,000,000, not 2,000,000"),
    ],
)
def test_apportion_bounds(capsys, tmp_path, args, message):
    members = tmp_path / "k.csv"
    members.write_text("A,100000\nB,80000\n", encoding="utf-8")
    code, out, err = run(capsys, "apportion", str(members), *args)
    assert (code, out) == (1, "")
    assert err.startswith(f"error: {message}")
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("A,5\x00\n", "line 1: members '5\\x00' is not a whole number"),
        ("A\x00B,5\n", "line 1: the unit's name 'A\\x00B' holds a control character"),
    ],
)
def test_a_nul_in_the_csv_is_shown(capsys, tmp_path, content, message):
    path = tmp_path / "nul.csv"
    path.write_text(content, encoding="utf-8")
    code, _, err = run(capsys, "apportion", str(path), "--per", "3")
    assert (code, err) == (1, f"error: {path} {message}\n")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1-14: 1\n15+: 2 + 1 per 0\n", "line 2: bracket 15+: 2 + 1 per 0: adds one per 0; N must be from 1 to "),
        ("15-24: 2\n1-14: 1\n", "line 2: bracket 1-14: 1: not in order, it comes after 15-24: 2;"),
        ("1-14: 1\n15-24: 2000000\n", "line 2: bracket 15-24: 2000000: gives 2,000,000, more than 1,000,000"),
    ],
)
def test_bracket_rules_are_told_right(capsys, tmp_path, text, message):
    members = tmp_path / "k.csv"
    members.write_text("A,10\n", encoding="utf-8")
    brackets = tmp_path / "b.txt"
    brackets.write_text(text, encoding="utf-8")
    code, _, err = run(capsys, "apportion", str(members), "--brackets", str(brackets))
    assert code == 1 and err.startswith(f"error: {brackets}: brackets {message}")


@pytest.fixture
def elected(org, units):
    conf = called(units["federation"])
    people = members_of(units["elm"])
    decision = election(units["elm"])
    delegation = delegations.elect_delegation(conference=conf, unit=units["elm"], decision=decision,
                                              delegates=people[:2], alternates=people[2:3], chair=people[0],
                                              by="test")  # fmt: skip
    return conf, delegation, people, decision


def test_reelecting_after_a_delegate_submitted_a_motion_is_refused(org, units, elected, capsys):
    conf, delegation, people, decision = elected
    second = delegation.delegates.get(role="delegate", rank=2)
    motion = assembly.add_motion(conference=conf, title="By a delegate", text="Text", by="test", delegate=second)
    admin = api_client(builders.account(org, "admin@example.org", is_admin=True), org)
    body = {"unit": "elm-house", "decision": decision.pk, "delegates": [people[1].pk, people[0].pk],
            "alternates": [people[2].pk], "chair": people[0].pk}  # fmt: skip
    response = post_json(admin, f"/api/orgs/{org.slug}/conferences/{conf.pk}/delegations", body)
    assert response.status_code == 409, response.json()
    assert response.json()["field"] == "delegates"
    assert response.json()["detail"].startswith(
        f"delegates: {people[1].name} submitted motion {motion.number}; Elm House's delegation has acted"
    )
    assert list(Delegate.objects.filter(delegation=delegation).order_by("pk").values_list("person_id", flat=True)) == [
        people[0].pk, people[1].pk, people[2].pk
    ]  # fmt: skip
    code, out, err = run(capsys, "conference", "delegation", str(conf.pk), f"{org.slug}/elm-house", "--decision",
                         str(decision.pk), "--delegates", f"{people[1].pk},{people[0].pk}", "--chair",
                         str(people[0].pk))  # fmt: skip
    assert code == 1 and f"submitted motion {motion.number}" in err and "Traceback" not in err


def test_closing_with_a_poll_open_is_refused_naming_it(capsys, org, units):
    from tests.support.assembly import in_session, seat

    conf = in_session(conference(units["federation"]))
    seat(conf, {"elm-house": [1]})
    poll = assembly.add_poll(conference=conf, subject="Budget", by="test")
    assembly.open_poll(poll=poll, by="test")
    code, _, err = run(capsys, "conference", "status", str(conf.pk), "closed")
    assert (code, err) == (
        1,
        f"error: status: conference {conf.pk} still has open votes: poll {poll.pk} (Budget); "
        "close them before the conference\n",
    )
    assert Conference.objects.get(pk=conf.pk).status == "in_session"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_three_simultaneous_elections_of_one_unit_give_one_delegation():
    org = builders.organization()
    units = conference_scene(org)
    conf = called(units["federation"])
    people = members_of(units["elm"])
    decision = election(units["elm"])
    barrier = threading.Barrier(3)
    outcomes: list[str] = []

    def elect():
        try:
            barrier.wait(timeout=10)
            delegations.elect_delegation(conference=conf, unit=units["elm"], decision=decision,
                                         delegates=people[:2], chair=people[0], by="test")  # fmt: skip
            outcomes.append("elected")
        except ActionRefused as refused:
            outcomes.append(f"refused: {refused}")
        except Exception as error:  # anything else fails the test below, never silently
            outcomes.append(f"error: {error!r}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=elect) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # The second and third wait for the first and replace its delegation (still all submitted).
    assert outcomes == ["elected"] * 3, outcomes
    assert Delegation.objects.filter(conference=conf, unit=units["elm"]).count() == 1
    assert Delegate.objects.filter(conference=conf).count() == 2


def test_standing_through_the_api_and_the_command_line(capsys, org, units):
    admin = api_client(builders.account(org, "admin@example.org", is_admin=True), org)
    payload = {"unit": "federation", "name": "F", "cutoff": "2024-06-01", "method": "dhondt", "seats": 5}
    response = post_json(admin, f"/api/orgs/{org.slug}/conferences", payload | {"standing": True})
    assert response.status_code == 201, response.json()
    assert response.json()["standing"] is True
    code, out, err = run(capsys, "conference", "add", f"{org.slug}/federation", "--name", "G", "--cutoff",
                         "2024-06-01", "--per", "10", "--standing", "--json")  # fmt: skip
    assert code == 0, err
    assert Conference.objects.get(pk=json.loads(out)["id"]).standing is True
