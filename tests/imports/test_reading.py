"""Reading member files, mapping their columns and checking rows: plain Python, no database."""

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grassroots.imports import reading
from grassroots.imports.columns import MappingError, map_columns
from grassroots.imports.exporting import neutralize
from grassroots.imports.reading import ImportFileError, detect_encoding, open_table
from grassroots.imports.validation import (
    NO_UNIT,
    Rejection,
    RowValidator,
    UnitRef,
    ValidRow,
    already_plain,
    parse_date,
    plain,
)

FILES = Path(__file__).parent / "files"


def rows_of(name: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    table = open_table(FILES / name)
    return table.header, list(table.rows)


@pytest.mark.parametrize(
    ("name", "encoding", "delimiter"),
    [
        ("utf8_bom.csv", "utf-8-sig", ","),
        ("utf16.csv", "utf-16", ","),
        ("cp1252.csv", "cp1252", ";"),
        ("semicolon.csv", "utf-8", ";"),
        ("tab.tsv", "utf-8", "\t"),
    ],
)
def test_encodings_and_delimiters_are_detected(name, encoding, delimiter):
    table = open_table(FILES / name)
    assert (table.encoding, table.delimiter) == (encoding, delimiter)
    rows = list(table.rows)
    assert len(rows) == 2
    assert rows[0][0] == 2


def test_accents_survive_each_encoding():
    assert rows_of("utf8_bom.csv")[1][0][1][:2] == ["Anna", "Müller"]
    assert rows_of("utf16.csv")[1][0][1][:2] == ["Anna", "Müller"]
    assert rows_of("cp1252.csv")[1][1][1][:2] == ["Françoise", "Dœuf"]
    assert rows_of("utf8_bom.csv")[0][0] == "first_name"  # the BOM is not part of the first header


def test_quoted_newlines_keep_the_line_number_where_the_row_starts():
    header, rows = rows_of("quoted_newlines.csv")
    assert rows[0] == (2, ["Anna Müller", "anna@example.org", "1 Elm Street\nFlat 2", "elm-house"])
    assert rows[1][0] == 4


def test_xlsx_values_become_text():
    header, rows = rows_of("members.xlsx")
    assert header == ["First Name", "Last Name", "Email", "Mobile", "Unit", "Joined"]
    assert rows[0] == (2, ["Anna", "Müller", "anna@example.org", "7911123456", "elm-house", "2024-02-01"])
    assert rows[1][0] == 3


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.csv", "is empty"),
        ("header_only.csv", "no data rows"),
        ("junk.bin", "binary"),
    ],
)
def test_hostile_files_get_one_line(name, message):
    with pytest.raises(ImportFileError, match=message) as error:
        open_table(FILES / name)
    assert "\n" not in str(error.value)


def test_file_over_the_size_limit(tmp_path):
    big = tmp_path / "big.csv"
    big.write_text("name,unit\n" + "a,b\n" * 1000)
    with pytest.raises(ImportFileError) as refused:
        open_table(big, max_bytes=1000)
    assert str(refused.value) == "big.csv is 4,010 bytes, over the limit of 1,000 bytes"
    from grassroots.imports.reading import human_size

    assert [human_size(n) for n in (1, 999_999, 1_000_000, 2_500_000_000)] == [
        "1 byte",
        "999,999 bytes",
        "1.0 MB",
        "2,500.0 MB",
    ]


def test_thousands_of_columns(tmp_path):
    wide = tmp_path / "wide.csv"
    wide.write_text("name,unit\n" + ",".join(["x"] * 5000) + "\n")
    with pytest.raises(ImportFileError, match="line 2 has 5000 columns"):
        list(open_table(wide).rows)


def test_megabyte_cell(tmp_path):
    fat = tmp_path / "fat.csv"
    fat.write_text('name,unit\n"' + "x" * 1_000_000 + '",elm\n')
    with pytest.raises(ImportFileError, match="longer than"):
        list(open_table(fat).rows)


def test_megabyte_line_without_newline_is_refused_without_reading_it_whole(tmp_path):
    long = tmp_path / "long.csv"
    long.write_text("name,unit\n" + "," * 3_000_000)
    with pytest.raises(ImportFileError, match="longer than"):
        list(open_table(long).rows)


def test_xlsx_zip_bomb_is_refused_before_inflating(tmp_path):
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as part:
            chunk = b"0" * (1024 * 1024)
            for _ in range(300):  # 300 MB of zeros: about 300 KB compressed
                part.write(chunk)
    assert bomb.stat().st_size < 2_000_000
    with pytest.raises(ImportFileError, match="zip bomb"):
        open_table(bomb)


