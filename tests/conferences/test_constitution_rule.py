"""The apportionment rule the constitution writes (`conferences: apportionment`): validated with
the constitution naming the key, used whole by a conference planned without a rule of its own
(CLI without --method, API without "method", the form's first choice), and shown as the
constitution's. The scene counts Elm House 7 and Oak Court 3 members on 2024-06-01; the tenants'
federation's rule is Sainte-Laguë, 9 seats, at least 1 per unit: 6 and 3 (quotas 6.3 and 2.7)."""

from __future__ import annotations

import json
from html import unescape
from typing import get_args

import pytest
from django.test import Client
from django.urls import reverse

from grassroots.audit.models import AuditRecord
from grassroots.conferences import actions, apportionment
from grassroots.conferences.models import Allocation, Conference
from grassroots.constitution import ConstitutionError, load_constitution_text, parse_constitution, template_names
from grassroots.constitution.schema import HOUSE_METHODS, Rounding
from grassroots.errors import ActionRefused
from grassroots.organizations import actions as organizations
from tests.support import builders
from tests.support.conferences import CUTOFF, api_client, conference_scene, post_json, run_cli
from tests.support.sessions import sign_in

FEDERATION = load_constitution_text("tenants_federation")
WITHOUT_RULE = FEDERATION.split("\nconferences:")[0] + "\n"


def _with(block: str) -> str:
    return WITHOUT_RULE + "conferences:\n  apportionment: " + block + "\n"


# --- the constitution ---------------------------------------------------------------------------


def test_the_constitution_names_the_engine_methods_and_roundings():
    assert set(HOUSE_METHODS) == set(apportionment.METHODS)
    assert set(get_args(Rounding)) == set(apportionment.ROUNDINGS)


@pytest.mark.parametrize("template", template_names())
def test_every_template_rule_is_one_the_engine_takes(template):
    written = parse_constitution(load_constitution_text(template)).conferences.apportionment
    assert written is not None
    rule = written.model_dump()
    checked = actions.checked_rule(
        method=rule["method"],
        seats=rule["seats"],
        minimum=rule["minimum"],
        maximum=rule["maximum"],
        per=rule["per"],
        rounding=rule["rounding"] or "",
        brackets=rule["brackets"] or "",
    )
    assert checked["method"] == rule["method"]


def test_the_templates_say_their_rules_in_words():
    words = {
        name: apportionment.rule_summary(
            **parse_constitution(load_constitution_text(name)).conferences.apportionment.model_dump()
        )
        for name in ("union", "party", "tenants_federation")
    }
    assert words == {
        "union": "one delegate per 50 members, major-fraction, at least 1 per unit",
        "party": "brackets (1-14: 1; 15-29: 2; 30-59: 3; 60+: 3 + 1 per 30)",
        "tenants_federation": "Sainte-Laguë (Webster), 9 seats, at least 1 per unit",
    }


