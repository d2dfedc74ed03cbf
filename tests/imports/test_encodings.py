"""A CSV file's encoding is decided on the whole file (issue 10, section 3): UTF-8 with or without
a BOM, UTF-16 and UTF-32 by their BOM or by where their NUL bytes fall, else charset-normalizer's
guess when no other as likely candidate reads the file differently; otherwise the file is refused
naming the candidates, and the user gives the encoding."""

import datetime as dt

import pytest

from grassroots.imports.actions import import_members
from grassroots.imports.reading import ImportFileError, open_table
from grassroots.people.models import Person

BY = "cli:test"
ROWS = "name,email,unit\n{name},p@example.org,elm-house\n"


def table_of(tmp_path, data: bytes, **options):
    path = tmp_path / "members.csv"
    path.write_bytes(data)
    table = open_table(path, **options)
    return table, list(table.rows)


@pytest.mark.parametrize(
    ("encoding", "decided", "by"),
    [
        ("utf-16-le", "utf-16-le", "NUL bytes of UTF-16 or UTF-32 text"),
        ("utf-16-be", "utf-16-be", "NUL bytes of UTF-16 or UTF-32 text"),
        ("utf-32-le", "utf-32-le", "NUL bytes of UTF-16 or UTF-32 text"),
        ("utf-16", "utf-16", "byte order mark"),
        ("utf-32", "utf-32", "byte order mark"),
        ("utf-8-sig", "utf-8-sig", "byte order mark"),
        ("utf-8", "utf-8", "UTF-8 throughout"),
    ],
)
def test_unicode_files_are_read_by_their_bom_or_their_nul_bytes(tmp_path, encoding, decided, by):
    table, rows = table_of(tmp_path, ROWS.format(name="山田 Zoë").encode(encoding))
    assert (table.encoding, table.what_was_read()["encoding_by"]) == (decided, by)
    assert rows == [(2, ["山田 Zoë", "p@example.org", "elm-house"])]


def test_a_shift_jis_file_is_refused_naming_the_readings_not_read_as_cp1252(tmp_path):
    with pytest.raises(ImportFileError) as refused:
        table_of(tmp_path, ROWS.format(name="山田太郎").encode("shift_jis"))
    assert str(refused.value) == (
        "the file is not UTF-8, and its encoding cannot be told for certain: it reads as "
        "cp932 ('山田太郎,p@example.org,elm-house'), cp949 ('랹밹뫞쁚,p@example.org,elm-house'); "
        "give its encoding (--encoding, or the encoding field)"
    )


def test_a_given_encoding_reads_the_file_and_is_reported(tmp_path):
    table, rows = table_of(tmp_path, ROWS.format(name="山田太郎").encode("shift_jis"), encoding="Shift-JIS")
    assert (table.encoding, table.what_was_read()["encoding_by"]) == ("shift_jis", "given")
    assert rows[0][1][0] == "山田太郎"


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("klingon", "unknown encoding 'klingon' (for example utf-8, cp1252, shift_jis, cp1251)"),
        ("utf-8", "the file is not utf-8 text (line 2): give its encoding"),
    ],
)
def test_a_given_encoding_that_does_not_read_the_file_is_refused(tmp_path, given, message):
    with pytest.raises(ImportFileError) as refused:
        table_of(tmp_path, ROWS.format(name="山田太郎").encode("shift_jis"), encoding=given)
    assert str(refused.value) == message


def test_a_western_windows_file_is_still_read_as_cp1252(tmp_path):
    table, rows = table_of(tmp_path, ROWS.format(name="Zoë Dœuf-Ça").encode("cp1252"))
    assert table.encoding == "cp1252"
    assert table.what_was_read()["encoding_by"].startswith("detected by charset-normalizer (confidence ")
    assert rows[0][1][0] == "Zoë Dœuf-Ça"


def test_a_central_european_file_is_not_read_as_cp1252(tmp_path):
    """Łukasz Żółć in cp1250 would read as '£ukasz ¯ó³æ' in cp1252: not taken for Western text."""
    with pytest.raises(ImportFileError) as refused:
        table_of(tmp_path, ROWS.format(name="Łukasz Żółć").encode("cp1250"))
    assert "cp1250 ('Łukasz Żółć," in str(refused.value)
    assert "cp1252" not in str(refused.value)


def test_nul_bytes_that_are_no_text_are_still_binary(tmp_path):
    with pytest.raises(ImportFileError) as refused:
        table_of(tmp_path, b"name,unit\n\x00\x01\x02\x00\x00\x07\xff\x00" * 4)
    assert str(refused.value) == "the file looks binary (NUL bytes), not CSV or XLSX"


def test_an_xlsx_file_has_no_encoding_to_choose(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["name", "unit"])
    book.active.append(["Ada", "elm-house"])
    book.save(tmp_path / "members.xlsx")
    with pytest.raises(ImportFileError, match="members.xlsx is an XLSX file: it has no text encoding to choose"):
        open_table(tmp_path / "members.xlsx", encoding="cp1252")


@pytest.mark.django_db
def test_the_command_line_takes_the_encoding(tree, org, tmp_path, capsys):
    from grassroots.cli import main

    path = tmp_path / "jp.csv"
    path.write_bytes(ROWS.format(name="山田太郎").encode("shift_jis"))
    assert main(["import", "members", str(path), "--org", org.slug]) != 0
    assert "give its encoding (--encoding" in capsys.readouterr().err
    code = main(["import", "members", str(path), "--org", org.slug, "--encoding", "shift_jis", "--json"])
    assert code == 0, capsys.readouterr().err
    assert Person.objects.get(organization=org, email="p@example.org").name == "山田太郎"


@pytest.mark.django_db
def test_a_utf16_file_without_bom_imports(tree, org, tmp_path):
    path = tmp_path / "members.csv"
    path.write_bytes(ROWS.format(name="Иванов Иван").encode("utf-16-le"))
    result = import_members(organization=org, path=path, by=BY, today=dt.date(2025, 6, 1))
    assert (result.created, result.read["encoding"]) == (1, "utf-16-le")
    assert Person.objects.get(organization=org, email="p@example.org").name == "Иванов Иван"
