"""Property: what an export writes, an import reads back unchanged, field by field (CSV and XLSX)."""

import csv
import datetime as dt

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grassroots.imports.actions import export_members, import_members
from grassroots.imports.reading import SPREADSHEET_ERRORS
from grassroots.imports.validation import plain
from grassroots.people.models import Person
from grassroots.people.normalize import normal_text
from tests.support import builders

BY = "cli:test"
PHONES = [f"+44791112{number:04d}" for number in range(100)]
STATUSES = ["supporter", "candidate", "member", "lapsed", "resigned"]
EMAIL = r"[a-z0-9][a-z0-9._+-]{0,10}@[a-z]{1,8}\.(org|net)"
HEADER = ["name", "email", "phone", "address", "unit", "status", "joined", "recruiter"]

# A cell that holds exactly a spreadsheet error code ("#NAME?") is read as that error, whatever the
# format (a CSV saved by a spreadsheet writes its errors as their codes): no name or address is one.
text = (
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\ufeff"),
        max_size=30,
    )
    .map(str.strip)
    .filter(lambda value: value not in SPREADSHEET_ERRORS)
)
person = st.fixed_dictionaries(
    {
        "name": text.filter(normal_text),  # a name of invisible characters only is no name
        "email": st.one_of(st.just(""), st.from_regex(EMAIL, fullmatch=True)),
        "phone": st.one_of(st.just(""), st.sampled_from(PHONES)),
        "address": st.lists(text.filter(bool), max_size=3).map("\n".join),
        "unit": st.sampled_from(["elm-house", "oak-court", "ash-tower"]),
        "status": st.sampled_from(STATUSES),
        "joined": st.dates(dt.date(2000, 1, 1), dt.date(2024, 12, 31)).map(dt.date.isoformat),
        "recruiter": st.integers(0, 20),
    }
)


def unique_people(people: list[dict]) -> list[dict]:
    """Distinct emails and phones (they identify people), recruiters among those with an email."""
    seen, kept = set(), []
    for candidate in people:
        keys = {key for key in (candidate["email"], candidate["phone"]) if key}
        if keys & seen:
            continue
        seen |= keys
        kept.append(candidate)
    with_email = [other["email"] for other in kept if other["email"]]
    for candidate in kept:
        choice = with_email[candidate["recruiter"] % len(with_email)] if with_email and candidate["recruiter"] else ""
        candidate["recruiter"] = "" if choice == candidate["email"] else choice
    return kept


def organization_with_units():
    """An organization with three basic units people may join, and no one in them yet."""
    org = builders.organization()
    top = builders.unit(org, "federation", "Federation")
    for name in ("Elm House", "Oak Court", "Ash Tower"):
        builders.unit(org, "building_committee", name, top, state="preparing")
    return org


def read_back(path, format):
    """The exported rows without their first column, the person's number (another organization
    numbers its people otherwise)."""
    if format == "csv":
        with path.open(newline="", encoding="utf-8-sig") as stream:
            return sorted(tuple(row[1:]) for row in list(csv.reader(stream))[1:])
    sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    return sorted(tuple(value or "" for value in row[1:]) for row in list(sheet.iter_rows(values_only=True))[1:])


@pytest.mark.django_db
@pytest.mark.parametrize("format", ["csv", "xlsx"])
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people=st.lists(person, min_size=1, max_size=8).map(unique_people))
def test_export_then_import_gives_back_every_field(tmp_path_factory, format, people):
    tmp = tmp_path_factory.mktemp("round")
    source = organization_with_units()
    original = tmp / "original.csv"
    with original.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(HEADER)
        writer.writerows([[candidate[name] for name in HEADER] for candidate in people])
    first = import_members(organization=source, path=original, by=BY, today=dt.date(2025, 1, 1))
    assert (first.created, first.rejected) == (len(people), 0), first.rejections

    exported = tmp / f"exported.{format}"
    assert export_members(organization=source, by=BY, path=exported, format=format) == len(people)
    target = organization_with_units()
    second = import_members(organization=target, path=exported, by=BY, today=dt.date(2025, 1, 1))
    assert second.rejected == 0, second.rejections
    again = tmp / f"again.{format}"
    export_members(organization=target, by=BY, path=again, format=format)

    assert read_back(exported, format) == read_back(again, format)

    # Every field comes back: the target holds what the source held, which is what the file said
    # (a leading apostrophe before a formula character is a spreadsheet's text marker, not content).
    def fields(org):
        people = Person.objects.filter(organization=org)
        return sorted(people.values_list("name", "email", "phone", "address", "memberships__status"))

    said = sorted(
        (plain(c["name"]), c["email"], c["phone"], plain(c["address"], lines=True), c["status"]) for c in people
    )
    assert fields(source) == said
    assert fields(target) == fields(source)


