"""The people commands: list (filters, fields, streaming in a fixed number of queries), edit,
duplicates, merge, check, and add --allow-duplicate."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from grassroots.cli import main
from grassroots.people import actions as people_actions
from grassroots.people.models import Person
from tests.support import builders


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def rosa(org, tree):
    return builders.person(
        org,
        "Rosa Lindqvist",
        email="rosa@example.org",
        phone="020 7946 0000",
        address="1 Elm\nNorth",
        unit=tree["elm"],
        status="member",
        on=builders.START,
    )


def test_list_prints_every_field_and_filters(capsys, org, tree, rosa):
    builders.person(org, "José Álvarez", unit=tree["ash"], status="candidate", on=builders.START)
    code, out, err = run(capsys, "person", "list", org.slug, "--search", "LINDQ", "--json")
    assert code == 0, err
    assert json.loads(out) == [
        {
            "id": rosa.pk,
            "name": "Rosa Lindqvist",
            "email": "rosa@example.org",
            "phone": "+442079460000",
            "address": "1 Elm\nNorth",
            "unit": "elm-house",
            "status": "member",
            "since": "2024-01-01",
        }
    ]
    code, out, _ = run(
        capsys, "person", "list", org.slug, "--search", "jose", "--unit", "south", "--status", "candidate"
    )
    assert out.splitlines() == [
        "id\tname\temail\tphone\taddress\tunit\tstatus\tsince",
        f"{Person.objects.get(name='José Álvarez').pk}\tJosé Álvarez\t\t\t\tash-tower\tcandidate\t2024-01-01",
    ]
    code, out, _ = run(capsys, "person", "list", org.slug, "--limit", "2", "--json")
    assert len(json.loads(out)) == 2
    code, _out, err = run(capsys, "person", "list", org.slug, "--status", "chief")
    assert (code, err.strip()) == (1, "error: --status: 'chief' is not a status of this constitution")


def test_list_by_status_finds_people_by_the_status_their_last_membership_ended_with(capsys, org, tree):
    """`member end P --status resigned` makes P "resigned" for the list: its unit is the one P
    left and `since` the day P left; someone who resigned once and joined again is not."""
    former = builders.former_members(org, tree)
    code, out, err = run(
        capsys,
        "member",
        "end",
        str(builders.person(org, "Lena Leaver", unit=tree["oak"], status="member", on=builders.START).pk),
        "--status",
        "resigned",
        "--on",
        "2024-05-02",
        "--org",
        org.slug,
    )
    assert code == 0, err
    lena = Person.objects.get(name="Lena Leaver")
    code, out, err = run(capsys, "person", "list", org.slug, "--status", "resigned")
    assert code == 0, err
    assert out.splitlines() == [
        "id\tname\temail\tphone\taddress\tunit\tstatus\tsince",
        f"{lena.pk}\tLena Leaver\t\t\t\toak-court\tresigned\t2024-05-02",
        f"{former['rosa'].pk}\tRosa Former\t\t\t\telm-house\tresigned\t2024-06-30",
    ]
    code, out, _ = run(capsys, "person", "list", org.slug, "--status", "lapsed", "--unit", "south", "--json")
    assert json.loads(out) == [
        {
            "id": former["kofi"].pk,
            "name": "Kofi Former",
            "email": "",
            "phone": "",
            "address": "",
            "unit": "ash-tower",
            "status": "lapsed",
            "since": "2024-09-30",
        }
    ]
    # Kofi lapsed in the south, having left the north: the unit filter reads his last unit.
    code, out, _ = run(capsys, "person", "list", org.slug, "--status", "lapsed", "--unit", "north", "--json")
    assert json.loads(out) == []
    code, out, _ = run(capsys, "person", "list", org.slug, "--status", "candidate", "--search", "ada", "--json")
    assert [(row["name"], row["unit"], row["status"], row["since"]) for row in json.loads(out)] == [
        ("Ada Former", "elm-house", "candidate", "2024-04-01")
    ]


def test_someone_who_left_without_a_final_status_is_listed_by_no_status(capsys, org, tree):
    """A membership ended with no final status keeps "member" on its row; "member" lists members,
    so the leaver is not among them (nor under any other status), though the list still shows him."""
    builders.person(org, "Sam Stays", unit=tree["oak"], status="member", on=builders.START)
    leaves = builders.person(org, "Sam Leaves", unit=tree["oak"], status="member", on=builders.START)
    code, _out, err = run(capsys, "member", "end", str(leaves.pk), "--on", "2024-05-02", "--org", org.slug)
    assert code == 0, err
    code, out, _ = run(capsys, "person", "list", org.slug, "--status", "member", "--search", "sam", "--json")
    assert [row["name"] for row in json.loads(out)] == ["Sam Stays"]
    code, out, _ = run(capsys, "person", "list", org.slug, "--search", "sam", "--json")
    assert [row["name"] for row in json.loads(out)] == ["Sam Leaves", "Sam Stays"]


def test_list_by_status_runs_the_same_queries_however_many_match(capsys, org, tree, django_assert_num_queries):
    for _ in range(3):
        builders.former_members(org, tree)
    with django_assert_num_queries(2):
        code, out, _ = run(capsys, "person", "list", org.slug, "--status", "resigned", "--json")
    assert (code, len(json.loads(out))) == (0, 3)


@pytest.mark.parametrize("size", [2, 40])
def test_list_runs_the_same_queries_however_many_match(capsys, org, tree, size, django_assert_num_queries):
    builders.members(org, tree["ash"], size)
    # The organization, then the listing itself in one query (the operator needs no grants).
    with django_assert_num_queries(2):
        code, out, _ = run(capsys, "person", "list", org.slug, "--json")
    assert code == 0
    assert len(json.loads(out)) == Person.objects.filter(organization=org).count()


def test_add_refuses_a_duplicate_unless_allowed(capsys, org, rosa):
    args = ("person", "add", org.slug, "--name", "ROSA LINDQVIST", "--email", "Rosa@example.org")
    code, _out, err = run(capsys, *args)
    assert code == 1
    assert f"person {rosa.pk} (Rosa Lindqvist) has the same name and email" in err
    assert run(capsys, *args, "--allow-duplicate")[0] == 0
    code, _out, err = run(capsys, "person", "add", org.slug, "--name", "Ana", "--phone", "abc")
    assert (code, "phone: 'abc' is not a phone number for GB" in err) == (1, True)


def test_edit_then_duplicates_then_merge(capsys, org, rosa):
    code, out, err = run(capsys, "person", "edit", str(rosa.pk), "--phone", "07911 123458", "--name", "Rosa  Lindqvist")
    assert code == 0, err
    assert out.strip() == f"Person {rosa.pk}: Rosa Lindqvist, rosa@example.org, +447911123458."
    other = builders.person(org, "Rosa Lindqvist", address="2 Oak", allow_duplicate=True)
    code, out, _ = run(capsys, "person", "duplicates", org.slug, "--json")
    assert json.loads(out) == [
        {
            "first_id": rosa.pk,
            "first_name": "Rosa Lindqvist",
            "second_id": other.pk,
            "second_name": "Rosa Lindqvist",
            "reasons": ["same name"],
        }
    ]
    code, _out, err = run(capsys, "person", "merge", str(rosa.pk), str(other.pk))
    assert (code, "add --yes" in err) == (1, True)
    code, out, err = run(capsys, "person", "merge", str(rosa.pk), str(other.pk), "--yes")
    assert code == 0, err
    assert out.strip() == (
        f"Person {other.pk} is merged into person {rosa.pk} (Rosa Lindqvist). "
        f"Not kept from person {other.pk}: address 2 Oak (in the audit record)."
    )
    assert not Person.objects.filter(pk=other.pk).exists()


def test_merge_refuses_overlapping_memberships_naming_both(capsys, org, tree, rosa):
    """Rosa in Elm House since 2024-01-01; her other record in Oak Court from 2024-03-01 to 2024-05-01."""
    other = builders.person(org, "Rosa Lindqvist", unit=tree["oak"], on=dt.date(2024, 3, 1), allow_duplicate=True)
    people_actions.end_membership(person=other, by="test", on=dt.date(2024, 5, 1))
    code, _out, err = run(capsys, "person", "merge", str(rosa.pk), str(other.pk), "--yes")
    assert code == 1
    assert (
        f"the memberships overlap: person {rosa.pk} in Elm House since 2024-01-01 and person {other.pk} in "
        "Oak Court from 2024-03-01 to 2024-05-01; a person is a member of one basic unit at a time"
    ) in " ".join(err.split())
    assert Person.objects.filter(pk=other.pk).exists()


def test_check_lists_what_could_not_be_normalized(capsys, org, rosa):
    Person.objects.filter(pk=rosa.pk).update(phone="call after 6")
    code, out, _ = run(capsys, "person", "check", org.slug, "--json")
    reason = (
        "phone 'call after 6' cannot be normalized: it is not a phone number"
        " (it has letters in it: an extension or a note is not kept in a phone)"
    )
    assert (code, json.loads(out)) == (
        0,
        [{"id": rosa.pk, "field": "phone", "value": "call after 6", "normal": None, "reason": reason}],
    )
    code, out, _ = run(capsys, "person", "check", org.slug)
    assert out.splitlines() == [f"person {rosa.pk}: {reason}", "1 value to correct: 0 can be normalized, 1 cannot."]


def test_check_tells_values_that_can_be_normalized_from_those_that_cannot(capsys, org, rosa):
    """A valid value not in its normal form (written before the rule, or by hand) is listed with the
    form it can be given; a value that is no phone, no email, no name at all, without one."""
    other = builders.person(org, "Ana Lima")
    Person.objects.filter(pk=rosa.pk).update(phone="07911 123458", email=" Rosa@Example.org", name="Rosa  Lindqvist")
    Person.objects.filter(pk=other.pk).update(phone="abc", email="not-an-email", name="\u200b", address="1 Elm St  ")
    code, out, _ = run(capsys, "person", "check", org.slug, "--json")
    assert code == 0
    assert json.loads(out) == [
        {
            "id": rosa.pk,
            "field": "name",
            "value": "Rosa  Lindqvist",
            "normal": "Rosa Lindqvist",
            "reason": "name 'Rosa  Lindqvist' is stored in another form than the normal one"
            " (spaces): it would become 'Rosa Lindqvist'",
        },
        {
            "id": rosa.pk,
            "field": "email",
            "value": " Rosa@Example.org",
            "normal": "rosa@example.org",
            "reason": "email ' Rosa@Example.org' is stored in another form than the normal one"
            " (spaces, capitals): it would become 'rosa@example.org'",
        },
        {
            "id": rosa.pk,
            "field": "phone",
            "value": "07911 123458",
            "normal": "+447911123458",
            "reason": "phone '07911 123458' is stored in another form than the normal one"
            " (not written in international E.164 form): it would become '+447911123458'",
        },
        {
            "id": other.pk,
            "field": "name",
            "value": "\u200b",
            "normal": None,
            "reason": "name '\\u200b' cannot be normalized: it is empty once its invisible characters are removed",
        },
        {
            "id": other.pk,
            "field": "address",
            "value": "1 Elm St  ",
            "normal": "1 Elm St",
            "reason": "address '1 Elm St  ' is stored in another form than the normal one"
            " (spaces): it would become '1 Elm St'",
        },
        {
            "id": other.pk,
            "field": "email",
            "value": "not-an-email",
            "normal": None,
            "reason": "email 'not-an-email' cannot be normalized: it is not an email address (it has no @)",
        },
        {
            "id": other.pk,
            "field": "phone",
            "value": "abc",
            "normal": None,
            "reason": "phone 'abc' cannot be normalized: it is not a phone number"
            " (it has letters in it: an extension or a note is not kept in a phone)",
        },
    ]
    code, out, _ = run(capsys, "person", "check", org.slug)
    assert out.splitlines()[2] == (
        f"person {rosa.pk}: phone '07911 123458' is stored in another form than the normal one"
        f" (not written in international E.164 form): it would become '+447911123458'"
    )
    assert out.splitlines()[-1] == "7 values to correct: 4 can be normalized, 3 cannot."


def test_check_quotes_the_stored_value_and_says_what_differs_or_why_not(capsys, org, rosa):
    """Values that look like their normal form (an invisible character, a decomposed accent) are
    quoted with what does not show escaped, and say what differs; a value that cannot be normalized
    says why, quoting the stored value, never its normal form."""
    other = builders.person(org, "Ana Lima")
    Person.objects.filter(pk=rosa.pk).update(email="rosa@example.org\u200b", name="Jose\u0301 Lindqvist")
    Person.objects.filter(pk=other.pk).update(email="Ana@@Example.org", phone="+1 202 55")
    code, out, _ = run(capsys, "person", "check", org.slug)
    assert code == 0
    assert out.splitlines() == [
        f"person {rosa.pk}: name 'Jose\u0301 Lindqvist' is stored in another form than the normal one "
        "(accents stored as separate marks, not Unicode NFC): it would become 'Jos\u00e9 Lindqvist'",
        f"person {rosa.pk}: email 'rosa@example.org\\u200b' is stored in another form than the normal one "
        "(invisible characters): it would become 'rosa@example.org'",
        f"person {other.pk}: email 'Ana@@Example.org' cannot be normalized: it is not an email address "
        "(it has more than one @)",
        f"person {other.pk}: phone '+1 202 55' cannot be normalized: it is not a phone number "
        "(too short for a phone number of US)",
        "4 values to correct: 2 can be normalized, 2 cannot.",
    ]


def test_a_refused_email_is_quoted_as_given_not_as_it_would_be_stored(capsys, org, tmp_path):
    code, _out, err = run(capsys, "person", "add", org.slug, "--name", "Ana Lima", "--email", " Ana@@Example.ORG")
    assert (code, err.strip()) == (1, "refused: email: 'Ana@@Example.ORG' is not a valid email address")
    path = tmp_path / "members.csv"
    path.write_text("name,email,unit\nAna Lima,Ana@@Example.ORG,elm-house\n")
    code, out, _err = run(capsys, "import", "members", str(path), "--org", org.slug, "--dry-run")
    assert "line 2, email 'Ana@@Example.ORG': not a valid email address" in out
