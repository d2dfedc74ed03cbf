"""The `grassroots` command line, run in process against the test database."""

import json

import pytest

from grassroots.cli import main
from grassroots.organizations.models import Unit
from grassroots.people.models import MemberCount, Membership, Person
from tests.support import builders


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def federation(db, capsys):
    assert (
        run(capsys, "org", "create", "riverside", "--name", "Riverside", "--constitution", "tenants_federation")[0] == 0
    )
    on = ("--on", "2024-01-01")
    assert (
        run(capsys, "unit", "add", "riverside", "--kind", "federation", "--name", "Riverside Federation", *on)[0] == 0
    )
    assert (
        run(
            capsys,
            "unit",
            "add",
            "riverside",
            "--kind",
            "district",
            "--name",
            "North",
            "--parent",
            "riverside-federation",
            *on,
        )[0]
        == 0
    )
    code, out, _ = run(
        capsys,
        "unit",
        "add",
        "riverside",
        "--kind",
        "building_committee",
        "--name",
        "Elm House",
        "--parent",
        "north",
        "--on",
        "2024-01-01",
    )
    assert (code, out.strip()) == (0, "Added building committee Elm House as elm-house (planned).")
    return "riverside"


def test_found_a_committee_from_the_command_line(capsys, federation):
    ids = []
    for name in ("Ann", "Bo", "Cy"):
        code, out, _ = run(
            capsys, "person", "add", federation, "--name", name, "--email", f"{name.lower()}@example.org", "--json"
        )
        ids.append(str(json.loads(out)["id"]))
    code, out, err = run(capsys, "unit", "found", "elm-house", "--on", "2024-02-01", "--members", ",".join(ids))
    assert code == 1
    assert err.strip() == "refused: cannot found Elm House: Secretary: needs a secretary, has no secretary"
    assert Unit.objects.get(slug="elm-house").state == "planned"

    code, out, err = run(
        capsys,
        "unit",
        "found",
        "riverside/elm-house",
        "--on",
        "2024-02-01",
        "--members",
        ",".join(ids),
        "--officer",
        "secretary=ann@example.org",
    )
    assert (code, out.strip()) == (0, "Elm House is founded on 2024-02-01.")
    assert Membership.objects.filter(unit__slug="elm-house", end__isnull=True).count() == 3

    code, out, _ = run(capsys, "readiness", "elm-house", "--json")
    report = json.loads(out)
    assert code == 0
    assert report["unit"] == "elm-house" and report["ready"] is True
    assert list(report["rules"][0]) == ["rule", "required", "actual", "passed", "missing"]


def test_tree_json_lists_units_with_parents_and_subtree_members(capsys, federation):
    org = Unit.objects.get(slug="north").organization
    elm = Unit.objects.get(slug="elm-house")
    run(capsys, "unit", "prepare", "elm-house", "--on", "2024-01-02")
    builders.members(org, elm, 2)
    code, out, _ = run(capsys, "tree", federation, "--json")
    assert code == 0
    assert json.loads(out) == [
        {
            "slug": "riverside-federation",
            "name": "Riverside Federation",
            "kind": "federation",
            "state": "planned",
            "parent": None,
            "members": 2,
        },
        {
            "slug": "north",
            "name": "North",
            "kind": "district",
            "state": "planned",
            "parent": "riverside-federation",
            "members": 2,
        },
        {
            "slug": "elm-house",
            "name": "Elm House",
            "kind": "building_committee",
            "state": "preparing",
            "parent": "north",
            "members": 2,
        },
    ]
    code, out, _ = run(capsys, "tree", federation, "--as-of", "2024-01-01", "--json")
    assert [row["state"] for row in json.loads(out)] == ["planned", "planned", "planned"]


def test_readiness_text_names_what_is_missing(capsys, federation):
    code, out, _ = run(capsys, "readiness", "north")
    assert code == 0
    assert "North (district committee, planned): not ready" in out
    assert "appoint a" in out  # the table may wrap the rest of the cell