def test_zip_that_is_not_xlsx(tmp_path):
    fake = tmp_path / "fake.xlsx"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hello")
    fake.write_bytes(buffer.getvalue())
    with pytest.raises(ImportFileError, match="not a readable XLSX"):
        open_table(fake)


@pytest.mark.parametrize(
    ("name", "fields"),
    [
        ("action_network.csv", {"first_name", "last_name", "email", "postcode", "phone", "address1", "city", "unit"}),
        ("civicrm.csv", {"first_name", "last_name", "email", "phone", "address1", "city", "postcode", "unit"}),
        ("nationbuilder.csv", {"first_name", "last_name", "email", "phone", "address1", "city", "postcode", "unit"}),
    ],
)
def test_export_formats_of_other_tools_are_recognised(name, fields):
    header, _ = rows_of(name)
    assert set(map_columns(header).columns) == fields


def test_nationbuilder_mobile_follows_phone():
    header, _ = rows_of("nationbuilder.csv")
    columns = map_columns(header)
    assert [header[index] for index in columns.columns["phone"]] == ["phone_number", "mobile_number"]


def test_mapping_overrides_and_ignores():
    columns = map_columns(["Who", "email", "Branch code"], {"Who": "name", "email": "ignore", "Branch code": "unit"})
    assert columns.columns == {"name": [0], "unit": [2]}


def test_no_name_or_unit_column():
    with pytest.raises(MappingError, match="no name column"):
        map_columns(["email", "unit"])
    with pytest.raises(MappingError, match="no unit column"):
        map_columns(["name", "email"])


ELM = UnitRef(1, "0000001", "Elm House")
NORTH = UnitRef(2, "0000002", "North", "North is a district; people are members of basic units")


def validator(header, region="GB"):
    return RowValidator(
        map_columns(header),
        region=region,
        statuses=["supporter", "member"],
        initial_status="supporter",
        units={"elm-house": ELM, "elm house": ELM, "north": NORTH},
        today=dt.date(2025, 1, 1),
    )


def test_a_good_row_is_normalized():
    check = validator(["First Name", "Last Name", "E-mail", "Phone", "Unit", "Status", "Joined"])
    row = check.validate(2, [" Anna ", "Müller", "Anna@Example.ORG", "07911 123456", "Elm House", "MEMBER", "1.2.2024"])
    # With the name's search keys, computed where the row is read.
    assert row == ValidRow(
        2,
        "Anna Müller",
        "anna@example.org",
        "+447911123456",
        "",
        ELM,
        "member",
        dt.date(2024, 2, 1),
        "",
        search_key="anna muller",
        family_key="muller anna",
    )


@pytest.mark.parametrize(
    ("cells", "column", "reason"),
    [
        (["", "", "x@example.org", "", "elm-house", "", ""], "First Name", "a name is required"),
        (["A", "B", "x@@example.org", "", "elm-house", "", ""], "E-mail", "not a valid email address"),
        (["A", "B", "", "12345", "elm-house", "", ""], "Phone", "not a valid phone number for GB"),
        (["A", "B", "", "", "", "", "31/31/2024"], "Unit", "a unit is required"),  # with another problem
        (["A", "B", "", "", "south", "", ""], "Unit", "no basic unit with this slug, name or path"),
        (["A", "B", "", "", "north", "", ""], "Unit", "North is a district; people are members of basic units"),
        (["A", "B", "", "", "elm-house", "emperor", ""], "Status", "not a status of the constitution"),
        (["A", "B", "", "", "elm-house", "", "31/31/2024"], "Joined", "not a date"),
        (["A", "B", "", "", "elm-house", "", "2030-01-01"], "Joined", "a joining date in the future"),
    ],
)
def test_each_reason(cells, column, reason):
    check = validator(["First Name", "Last Name", "E-mail", "Phone", "Unit", "Status", "Joined"])
    outcome, *_others = check.validate(7, cells)
    assert isinstance(outcome, Rejection)
    assert (outcome.line, outcome.column) == (7, column)
    assert outcome.reason.startswith(reason)


def test_a_row_naming_no_unit_passes_to_be_matched_and_no_one_new_joins_without_one():
    """No unit is no problem in itself: the row may be a known person (an export lists people with
    no membership so); the import refuses a new person without one (tests/imports/test_round_trip)."""
    check = validator(["First Name", "Last Name", "E-mail", "Phone", "Unit", "Status", "Joined"])
    row = check.validate(7, ["A", "B", "a@example.org", "", "", "", ""])
    assert isinstance(row, ValidRow) and row.unit == NO_UNIT


