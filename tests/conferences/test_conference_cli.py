"""`grassroots conference add|apportion|call|status|list`, run in process as the other
command-line tests are, on the conference scene (Elm House 7 and Oak Court 3 members on the
cut-off date 2024-06-01)."""

from __future__ import annotations

import json

import pytest

from grassroots.conferences.models import Allocation, Conference
from grassroots.outbox.models import Mailing
from tests.support.conferences import conference_scene, run_cli

pytestmark = pytest.mark.django_db


run = run_cli


@pytest.fixture
def units(org):
    return conference_scene(org)


def add(capsys, org, *args: str) -> tuple[int, str, str]:
    return run(capsys, "conference", "add", f"{org.slug}/federation", "--name", "Founding", "--cutoff", "2024-06-01",
               *args)  # fmt: skip


def test_add_apportion_call_and_list(capsys, org, units):
    code, out, err = add(capsys, org, "--method", "dhondt", "--seats", "5", "--place", "Hall", "--json")
    assert (code, err) == (0, "")
    pk = json.loads(out)["id"]
    conference = Conference.objects.get(pk=pk)
    assert (conference.unit, conference.method, conference.seats, conference.place) == (
        units["federation"], "dhondt", 5, "Hall"
    )  # fmt: skip
    code, out, err = run(capsys, "conference", "apportion", str(pk), "--json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert (data["method"], data["seats"]) == ("dhondt", 5)
    assert [(u["unit"], u["members"], u["quota"], u["seats"]) for u in data["units"]] == [
        ("elm-house", 7, "3.5000", 4),
        ("oak-court", 3, "1.5000", 1),
    ]
    assert data["input_sha256"] == Conference.objects.get(pk=pk).input_sha256
    code, out, _ = run(capsys, "conference", "apportion", str(pk))
    assert code == 0 and "dhondt: 5 seats" in out and "Input SHA-256: " in out
    code, out, err = run(capsys, "conference", "call", str(pk))
    assert (code, err) == (0, "")
    assert "Called Founding: 5 seats over 2 units" in out
    assert Mailing.objects.filter(source=f"conferences.call:{pk}").exists()
    code, out, _ = run(capsys, "conference", "list", "--org", org.slug, "--json")
    assert json.loads(out) == [
        {
            "id": pk,
            "organization": org.slug,
            "unit": "federation",
            "name": "Founding",
            "cutoff": "2024-06-01",
            "status": "called",
            "seats": 5,
            "rule": "D'Hondt (Jefferson), 5 seats",
            "rule_from_constitution": False,
        }
    ]
    code, out, _ = run(capsys, "conference", "list")
    assert code == 0 and "Founding" in out and "called" in out
    code, out, _ = run(capsys, "conference", "status", str(pk), "credentialing")
    assert (code, out.strip()) == (0, "Founding is credentialing.")


def test_ratio_rules_from_the_command_line(capsys, org, units, tmp_path):
    code, out, _ = add(capsys, org, "--per", "2", "--rounding", "ceiling")
    assert code == 0
    assert Conference.objects.get(pk=int(out)).method == "per"
    brackets = tmp_path / "brackets.txt"
    brackets.write_text("1-5: 1\n6+: 2 + 1 per 5\n", encoding="utf-8")
    code, out, _ = add(capsys, org, "--brackets", str(brackets))
    assert code == 0
    run(capsys, "conference", "apportion", out.strip())
    assert dict(Allocation.objects.filter(conference_id=int(out)).values_list("unit__slug", "seats")) == {
        "elm-house": 3,
        "oak-court": 1,
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--minimum", "2"), "--minimum: give the method too, or leave the whole rule to the constitution"),
        (("--seats", "5"), "--seats goes with --method M (a house-size method); without --method"),
        (("--method", "per"), "--per: required with the method per"),
        (("--method", "dhondt"), "--seats: required with the method dhondt"),
        (("--method", "dhondt", "--seats", "5", "--per", "3"), "(not --seats and --per)"),
        (("--per", "5", "--rounding", "up"), "--rounding: unknown rounding 'up'"),
        (("--method", "lottery", "--seats", "5"), "--method: unknown method 'lottery'"),
        (("--method", "dhondt", "--seats", "5", "--minimum", "3", "--maximum", "1"), "--minimum: 3 is more"),
        (("--method", "dhondt", "--seats", "5", "--statuses", "honorary"), "--statuses: 'honorary'"),
        (("--method", "dhondt", "--seats", "5", "--starts", "2024-05-01"), "--cutoff: 2024-06-01 is after"),
        (("--method", "dhondt", "--seats", "5", "--starts", "May"), "--starts: 'May' is not a date"),
        (("--method", "dhondt", "--seats", "5", "--level", "parish"), "--level: 'parish' is not a kind of unit"),
    ],
)
def test_bad_input_names_the_flag_and_changes_nothing(capsys, org, units, args, message):
    code, out, err = add(capsys, org, *args)
    assert code == 1 and out == ""
    assert message in err and "Traceback" not in err
    assert not Conference.objects.exists()


def test_refusals_of_an_existing_conference(capsys, org, units):
    code, out, _ = run(capsys, "conference", "add", f"{org.slug}/south", "--name", "South", "--cutoff",
                       "2024-06-01", "--method", "dhondt", "--seats", "2")  # fmt: skip
    pk = out.strip()
    code, out, err = run(capsys, "conference", "apportion", pk)
    assert (code, out) == (1, "")
    assert err == "error: units: no basic unit under South was founded on 2024-06-01\n"
    code, _, err = run(capsys, "conference", "call", pk)
    assert code == 1 and "units: no basic unit" in err
    code, _, err = run(capsys, "conference", "status", pk, "closed")
    assert code == 1 and "status: conference" in err and "is planned; nothing follows" in err
    code, _, err = run(capsys, "conference", "apportion", "999999")
    assert (code, err) == (1, "error: no conference 999999\n")
    code, _, err = run(capsys, "conference", "add", f"{org.slug}/elm-house", "--name", "E", "--cutoff",
                       "2024-06-01", "--method", "dhondt", "--seats", "2")  # fmt: skip
    assert code == 1 and "unit: Elm House is a basic unit" in err
