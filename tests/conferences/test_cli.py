"""`grassroots apportion FILE.csv`, run in process as the other command-line tests are."""

import json

import pytest

from grassroots.cli import main


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def members(tmp_path):
    path = tmp_path / "members.csv"
    path.write_text("unit,members\nA,100000\nB,80000\nC,30000\nD,20000\n", encoding="utf-8")
    return str(path)


def test_json_of_a_house_method(capsys, members):
    code, out, err = run(capsys, "apportion", members, "--seats", "8", "--method", "dhondt", "--json")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert (data["method"], data["seats"], data["ties"]) == ("dhondt", 8, [])
    assert [(u["unit"], u["members"], u["quota"], u["seats"]) for u in data["units"]] == [
        ("A", 100000, "3.4783", 4),
        ("B", 80000, "2.7826", 3),
        ("C", 30000, "1.0435", 1),
        ("D", 20000, "0.6957", 0),
    ]


def test_table_with_minimum_ties_and_warnings(capsys, tmp_path):
    path = tmp_path / "six.csv"
    path.write_text("North,6\nSouth,6\nEast,2\n", encoding="utf-8")
    code, out, _ = run(capsys, "apportion", str(path), "--seats", "11", "--method", "hamilton")
    assert code == 0
    assert "hamilton: 11 seats" in out and "Largest remainder (Hamilton/Hare)" in out
    assert "Warning: Alabama paradox: with one seat fewer (10) 'East' would have 2 seats, not 1." in out
    assert "Input SHA-256: " in out
    code, out, _ = run(capsys, "apportion", str(path), "--seats", "3", "--method", "sainte-lague", "--seed", "x")
    assert "Tie (priority 2.0000) among North, South, East: 1 seat(s) to " in out and "by lot (seed x)." in out


def test_ratio_formulas(capsys, members, tmp_path):
    code, out, _ = run(capsys, "apportion", members, "--per", "25000", "--rounding", "major-fraction", "--json")
    assert code == 0
    assert [u["seats"] for u in json.loads(out)["units"]] == [4, 3, 1, 1]
    brackets = tmp_path / "brackets.txt"
    brackets.write_text("1-25000: 1\n25001-50000: 2\n50001+: 2 + 1 per 25000\n", encoding="utf-8")
    code, out, _ = run(capsys, "apportion", members, "--brackets", str(brackets), "--at-large", "1", "--json")
    assert [u["seats"] for u in json.loads(out)["units"]] == [5, 5, 3, 2]
    small = tmp_path / "small.csv"
    small.write_text("Chapter,47\n", encoding="utf-8")
    code, out, _ = run(capsys, "apportion", str(small), "--weighted", "10")
    assert code == 0 and "10, 10, 10, 10, 7" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("unit,members\nA,12\nB,12x\n", "line 3: members '12x' is not a whole number"),
        ("A,12\nB,-3\n", "line 2: members cannot be negative (-3)"),
        ("A,12\nB,1,2\n", "line 2: expected 2 columns (unit,members), found 3"),
        ("A,12\n\nA,3\n", "line 3: unit 'A' is already on line 1"),
        (",12\n", "line 1: the unit has no name"),
        ("unit,members\n", "no unit,members rows"),
    ],
)
def test_bad_rows_get_one_line_naming_the_line(capsys, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    code, out, err = run(capsys, "apportion", str(path), "--seats", "2", "--method", "dhondt")
    assert code == 1 and out == ""
    assert err == f"error: {path}{' ' if 'line' in message else ': '}{message}\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--seats", "8", "--method", "adams"], "--method: unknown method 'adams'; use one of hamilton, dhondt,"),
        (["--seats", "3", "--method", "dhondt", "--minimum", "1"], "--seats: 3 is fewer than the minimums add up to"),
        (["--seats", "8"], "--seats and --method go together"),
        (["--seats", "8", "--method", "dhondt", "--per", "10"], "give one of --seats N --method M, --per N,"),
        ([], "give one of --seats N --method M, --per N, --brackets FILE or --weighted N\n"),
        (["--per", "10", "--rounding", "up"], "--rounding: unknown rounding 'up'; use one of floor,"),
        (["--brackets", "missing.txt"], "missing.txt: No such file or directory"),
    ],
)
def test_bad_arguments_get_one_line(capsys, members, args, message):
    code, out, err = run(capsys, "apportion", members, *args)
    assert code == 1 and out == ""
    assert err.startswith(f"error: {message}") and err.count("\n") == 1


def test_bad_brackets_name_the_file_and_line(capsys, members, tmp_path):
    brackets = tmp_path / "brackets.txt"
    brackets.write_text("1-14: 1\n16-24: 2\n", encoding="utf-8")
    code, _, err = run(capsys, "apportion", members, "--brackets", str(brackets))
    assert (code, err) == (
        1,
        f"error: {brackets}: brackets line 2: bracket 16-24: 2: leaves 15 members uncovered after 1-14: 1\n",
    )