@pytest.mark.django_db
@pytest.mark.parametrize("format", ["csv", "xlsx"])
def test_an_unchanged_export_imports_as_nothing_to_do_ended_memberships_included(tmp_path, format):
    """Importing Grassroots's own export into the same organization: 0 created, 0 updated, 0
    rejected, 0 conflicts; into another one, past members come back with their ended membership."""
    from grassroots.people import actions as people

    source = organization_with_units()
    elm = source.units.get(slug="elm-house")
    stayed = builders.person(source, "Ada Stays", email="ada@example.org", unit=elm, on=dt.date(2024, 1, 1))
    left = builders.person(source, "Bo Left", phone="07911 123458", unit=elm, on=dt.date(2024, 1, 1))
    people.end_membership(person=left, by=BY, on=dt.date(2024, 6, 30), status="resigned")
    exported = tmp_path / f"members.{format}"
    assert export_members(organization=source, by=BY, path=exported, format=format) == 2
    again = import_members(organization=source, path=exported, by=BY)
    assert (again.created, again.updated, again.rejected, again.conflicts) == (0, 0, 0, 0), again.rejections
    assert again.skipped == 2
    target = organization_with_units()
    copied = import_members(organization=target, path=exported, by=BY)
    assert (copied.created, copied.rejected) == (2, 0), copied.rejections
    ended = Person.objects.get(organization=target, name="Bo Left").memberships.get()
    assert (ended.unit.slug, ended.status, ended.start, ended.end) == (
        "elm-house",
        "resigned",
        dt.date(2024, 1, 1),
        dt.date(2024, 6, 30),
    )
    assert Person.objects.get(organization=target, name="Ada Stays").memberships.get().end is None
    assert stayed.memberships.get().end is None


# -- the round trip over generated organizations (issue 10) -----------------------------------

GIVEN = ["Ada", "José", "Zoë", "Иван", "Мария", "Νίκος", "Ελένη", "美咲", "翔太", "محمد", "Łucja", "Siobhán"]
FAMILY = ["Lovelace", "Pérez", "Dœuf", "Иванов", "Петрова", "Παπαδόπουλος", "山田", "العلي", "Wąs", "O'Brien", "Ng"]
household = st.fixed_dictionaries(
    {
        "given": st.sampled_from(GIVEN),
        "family": st.sampled_from(FAMILY),
        # Everyone has an email or a phone: they are how a row finds a known person (a person with
        # neither is not matched, and comes back as a new one).
        "contact": st.sampled_from(["email", "phone", "both"]),
        "shares_with": st.integers(0, 10),  # an earlier person whose email or phone this one shares
        "unit": st.sampled_from(["elm-house", "oak-court", "ash-tower"]),
        "status": st.sampled_from(STATUSES),
        "joined": st.dates(dt.date(2015, 1, 1), dt.date(2023, 12, 31)),
        "ended_after": st.one_of(st.none(), st.integers(0, 400)),
    }
)