@pytest.mark.parametrize(
    ("block", "error"),
    [
        ("{method: dhondt}", "conferences.apportionment.seats: required with the method dhondt"),
        ("{method: per}", "conferences.apportionment.per: required with the method per"),
        ("{method: brackets}", "conferences.apportionment.brackets: required with the method brackets"),
        ("{method: dhondt, seats: 5, per: 3}", "conferences.apportionment.per: does not apply to the method dhondt"),
        ("{method: per, per: 5, seats: 3}", "conferences.apportionment.seats: does not apply to the method per"),
        ("{method: per, per: 5, rounding: up}", "conferences.apportionment.rounding: Input should be 'floor'"),
        ("{method: lottery, seats: 5}", "conferences.apportionment.method: Input should be 'hamilton'"),
        ("{method: dhondt, seats: 0}", "conferences.apportionment.seats: Input should be greater than or equal to 1"),
        ("{method: dhondt, seats: 5, minimum: 3, maximum: 1}", "conferences.apportionment.minimum: 3 is more than"),
        ("{method: dhondt, seats: 5, house: 3}", "conferences.apportionment.house: unknown key"),
        ("{method: dhondt, seats: 3, minimum: 4}", "conferences.apportionment.minimum: 4 is more than the seats, 3"),
        ("{method: dhondt, seats: 3, maximum: 0}", "conferences.apportionment.maximum: Input should be greater"),
        ("{method: dhondt, seats: true}", "conferences.apportionment.seats: Input should be a valid integer"),
        ("{method: dhondt, seats: '9'}", "conferences.apportionment.seats: Input should be a valid integer"),
        ("{method: dhondt, seats: 9.0}", "conferences.apportionment.seats: Input should be a valid integer"),
        ("{method: per, per: true}", "conferences.apportionment.per: Input should be a valid integer"),
        ("{method: brackets, brackets: '  '}", "conferences.apportionment.brackets: give at least one bracket"),
        (
            '{method: brackets, brackets: "1-14: 1\\n15-x: 2"}',
            "conferences.apportionment.brackets line 2: '15-x: 2' is not 'LOW-HIGH: SEATS'",
        ),
        (
            '{method: brackets, brackets: "1-14: 1\\n20-29: 2"}',
            "conferences.apportionment.brackets line 2: bracket 20-29: 2: leaves 15-19 members uncovered",
        ),
        (
            '{method: brackets, brackets: "1-14: 1\\n10-20: 2"}',
            "conferences.apportionment.brackets line 2: bracket 10-20: 2: overlaps 1-14: 1",
        ),
        ('{method: brackets, brackets: "\u0661-\u0661\u0664: 1"}', "conferences.apportionment.brackets line 1: "),
    ],
)
def test_a_bad_rule_is_refused_naming_its_key(block, error):
    with pytest.raises(ConstitutionError) as refused:
        parse_constitution(_with(block))
    assert any(message.startswith(error) for message in refused.value.errors), refused.value.errors


def test_an_empty_section_says_nothing():
    assert parse_constitution(WITHOUT_RULE + "conferences:\n").conferences.apportionment is None
    assert parse_constitution(WITHOUT_RULE + "conferences:\n  apportionment:\n").conferences.apportionment is None


def test_an_organization_is_not_created_under_a_bad_rule(db):
    with pytest.raises(ActionRefused) as refused:
        organizations.create_organization(
            slug="bad", name="Bad", constitution_yaml=_with("{method: per, per: 0}"), by="test"
        )
    assert refused.value.field == "constitution"
    assert refused.value.reasons == ["conferences.apportionment.per: Input should be greater than or equal to 1"]


# --- planning a conference by it ----------------------------------------------------------------


@pytest.fixture
def units(org):
    return conference_scene(org)


def test_planned_without_a_rule_the_conference_takes_the_constitutions(org, units):
    planned = actions.add_conference(unit=units["federation"], name="Founding", cutoff=CUTOFF, by="test")
    assert planned.rule_from_constitution
    assert (planned.method, planned.seats, planned.minimum_seats, planned.maximum_seats) == ("sainte-lague", 9, 1, None)
    record = AuditRecord.objects.get(action="conferences.add")
    assert record.changes["rule"] == [None, "Sainte-Laguë (Webster), 9 seats, at least 1 per unit (the constitution's)"]
    actions.apportion_conference(conference=planned, by="test")
    seats = dict(Allocation.objects.filter(conference=planned).values_list("unit__slug", "seats"))
    assert seats == {"elm-house": 6, "oak-court": 3}


def test_a_rule_chosen_for_the_conference_says_so(org, units):
    planned = actions.add_conference(
        unit=units["federation"], name="Founding", cutoff=CUTOFF, by="test", method="dhondt", seats=5
    )
    assert not planned.rule_from_constitution
    assert AuditRecord.objects.get(action="conferences.add").changes["rule"] == [None, "D'Hondt (Jefferson), 5 seats"]


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"seats": 12}, "seats"),
        ({"minimum": 2}, "minimum"),
        ({"minimum": 0}, "minimum"),
        ({"per": 10}, "per"),
        ({"rounding": "ceiling"}, "rounding"),
    ],
)
def test_a_parameter_without_a_method_is_refused(org, units, given, field):
    with pytest.raises(ActionRefused) as refused:
        actions.add_conference(unit=units["federation"], name="Founding", cutoff=CUTOFF, by="test", **given)
    assert refused.value.field == field
    assert refused.value.message == (
        f"{field}: give the method too, or leave the whole rule to the constitution "
        "(Sainte-Laguë (Webster), 9 seats, at least 1 per unit)"
    )
    assert not Conference.objects.exists()


