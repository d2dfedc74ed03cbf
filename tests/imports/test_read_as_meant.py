"""Files read as the user meant (issue 10, section 3): decisions taken for the whole file or the
whole column and reported under `read`; every problem of a row; an errors file the user fixes and
imports; oversized cells; XLSX number formats."""

import csv
import datetime as dt

import openpyxl
import pytest

from grassroots.imports import reading
from grassroots.imports.actions import import_members
from grassroots.imports.columns import map_columns
from grassroots.imports.dates import decide_date_orders
from grassroots.imports.models import ImportRun
from grassroots.imports.reading import ImportFileError, open_table
from grassroots.people.models import Person
from tests.imports.test_reading import ELM, validator

BY = "cli:test"
TODAY = dt.date(2025, 6, 1)


def write(tmp_path, text: str, name: str = "members.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def starts(org, names=("Ada", "Bo", "Cy")) -> dict[str, dt.date]:
    people = Person.objects.filter(organization=org, name__in=names)
    return {person.name: person.memberships.get().start for person in people}


# -- dates: one day/month order per column, from the whole column ----------------------------------


@pytest.mark.django_db
def test_one_unambiguous_date_decides_its_whole_column_even_against_the_region(tree, org, tmp_path):
    """In a GB organization, 01/13/2025 can only be month first, so 12/01/2024 in the same column
    is 1 December 2024 (not 12 January), whichever row comes first."""
    assert org.default_region == "GB"
    path = write(
        tmp_path,
        "name,unit,joined\nAda,elm-house,12/01/2024\nBo,elm-house,2024-05-06\nCy,elm-house,01/13/2025\n",
    )
    result = import_members(organization=org, path=path, by=BY, today=TODAY)
    assert (result.created, result.rejected) == (3, 0), result.rejections
    assert starts(org) == {"Ada": dt.date(2024, 12, 1), "Bo": dt.date(2024, 5, 6), "Cy": dt.date(2025, 1, 13)}
    assert result.as_json()["read"]["dates"] == {
        "joined": {
            "column": "joined",
            "order": "month first",
            "line": 4,
            "value": "01/13/2025",
            "because": "line 4: 01/13/2025",
        }
    }
    assert ImportRun.objects.get(pk=result.run_id).read["dates"]["joined"]["order"] == "month first"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("region", "order", "ada"), [("GB", "day first", (2024, 3, 4)), ("US", "month first", (2024, 4, 3))]
)
def test_a_column_of_only_ambiguous_dates_follows_the_region_and_says_so(tree, org, tmp_path, region, order, ada):
    org.default_region = region
    org.save(update_fields=["default_region"])
    path = write(tmp_path, "name,unit,joined,ended\nAda,elm-house,04/03/2024,\nBo,elm-house,05/06/2024,25/12/2024\n")
    result = import_members(organization=org, path=path, by=BY, today=TODAY)
    assert result.rejected == 0, result.rejections
    assert starts(org)["Ada"] == dt.date(*ada)
    dates = result.read["dates"]
    assert dates["joined"] == {
        "column": "joined",
        "order": order,
        "region": region,
        "because": f"every date could be either; the organization's region ({region}) writes {order}",
    }
    # The ended column is decided on its own values: 25/12/2024 is day first, in the US too.
    assert (dates["ended"]["order"], dates["ended"]["line"]) == ("day first", 3)
    bo = Person.objects.get(organization=org, name="Bo").memberships.get()
    assert bo.end == dt.date(2024, 12, 25)


@pytest.mark.django_db
@pytest.mark.parametrize("options", [{}, {"valid_rows": True}, {"dry_run": True}])
def test_a_column_that_contradicts_itself_refuses_the_whole_file_naming_two_rows(tree, org, tmp_path, options):
    rows = "".join(f"P{i},elm-house,2024-01-{i + 1:02d}\n" for i in range(5))
    path = write(tmp_path, f"Name,Unit,Date Joined\nAda,elm-house,13/01/2025\n{rows}Cy,elm-house,01/14/2025\n")
    with pytest.raises(ImportFileError) as refusal:
        import_members(organization=org, path=path, by=BY, today=TODAY, batch_size=2, **options)
    assert str(refusal.value) == (
        "column 'Date Joined' holds dates in both day/month orders: line 2 has 13/01/2025 (day first) and "
        "line 8 has 01/14/2025 (month first); write every date of the column in one order, or as YYYY-MM-DD"
    )
    assert not Person.objects.filter(organization=org, name__in=["Ada", "P0", "Cy"]).exists()