def build_organization(specs: list[dict]):
    """An organization of the generated people: distinct names, some sharing a household's email or
    phone with an earlier person of another name, some whose membership ended."""
    from grassroots.people import actions as people

    org = organization_with_units()
    units = {unit.slug: unit for unit in org.units.all()}
    made: list[tuple[str, str]] = []  # (email, phone) of each person made
    names = set()
    for number, spec in enumerate(specs):
        name = f"{spec['given']} {spec['family']}"
        if name in names:
            continue
        names.add(name)
        email = f"p{number}@example.org" if spec["contact"] in ("email", "both") else ""
        phone = f"+44791112{number:04d}" if spec["contact"] in ("phone", "both") else ""
        if made and spec["shares_with"] % 2:  # a household: the same email or phone as someone before
            earlier_email, earlier_phone = made[spec["shares_with"] % len(made)]
            email, phone = (earlier_email, phone) if earlier_email else (email, earlier_phone or phone)
        made.append((email, phone))
        person = builders.person(org, name, email=email, phone=phone)
        status = spec["status"]
        if spec["ended_after"] is not None and status in ("lapsed", "resigned"):
            status = "member"  # a membership that ends moves to resigned
        people.join_unit(person=person, unit=units[spec["unit"]], by=BY, on=spec["joined"], status=status)
        if spec["ended_after"] is not None:
            end = spec["joined"] + dt.timedelta(days=spec["ended_after"])
            people.end_membership(person=person, by=BY, on=end, status="resigned")
    return org, len(names)


@pytest.mark.django_db
@pytest.mark.parametrize("format", ["csv", "xlsx"])
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs=st.lists(household, min_size=1, max_size=8))
def test_an_unchanged_export_of_any_organization_imports_as_nothing_to_do(tmp_path_factory, format, specs):
    """Export, then import the unchanged export into the same organization: 0 created, 0 updated,
    0 rejected, 0 conflicts, whatever the organization holds (ended memberships, households sharing
    an email or a phone under different names, names in any script)."""
    org, count = build_organization(specs)
    exported = tmp_path_factory.mktemp("round") / f"members.{format}"
    assert export_members(organization=org, by=BY, path=exported, format=format) == count
    again = import_members(organization=org, path=exported, by=BY)
    outcome = (again.created, again.updated, again.rejected, again.conflicts, again.skipped)
    assert outcome == (0, 0, 0, 0, count), [*again.rejections, *again.notes]


@pytest.mark.django_db
def test_xlsx_text_cells_carry_no_visible_apostrophe_and_run_no_formula(tmp_path):
    source = organization_with_units()
    original = tmp_path / "original.csv"
    rows = ["=HYPERLINK(1),eq@example.org", "'=quoted,q@example.org", "@SUM,s@example.org"]
    original.write_text("name,email,unit\n" + "".join(f"{row},elm-house\n" for row in rows), encoding="utf-8")
    assert import_members(organization=source, path=original, by=BY).created == 3
    stored = set(Person.objects.filter(organization=source).values_list("name", flat=True))
    assert stored == {"=HYPERLINK(1)", "=quoted", "@SUM"}  # the file's apostrophe was a text marker
    exported = tmp_path / "members.xlsx"
    export_members(organization=source, by=BY, path=exported, format="xlsx")
    sheet = openpyxl.load_workbook(exported).worksheets[0]
    cells = {row[1].value: row[1] for row in sheet.iter_rows(min_row=2)}  # the names, after the ids
    # Shown as stored, with no apostrophe; a text cell (never a formula), marked as text for editing.
    assert set(cells) == stored
    for cell in cells.values():
        assert (cell.data_type, cell.quotePrefix) == ("s", True)
    target = organization_with_units()
    again = import_members(organization=target, path=exported, by=BY)
    assert (again.created, again.rejected) == (3, 0)
    assert set(Person.objects.filter(organization=target).values_list("name", flat=True)) == stored


