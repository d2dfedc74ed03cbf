"""The command line for people's records, officer posts, the audit trail, accounts and tokens."""

from __future__ import annotations

import io
import json
import sys

import pytest
from django.contrib.auth import get_user_model

from grassroots.accounts.models import Account, ApiToken
from grassroots.audit.models import AuditRecord
from grassroots.cli import main
from grassroots.organizations.models import OfficerPost
from grassroots.people.models import Membership, Person
from tests.support import builders
from tests.support.stories import rosa_story


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def story(org, tree):
    return rosa_story(org, tree)


def test_person_add_joins_a_unit(capsys, org, tree):
    code, out, err = run(
        capsys,
        "person",
        "add",
        org.slug,
        "--name",
        "Ada",
        "--unit",
        "elm-house",
        "--status",
        "member",
        "--on",
        "2024-03-01",
        "--json",
    )
    assert (code, err) == (0, "")
    person = Person.objects.get(pk=json.loads(out)["id"])
    membership = Membership.objects.get(person=person)
    assert (membership.unit.slug, membership.status, str(membership.start)) == ("elm-house", "member", "2024-03-01")
    assert run(capsys, "person", "add", org.slug, "--name", "Bo", "--status", "member")[2].strip() == (
        "error: --status and --on apply when the person joins a --unit"
    )
    code, _out, err = run(capsys, "person", "add", org.slug, "--name", "Cy", "--unit", "north")
    assert code == 1
    assert err.startswith("refused: North is a district")
    assert not Person.objects.filter(name__in=["Bo", "Cy"]).exists()


def test_person_export_prints_the_record_and_audits_it(capsys, story):
    code, out, err = run(capsys, "person", "export", "rosa@example.org", "--org", story.org.slug)
    assert (code, err) == (0, "")
    record = json.loads(out)
    assert record["person"]["name"] == "Rosa Lindqvist"
    assert record["recruiter"] == {"id": story.rex.pk, "name": "Rex Recruiter"}
    assert AuditRecord.objects.get(action="person.export").actor_label.startswith("cli:")


def test_person_erase_needs_yes(capsys, story):
    code, out, err = run(capsys, "person", "erase", str(story.rosa.pk))
    assert (code, out) == (1, "")
    assert err.strip() == f"error: erasing person {story.rosa.pk} cannot be undone: add --yes to erase them"
    assert Person.objects.get(pk=story.rosa.pk).name == "Rosa Lindqvist"

    code, out, err = run(capsys, "person", "erase", str(story.rosa.pk), "--yes")
    assert (code, out.strip(), err) == (0, f"Person {story.rosa.pk} is erased.", "")
    assert Person.objects.get(pk=story.rosa.pk).name == f"Erased person {story.rosa.pk}"
    code, _out, err = run(capsys, "person", "erase", str(story.rosa.pk), "--yes")
    assert (code, err.strip()) == (1, f"refused: person {story.rosa.pk} is already erased")


def test_post_assign_until_and_post_end(capsys, org, tree):
    (member,) = builders.members(org, tree["elm"], 1)
    code, out, err = run(
        capsys,
        "post",
        "assign",
        str(member.pk),
        "--unit",
        "elm-house",
        "--post",
        "organizer",
        "--from",
        "2024-03-01",
        "--until",
        "2099-01-01",
    )
    assert (code, err) == (0, "")
    assert out.strip() == f"{member.name} holds organizer of Elm House from 2024-03-01 until 2099-01-01."
    code, out, err = run(capsys, "post", "end", "elm-house", "organizer", "--on", "2024-04-01")
    assert (code, err) == (0, "")
    assert out.strip() == f"{member.name} no longer holds organizer of Elm House from 2024-04-01."
    assert str(OfficerPost.objects.get(person=member).end) == "2024-04-01"
    assert (
        run(capsys, "post", "end", "elm-house", "organizer")[2].strip() == "error: nobody holds organizer of Elm House"
    )
    bad = run(capsys, "post", "assign", str(member.pk), "--unit", "elm-house", "--post", "treasurer", "--until", "x")
    assert bad[2].strip() == "error: --until: 'x' is not a date (YYYY-MM-DD)"


