"""The bracket grammar and checks the constitution and the apportionment engine share
(`grassroots.constitution.brackets`): each refusal names the line or the bracket."""

from __future__ import annotations

import pytest

from grassroots.constitution.brackets import Bracket, BracketError, check_brackets, parse_brackets


def test_brackets_read_from_text_with_comments_and_an_open_end():
    assert parse_brackets("# delegations\n1-14: 1\n\n15-29: 2  # small\n30+: 3 + 1 per 30\n") == (
        Bracket(1, 14, 1),
        Bracket(15, 29, 2),
        Bracket(30, None, 3, 30),
    )
    assert Bracket(30, None, 3, 30).delegates(60) == 5  # 3 + one per 30 members, or part, from 30
    assert Bracket(1, 14, 1).delegates(9) == 1


@pytest.mark.parametrize(
    ("brackets", "message"),
    [
        ([Bracket(5, 4, 1)], "bracket 5-4: 1: ends before it starts"),
        ([Bracket(1_000_000_001, None, 1)], "bracket 1000000001+: 1: starts at 1,000,000,001, more than 1,000,000,000"),
        ([Bracket(1, 14, 1_000_001)], "bracket 1-14: 1000001: gives 1,000,001, more than 1,000,000"),
        ([Bracket(1, 2_000_000_000, 1)], "bracket 1-2000000000: 1: ends at 2,000,000,000, more than 1,000,000,000"),
        ([Bracket(1, 14, 1, 5)], "bracket 1-14: 1 + 1 per 5: only an open-ended last bracket adds per N"),
        ([Bracket(1, None, 1, 0)], "bracket 1+: 1 + 1 per 0: adds one per 0; N must be from 1 to 1,000,000,000"),
        ([Bracket(1, None, 1), Bracket(5, 9, 2)], "bracket 5-9: 2: comes after the open-ended bracket 1+: 1"),
        ([Bracket(5, 9, 1), Bracket(1, 4, 2)], "bracket 1-4: 2: not in order, it comes after 5-9: 1"),
        ([Bracket(1, 4, 1), Bracket(6, 9, 2)], "bracket 6-9: 2: leaves 5 members uncovered after 1-4: 1"),
        ([Bracket(1, 4, 1), Bracket(8, 9, 2)], "bracket 8-9: 2: leaves 5-7 members uncovered after 1-4: 1"),
        ([], "brackets: give at least one bracket"),
    ],
)
def test_bad_brackets_are_refused_naming_the_bracket(brackets, message):
    with pytest.raises(BracketError) as refused:
        check_brackets(brackets)
    assert str(refused.value).startswith(message)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1-14: 1\nfifteen: 2", "brackets line 2: 'fifteen: 2' is not 'LOW-HIGH: SEATS' or 'LOW+: SEATS [+ 1 per N]'"),
        ("\u0661-\u0661\u0664: 1", "brackets line 1: '\u0661-\u0661\u0664: 1' is not 'LOW-HIGH: SEATS'"),
        ("1-14: 1\n10-20: 2", "brackets line 2: bracket 10-20: 2: overlaps 1-14: 1"),
        ("  \n# nothing\n", "brackets: give at least one bracket"),
    ],
)
def test_bad_bracket_text_is_refused_naming_the_line(text, message):
    with pytest.raises(BracketError) as refused:
        parse_brackets(text)
    assert str(refused.value).startswith(message)