def test_the_decision_looks_at_each_distinct_date_once_and_ignores_forms_that_need_none():
    columns = map_columns(["name", "unit", "joined"])
    rows = [(2, ["A", "u", "2024-01-13"]), (3, ["B", "u", "13.01.2024"]), (4, ["C", "u", "2024/01/13"])]
    (order,) = decide_date_orders(iter(rows), columns, "GB").values()  # ISO, dotted, Y/m/d: nothing to decide
    assert (order.order, order.decided_by) == (None, "form")
    rows += [(5, ["D", "u", "31/02/2024"]), (6, ["E", "u", "02/03/2024"])]  # 31/02 is no date either way
    (order,) = decide_date_orders(iter(rows), columns, "us").values()
    assert (order.month_first, order.line, order.region, order.not_date) == (True, 0, "US", (5, "31/02/2024"))


# -- the encoding, decided on the whole file: see test_reading.py --------------------------------


@pytest.mark.django_db
def test_a_late_cp1252_accent_is_imported_as_written(tree, org, tmp_path):
    path = tmp_path / "late.csv"
    rows = "".join(f"Person {i},p{i}@example.org,elm-house\n" for i in range(3000))
    path.write_bytes(("name,email,unit\n" + rows + "Zoë Dœuf,z@example.org,elm-house\n").encode("cp1252"))
    result = import_members(organization=org, path=path, by=BY)
    assert (result.created, result.rejected, result.read["encoding"]) == (3001, 0, "cp1252")
    assert Person.objects.get(organization=org, email="z@example.org").name == "Zoë Dœuf"


# -- every problem of a row, and an errors file to fix and import ---------------------------------


def test_every_problem_of_a_row_is_reported_each_naming_its_column():
    check = validator(["Name", "E-mail", "Phone", "Unit", "Status", "Joined"])
    problems = check.validate(9, ["", "x@@example.org", "12345", "south", "emperor", "31/31/2024"])
    assert [(p.line, p.column, p.value, p.reason.split(" (")[0]) for p in problems] == [
        (9, "Name", "", "a name is required"),
        (9, "E-mail", "x@@example.org", "not a valid email address"),
        (9, "Phone", "12345", "not a valid phone number for GB"),
        (9, "Unit", "south", "no basic unit with this slug, name or path"),
        (9, "Status", "emperor", "not a status of the constitution"),
        (9, "Joined", "31/31/2024", "not a date"),
    ]
    assert check.validate(9, ["Ada", "", "", "elm-house", "", ""]).unit == ELM


