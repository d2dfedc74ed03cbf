"""`grassroots import members` and `grassroots export members`, run in process."""

import json
from pathlib import Path

import pytest

from grassroots.cli import main
from grassroots.people.models import Person
from tests.support import builders

FILES = Path(__file__).parent / "files"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def riverside(db):
    org = builders.organization(slug="riverside")
    return org, builders.federation(org)


def test_import_json_prints_exactly_the_counts(riverside, capsys):
    code, out, err = run(capsys, "import", "members", str(FILES / "utf8_bom.csv"), "--org", "riverside", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert set(result) == {
        "created",
        "updated",
        "unchanged",
        "skipped",
        "conflicts",
        "rejected",
        "would_create",
        "would_update",
        "rows",
        "seconds",
        "read",
    }
    # Its joined column holds 2024-02-01 and 01/03/2024 (either order): the region (GB) decides.
    because = (
        "every d/m/Y or m/d/Y date could be either (the column's other dates have one reading); "
        "the organization's region (GB) writes day first"
    )
    joined = {"column": "joined", "order": "day first", "region": "GB", "because": because}
    assert result["read"] == {
        "format": "csv",
        "header_line": 1,
        "encoding": "utf-8-sig",
        "encoding_by": "byte order mark",
        "delimiter": ",",
        "dates": {"joined": joined},
    }
    assert (result["created"], result["rows"]) == (2, 2)


def test_import_with_rejections_and_errors_file(riverside, capsys, tmp_path):
    errors = tmp_path / "errors.csv"
    args = ("import", "members", str(FILES / "bad_rows.csv"), "--org", "riverside", "--errors", str(errors))
    code, out, err = run(capsys, *args)
    assert code == 1
    assert "7 rejected" in " ".join(out.split())
    assert err.strip().startswith("error: 7 rows rejected: nothing was written")
    assert len(err.strip().splitlines()) == 1
    assert len(errors.read_text().splitlines()) == 8
    code, out, _ = run(capsys, *args, "--valid-rows")
    assert code == 0 and "2 created" in out
    # Its joined column holds ISO dates and 31/31/2024, no date either way: there is no order to decide.
    said = " ".join(out.split())
    assert (
        "dates in 'joined': ISO 8601 dates (YYYY-MM-DD), no order to decide; "
        "values that are not dates reject their rows (line 9: 31/31/2024)"
    ) in said
    code, out, _ = run(capsys, "import", "members", str(FILES / "bad_rows.csv"), "--org", "riverside", "--dry-run")
    assert "dry run" in out and "2 skipped" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("import", "members", str(FILES / "empty.csv"), "--org", "riverside"), "error: empty.csv is empty"),
        (("import", "members", str(FILES / "junk.bin"), "--org", "riverside"), "binary"),
        (("import", "members", "/nonexistent.csv", "--org", "riverside"), "cannot read"),
        (("import", "members", str(FILES / "tab.tsv"), "--org", "nowhere"), "no organization 'nowhere'"),
        (("import", "members", str(FILES / "tab.tsv"), "--org", "riverside", "--on-duplicate", "merge"), "merge"),
        (("export", "members", "--org", "riverside", "--format", "pdf", "-o", "x.pdf"), "pdf"),
    ],
)
def test_bad_input_is_one_line_without_traceback(riverside, capsys, args, message):
    code, out, err = run(capsys, *args)
    assert code != 0
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.mark.parametrize("format", ["csv", "xlsx"])
def test_export_members(riverside, capsys, tmp_path, format):
    org, tree = riverside
    output = tmp_path / f"members.{format}"
    code, out, err = run(
        capsys, "export", "members", "--org", "riverside", "--unit", "north", "--format", format, "-o", str(output)
    )
    assert code == 0, err
    count = Person.objects.filter(organization=org, unit_path__startswith=tree["north"].path).count()
    assert " ".join(out.split()).replace(" /", "/").startswith(f"{count} people written to")
    assert output.stat().st_size > 0


def test_on_conflict_report_then_create(riverside, capsys, tmp_path):
    org, tree = riverside
    builders.person(org, "Rosa Lindqvist", email="home@example.org", unit=tree["elm"], on=builders.START)
    path = tmp_path / "household.csv"
    path.write_text("name,email,unit\nKarl Lindqvist,home@example.org,elm-house\n", encoding="utf-8")
    code, out, _ = run(capsys, "import", "members", str(path), "--org", "riverside", "--json")
    assert (code, json.loads(out)["conflicts"], json.loads(out)["created"]) == (0, 1, 0)
    args = ("import", "members", str(path), "--org", "riverside", "--on-conflict", "create", "--json")
    code, out, _ = run(capsys, *args)
    assert (code, json.loads(out)["conflicts"], json.loads(out)["created"]) == (0, 0, 1)
    assert Person.objects.filter(organization=org, email="home@example.org").count() == 2
    code, _out, err = run(capsys, "import", "members", str(path), "--org", "riverside", "--on-conflict", "merge")
    assert (code, "--on-conflict: 'merge' is not one of report, create" in err) == (1, True)


def test_import_names_the_columns_it_leaves_out(riverside, capsys, tmp_path):
    """A column with no header but values, and a named column that is no field, are reported with
    their letter and how many values they hold; an empty column with no header is not."""
    path = tmp_path / "members.csv"
    path.write_text(
        "Name,,Unit,Shoe size,\nAl Pha,something,elm-house,42,\nBo Ba,,elm-house,39,\nCy Dee,,elm-house,,\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "import", "members", str(path), "--org", "riverside", "--dry-run")
    assert code == 0, err
    assert "  ignored: column B (no header, 1 value)\n  ignored: column D 'Shoe size' (not a field, 2 values)\n" in out
    assert "column E" not in out
    code, out, err = run(capsys, "import", "members", str(path), "--org", "riverside", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["created"] == 3
    assert result["read"]["ignored"] == [
        {"column": "B", "header": "", "reason": "no header", "values": 1},
        {"column": "D", "header": "Shoe size", "reason": "not a field", "values": 2},
    ]
    assert Person.objects.get(name="Al Pha").address == ""  # "something" went nowhere, as reported


def test_a_workbook_value_right_of_the_header_rejects_its_row_as_in_csv(riverside, capsys, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["Name", "Email", "Unit"])
    book.active.append(["X One", "x1@example.org", "elm-house"])
    book.active.append(["X Two", "x2@example.org", "elm-house", "stray note"])
    path = tmp_path / "f.xlsx"
    book.save(path)
    code, out, _err = run(capsys, "import", "members", str(path), "--org", "riverside", "--dry-run")
    assert code == 0  # a dry run reports; it refuses nothing
    assert "1 created, 0 updated, 0 unchanged, 0 skipped, 0 conflicts, 1 rejected" in out
    assert (
        "line 3, cell D3 'stray note': the row has values in 4 columns, the header names 3: "
        "give column D a header in row 1, or remove the value" in out
    )
    code, out, _err = run(capsys, "import", "members", str(path), "--org", "riverside", "--dry-run", "--json")
    assert (json.loads(out)["created"], json.loads(out)["rejected"]) == (1, 1)
