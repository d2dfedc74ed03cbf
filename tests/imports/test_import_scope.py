"""Scope on the import's indirect paths (issue 9, leaks 1, 3, 4 and 5): a scoped importer's rows
match, link and name only what they may see, and every outcome, count and message for someone
outside their scope is the one for someone who does not exist."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grassroots.access import Right, restrict
from grassroots.imports.actions import import_members
from grassroots.organizations.models import Unit
from grassroots.people import actions as people
from grassroots.people.models import Membership, Person
from tests.support import builders

HEADER = "name,email,phone,unit,recruiter\n"


@pytest.fixture
def world(org):
    return _world(org)


def _csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def write(tmp_path: Path, rows: list[str], name: str = "members.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(row + "\n" for row in rows), encoding="utf-8")
    return path


def outcome(result) -> tuple:
    """What the importer sees: the counts, every rejection and note with its message."""
    return (
        result.as_json() | {"seconds": None},
        sorted((r.line, r.column, r.value, r.reason) for r in result.rejections),
        sorted((n.line, n.column, n.value, n.reason) for n in result.notes),
    )


def forget_outsiders(world, by=None) -> None:
    """Make the people and the units outside the importer's scope (the secretary's by default)
    not exist, as far as anything in a member file could name them: the people `by` may not
    import and export lose their email and phone, the units `by` may not see their names."""
    by = by or world["secretary"]
    org = world["tree"]["elm"].organization
    seen = restrict(Person.objects.all(), user=by, organization=org, right=Right.IMPORT_EXPORT)
    Person.objects.filter(organization=org).exclude(pk__in=seen.values("pk")).update(email="", phone="")
    visible = restrict(Unit.objects.all(), user=by, organization=org, right=Right.VIEW_UNITS)
    for pk in Unit.objects.filter(organization=org).exclude(pk__in=visible.values("pk")).values_list("pk", flat=True):
        Unit.objects.filter(pk=pk).update(slug=f"gone-{pk}", name=f"Gone {pk}")


def test_update_never_reaches_someone_outside_the_scope(world, org, tmp_path):
    """Leak 1: the email of a person only administrators see creates a new person in the
    secretary's unit; Una keeps her name, her address and her lack of a unit."""
    path = write(tmp_path, ["Renamed,una@example.org,,elm-house,"])
    result = import_members(organization=org, path=path, by=world["secretary"], on_duplicate="update")
    assert (result.created, result.updated, result.rejected) == (1, 0, 0)
    una = Person.objects.get(pk=world["una"].pk)
    assert (una.name, una.address, una.unit_path) == ("Una Unitless", "1 Hidden Lane", "")
    assert not Membership.objects.filter(person=una).exists()
    new = Person.objects.get(organization=org, name="Renamed")
    assert (new.email, new.unit_path, new.address) == ("una@example.org", world["tree"]["elm"].path, "")
    # The pair waits for an administrator among the duplicates.
    assert Person.objects.filter(email="una@example.org").count() == 2


@pytest.mark.parametrize("on_duplicate", ["skip", "update", "fill-empty"])
def test_a_dry_run_is_no_oracle_of_who_exists(world, org, tmp_path, on_duplicate):
    """Leak 3: an email or phone of someone in another district answers exactly as an unknown one."""
    rows = ["A,sol@example.org,,oak-court,", "B,,+447911000001,oak-court,", "C,una@example.org,,elm-house,"]
    unknown = ["A,x1@example.org,,oak-court,", "B,,+447911000009,oak-court,", "C,x3@example.org,,elm-house,"]
    by = world["secretary"]
    seen = import_members(organization=org, path=write(tmp_path, rows), by=by, dry_run=True, on_duplicate=on_duplicate)
    fresh = write(tmp_path, unknown, "unknown.csv")
    assert outcome(seen) == outcome(import_members(organization=org, path=fresh, by=by, dry_run=True))
    assert (seen.created, seen.skipped) == (3, 0)
    # In scope, a match is still a match.
    known = import_members(
        organization=org, path=write(tmp_path, [f"{world['ena'].name},ena@example.org,,elm-house,"], "k.csv"), by=by
    )
    assert (known.created, known.skipped) == (0, 1)


def test_the_errors_file_names_no_unit_outside_the_scope(world, org, tmp_path):
    """Leak 4: neither a row naming Ash Tower nor a row with Sol's email says where Sol is."""
    rows = ["A,sol@example.org,,oak-court,", "B,b@example.org,,ash-tower,", "C,c@example.org,,Ash Tower,"]
    errors = tmp_path / "errors.csv"
    result = import_members(
        organization=org, path=write(tmp_path, rows), by=world["secretary"], on_duplicate="update", errors_path=errors
    )
    text = errors.read_text(encoding="utf-8")
    assert _csv(text) == [
        ["line", "reason", "name", "email", "phone", "unit", "recruiter"],
        [
            "3",
            "unit 'ash-tower': no basic unit with this slug, name or path",
            "B",
            "b@example.org",
            "",
            "ash-tower",
            "",
        ],
        [
            "4",
            "unit 'Ash Tower': no basic unit with this slug, name or path",
            "C",
            "c@example.org",
            "",
            "Ash Tower",
            "",
        ],
    ]
    assert [(r.line, r.reason) for r in result.rejections] == [
        (3, "no basic unit with this slug, name or path"),
        (4, "no basic unit with this slug, name or path"),
    ]
    other = tmp_path / "other.csv"
    unknown = ["A,a9@example.org,,oak-court,", "B,b@example.org,,ash-tower,", "C,c@example.org,,Ash Tower,"]
    with transaction.atomic():
        forget_outsiders(world)
        import_members(
            organization=org, path=write(tmp_path, unknown, "u.csv"), by=world["secretary"], errors_path=other
        )
        transaction.set_rollback(True)
    assert other.read_text(encoding="utf-8") == text