@pytest.mark.django_db
def test_the_errors_file_is_fixed_and_imported_itself(tree, org, tmp_path):
    path = write(
        tmp_path,
        "Members of Elm House\n"
        "Name,Email,Phone,Unit,Notes\n"
        "Ada Lovelace,ada@example.org,,elm-house,first\n"
        "Bo Diddley,bo@@example,12345,nowhere,=HYPERLINK(x)\n"
        "Cy Twombly,cy@example.org,,Oak Court,third\n"
        ",dee@example.org,,elm-house,\n",
    )
    errors = tmp_path / "errors.csv"
    result = import_members(organization=org, path=path, by=BY, valid_rows=True, errors_path=errors)
    assert (result.created, result.rejected) == (2, 2)
    assert [(r.line, r.column) for r in result.rejections] == [(4, "Email"), (4, "Phone"), (4, "Unit"), (6, "Name")]
    with errors.open(newline="", encoding="utf-8") as stream:
        rows = list(csv.reader(stream))
    assert rows == [
        ["line", "reason", "Name", "Email", "Phone", "Unit", "Notes"],
        [
            "4",
            "Email 'bo@@example': not a valid email address; Phone '12345': not a valid phone number for GB; "
            "Unit 'nowhere': no basic unit with this slug, name or path",
            "Bo Diddley",
            "bo@@example",
            "12345",
            "nowhere",
            "'=HYPERLINK(x)",  # still neutralized for spreadsheets
        ],
        ["6", "Name: a name is required", "", "dee@example.org", "", "elm-house", ""],
    ]
    # The user corrects the cells in place and imports the errors file as it is.
    rows[1][3:6] = ["bo@example.org", "07911 123457", "elm-house"]
    rows[2][2] = "Dee Dee"
    with errors.open("w", newline="", encoding="utf-8") as stream:
        csv.writer(stream).writerows(rows)
    again_errors = tmp_path / "again-errors.csv"
    again = import_members(organization=org, path=errors, by=BY, errors_path=again_errors)
    assert (again.created, again.rejected, again.conflicts) == (2, 0, 0), again.rejections
    assert dict(ImportRun.objects.get(pk=again.run_id).columns)["reason"] == "ignore"
    assert dict(ImportRun.objects.get(pk=again.run_id).columns)["line"] == "ignore"
    bo = Person.objects.get(organization=org, email="bo@example.org")
    assert (bo.name, bo.phone, bo.memberships.get().unit.slug) == ("Bo Diddley", "+447911123457", "elm-house")
    assert Person.objects.filter(organization=org, name="Dee Dee", email="dee@example.org").exists()
    assert again_errors.read_text(encoding="utf-8").splitlines() == ["line,reason,Name,Email,Phone,Unit,Notes"]


# -- oversized cells ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("format", ["csv", "xlsx"])
def test_an_oversized_cell_rejects_its_row_only_when_its_column_is_imported(tree, org, tmp_path, format):
    huge = "x" * (reading.MAX_CELL + 5)
    rows = [
        ["Name", "Email", "Unit", "Address", "Notes"],
        ["Ada", "ada@example.org", "elm-house", "1 Elm St", huge],  # not imported: ignored
        ["Bo", "bo@example.org", "elm-house", huge, "fine"],  # imported: the row is rejected
        ["Cy", "cy@example.org", "elm-house", "", ""],
    ]
    if format == "csv":
        path = tmp_path / "fat.csv"
        with path.open("w", newline="", encoding="utf-8") as stream:
            csv.writer(stream).writerows(rows)
    else:
        path = tmp_path / "fat.xlsx"
        book = openpyxl.Workbook()
        for row in rows:
            book.active.append(row)
        book.save(path)
    result = import_members(organization=org, path=path, by=BY, valid_rows=True)
    assert (result.created, result.rejected) == (2, 1)
    (rejection,) = result.rejections
    assert (rejection.line, rejection.column) == (3, "Address")
    assert rejection.reason == f"a cell is at most {reading.MAX_CELL} characters ({reading.MAX_CELL + 5} given)"
    people = Person.objects.filter(organization=org, name__in=["Ada", "Bo", "Cy"])
    assert sorted(people.values_list("name", flat=True)) == ["Ada", "Cy"]
    all_or_nothing = import_members(organization=org, path=path, by=BY)
    assert (all_or_nothing.state, all_or_nothing.rejected) == ("rejected", 1)


# -- XLSX number formats ---------------------------------------------------------------------------