@pytest.mark.django_db
def test_people_without_email_or_phone_come_back_as_themselves(tmp_path):
    org = organization_with_units()
    original = tmp_path / "original.csv"
    rows = ["Ana Lima,,elm-house", "ANA  LIMA,,oak-court", "Bo Berg,,elm-house", "Bo Berg,,elm-house"]
    original.write_text("name,email,unit\n" + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    first = import_members(organization=org, path=original, by=BY)
    assert first.created == 4  # no contact to match by within one file: each row is a person
    exported = tmp_path / "members.csv"
    export_members(organization=org, by=BY, path=exported)
    again = import_members(organization=org, path=exported, by=BY)
    # Each row carries its person's number: the two Bo Bergs of Elm House come back as themselves.
    assert (again.created, again.skipped, again.conflicts, again.rejected) == (0, 4, 0, 0)
    # Without the numbers, Ana Lima of Elm House and of Oak Court are each the one of their name
    # there; the two Bo Bergs of Elm House cannot be told apart: a conflict naming both, no one new.
    with exported.open(newline="", encoding="utf-8-sig") as stream:
        rows = [row[1:] for row in csv.reader(stream)]
    unnumbered = tmp_path / "unnumbered.csv"
    with unnumbered.open("w", newline="", encoding="utf-8") as stream:
        csv.writer(stream).writerows(rows)
    bo = sorted(Person.objects.filter(organization=org, name="Bo Berg").values_list("pk", flat=True))
    again = import_members(organization=org, path=unnumbered, by=BY)
    assert (again.created, again.skipped, again.conflicts, again.rejected) == (0, 2, 2, 0)
    assert {note.reason for note in again.notes} == {
        f"conflict: the name is that of persons {bo[0]} and {bo[1]}, who all have this name; nothing written "
        "(give the person's number in an id column, as an export does, to say which)"
    }


@pytest.mark.django_db
def test_the_members_of_a_dormant_unit_come_back_unchanged_and_no_one_new_joins_it(tmp_path):
    from grassroots.organizations.actions import make_dormant

    org = builders.organization()
    top = builders.unit(org, "federation", "Federation")
    elm = builders.founded_basic_unit(org, "Elm House", top)
    for member in Person.objects.filter(organization=org):
        Person.objects.filter(pk=member.pk).update(email=f"p{member.pk}@example.org")
    make_dormant(unit=elm, by=BY)
    exported = tmp_path / "members.csv"
    assert export_members(organization=org, by=BY, path=exported) == 3
    again = import_members(organization=org, path=exported, by=BY, on_duplicate="update")
    assert (again.created, again.updated, again.rejected, again.conflicts) == (0, 0, 0, 0)
    assert again.unchanged == 3
    newcomer = tmp_path / "newcomer.csv"
    newcomer.write_text("name,email,unit\nNew Person,new@example.org,elm-house\n", encoding="utf-8")
    refused = import_members(organization=org, path=newcomer, by=BY)
    assert [r.reason for r in refused.rejections] == [
        "Elm House is dormant; people join units that are preparing or founded"
    ]
    assert not Person.objects.filter(email="new@example.org").exists()


@pytest.mark.django_db
def test_people_with_no_membership_come_back_unchanged_and_a_new_one_needs_a_unit(tmp_path):
    from grassroots.people import actions as people

    org = organization_with_units()
    people.add_person(organization=org, name="Sol Unattached", by=BY, email="sol@example.org")
    people.add_person(organization=org, name="Tam Nocontact", by=BY)
    exported = tmp_path / "members.csv"
    assert export_members(organization=org, by=BY, path=exported) == 2
    for on_duplicate in ("skip", "update"):
        again = import_members(organization=org, path=exported, by=BY, on_duplicate=on_duplicate)
        assert (again.created, again.updated, again.rejected, again.conflicts) == (0, 0, 0, 0), again.rejections
    # A row naming no unit still corrects a known person; it never adds a membership.
    fixed = tmp_path / "fixed.csv"
    fixed.write_text("name,email,phone,unit\nSol Unattached,sol@example.org,07911 123450,\n", encoding="utf-8")
    assert import_members(organization=org, path=fixed, by=BY, on_duplicate="update").updated == 1
    sol = Person.objects.get(organization=org, email="sol@example.org")
    assert (sol.phone, sol.memberships.count()) == ("+447911123450", 0)
    newcomer = tmp_path / "newcomer.csv"
    newcomer.write_text("name,email,unit\nNew Person,new@example.org,\n", encoding="utf-8")
    refused = import_members(organization=org, path=newcomer, by=BY)
    assert [(r.line, r.column, r.reason) for r in refused.rejections] == [(2, "unit", "a unit is required")]
    assert Person.objects.filter(organization=org).count() == 2
