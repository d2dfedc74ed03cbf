"""Gated status changes in the constitution: the `member_statuses.gates` block, its validation
naming the key, and what a move still lacks on a day (calendar months)."""

from __future__ import annotations

import datetime as dt

import pytest

from grassroots.constitution import ConstitutionError, parse_constitution
from grassroots.constitution.gates import months_in_words, months_later, unmet_requirements
from grassroots.constitution.schema import StatusGate

from .test_schema import VALID

GATED = VALID.replace(
    "  transitions: {supporter: [member], member: [resigned], resigned: []}\n",
    "  transitions: {supporter: [member], member: [resigned], resigned: []}\n"
    "  gates:\n    supporter:\n      member: {courses: [basics, history-1], months_in_status: 6}\n",
)


def errors_of(text: str) -> list[str]:
    with pytest.raises(ConstitutionError) as caught:
        parse_constitution(text)
    return caught.value.errors


def test_a_gate_is_read_per_move():
    constitution = parse_constitution(GATED)
    assert constitution.status_gate("supporter", "member") == StatusGate(
        courses=["basics", "history-1"], months_in_status=6
    )
    assert constitution.status_gate("member", "resigned") is None
    assert parse_constitution(VALID).status_gate("supporter", "member") is None


def test_bad_gates_are_named_by_their_key():
    no_move = GATED.replace("    supporter:\n      member:", "    member:\n      supporter:")
    assert errors_of(no_move) == [
        "member_statuses.gates.member.supporter: the transitions allow no move from member to supporter"
    ]
    empty = GATED.replace("{courses: [basics, history-1], months_in_status: 6}", "{}")
    assert errors_of(empty) == [
        "member_statuses.gates.supporter.member: give courses or months_in_status (or drop the gate)"
    ]
    bad_code = GATED.replace("history-1", "'our history'")
    assert errors_of(bad_code) == [
        "member_statuses.gates.supporter.member.courses: "
        "'our history' is not a course code (letters, digits, '-' and '_')"
    ]
    too_long = GATED.replace("months_in_status: 6", "months_in_status: 601")
    assert errors_of(too_long) == [
        "member_statuses.gates.supporter.member.months_in_status: Input should be less than or equal to 600"
    ]


def test_months_are_calendar_months():
    assert months_later(dt.date(2027, 1, 10), 6) == dt.date(2027, 7, 10)
    assert months_later(dt.date(2027, 8, 31), 6) == dt.date(2028, 2, 29)
    assert months_later(dt.date(2027, 12, 15), 1) == dt.date(2028, 1, 15)
    assert [months_in_words(n) for n in (1, 6, 12, 18)] == ["one month", "six months", "twelve months", "18 months"]


def test_the_known_value_six_months_as_candidate():
    """The issue's example: a candidate since 2027-01-10, the course completed: refused on
    2027-07-09 with the day the six months are reached, allowed on 2027-07-10."""
    gate = StatusGate(courses=["basics"], months_in_status=6)
    since = dt.date(2027, 1, 10)
    assert unmet_requirements(gate, status="candidate", since=since, on=dt.date(2027, 7, 9), held={"basics"}) == [
        "six months as candidate reached on 2027-07-10"
    ]
    assert unmet_requirements(gate, status="candidate", since=since, on=dt.date(2027, 7, 10), held={"basics"}) == []
    assert unmet_requirements(gate, status="candidate", since=since, on=dt.date(2027, 7, 10), held=set()) == [
        "course basics not completed"
    ]
    assert unmet_requirements(StatusGate(courses=["a"]), status="x", since=since, on=since, held={"a"}) == []