@pytest.mark.parametrize(
    ("text", "month_first", "expected"),
    [
        ("2024-03-04", False, dt.date(2024, 3, 4)),
        ("2024/03/04", False, dt.date(2024, 3, 4)),
        ("04.03.2024", True, dt.date(2024, 3, 4)),  # dotted: always day first
        ("25/03/2024", True, dt.date(2024, 3, 25)),  # first over 12: day first
        ("03/25/2024", False, dt.date(2024, 3, 25)),  # second over 12: month first
        ("04/03/2024", False, dt.date(2024, 3, 4)),  # ambiguous outside the US: day first
        ("04/03/2024", True, dt.date(2024, 4, 3)),  # ambiguous in the US: month first
        ("2024-02-30", False, None),
        ("yesterday", False, None),
        ("1/2/24", False, None),
    ],
)
def test_dates(text, month_first, expected):
    assert parse_date(text, month_first=month_first) == expected


def test_phone_fast_path_and_cache():
    check = validator(["name", "phone", "unit"])
    assert check.phone("+447911123456") == "+447911123456"
    assert check.phone("07911 123456") == "+447911123456"
    assert "07911 123456" in check._phones
    assert validator(["name", "phone", "unit"], region="US").phone("(201) 555-0123") == "+12015550123"


@pytest.mark.parametrize("value", ["=SUM(A1)", "+44", "-1", "@cmd", "\tx", "\rx", "'=x"])
def test_neutralized_cells_come_back_as_they_were(value):
    assert neutralize(value).startswith("'")
    assert plain(neutralize(value)) == value.strip() or value[0] in "\t\r"


def test_reading_stays_plain_python():
    assert "django" not in reading.__dict__


def test_documented_nationbuilder_and_civicrm_field_names_are_recognised():
    header = ["first_name", "last_name", "work_phone_number", "address1", "zip", "Member Since", "unit"]
    header += ["recruiter_name_or_email", "Membership Status"]
    columns = map_columns(header)
    assert [columns.header_of(name) for name in ("phone", "joined", "recruiter", "status", "postcode")] == [
        "work_phone_number",
        "Member Since",
        "recruiter_name_or_email",
        "Membership Status",
        "zip",
    ]
    assert map_columns(["name", "membership_started_at", "unit"]).header_of("joined") == "membership_started_at"


def test_a_windows_file_whose_first_accent_comes_after_the_sample_is_read_as_cp1252_throughout(tmp_path):
    """The encoding is decided on the whole file: 3,000 ASCII rows (over 64 KiB), then Zoë in cp1252."""
    path = tmp_path / "late.csv"
    rows = "".join(f"Person {i},p{i}@example.org,elm-house\n" for i in range(3000))
    path.write_bytes(("name,email,unit\n" + rows + "Zoë,z@example.org,Élan\n").encode("cp1252"))
    assert path.stat().st_size > reading.SAMPLE
    table = open_table(path)
    assert (table.encoding, table.what_was_read()["encoding"]) == ("cp1252", "cp1252")
    assert list(table.rows)[-1] == (3002, ["Zoë", "z@example.org", "Élan"])


def test_a_file_that_is_utf8_with_accents_and_then_not_is_refused_naming_the_line(tmp_path):
    path = tmp_path / "mixed.csv"
    rows = "".join(f"Person {i},p{i}@example.org,elm-house\n" for i in range(3000))
    head = ("name,email,unit\nJosé,j@example.org,elm-house\n" + rows).encode()
    path.write_bytes(head + "Zoë,z@example.org,elm-house\n".encode("cp1252"))
    with pytest.raises(ImportFileError, match=r"UTF-8 up to line 3002 and then not \(line 3003 is in another"):
        open_table(path)


@pytest.mark.parametrize("rows", [0, 3000])
def test_utf8_then_not_is_refused_in_a_small_file_as_in_a_large_one(tmp_path, rows):
    path = tmp_path / "mixed.csv"
    filler = "".join(f"Person {i},p{i}@example.org,elm-house\n" for i in range(rows))
    head = ("name,email,unit\nJosé Uno,j@example.org,elm-house\n" + filler).encode()
    path.write_bytes(head + "Zoë Dos,z@example.org,elm-house\n".encode("cp1252"))
    line = rows + 3
    with pytest.raises(ImportFileError, match=rf"UTF-8 up to line {line - 1} and then not \(line {line} is"):
        open_table(path)
    # A small file in cp1252 alone is still read as cp1252.
    path.write_bytes("name,email,unit\nZoë Dos,z@example.org,elm-house\n".encode("cp1252"))
    assert open_table(path).encoding == "cp1252"