def number_formatted_workbook(path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Name", "Phone", "Unit", "Postcode", "Joined"])
    rows = [
        ("Ada", 7911123458, "0##########", 2138, "00000"),
        ("Bo", 7911123459, "00000000000", 90210, "00000"),
        ("Cy", 447911123450, "General", 2138, "General"),
    ]
    for name, phone, phone_format, postcode, postcode_format in rows:
        sheet.append([name, phone, "elm-house", postcode, dt.date(2024, 2, 1)])
        sheet.cell(sheet.max_row, 2).number_format = phone_format
        sheet.cell(sheet.max_row, 4).number_format = postcode_format
    book.save(path)
    return path


def test_xlsx_numbers_are_read_as_their_number_format_shows_them(tmp_path):
    table = open_table(number_formatted_workbook(tmp_path / "numbers.xlsx"))
    assert list(table.rows) == [
        (2, ["Ada", "07911123458", "elm-house", "02138", "2024-02-01"]),
        (3, ["Bo", "07911123459", "elm-house", "90210", "2024-02-01"]),
        (4, ["Cy", "447911123450", "elm-house", "2138", "2024-02-01"]),
    ]


@pytest.mark.parametrize(
    ("value", "number_format", "shown"),
    [
        (2138, "00000", "02138"),
        (21381234, "00000-0000", "02138-1234"),
        (2125551234, "(000) 000-0000", "(212) 555-1234"),
        (7911123458, '"+44 "0000 000000', "+44 7911 123458"),
        (123456, "000", "123456"),
        (5, "#,##0.00", None),
        (5, "0%", None),
        (5, "@", None),
    ],
)
def test_number_formats_of_digit_placeholders(value, number_format, shown):
    assert reading.shown_integer(value, number_format) == shown


@pytest.mark.django_db
def test_an_xlsx_phone_stored_as_a_number_gets_back_its_leading_zero(tree, org, tmp_path):
    result = import_members(organization=org, path=number_formatted_workbook(tmp_path / "numbers.xlsx"), by=BY)
    assert (result.created, result.rejected) == (3, 0), result.rejections
    people = {
        p.name: (p.phone, p.address) for p in Person.objects.filter(organization=org, name__in=["Ada", "Bo", "Cy"])
    }
    assert people == {
        "Ada": ("+447911123458", "02138"),
        "Bo": ("+447911123459", "90210"),
        "Cy": ("+447911123450", "2138"),
    }


# -- the first pass reads the rows the import reads ------------------------------------------------


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ('name,address,unit\n"Ada","1 Elm St\nFlat 2",elm\n\nBo,2 Oak St,oak\n', "utf-8"),
        ('"sep=;"\nname;unit\nAda, the first;elm\nBo;oak\n', "utf-8"),
        ("Members of Riverside\n\nName,Unit\nZoë,elm\nBo,oak\n", "utf-8-sig"),
        ("Name;Unit\nZoë;elm\nFrançoise;oak\n", "cp1252"),
    ],
)
def test_the_first_pass_reads_the_rows_the_import_reads_with_their_lines(tmp_path, data, encoding):
    path = tmp_path / "members.csv"
    path.write_bytes(data.encode(encoding))
    table = open_table(path)
    assert table.short_lines
    first_pass = [(line, cells) for line, cells in reading.data_rows(path, table) if any(cells)]
    assert first_pass == list(open_table(path).rows)


def test_a_file_with_a_long_line_is_read_again_line_by_line_and_refused(tmp_path):
    rows = "".join(f"P{number},elm\n" for number in range(20))
    path = write(tmp_path, "name,unit\n" + rows + "Bo," + "x" * (reading.MAX_LINE + 1) + "\n")
    table = open_table(path)
    assert not table.short_lines
    with pytest.raises(ImportFileError, match="line 22 is longer than"):
        list(reading.data_rows(path, table))


def test_the_errors_file_repeats_a_cell_already_marked_as_text_as_it_was(tree, org, tmp_path):
    """An export's `'=HYPERLINK(...)` stays `'=HYPERLINK(...)` in the errors file (not `''=...`),
    so the fixed errors file stores what the original file meant: `=HYPERLINK(...)`."""
    path = write(tmp_path, 'name,email,address,unit\nAl Ink,al@example.org,\'=HYPERLINK("x"),nowhere\n')
    errors = tmp_path / "errors.csv"
    import_members(organization=org, path=path, by=BY, errors_path=errors)
    with errors.open(newline="", encoding="utf-8") as stream:
        rows = list(csv.reader(stream))
    assert rows[1][2:] == ["Al Ink", "al@example.org", '\'=HYPERLINK("x")', "nowhere"]
    rows[1][5] = "elm-house"
    with errors.open("w", newline="", encoding="utf-8") as stream:
        csv.writer(stream).writerows(rows)
    assert import_members(organization=org, path=errors, by=BY).created == 1
    assert Person.objects.get(organization=org, email="al@example.org").address == '=HYPERLINK("x")'


