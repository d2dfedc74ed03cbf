"""`grassroots conference delegation|credential|checkin|credentials|participants`, run in process
on the conference scene: Elm House (4 seats) elects its delegation, the credentials are handled,
presence is kept and the report gives the seated weight and the quorum."""

from __future__ import annotations

import json

import pytest

from grassroots.cli import main
from grassroots.conferences import actions
from grassroots.conferences.models import Delegate
from tests.support.conferences import conference_scene
from tests.support.delegations import called, election, members_of

pytestmark = pytest.mark.django_db


def run(capsys, *args: str) -> tuple[int, str, str]:
    """Exit code, standard output, and standard error without its "error: " prefix."""
    code = main(["conference", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err.removeprefix("error: ")


@pytest.fixture
def scene(org):
    units = conference_scene(org)
    conference = called(units["federation"])
    people = members_of(units["elm"])
    for number, person in enumerate(people):
        person.email = f"elm{number}@example.org"
        person.save(update_fields=["email"])
    return units, conference, people, election(units["elm"])


def test_the_flow_from_election_to_quorum(capsys, org, scene):
    units, conference, people, decision = scene
    pk = str(conference.pk)
    code, out, err = run(capsys, "delegation", pk, f"{org.slug}/elm-house", "--decision", str(decision.pk),
                         "--delegates", "elm0@example.org,elm1@example.org", "--alternates", "elm2@example.org",
                         "--chair", "elm0@example.org")  # fmt: skip
    assert (code, err, out.strip()) == (0, "", "Elm House: 2 delegates elected to Founding conference.")
    for email in ("elm0@example.org", "elm1@example.org", "elm2@example.org"):
        assert run(capsys, "credential", pk, email, "verify")[0] == 0
    assert run(capsys, "credential", pk, "elm0@example.org", "seat")[1].strip().endswith(": seated.")
    code, out, err = run(capsys, "credential", pk, "elm1@example.org", "challenge")
    assert (code, err.strip()) == (1, "--grounds: required")
    run(capsys, "credential", pk, "elm1@example.org", "challenge", "--grounds", "Not a member")
    code, out, err = run(capsys, "credential", pk, "elm1@example.org", "rule", "--ruling", "In order")
    assert (code, err.strip()) == (1, "--seat/--refuse: required with rule")
    code, out, err = run(capsys, "credential", pk, "elm1@example.org", "rule", "--ruling", "In order", "--seat")
    assert (code, out.strip()) == (0, f"{people[1].name}: seated.")
    code, out, err = run(capsys, "checkin", pk, "elm0@example.org")
    assert (code, err.strip()) == (1, f"status: conference {pk} is called; presence is kept only while it is "
                                      "credentialing or in session")  # fmt: skip
    actions.set_conference_status(conference=conference, status="credentialing", by="test")
    code, out, err = run(capsys, "checkin", pk, "elm0@example.org")
    assert out.strip() == f"{people[0].name}: present. Present 1 of 2 seated votes (quorum 2): no quorum."
    run(capsys, "checkin", pk, "elm2@example.org")
    code, out, err = run(capsys, "checkin", pk, "elm0@example.org", "--out")
    assert out.strip() == f"{people[0].name}: absent. Present 1 of 2 seated votes (quorum 2): no quorum."
    run(capsys, "checkin", pk, "elm1@example.org")
    code, out, err = run(capsys, "credentials", pk, "--json")
    report = json.loads(out)
    assert [(seat["name"], seat["weight"], seat["role"], seat["present"], seat["seated_for"]) for seat in
            report["seated"]] == [
        (people[1].name, 1, "delegate", True, None),
        (people[2].name, 1, "alternate", True, people[0].name),
    ]  # fmt: skip
    assert (report["seated_weight"], report["present_weight"], report["quorum"], report["quorate"]) == (2, 2, 2, True)
    code, out, err = run(capsys, "credentials", pk)
    assert "Seated weight 2; quorum 2 (more than half); present 2: quorum met." in out
    code, out, err = run(capsys, "participants", pk)
    assert out.splitlines() == [
        "name,unit,weight,role,present",
        f"{people[0].name},Elm House,0,delegate,no",
        f"{people[1].name},Elm House,1,delegate,yes",
        f"{people[2].name},Elm House,1,alternate,yes",
    ]


def test_errors_name_the_option(capsys, org, scene):
    units, conference, people, decision = scene
    pk = str(conference.pk)
    base = ["delegation", pk, f"{org.slug}/elm-house", "--decision", str(decision.pk)]
    code, out, err = run(capsys, *base, "--delegates", "nobody@example.org", "--chair", "elm0@example.org")
    assert (code, err.strip()) == (1, "--delegates: no person 'nobody@example.org'")
    code, out, err = run(capsys, *base, "--delegates", "elm0@example.org", "--chair", "elm1@example.org")
    assert (code, err.strip()) == (1, f"--chair: {people[1].name} is not one of the delegates")
    code, out, err = run(capsys, "delegation", pk, f"{org.slug}/elm-house", "--decision", "999999",
                         "--delegates", "elm0@example.org", "--chair", "elm0@example.org")  # fmt: skip
    assert (code, err.strip()) == (1, "--decision: no decision 999999")
    code, out, err = run(capsys, "credential", pk, "elm0@example.org", "verify")
    assert (code, err.strip()) == (1, f"PERSON: {people[0].name} is not elected to Founding conference")
    code, out, err = run(capsys, "credential", pk, "elm0@example.org", "approve")
    assert (code, err.strip()) == (1, "VERB: 'approve' is not one of verify, challenge, rule, seat")
    assert run(capsys, "credentials", "12345")[2].strip() == "no conference 12345"
    assert not Delegate.objects.exists()


def test_a_weighted_conference_from_the_command_line(capsys, org, scene):
    code, out, err = run(capsys, "add", f"{org.slug}/federation", "--name", "Weighted", "--cutoff", "2024-06-01",
                         "--method", "dhondt", "--seats", "5", "--votes-per-delegate", "3", "--json")  # fmt: skip
    assert (code, err) == (0, "")
    from grassroots.conferences.models import Conference

    assert Conference.objects.get(pk=json.loads(out)["id"]).votes_per_delegate == 3