def test_a_small_file_ending_inside_a_utf8_character_is_not_utf8():
    # "": not UTF-8, the whole file decides (`file_encoding`).
    assert detect_encoding(b"name,unit\nA,e\x7f\xef\xbf", whole=True) == ""
    assert detect_encoding(b"name,unit\nA,e\x7f\xef\xbf", whole=False) == "utf-8"  # a sample cut short


# -- the file's shape, decided for the whole file --------------------------------------------


def test_a_sep_hint_line_sets_the_delimiter_and_rows_keep_their_line_numbers(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_text('"sep=;"\nname;email;unit\nAda, the first;ada@example.org;elm\n', encoding="utf-8")
    table = open_table(path)
    assert (table.delimiter, table.header, table.header_line) == (";", ["name", "email", "unit"], 2)
    assert list(table.rows) == [(3, ["Ada, the first", "ada@example.org", "elm"])]


def test_title_rows_above_the_header_are_skipped(tmp_path):
    path = tmp_path / "titled.csv"
    path.write_text("Members of Riverside\nExported 2024-05-01\n\nName,Email,Unit\nAda,ada@example.org,elm\n")
    table = open_table(path)
    assert (table.header, table.header_line, table.delimiter) == (["Name", "Email", "Unit"], 4, ",")
    assert list(table.rows) == [(5, ["Ada", "ada@example.org", "elm"])]
    assert table.what_was_read() == {
        "format": "csv",
        "header_line": 4,
        "encoding": "utf-8",
        "encoding_by": "UTF-8 throughout",
        "delimiter": ",",
    }


def workbook_with_a_read_me(path, *, active: int = 1, title_rows: int = 0):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Read me"
    book.active.append(["How to fill in this workbook: one member per row."])
    book.active.append(["Then import the Members sheet."])
    members = book.create_sheet("Members")
    for number in range(title_rows):
        members.append([f"Title {number}"])
    members.append(["Name", "Email", "Unit"])
    members.append(["Ada", "ada@example.org", "elm"])
    book.active = active
    book.save(path)
    return path


@pytest.mark.parametrize("active", [0, 1])
def test_the_sheet_with_recognised_headers_is_read_whichever_is_active(tmp_path, active):
    table = open_table(workbook_with_a_read_me(tmp_path / "book.xlsx", active=active, title_rows=2))
    assert (table.sheet, table.header, table.header_line) == ("Members", ["Name", "Email", "Unit"], 3)
    assert list(table.rows) == [(4, ["Ada", "ada@example.org", "elm"])]
    assert table.what_was_read() == {"format": "xlsx", "header_line": 3, "sheet": "Members"}


def test_a_sheet_is_chosen_by_name_and_an_unknown_one_is_refused_naming_the_sheets(tmp_path):
    path = workbook_with_a_read_me(tmp_path / "book.xlsx")
    table = open_table(path, sheet="read me")
    assert (table.sheet, table.header) == ("Read me", ["How to fill in this workbook: one member per row."])
    with pytest.raises(ImportFileError, match="book.xlsx has no sheet 'People' \\(its sheets: 'Read me', 'Members'\\)"):
        open_table(path, sheet="People")


def test_a_refused_mapping_says_which_sheet_was_read(tmp_path):
    from grassroots.imports.columns import columns_of

    table = open_table(workbook_with_a_read_me(tmp_path / "book.xlsx"), sheet="Read me")
    with pytest.raises(MappingError, match="^sheet 'Read me' \\(row 1\\): no name column"):
        columns_of(table, None)


def test_two_columns_filling_one_field_are_refused_naming_both():
    with pytest.raises(MappingError, match="columns 'Email' and 'Email Address' both fill the field email"):
        map_columns(["Name", "Email", "Unit", "Email Address"])
    assert map_columns(["Name", "Phone", "Mobile", "Unit", ""]).columns["phone"] == [1, 2]


# Cells of the kinds that decide the quick path: spaces at either end or two in a row, apostrophes
# and formula starts, tabs and line breaks, invisible and accented characters.
CELL = st.text(alphabet=st.sampled_from(list("ab Z9'=+-@\t\r\n\u200b\u00e9\u0301\u00a0")), max_size=8)


@settings(max_examples=500, deadline=None)
@given(cells=st.lists(CELL, max_size=5))
def test_a_row_taken_as_it_is_is_one_that_normalizing_would_not_change(cells):
    """Property: the validator skips normalizing the cells of a row only when `plain` would give
    every cell back unchanged, as a name and as an address."""
    if already_plain(cells):
        assert [plain(cell) for cell in cells] == cells
        assert [plain(cell, lines=True) for cell in cells] == cells
    if all(plain(cell) == cell and cell.isascii() and cell.isprintable() and cell[:1] != "'" for cell in cells):
        assert already_plain(cells)  # the quick path is taken for every such row (an apostrophe first: checked)