def test_audit_lists_the_trail_with_filters(capsys, story):
    code, out, err = run(capsys, "audit", story.org.slug, "--json", "--action", "consent")
    assert (code, err) == (0, "")
    rows = json.loads(out)
    assert [row["action"] for row in rows] == ["consent.withdraw", "consent.give", "consent.give"]
    assert rows[-1]["changes"] == {"purpose": [None, "email bulletins"], "policy_version": [None, "2024-1"]}
    assert rows[0]["unit"] == "ash-tower"
    code, out, _ = run(capsys, "audit", story.org.slug, "--json", "--since", "2999-01-01")
    assert json.loads(out) == []
    code, out, _ = run(capsys, "audit", story.org.slug, "--limit", "2")
    assert code == 0
    assert ("post.assign" in out, "consent.withdraw" in out, "consent.give" in out) == (True, True, False)
    assert run(capsys, "audit", "nowhere")[2].strip() == "error: no organization 'nowhere'"


def test_user_create_reads_the_password_from_piped_input(capsys, monkeypatch, story):
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long enough passphrase\nignored\n"))
    code, out, err = run(
        capsys, "user", "create", "Rosa@Example.org", "--org", story.org.slug, "--person", "rosa@example.org"
    )
    assert (code, err) == (0, "")
    assert out.strip() == f"Account of rosa@example.org in {story.org.slug} (person {story.rosa.pk})."
    user = get_user_model().objects.get(username="rosa@example.org")
    assert user.check_password("a long enough passphrase")
    assert Account.objects.get(user=user).person == story.rosa


def test_user_create_refuses_an_empty_or_weak_password(capsys, monkeypatch, org):
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n"))
    assert run(capsys, "user", "create", "a@example.org", "--org", org.slug)[2].strip() == (
        "error: no password on standard input (or give --no-password)"
    )
    monkeypatch.setattr(sys, "stdin", io.StringIO("123\n"))
    code, _out, err = run(capsys, "user", "create", "a@example.org", "--org", org.slug)
    assert code == 1 and err.startswith("error: password: This password is too short.")
    assert not get_user_model().objects.filter(username="a@example.org").exists()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_user_create_asks_twice_at_a_terminal(capsys, monkeypatch, org):
    monkeypatch.setattr(sys, "stdin", _Terminal())
    answers = iter(["a long enough passphrase", "a different passphrase"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    assert (
        run(capsys, "user", "create", "a@example.org", "--org", org.slug)[2].strip()
        == "error: the two passwords differ"
    )
    answers = iter(["a long enough passphrase"] * 2)
    code, out, _ = run(capsys, "user", "create", "a@example.org", "--org", org.slug, "--admin")
    assert code == 0 and out.strip() == f"Account of a@example.org in {org.slug} (administrator)."
    assert get_user_model().objects.get(username="a@example.org").check_password("a long enough passphrase")


def test_user_create_without_a_password(capsys, org):
    code, out, _ = run(capsys, "user", "create", "b@example.org", "--org", org.slug, "--no-password")
    assert out.strip() == (
        f"Account of b@example.org in {org.slug} (no person, no rights yet); "
        "no password: cannot sign in until one is set."
    )
    assert not get_user_model().objects.get(username="b@example.org").has_usable_password()


def test_token_create_and_revoke(capsys, org, staff):
    code, out, _ = run(
        capsys, "token", "create", "staff@example.org", "--org", org.slug, "--name", "sync", "--days", "3"
    )
    assert code == 0
    token = out.strip().splitlines()[-1]
    record = ApiToken.objects.get(user=staff)
    assert (record.name, record.organization, token[:10]) == ("sync", org, record.prefix)
    other = builders.organization()
    refused = run(capsys, "token", "create", "staff@example.org", "--org", other.slug)
    assert refused[2].strip() == f"refused: staff@example.org has no account in {other.slug}"

    assert run(capsys, "token", "revoke", "gr_nothing")[2].strip() == "error: no token starts with 'gr_nothing'"
    code, out, err = run(capsys, "token", "revoke", record.prefix + "…")
    assert (code, err) == (0, "")
    assert out.strip() == f"Token {record.prefix}… of staff@example.org in {org.slug} is revoked."
    record.refresh_from_db()
    assert record.revoked_at is not None
    assert run(capsys, "token", "revoke", token)[2].strip() == f"refused: token {record.prefix}… is already revoked"


def test_token_revoke_refuses_an_ambiguous_prefix(capsys, org, staff):
    run(capsys, "token", "create", "staff@example.org", "--org", org.slug)
    run(capsys, "token", "create", "staff@example.org", "--org", org.slug)
    assert run(capsys, "token", "revoke", "gr_")[2].strip() == "error: several tokens start with 'gr_'; give more of it"
    assert not ApiToken.objects.filter(revoked_at__isnull=False).exists()
