"""Cells read as they are, never silently (issue 10, section 3): XLSX cells holding a spreadsheet
error or a formula whose value was never saved reject their row when their column is imported;
an all-or-nothing import refused for its rejected rows says it wrote nothing; each date column
says truly how it was read."""

import csv
import datetime as dt
import json
import re
import zipfile

import openpyxl
import pytest

from grassroots.audit.models import AuditRecord
from grassroots.cli import main
from grassroots.imports.actions import import_members
from grassroots.imports.columns import map_columns
from grassroots.imports.dates import decide_date_orders
from grassroots.imports.models import ImportRun
from grassroots.imports.reading import open_table
from grassroots.people.models import Person

BY = "cli:test"
TODAY = dt.date(2025, 6, 1)
ERRORS = ["#N/A", "#REF!", "#DIV/0!", "#VALUE!", "#NAME?", "#NUM!", "#NULL!"]


def workbook(path, rows):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def names(org) -> list[str]:
    """The people of the files of these tests (the organization has others)."""
    mine = ["Ada", "Bo", "Cy", "Di", "Kim", "Lee"]
    return sorted(Person.objects.filter(organization=org, name__in=mine).values_list("name", flat=True))


# -- spreadsheet errors ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("error", ERRORS)
def test_a_spreadsheet_error_in_an_imported_column_rejects_its_row_naming_the_cell(tree, org, tmp_path, error):
    path = workbook(
        tmp_path / "errors.xlsx",
        [
            ["Name", "Email", "Unit", "Notes"],
            ["Ada", "ada@example.org", "elm-house", error],  # not imported: ignored
            ["Bo", error, "elm-house", ""],
            ["Cy", "cy@example.org", "elm-house", ""],
        ],
    )
    errors = tmp_path / "errors.csv"
    result = import_members(organization=org, path=path, by=BY, valid_rows=True, errors_path=errors)
    assert (result.created, result.rejected) == (2, 1)
    assert [(r.line, r.column, r.value, r.reason) for r in result.rejections] == [
        (3, "Email", error, f"cell B3 holds the spreadsheet error {error}")
    ]
    assert names(org) == ["Ada", "Cy"]
    with errors.open(encoding="utf-8") as stream:
        lines = list(csv.reader(stream))
    assert lines == [
        ["line", "reason", "Name", "Email", "Unit", "Notes"],
        ["3", f"Email '{error}': cell B3 holds the spreadsheet error {error}", "Bo", error, "elm-house", ""],
    ]


@pytest.mark.django_db
def test_every_problem_of_a_row_with_errors_is_reported_and_nothing_else_is_invented(tree, org, tmp_path):
    """An error in the name column rejects the row for the error, not also for a missing name; the
    row's other problems are reported with it."""
    path = workbook(
        tmp_path / "errors.xlsx",
        [["Name", "Email", "Phone", "Unit"], ["#N/A", "bo@@example.org", "#REF!", "elm-house"]],
    )
    result = import_members(organization=org, path=path, by=BY)
    assert [(r.column, r.value, r.reason) for r in result.rejections] == [
        ("Name", "#N/A", "cell A2 holds the spreadsheet error #N/A"),
        ("Phone", "#REF!", "cell C2 holds the spreadsheet error #REF!"),
        ("Email", "bo@@example.org", "not a valid email address"),
    ]


# -- formulas with no saved value ------------------------------------------------------------------


def with_saved_value(path, cell: str, xml: str):
    """The workbook with the value of `cell` saved as a spreadsheet program saves it."""
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    sheet, count = re.subn(rf'<c r="{cell}"[^>]*>(<f>[^<]*</f>)<v\s*/?>(</v>)?</c>', xml, sheet)
    assert count == 1
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return path