def test_a_csv_row_with_values_beyond_the_header_is_reported_not_shifted(tree, org, tmp_path):
    path = write(
        tmp_path,
        "name,email,unit,address\n"
        "Jane Extra,jex@example.org,elm-house,1 High St, Leeds, LS1\n"
        'Joe Fine,joe@example.org,elm-house,"2 High St, Leeds",\n',  # an empty cell beyond: fine
    )
    result = import_members(organization=org, path=path, by=BY, valid_rows=True)
    assert (result.created, result.rejected) == (1, 1)
    (problem,) = result.rejections
    assert (problem.line, problem.column, problem.value) == (2, "column 5", " Leeds")
    assert problem.reason.startswith("the row has values in 6 columns, the header names 4")
    assert Person.objects.get(organization=org, email="joe@example.org").address == "2 High St, Leeds"


@pytest.mark.django_db
def test_a_workbook_row_with_a_value_right_of_the_header_is_rejected_naming_its_cell(tree, org, tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["Members"])  # a title row: the header is row 2
    book.active.append(["Name", "Email", "Unit"])
    book.active.append(["X One", "x1@example.org", "elm-house"])
    book.active.append(["X Two", "x2@example.org", "elm-house", None, "stray note"])
    book.active.append(["X Three", "x3@example.org", "elm-house", "  "])  # blank beyond: fine
    path = tmp_path / "members.xlsx"
    book.save(path)
    errors = tmp_path / "errors.csv"
    result = import_members(organization=org, path=path, by=BY, valid_rows=True, errors_path=errors)
    assert (result.created, result.rejected) == (2, 1)
    (problem,) = result.rejections
    assert (problem.line, problem.column, problem.value) == (4, "cell E4", "stray note")
    assert problem.reason == (
        "the row has values in 5 columns, the header names 3: give column E a header in row 2, or remove the value"
    )
    assert not Person.objects.filter(organization=org, email="x2@example.org").exists()
    with errors.open(newline="", encoding="utf-8") as stream:
        rows = list(csv.reader(stream))
    assert rows == [
        ["line", "reason", "Name", "Email", "Unit"],
        ["4", f"cell E4 'stray note': {problem.reason}", "X Two", "x2@example.org", "elm-house", "", "stray note"],
    ]


# -- columns left out: named in the result -----------------------------------------------------------


@pytest.mark.django_db
def test_a_column_a_mapping_ignores_and_workbook_columns_are_reported_with_their_values(tree, org, tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["Name", "Unit", "Notes", None, None, "Badge", "Email"])
    book.active.append(["Ada", "elm-house", "likes tea", None, None, "B-1", "ada@example.org"])
    book.active.append(["Bo", "elm-house", None, dt.date(2024, 1, 5), None, "B-2"])
    path = tmp_path / "members.xlsx"
    book.save(path)
    mapping = {"Notes": "ignore", "Email": "ignore"}
    result = import_members(organization=org, path=path, by=BY, today=TODAY, mapping=mapping)
    assert (result.created, result.rejected) == (2, 0), result.rejections
    # Notes is no field, mapped or not; Email would fill one, and the mapping leaves it out.
    assert result.as_json()["read"]["ignored"] == [
        {"column": "C", "header": "Notes", "reason": "not a field", "values": 1},
        {"column": "D", "header": "", "reason": "no header", "values": 1},
        {"column": "F", "header": "Badge", "reason": "not a field", "values": 2},
        {"column": "G", "header": "Email", "reason": "ignored by the mapping", "values": 1},
    ]
    assert ImportRun.objects.get(pk=result.run_id).read["ignored"][1]["column"] == "D"


@pytest.mark.django_db
def test_a_file_whose_columns_are_all_imported_reports_none_ignored(tree, org, tmp_path):
    path = write(tmp_path, "name,unit\nAda,elm-house\n")
    result = import_members(organization=org, path=path, by=BY, today=TODAY)
    assert result.created == 1
    assert "ignored" not in result.as_json()["read"]


def test_column_letters_run_as_a_spreadsheet_names_them():
    from grassroots.imports.columns import column_letter

    assert [column_letter(i) for i in (0, 1, 25, 26, 27, 51, 52, 701, 702)] == [
        "A",
        "B",
        "Z",
        "AA",
        "AB",
        "AZ",
        "BA",
        "ZZ",
        "AAA",
    ]