def test_a_recruiter_outside_the_scope_is_not_found_and_not_linked(world, org, tmp_path):
    """Leak 5: Sol as a recruiter is noted exactly as an unknown recruiter, and nobody is linked
    to her; Ena, in scope, is linked."""
    rows = ["R1,r1@example.org,,elm-house,sol@example.org", "R2,r2@example.org,,elm-house,+447911000001"]
    rows.append("R3,r3@example.org,,elm-house,ena@example.org")
    result = import_members(organization=org, path=write(tmp_path, rows), by=world["secretary"], valid_rows=True)
    assert [(n.line, n.reason) for n in result.notes] == [
        (2, "recruiter not found in the file or the organization; left empty"),
        (3, "recruiter not found in the file or the organization; left empty"),
    ]
    recruits = dict(Person.objects.filter(name__in=["R1", "R2", "R3"]).values_list("name", "recruiter_id"))
    assert recruits == {"R1": None, "R2": None, "R3": world["ena"].pk}
    assert not Person.objects.filter(recruiter=world["sol"]).exists()


ROW = st.tuples(
    st.sampled_from(["Ann", "Bo", ""]),
    st.sampled_from(["una@example.org", "sol@example.org", "ena@example.org", "new@example.org", "", "bad"]),
    st.sampled_from(["+447911000001", "+447911000002", ""]),
    st.sampled_from(["elm-house", "oak-court", "ash-tower", "Ash Tower", "north", "nowhere"]),
    st.sampled_from(["una@example.org", "sol@example.org", "+447911000001", "ena@example.org", "new@example.org", ""]),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(ROW, min_size=1, max_size=6),
    on_duplicate=st.sampled_from(["skip", "update", "fill-empty"]),
    mode=st.sampled_from(["dry run", "all or nothing", "valid rows"]),
    role=st.sampled_from(["secretary", "unit secretary", "treasurer elsewhere"]),
)
def test_what_a_scoped_importer_sees_does_not_depend_on_who_is_outside(db, tmp_path, rows, on_duplicate, mode, role):
    """For any member file and any scoped importer (a district secretary, a basic unit's
    secretary, a treasurer of another unit), the outcomes, counts, messages and errors file they
    get are the same whether the people and units outside their scope exist or not."""
    with transaction.atomic():
        org = builders.organization()
        world_ = _world(org)
        path = write(tmp_path, [",".join(row) for row in rows])
        options = {"dry_run": mode == "dry run", "valid_rows": mode == "valid rows", "on_duplicate": on_duplicate}
        seen = []
        for forget in (False, True):
            errors = tmp_path / f"errors-{forget}.csv"
            with transaction.atomic():
                if forget:
                    forget_outsiders(world_, world_[role])
                result = import_members(organization=org, path=path, by=world_[role], errors_path=errors, **options)
                seen.append((outcome(result), errors.read_text(encoding="utf-8")))
                transaction.set_rollback(True)
        assert seen[0] == seen[1]
        transaction.set_rollback(True)


def _world(org):
    """North's secretary (a member of Elm House) imports; Una has no unit (only administrators see
    her), Sol is in Ash Tower under South; Ena is in Elm House, in the secretary's scope."""
    tree = builders.federation(org)
    secretary = builders.officer(org, tree["north"], "secretary", f"sec{org.pk}@example.org", member_of=tree["elm"])
    una = builders.person(org, "Una Unitless", email="una@example.org", address="1 Hidden Lane")
    sol = builders.person(org, "Sol", email="sol@example.org", phone="+447911000001")
    people.join_unit(person=sol, unit=tree["ash"], by="t", on=builders.START)
    ena = builders.person(org, "Ena", email="ena@example.org")
    people.join_unit(person=ena, unit=tree["elm"], by="t", on=builders.START)
    return {
        "secretary": secretary,
        "unit secretary": builders.officer(org, tree["elm"], "secretary", f"elm{org.pk}@example.org"),
        "treasurer elsewhere": builders.officer(org, tree["oak"], "treasurer", f"oak{org.pk}@example.org"),
        "una": una,
        "sol": sol,
        "ena": ena,
        "tree": tree,
    }


@pytest.mark.parametrize("format", ["csv", "xlsx"])
def test_the_export_prints_no_recruiter_outside_the_scope(world, org, tmp_path, format):
    """Leak 6: Ena was recruited by Sol (in another district): the secretary's export leaves the
    recruiter empty, as for someone recruited by nobody; the administrator's names her."""
    import openpyxl

    from grassroots.imports.actions import export_members

    Person.objects.filter(pk=world["ena"].pk).update(recruiter=world["sol"])

    def recruiters(by) -> dict[str, str]:
        out = tmp_path / f"out.{format}"
        export_members(organization=org, by=by, path=out, format=format)
        if format == "csv":
            rows = _csv(out.read_text(encoding="utf-8-sig"))
        else:
            rows = [
                [cell or "" for cell in row] for row in openpyxl.load_workbook(out).active.iter_rows(values_only=True)
            ]
        header = rows[0]
        return {row[header.index("email")]: row[header.index("recruiter")] for row in rows[1:]}

    assert recruiters(world["secretary"])["ena@example.org"] == ""
    assert recruiters("cli:admin")["ena@example.org"] == "sol@example.org"