def test_without_a_rule_anywhere_the_method_is_required(units):
    other = organizations.create_organization(slug="plain", name="Plain", constitution_yaml=WITHOUT_RULE, by="test")
    top = builders.unit(other, "federation", "Federation")
    with pytest.raises(ActionRefused) as refused:
        actions.add_conference(unit=top, name="Founding", cutoff=CUTOFF, by="test")
    assert refused.value.field == "method"
    assert refused.value.message == (
        "method: required; the constitution names no apportionment rule (conferences: apportionment)"
    )
    assert not Conference.objects.exists()


def test_a_rule_the_records_cannot_meet_is_named_as_the_constitutions(units):
    """A house whose minimum the units cannot all get is found when apportioned: the refusal
    names the constitution's key, not a field or a flag nobody typed."""
    tight = organizations.create_organization(
        slug="tight", name="Tight", constitution_yaml=_with("{method: dhondt, seats: 1, minimum: 1}"), by="test"
    )
    scene = conference_scene(tight)
    planned = actions.add_conference(unit=scene["federation"], name="Founding", cutoff=CUTOFF, by="test")
    with pytest.raises(ActionRefused) as refused:
        actions.apportion_conference(conference=planned, by="test")
    assert refused.value.message.startswith("the constitution's conferences.apportionment.seats: ")
    assert not Allocation.objects.exists()


# --- the interfaces -----------------------------------------------------------------------------


def test_the_command_line_without_a_rule_takes_the_constitutions(capsys, org, units):
    code, out, err = run_cli(
        capsys, "conference", "add", f"{org.slug}/federation", "--name", "Founding", "--cutoff", "2024-06-01", "--json"
    )
    assert (code, err) == (0, "")
    pk = json.loads(out)["id"]
    code, out, err = run_cli(capsys, "conference", "apportion", str(pk), "--json")
    data = json.loads(out)
    assert (data["method"], data["seats"]) == ("sainte-lague", 9)
    assert [(row["unit"], row["seats"]) for row in data["units"]] == [("elm-house", 6), ("oak-court", 3)]
    code, out, err = run_cli(
        capsys, "conference", "add", f"{org.slug}/federation", "--name", "F", "--cutoff", "2024-06-01", "--maximum", "4"
    )
    assert code == 1 and out == ""
    assert "--maximum: give the method too, or leave the whole rule to the constitution" in err
    assert Conference.objects.count() == 1
    # A rule chosen by its method's name, as the API takes it; the list says whose rule each is.
    code, out, err = run_cli(capsys, "conference", "add", f"{org.slug}/federation", "--name", "F", "--cutoff",
                             "2024-06-01", "--method", "per", "--per", "2")  # fmt: skip
    assert (code, err) == (0, "")
    code, out, err = run_cli(capsys, "conference", "list", "--org", org.slug, "--json")
    listed = {row["id"]: (row["rule"], row["rule_from_constitution"]) for row in json.loads(out)}
    assert listed == {
        pk: ("Sainte-Laguë (Webster), 9 seats, at least 1 per unit", True),
        pk + 1: ("one delegate per 2 members, floor", False),
    }


