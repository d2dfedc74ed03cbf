"""A member file changes what it says and matches whom it names (issue 10, sections 2 and 3): a
column the file does not have changes nothing on update; a row carrying a person's number (an
export's id column) matches that person; twins who share a name and a contact are never guessed
between; a mapping names only columns the file has; ignored columns are named alike everywhere."""

import datetime as dt

import pytest

from grassroots.imports.actions import export_members, import_members
from grassroots.imports.columns import MappingError, how_ignored
from grassroots.imports.views import what_was_read
from grassroots.people import actions as people
from grassroots.people.models import Membership, Person

BY = "cli:test"
TODAY = dt.date(2025, 6, 1)
JOINED = dt.date(2024, 3, 1)


def write(tmp_path, text: str, name: str = "members.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def member(org, unit, name, *, status="member", **fields) -> Person:
    person = people.add_person(organization=org, name=name, by=BY, **fields)
    people.join_unit(person=person, unit=unit, by=BY, on=JOINED, status=status)
    return person


def twins(org, tree) -> tuple[Person, Person]:
    """Two people of one name and one email, in different units (the duplicates page lists them)."""
    first = member(org, tree["elm"], "Sam Okafor", email="okafor@example.org")
    person = people.add_person(
        organization=org, name="Sam Okafor", by=BY, email="okafor@example.org", allow_duplicate=True
    )
    people.join_unit(person=person, unit=tree["oak"], by=BY, on=JOINED, status="supporter")
    return first, person


def state_of(person: Person) -> tuple:
    person.refresh_from_db()
    memberships = sorted(Membership.objects.filter(person=person).values_list("unit__slug", "status", "start", "end"))
    return person.name, person.email, person.phone, person.address, memberships


# -- a column the file does not have changes nothing -------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("on_duplicate", ["update", "fill-empty"])
def test_a_file_without_a_status_column_updates_the_address_and_keeps_the_status(tree, org, tmp_path, on_duplicate):
    ben = member(org, tree["elm"], "Ben Haddad", email="ben.haddad@example.org", phone="+447911123456")
    path = write(tmp_path, "name,email,address,unit\nBen Haddad,ben.haddad@example.org,New Addr 1,elm-house\n")
    result = import_members(organization=org, path=path, by=BY, today=TODAY, on_duplicate=on_duplicate)
    assert (result.created, result.updated, result.rejected, result.conflicts) == (0, 1, 0, 0), result.rejections
    assert state_of(ben) == (
        "Ben Haddad",
        "ben.haddad@example.org",
        "+447911123456",  # no phone column: the phone stays
        "New Addr 1",
        [("elm-house", "member", JOINED, None)],  # no status nor joined column: the membership stays
    )


@pytest.mark.django_db
def test_empty_cells_and_absent_columns_change_nothing_on_update(tree, org, tmp_path):
    """A status column whose cell is empty, and no phone, joined, ended or recruiter column: a
    known member comes back unchanged."""
    ben = member(org, tree["elm"], "Ben Haddad", email="ben@example.org", phone="+447911123456", address="1 Elm")
    path = write(tmp_path, "name,email,unit,status\nBen Haddad,ben@example.org,elm-house,\n")
    result = import_members(organization=org, path=path, by=BY, today=TODAY, on_duplicate="update")
    assert (result.updated, result.unchanged, result.rejected) == (0, 1, 0), result.rejections
    assert state_of(ben)[2:] == ("+447911123456", "1 Elm", [("elm-house", "member", JOINED, None)])


@pytest.mark.django_db
def test_a_new_person_without_a_status_column_takes_the_initial_status(tree, org, tmp_path):
    path = write(tmp_path, "name,email,unit\nNew Person,new@example.org,elm-house\n")
    result = import_members(organization=org, path=path, by=BY, today=TODAY)
    assert result.created == 1
    created = Person.objects.get(organization=org, email="new@example.org")
    assert created.memberships.get().status == org.constitution.member_statuses.initial == "supporter"


# -- the person's number matches first; twins are never guessed between ---------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("format", ["csv", "xlsx"])
def test_an_unchanged_export_with_twins_comes_back_unchanged(tree, org, tmp_path, format):
    """Two people of one name and email, in Elm House and Oak Court: each row of the export
    carries its person's number and comes back as that person."""
    first, second = twins(org, tree)
    member(org, tree["elm"], "Ada Lovelace", email="ada@example.org")
    before = [state_of(first), state_of(second)]
    path = tmp_path / f"export.{format}"
    everyone = Person.objects.filter(organization=org).count()  # the founded units' members too
    assert export_members(organization=org, by=BY, path=path, format=format) == everyone == 9
    result = import_members(organization=org, path=path, by=BY, today=TODAY, on_duplicate="update")
    counts = (result.created, result.updated, result.rejected, result.conflicts)
    assert counts == (0, 0, 0, 0), (result.rejections, result.notes)
    assert result.unchanged == everyone
    assert [state_of(first), state_of(second)] == before
    assert Person.objects.filter(organization=org).count() == everyone


@pytest.mark.django_db
def test_a_row_naming_one_twin_by_number_updates_that_twin_only(tree, org, tmp_path):
    first, second = twins(org, tree)
    path = write(tmp_path, f"id,name,email,address,unit\n{second.pk},Sam Okafor,okafor@example.org,2 Oak,oak-court\n")
    result = import_members(organization=org, path=path, by=BY, today=TODAY, on_duplicate="update")
    assert (result.updated, result.conflicts, result.rejected) == (1, 0, 0), result.rejections
    assert (state_of(first)[3], state_of(second)[3]) == ("", "2 Oak")


@pytest.mark.django_db
@pytest.mark.parametrize("on_conflict", ["report", "create"])
def test_a_row_matching_twins_by_contact_alone_is_a_conflict_naming_both(tree, org, tmp_path, on_conflict):
    first, second = twins(org, tree)
    path = write(tmp_path, "name,email,address,unit\nSam Okafor,okafor@example.org,3 Ash,oak-court\n")
    errors = tmp_path / "errors.csv"
    result = import_members(
        organization=org,
        path=path,
        by=BY,
        today=TODAY,
        on_duplicate="update",
        on_conflict=on_conflict,
        errors_path=errors,
    )
    assert (result.created, result.updated, result.rejected, result.conflicts) == (0, 0, 0, 1)
    (note,) = result.notes
    assert (note.line, note.column, note.value) == (2, "email", "okafor@example.org")
    assert note.reason == (
        f"conflict: the email is that of persons {first.pk} and {second.pk}, who all have this name; nothing "
        "written (give the person's number in an id column, as an export does, to say which)"
    )
    assert (state_of(first)[3], state_of(second)[3]) == ("", "")
    assert Person.objects.filter(organization=org, name="Sam Okafor").count() == 2


@pytest.mark.django_db
def test_a_number_of_someone_else_whose_name_differs_is_a_conflict(tree, org, tmp_path):
    ada = member(org, tree["elm"], "Ada Lovelace", email="ada@example.org")
    path = write(tmp_path, f"id,name,email,unit\n{ada.pk},Grace Hopper,grace@example.org,elm-house\n")
    result = import_members(organization=org, path=path, by=BY, today=TODAY, on_duplicate="update")
    assert (result.created, result.updated, result.conflicts) == (0, 0, 1)
    assert result.notes[0].column == "id"
    assert result.notes[0].reason.startswith(f"conflict: the id is that of person {ada.pk} (Ada Lovelace)")


@pytest.mark.django_db
def test_a_number_not_of_this_organization_falls_back_to_the_contact(tree, org, tmp_path):
    ada = member(org, tree["elm"], "Ada Lovelace", email="ada@example.org")
    path = write(tmp_path, "id,name,email,address,unit\n999999,Ada Lovelace,ada@example.org,9 Elm,elm-house\n")
    result = import_members(organization=org, path=path, by=BY, today=TODAY, on_duplicate="update")
    assert (result.created, result.updated, result.conflicts) == (0, 1, 0)
    assert state_of(ada)[3] == "9 Elm"


@pytest.mark.django_db
def test_an_id_that_is_not_a_number_rejects_its_row(tree, org, tmp_path):
    path = write(tmp_path, "id,name,unit\nA-12,Ada Lovelace,elm-house\n")
    result = import_members(organization=org, path=path, by=BY, today=TODAY)
    assert result.rejected == 1
    rejection = result.rejections[0]
    assert (rejection.column, rejection.value) == ("id", "A-12")
    assert rejection.reason == "not a person's number (the digits of an export's id column)"


# -- the mapping names only the file's columns; ignored columns are named alike everywhere ---------


@pytest.mark.django_db
def test_a_mapping_naming_a_column_the_file_lacks_is_refused(tree, org, tmp_path):
    path = write(tmp_path, "name,email,unit\nAda,ada@example.org,elm-house\n")
    with pytest.raises(MappingError) as refused:
        import_members(organization=org, path=path, by=BY, today=TODAY, mapping={"Telephone": "phone"})
    assert str(refused.value) == (
        "the mapping names column 'Telephone', which the file does not have (its columns: 'name', 'email', 'unit')"
    )
    assert not Person.objects.filter(organization=org, name="Ada").exists()


@pytest.mark.django_db
def test_a_column_no_field_has_is_not_a_field_with_or_without_the_page_mapping(tree, org, tmp_path):
    """The import page passes the whole column map back (every unknown header as 'ignore'): the
    column is still "not a field", as the command line says; only a column that would fill a field
    and that a mapping ignores is "ignored by the mapping"."""
    path = write(tmp_path, "name,unit,notes,phone\nAda,elm-house,likes tea,+447911123456\n")
    plain = import_members(organization=org, path=path, by=BY, today=TODAY, dry_run=True)
    page = {"name": "name", "unit": "unit", "notes": "ignore", "phone": "ignore"}
    mapped = import_members(organization=org, path=path, by=BY, today=TODAY, dry_run=True, mapping=page)
    assert [how_ignored(column) for column in plain.read["ignored"]] == ["column C 'notes' (not a field, 1 value)"]
    assert [how_ignored(column) for column in mapped.read["ignored"]] == [
        "column C 'notes' (not a field, 1 value)",
        "column D 'phone' (ignored by the mapping, 1 value)",
    ]
    assert what_was_read(mapped.read)[-2:] == [
        ("Ignored", "column C 'notes' (not a field, 1 value)"),
        ("Ignored", "column D 'phone' (ignored by the mapping, 1 value)"),
    ]


@pytest.mark.django_db
def test_a_row_after_a_new_sharer_of_the_contact_still_finds_the_known_person_of_its_name(tree, org, tmp_path):
    """With on conflict 'create', Bo Berg is recorded sharing Ana Lima's email; the next row, Ana
    Lima's, matches Ana (not Bo, the person earlier in the file who now holds the email)."""
    ana = member(org, tree["elm"], "Ana Lima", email="home@example.org")
    path = write(
        tmp_path,
        "name,email,address,unit\nBo Berg,home@example.org,,elm-house\nAna Lima,home@example.org,5 Elm,elm-house\n",
    )
    result = import_members(
        organization=org, path=path, by=BY, today=TODAY, on_duplicate="update", on_conflict="create"
    )
    assert (result.created, result.updated, result.conflicts, result.rejected) == (1, 1, 0, 0), result.notes
    assert state_of(ana)[3] == "5 Elm"
