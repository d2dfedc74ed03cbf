"""The constitution's meeting rules: kinds it adds, quorum and standing, validated like founding rules."""

import datetime as dt

import pytest

from grassroots.constitution import ConstitutionError, load_constitution_text, parse_constitution
from grassroots.constitution.meeting_rules import months_before, quorum_required, standing
from grassroots.constitution.schema import QuorumRule, StandingRule


def _with_meetings(section: str):
    return parse_constitution(load_constitution_text("union") + "meetings:\n" + section)


def test_the_template_adds_a_kind_and_a_quorum():
    constitution = parse_constitution(load_constitution_text("tenants_federation"))
    assert constitution.meeting_kinds["assembly"] == "Tenants' assembly"
    assert constitution.meeting_kinds["education"] == "Education session"
    assert constitution.meetings.quorum == QuorumRule(share_of_members=0.5, at_least=3)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("  quorum: {}\n", "meetings.quorum: give share_of_members"),
        ("  quorum: {share_of_members: 1.5}\n", "meetings.quorum.share_of_members: Input should be less than or equal"),
        ("  quorum: {half: true}\n", "meetings.quorum.half: unknown key"),
        ("  standing: {attended_at_least: 0, in_months: 12}\n", "meetings.standing.attended_at_least"),
        ("  kinds: {regular: Mine}\n", "meetings.kinds.regular: 'regular' is a built-in meeting kind"),
        ("  kinds: {'two words': X}\n", "meetings.kinds.two words: a kind's key is at most 40 letters"),
    ],
)
def test_bad_meeting_rules_name_their_key(section, message):
    with pytest.raises(ConstitutionError) as caught:
        _with_meetings(section)
    assert any(error.startswith(message) for error in caught.value.errors), caught.value.errors


@pytest.mark.parametrize(
    ("rule", "members", "required"),
    [
        (QuorumRule(share_of_members=0.5), 7, 4),
        (QuorumRule(share_of_members=0.5), 8, 4),
        (QuorumRule(share_of_members=0.5, at_least=3), 2, 3),
        (QuorumRule(at_least=5), 100, 5),
        (None, 10, 0),
    ],
)
def test_quorum_required(rule, members, required):
    assert quorum_required(rule, members) == required


def test_months_before_keeps_the_day_or_takes_the_months_last():
    assert months_before(dt.date(2027, 3, 31), 1) == dt.date(2027, 2, 28)
    assert months_before(dt.date(2027, 1, 15), 12) == dt.date(2026, 1, 15)
    assert months_before(dt.date(2028, 2, 29), 12) == dt.date(2027, 2, 28)


def test_standing_needs_membership_and_attendance():
    rule = StandingRule(attended_at_least=3, in_months=12)
    on = dt.date(2027, 6, 1)
    assert standing(rule, on=on, attended=3, member=True).in_good_standing
    assert not standing(rule, on=on, attended=2, member=True).in_good_standing
    assert not standing(rule, on=on, attended=5, member=False).in_good_standing
    assert standing(None, on=on, attended=0, member=True).as_dict()["in_good_standing"] is True