def test_memberships_from_the_command_line(capsys, federation):
    run(capsys, "unit", "prepare", "elm-house")
    run(capsys, "unit", "add", federation, "--kind", "building_committee", "--name", "Oak", "--parent", "north")
    run(capsys, "unit", "prepare", "oak")
    run(capsys, "person", "add", federation, "--name", "Dee", "--email", "dee@example.org")
    assert run(capsys, "member", "join", "dee@example.org", "--unit", "elm-house")[0] == 0
    code, out, _ = run(capsys, "member", "transfer", "dee@example.org", "--to", "oak")
    assert code == 0 and "Dee transferred to Oak" in out
    code, _, err = run(capsys, "member", "status", "dee@example.org", "lapsed")
    assert code == 1
    assert err.strip() == (
        "refused: status: cannot go from supporter to lapsed (allowed from supporter: candidate, member, resigned)"
    )
    assert run(capsys, "member", "status", "dee@example.org", "member")[0] == 0
    person = Person.objects.get(email="dee@example.org")
    assert list(person.memberships.order_by("start", "id").values_list("unit__slug", "status")) == [
        ("elm-house", "supporter"),
        ("oak", "member"),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["tree", "nowhere"], "error: no organization 'nowhere'"),
        (["readiness", "nothing"], "error: no unit 'nothing'"),
        (["tree", "riverside", "--as-of", "yesterday"], "error: --as-of: 'yesterday' is not a date (YYYY-MM-DD)"),
        (
            ["unit", "add", "riverside", "--kind", "shop", "--name", "X"],
            "refused: unknown unit kind 'shop' "
            "(this constitution has: Building committee, District committee, Federation)",
        ),
        (["unit", "move", "north"], "error: give either --parent UNIT or --top"),
        (
            ["unit", "found", "elm-house", "--officer", "secretary"],
            "error: --officer: 'secretary' should be POST=PERSON, e.g. secretary=12",
        ),
        (
            ["org", "create", "x", "--name", "X", "--constitution", "nope.yaml"],
            "error: --constitution: 'nope.yaml' is neither a file nor a template (party, tenants_federation, union)",
        ),
        (["unit", "add", "riverside", "--name", "X"], "error: Missing option '--kind'."),
    ],
)
def test_bad_input_gives_one_line_and_no_traceback(capsys, federation, args, message):
    code, out, err = run(capsys, *args)
    assert code != 0
    assert err.strip() == message
    assert "Traceback" not in out + err


def test_token_create_prints_a_token_once(capsys, federation, django_user_model):
    assert run(capsys, "user", "create", "ops@example.org", "--org", federation, "--admin", "--no-password")[0] == 0
    code, out, _ = run(capsys, "token", "create", "ops@example.org", "--org", federation, "--days", "7")
    assert code == 0
    token = out.strip().splitlines()[-1]
    assert token.startswith("gr_") and len(token) > 30
    assert run(capsys, "token", "create", "nobody", "--org", federation)[2].strip() == "error: no user 'nobody'"


def test_unit_steps_read_naturally(capsys, federation):
    assert run(capsys, "unit", "prepare", "elm-house", "--on", "2024-01-02")[:2] == (0, "Elm House is preparing.\n")
    run(capsys, "unit", "add", "riverside", "--kind", "building committee", "--name", "Spare", "--parent", "north")
    assert run(capsys, "unit", "dissolve", "spare")[:2] == (0, "Spare is dissolved.\n")


@pytest.mark.parametrize("kind", ["Building committee", "BUILDING COMMITTEE", "building_committee"])
def test_unit_add_takes_a_kind_by_label_or_key_in_any_case(capsys, federation, kind):
    code, out, _ = run(capsys, "unit", "add", "riverside", "--kind", kind, "--name", "Oak Lodge", "--parent", "north")
    assert (code, out.strip()) == (0, "Added building committee Oak Lodge as oak-lodge (planned).")
    assert Unit.objects.get(slug="oak-lodge").kind == "building_committee"


def test_tree_table_wraps_kinds_at_80_columns(capsys, federation, monkeypatch):
    from grassroots.cli.common import out as console

    monkeypatch.setattr(console, "width", 80)
    run(
        capsys,
        "unit",
        "add",
        "riverside",
        "--kind",
        "district",
        "--name",
        "The Long Riverside Eastern District",
        "--parent",
        "riverside-federation",
    )
    code, out, _ = run(capsys, "tree", "riverside")
    assert code == 0
    lines = out.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert "…" not in out
    words = " ".join(lines)
    for word in ("Building", "District", "committee", "Federation", "Riverside"):
        assert word in words


def test_counts_check_recounts_the_kept_member_counts(capsys, federation):
    org = Unit.objects.get(slug="north").organization
    elm = Unit.objects.get(slug="elm-house")
    run(capsys, "unit", "prepare", "elm-house", "--on", "2024-01-02")
    builders.members(org, elm, 3)
    code, out, _ = run(capsys, "unit", "counts-check", federation)
    assert code == 0
    assert "agree with its memberships" in out
    # A count gone wrong (as a write outside the actions would leave it) is found and named.
    MemberCount.objects.filter(unit=elm, status="member").update(members=7)
    code, out, _ = run(capsys, "unit", "counts-check", federation, "--json")
    assert code == 1
    assert json.loads(out) == {
        "organization": federation,
        "agree": False,
        "disagreements": [{"unit": "elm-house", "status": "member", "kept": 7, "actual": 3}],
    }