@pytest.mark.django_db
def test_a_formula_never_computed_rejects_its_row_when_its_column_is_imported(tree, org, tmp_path):
    path = workbook(
        tmp_path / "formulas.xlsx",
        [
            ["Name", "Email", "Unit", "Notes"],
            ["Ada", "ada@example.org", "elm-house", "=1+1"],  # not imported: ignored
            ["Bo", '=LOWER("BO@EXAMPLE.ORG")', "elm-house", ""],  # never computed: rejected
            ["Cy", '=LOWER("CY@EXAMPLE.ORG")', "elm-house", ""],  # computed and saved: read
            ["Di", '=IF(1,"","x")', "elm-house", ""],  # computed and saved as empty text: empty
            ["=A2", "", "elm-house", ""],  # a row of which only a formula remains is not dropped
        ],
    )
    with_saved_value(path, "B4", r'<c r="B4" t="str">\1<v>cy@example.org</v></c>')
    with_saved_value(path, "B5", r'<c r="B5" t="str">\1<v></v></c>')
    result = import_members(organization=org, path=path, by=BY, valid_rows=True)
    reason = (
        "holds a formula with no saved value (the program that wrote the file did not compute it): "
        "open the file in a spreadsheet program and save it"
    )
    assert [(r.line, r.column, r.value, r.reason) for r in result.rejections] == [
        (3, "Email", '=LOWER("BO@EXAMPLE.ORG")', f"cell B3 {reason}"),
        (6, "Name", "=A2", f"cell A6 {reason}"),
    ]
    assert (result.created, result.rejected, result.rows) == (3, 2, 5)
    # The errors file writes such a cell #N/A (its reason quotes the formula), so importing it
    # unchanged rejects the row again in every column: rather than writing Bo without an email,
    # or a person named after the formula's text.
    errors = tmp_path / "errors.csv"
    import_members(organization=org, path=path, by=BY, valid_rows=True, errors_path=errors)
    rows = list(csv.reader(errors.read_text(encoding="utf-8-sig").splitlines()))
    assert [(row[0], row[2:5]) for row in rows[1:]] == [
        ("3", ["Bo", "#N/A", "elm-house"]),
        ("6", ["#N/A", "", "elm-house"]),
    ]
    assert "Email '=LOWER(\"BO@EXAMPLE.ORG\")': cell B3 holds a formula with no saved value" in rows[1][1]
    again = import_members(organization=org, path=errors, by=BY, valid_rows=True)
    assert [(r.line, r.column, r.value) for r in again.rejections] == [(2, "Email", "#N/A"), (3, "Name", "#N/A")]
    assert again.created == 0
    assert names(org) == ["Ada", "Cy", "Di"]
    assert Person.objects.get(organization=org, name="Cy").email == "cy@example.org"
    assert Person.objects.get(organization=org, name="Di").email == ""


def test_reading_a_workbook_once_tells_a_formula_never_computed_from_an_empty_cell(tmp_path):
    path = workbook(tmp_path / "f.xlsx", [["Name", "Email"], ["Ada", "=B9"], ["Bo", None]])
    table = open_table(path)
    (_, ada), (_, bo) = list(table.rows)
    assert (ada[1], ada[1].reason.split(" (")[0]) == ("=B9", "cell B2 holds a formula with no saved value")
    assert bo == ["Bo"]


# -- an all-or-nothing import refused: nothing written, and said so --------------------------------