def test_the_api_without_a_method_takes_the_constitutions(org, units):
    admin = api_client(builders.account(org, "admin@example.org", is_admin=True), org)
    base = f"/api/orgs/{org.slug}/conferences"
    response = post_json(admin, base, {"unit": "federation", "name": "Founding", "cutoff": "2024-06-01"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["method"], body["seats"], body["minimum_seats"], body["rule_from_constitution"]) == (
        "sainte-lague", 9, 1, True
    )  # fmt: skip
    assert (body["rule"], body["rule_summary"]) == ("", "Sainte-Laguë (Webster), 9 seats, at least 1 per unit")
    for given in ({"seats": 4}, {"minimum": 0}):
        refused = post_json(admin, base, {"unit": "federation", "name": "F", "cutoff": "2024-06-01"} | given)
        assert refused.status_code == 409
        assert refused.json()["field"] == next(iter(given))
    chosen = post_json(admin, base, {"unit": "federation", "name": "F", "cutoff": "2024-06-01", "method": "hamilton",
                                     "seats": 4})  # fmt: skip
    assert chosen.status_code == 201 and chosen.json()["rule_from_constitution"] is False
    assert Conference.objects.count() == 2


def test_the_form_offers_the_constitutions_rule_first_and_the_page_names_it(org, units):
    client = sign_in(Client(), builders.account(org, "admin@example.org", is_admin=True))
    page = reverse("unit_conferences", args=[org.slug, "federation"])
    text = unescape(client.get(page).content.decode())
    assert (
        '<option value="" selected>As the constitution says: Sainte-Laguë (Webster), 9 seats, at least 1 per unit'
        in text
    )
    refused = client.post(page, {"name": "Founding", "cutoff": "2024-06-01", "method": "", "seats": "12"})
    assert refused.status_code == 400
    assert "seats: give the method too" in unescape(refused.content.decode())
    assert not Conference.objects.exists()
    response = client.post(page, {"name": "Founding", "cutoff": "2024-06-01", "method": ""}, follow=True)
    planned = Conference.objects.get()
    assert (planned.method, planned.seats, planned.rule_from_constitution) == ("sainte-lague", 9, True)
    text = unescape(response.content.decode())
    assert '<span data-rule-source="constitution">(as the constitution says, conferences: apportionment)</span>' in text
    assert "Sainte-Laguë (Webster), 9 seats, at least 1 per unit" in text


def test_without_a_rule_in_the_constitution_the_form_requires_one(db):
    other = organizations.create_organization(slug="plain", name="Plain", constitution_yaml=WITHOUT_RULE, by="test")
    builders.unit(other, "federation", "Federation")
    client = sign_in(Client(), builders.account(other, "admin@example.org", is_admin=True))
    page = reverse("unit_conferences", args=[other.slug, "federation"])
    assert "As the constitution says" not in client.get(page).content.decode()
    refused = client.post(page, {"name": "Founding", "cutoff": "2024-06-01", "method": ""})
    assert refused.status_code == 400 and "This field is required." in refused.content.decode()
    assert not Conference.objects.exists()


def test_a_rule_giving_more_seats_than_any_house_holds_is_refused():
    """Brackets or one per N whose delegates add up past the largest house (1,000,000 seats)."""
    with pytest.raises(apportionment.ApportionmentError) as refused:
        apportionment.apportion_brackets({"a": 1_000, "b": 5}, brackets="1+: 999999 + 1 per 1")
    assert refused.value.field == "brackets"
    assert str(refused.value) == "seats: the rule gives 2,001,003 seats in all, more than 1,000,000; check the brackets"


@pytest.mark.parametrize("interface", ["action", "api", "form"])
def test_a_maximum_of_no_seats_is_refused(org, units, interface):
    if interface == "action":
        with pytest.raises(ActionRefused) as refused:
            actions.add_conference(unit=units["federation"], name="F", cutoff=CUTOFF, by="test", method="dhondt",
                                   seats=5, maximum=0)  # fmt: skip
        assert refused.value.field == "maximum"
    elif interface == "api":
        admin = api_client(builders.account(org, "admin@example.org", is_admin=True), org)
        body = {"unit": "federation", "name": "F", "cutoff": "2024-06-01", "method": "dhondt", "seats": 5}
        assert post_json(admin, f"/api/orgs/{org.slug}/conferences", body | {"maximum": 0}).status_code == 422
        # A rounding given as null is no rounding, as the other parameters' nulls are.
        created = post_json(admin, f"/api/orgs/{org.slug}/conferences", body | {"rounding": None})
        assert created.status_code == 201 and created.json()["rounding"] == ""
        Conference.objects.all().delete()
    else:
        client = sign_in(Client(), builders.account(org, "admin@example.org", is_admin=True))
        page = reverse("unit_conferences", args=[org.slug, "federation"])
        refused = client.post(page, {"name": "F", "cutoff": "2024-06-01", "method": "dhondt", "seats": "5",
                                     "maximum_seats": "0"})  # fmt: skip
        assert refused.status_code == 400
        assert "Ensure this value is greater than or equal to 1." in refused.content.decode()
    assert not Conference.objects.exists()


def test_the_form_offers_only_kinds_below_the_convening_unit(org, units):
    client = sign_in(Client(), builders.account(org, "admin@example.org", is_admin=True))
    text = client.get(reverse("unit_conferences", args=[org.slug, "north"])).content.decode()
    assert '<option value="federation"' not in text and '<option value="district"' not in text
    assert '<option value="" selected>the basic units</option>' in text