@pytest.mark.django_db
def test_a_refused_all_or_nothing_import_reports_nothing_written_and_what_it_would_have_written(
    tree, org, tmp_path, capsys
):
    import_members(
        organization=org,
        path=workbook(tmp_path / "known.xlsx", [["Name", "Email", "Unit"], ["Kim", "kim@example.org", "elm-house"]]),
        by=BY,
    )
    path = workbook(
        tmp_path / "members.xlsx",
        [
            ["Name", "Email", "Unit", "Status"],
            ["Ada", "ada@example.org", "elm-house", ""],  # would be created
            ["Bo", "bo@example.org", "elm-house", ""],  # would be created
            ["Kim", "kim@example.org", "elm-house", ""],  # known: skipped
            ["Lee", "kim@example.org", "elm-house", ""],  # Kim's email, another name: a conflict
            ["Cy", "#N/A", "elm-house", ""],  # rejected
        ],
    )
    before = names(org)
    # A dry run says the real import would be refused, as it then is.
    assert main(["import", "members", str(path), "--org", org.slug, "--dry-run"]) == 0
    said = capsys.readouterr().out
    assert "without --valid-rows this import would be refused and write nothing: 1 row rejected" in said
    code = main(["import", "members", str(path), "--org", org.slug, "--json"])
    out, err = capsys.readouterr()
    assert code == 1
    counts = json.loads(out)
    expected = {"created": 0, "updated": 0, "unchanged": 0, "skipped": 1, "conflicts": 1, "rejected": 1}
    assert {name: counts[name] for name in expected} == expected
    assert (counts["would_create"], counts["would_update"]) == (2, 0)
    assert "1 row rejected: nothing was written (it would have created 2 and updated 0;" in err
    assert names(org) == before
    run = ImportRun.objects.latest("id")
    assert (run.state, run.created, run.updated, run.would_create, run.would_update) == ("rejected", 0, 0, 2, 0)
    assert (run.skipped, run.conflicts, run.rejected) == (1, 1, 1)
    record = AuditRecord.objects.filter(action="people.import").latest("id")
    assert (record.changes["created"], record.changes["would_create"]) == ([None, 0], [None, 2])
    # With --valid-rows the same file writes what it can; would_create stays 0.
    result = import_members(organization=org, path=path, by=BY, valid_rows=True)
    assert (result.created, result.would_create, result.skipped, result.conflicts) == (2, 0, 1, 1)
    assert names(org) == sorted([*before, "Ada", "Bo"])


@pytest.mark.django_db
def test_a_dry_run_still_counts_what_it_would_create_as_created(tree, org, tmp_path):
    path = workbook(
        tmp_path / "members.xlsx",
        [["Name", "Email", "Unit"], ["Ada", "ada@example.org", "elm-house"], ["Cy", "#N/A", "elm-house"]],
    )
    result = import_members(organization=org, path=path, by=BY, dry_run=True)
    assert (result.created, result.rejected, result.would_create) == (1, 1, 0)


# -- each date column says truly how it was read ---------------------------------------------------


def read_dates(rows, region="GB") -> dict:
    columns = map_columns(["name", "unit", "joined"])
    orders = decide_date_orders(iter(enumerate(rows, start=2)), columns, region)
    return orders["joined"].as_json()


@pytest.mark.parametrize(
    ("values", "order", "because"),
    [
        (["2024-01-13", "2023-12-01"], None, "ISO 8601 dates (YYYY-MM-DD), no order to decide"),
        (
            ["2024-01-13", "13.01.2024", "2024/01/13"],
            None,
            "ISO 8601 dates (YYYY-MM-DD) and dates of forms with one reading (YYYY/MM/DD, DD.MM.YYYY), "
            "no order to decide",
        ),
        (
            ["soon", "31/02/2024"],
            None,
            "no value could be read as a date (line 2: soon): the rows with a value here are rejected",
        ),
        (["", ""], None, "the column is empty: each person joins on the day of the import"),
        (["05/06/2024"], "day first", "every date could be either; the organization's region (GB) writes day first"),
        (
            ["05/06/2024", "2024-01-13"],
            "day first",
            "every d/m/Y or m/d/Y date could be either (the column's other dates have one reading); "
            "the organization's region (GB) writes day first",
        ),
        (
            ["05/06/2024", "31/02/2024"],
            "day first",
            "every date could be either; the organization's region (GB) writes day first; "
            "values that are not dates reject their rows (line 3: 31/02/2024)",
        ),
        (["2024-01-13", "01/13/2024"], "month first", "line 3: 01/13/2024"),
        (["13.01.2024"], None, "dates of forms with one reading (YYYY/MM/DD, DD.MM.YYYY), no order to decide"),
    ],
)
def test_each_date_column_gets_a_true_reason(values, order, because):
    read = read_dates([["A", "u", value] for value in values])
    assert (read["order"], read["because"]) == (order, because)


@pytest.mark.parametrize(
    ("values", "order", "because"),
    [
        (
            [dt.date(2024, 1, 13), dt.datetime(2024, 2, 1, 10, 30)],
            None,
            "dates stored as dates in the workbook, no order to decide",
        ),
        (
            [dt.date(2024, 1, 13), "2024-02-01"],
            None,
            "dates stored as dates in the workbook and ISO 8601 dates (YYYY-MM-DD), no order to decide",
        ),
        (
            [dt.date(2024, 1, 13), "05/06/2024"],
            "day first",
            "every d/m/Y or m/d/Y date could be either (the column's other dates have one reading); "
            "the organization's region (GB) writes day first",
        ),
        ([dt.date(2024, 1, 13), "06/13/2024"], "month first", "line 3: 06/13/2024"),
    ],
)
def test_an_xlsx_column_of_date_cells_says_its_dates_came_as_dates(tmp_path, values, order, because):
    """A workbook's date cells are dates, not text in some form: the column says so."""
    path = workbook(tmp_path / "dates.xlsx", [["name", "unit", "joined"], *(["A", "u", value] for value in values)])
    table = open_table(path)
    orders = decide_date_orders(table.rows, map_columns(table.header), "GB")
    read = orders["joined"].as_json()
    assert (read["order"], read["because"]) == (order, because)


@pytest.mark.django_db
def test_every_date_column_is_reported_on_the_command_line(tree, org, tmp_path, capsys):
    path = tmp_path / "members.csv"
    path.write_text("name,unit,joined,ended\nAda,elm-house,2024-01-13,\nBo,elm-house,2024-02-01,\n")
    code = main(["import", "members", str(path), "--org", org.slug])
    out = " ".join(capsys.readouterr().out.split())
    assert code == 0
    assert "dates in 'joined': ISO 8601 dates (YYYY-MM-DD), no order to decide" in out
    assert "dates in 'ended': the column is empty: no membership ends" in out


def test_text_after_an_iso_date_is_not_dropped():
    from grassroots.imports.validation import parse_date

    assert parse_date("2024-03-01") == dt.date(2024, 3, 1)
    assert parse_date("2024-03-01 10:30:00") == dt.date(2024, 3, 1)  # an XLSX date with a time
    assert parse_date("2024-03-01x") is None
    assert parse_date("2024-03-0112") is None
    # After a space or a T only a time is read (ISO 8601); other text makes the cell no date.
    assert parse_date("2024-03-01T10:30:00+01:00") == dt.date(2024, 3, 1)
    assert parse_date("2024-03-01 junk") is None
    assert parse_date("2024-03-01 10:30 and more") is None


@pytest.mark.django_db
def test_a_csv_saved_by_a_spreadsheet_with_an_error_as_text_is_not_read_as_a_name(tree, org, tmp_path):
    path = tmp_path / "saved.csv"
    path.write_text("Name,Email,Unit,Address,Notes\n#N/A,bo@example.org,elm-house,,#REF!\nCy,,elm-house,#VALUE!,\n")
    result = import_members(organization=org, path=path, by=BY, valid_rows=True)
    reason = "the cell holds the spreadsheet error {}: the program that saved the file had no value"
    assert [(r.line, r.column, r.value, r.reason) for r in result.rejections] == [
        (2, "Name", "#N/A", reason.format("#N/A")),
        (3, "Address", "#VALUE!", reason.format("#VALUE!")),
    ]
    assert (result.created, result.rejected) == (0, 2)
