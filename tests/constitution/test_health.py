"""Health indicators in the constitution: how they are declared and validated, and what they
find in facts about a unit (plain Python, no database)."""

import datetime as dt

import pytest

from grassroots.constitution import ChildFact, UnitFacts, evaluate, load_constitution_text, parse_constitution
from grassroots.constitution.health import (
    HealthFacts,
    MeetingFigure,
    compare,
    dates_needed,
    evaluate_health,
    evaluate_indicator,
    meetings_window,
    tier_of,
)
from grassroots.constitution.schema import (
    DEFAULT_TIERS,
    ConsolidatedChildrenRule,
    MeetingsHeldIndicator,
    RetentionIndicator,
    _parse_indicator,
)
from tests.constitution.test_schema import VALID, errors_of

ON = dt.date(2026, 3, 31)
FOUNDERS = "{founding_members: {at_least: 3}}"
TIERS = list(DEFAULT_TIERS)


def indicator(raw: dict):
    return _parse_indicator(raw)


def meeting(number: int, on: dt.date, present: int, members: int) -> MeetingFigure:
    return MeetingFigure(meeting=number, on=on, title=f"Meeting {number}", present=present, members=members)


def with_indicators(text: str, kind: str = "cell") -> str:
    """VALID with `text` (YAML lines at the kind's indent) as the indicators of `kind`."""
    anchor = (
        "  cell: {label: Cell, basic: true, parents: [area], founding_rules: [{founding_members: {at_least: 3}}]}\n"
    )
    if kind == "cell":
        block = (
            "  cell:\n    label: Cell\n    basic: true\n    parents: [area]\n"
            "    founding_rules: [{founding_members: {at_least: 3}}]\n    indicators:\n" + text
        )
        return VALID.replace(anchor, block)
    return VALID.replace("      - officer: secretary\n", "      - officer: secretary\n    indicators:\n" + text)


# The known values of the issue.


def test_attendance_of_12_10_and_8_of_20_is_50_percent_and_passes_at_least_50():
    rule = indicator({"attendance_rate": {"window_days": 90, "threshold": 0.5}})
    meetings = (meeting(1, dt.date(2026, 1, 13), 12, 20), meeting(2, dt.date(2026, 2, 10), 10, 20))
    facts = HealthFacts(on=ON, meetings=(*meetings, meeting(3, dt.date(2026, 3, 10), 8, 20)))
    result = evaluate_indicator(rule, facts)
    assert result.value == 0.5 and result.passed is True
    assert result.actual == "30 present of 60 members in good standing at 3 meetings: 50.0 %"
    assert result.required_text == "at least 50.0 % over the last 90 days"
    assert result.missing == ""
    assert [m.meeting for m in result.meetings] == [1, 2, 3]


def test_with_7_instead_of_8_it_is_48_3_percent_and_the_explanation_says_so():
    rule = indicator({"attendance_rate": {"window_days": 90, "threshold": 0.5}})
    meetings = (meeting(1, dt.date(2026, 1, 13), 12, 20), meeting(2, dt.date(2026, 2, 10), 10, 20))
    facts = HealthFacts(on=ON, meetings=(*meetings, meeting(3, dt.date(2026, 3, 10), 7, 20)))
    result = evaluate_indicator(rule, facts)
    assert result.passed is False
    assert result.as_dict()["value"] == 0.4833
    assert result.actual.endswith(": 48.3 %")
    assert result.missing == "48.3 %, at least 50.0 % needed"


def test_retention_of_34_of_40_is_85_percent_and_net_growth_is_plus_4():
    start, on = dt.date(2025, 1, 1), dt.date(2026, 1, 1)
    then = frozenset(range(40))
    now = frozenset(range(34)) | frozenset(range(100, 110))
    facts = HealthFacts(on=on, members={start: then, on: now}, names={39: "Zoe Left"})
    retention = evaluate_indicator(indicator({"retention": {"threshold": 0.8}}), facts)
    assert (retention.value, retention.passed, retention.window_days) == (0.85, True, 365)
    assert retention.actual == "34 of 40 members on 2025-01-01 still members: 85.0 %"
    assert [person.id for person in retention.members] == [34, 35, 36, 37, 38, 39]
    assert retention.members[-1].as_dict() == {"id": 39, "name": "Zoe Left", "note": "left"}
    growth = evaluate_indicator(indicator({"net_growth": {"threshold": 0}}), facts)
    assert (growth.value, growth.passed) == (4, True)
    assert growth.actual == "44 members, 40 on 2025-01-01: +4"
    assert growth.required_text == "at least +0 over the last 365 days"


# Each indicator type.


def test_meetings_held_counts_those_in_the_window_only():
    rule = indicator({"meetings_held": {"window_days": 30, "threshold": 2}})
    facts = HealthFacts(
        on=ON,
        meetings=(meeting(1, dt.date(2026, 3, 2), 3, 5), meeting(2, ON - dt.timedelta(days=30), 3, 5)),
    )
    result = evaluate_indicator(rule, facts)
    assert (result.value, result.passed) == (1, False)
    assert result.actual == "1 meeting held"
    assert result.missing == "1, at least 2 needed"
    assert evaluate_indicator(rule, HealthFacts(on=ON)).actual == "0 meetings held"


def test_attendance_with_no_meeting_has_no_value_and_fails():
    result = evaluate_indicator(indicator({"attendance_rate": {"threshold": 0.5}}), HealthFacts(on=ON))
    assert result.value is None and result.passed is False
    assert result.actual == "0 present of 0 members in good standing at 0 meetings"
    assert result.missing == "no value, at least 50.0 % needed"


def test_officers_filled_names_holders_and_the_post_to_fill():
    rule = indicator({"officers_filled": {"posts": ["secretary", "treasurer"]}})
    facts = HealthFacts(on=ON, posts={"secretary": 7}, names={7: "Ann Lee"})
    result = evaluate_indicator(rule, facts)
    assert (result.value, result.passed, result.window_days) == (0.5, False, None)
    assert result.actual == "secretary: Ann Lee; no treasurer"
    assert result.required_text == "at least 100.0 %"
    assert [person.as_dict() for person in result.members] == [{"id": 7, "name": "Ann Lee", "note": "secretary"}]


def test_coverage_counts_members_holding_a_post_of_the_list_or_any():
    members = frozenset(range(1, 21))
    facts = HealthFacts(
        on=ON,
        members={ON: members},
        post_holders={"steward": frozenset({1, 2}), "organizer": frozenset({3, 99})},
        names={1: "A", 2: "B", 3: "C"},
    )
    any_post = evaluate_indicator(indicator({"coverage": {"threshold": 0.1}}), facts)
    assert (any_post.value, any_post.passed) == (0.15, True)  # 99 is no member of the unit
    assert any_post.actual == "3 of 20 members hold a post: 15.0 %"
    stewards = evaluate_indicator(indicator({"coverage": {"posts": ["steward"], "threshold": 0.1}}), facts)
    assert (stewards.value, stewards.passed) == (0.1, True)
    empty = evaluate_indicator(indicator({"coverage": {"threshold": 0.1}}), HealthFacts(on=ON))
    assert empty.value is None and empty.actual == "0 of 0 members hold a post"


def test_retention_with_no_members_at_the_start_cannot_be_measured_and_fails():
    result = evaluate_indicator(indicator({"retention": {"threshold": 0.8}}), HealthFacts(on=ON))
    assert result.value is None and result.passed is False
    assert result.actual == "0 of 0 members on 2025-03-31 still members"


def test_education_share_counts_members_holding_every_course_named():
    rule = indicator({"education_share": {"courses": ["intro", "history"], "threshold": 0.5}})
    members = frozenset(range(1, 11))
    # 6 completed intro, 5 of them history too; 99 completed both but is no member of the unit.
    completed = {"intro": frozenset({1, 2, 3, 4, 5, 6, 99}), "history": frozenset({1, 2, 3, 4, 5, 99})}
    facts = HealthFacts(on=ON, members={ON: members}, completed=completed)
    result = evaluate_indicator(rule, facts)
    assert (result.value, result.passed, result.window_days) == (0.5, True, None)
    assert result.actual == "5 of 10 members completed intro, history: 50.0 %"
    fewer = HealthFacts(on=ON, members={ON: members}, completed={"intro": completed["intro"]})
    result = evaluate_indicator(rule, fewer)
    assert (result.value, result.passed) == (0, False)
    assert result.missing == "0.0 %, at least 50.0 % needed"
    empty = evaluate_indicator(rule, HealthFacts(on=ON))
    assert empty.value is None and empty.passed is False
    assert empty.actual == "0 of 0 members completed intro, history"


@pytest.mark.parametrize(
    ("value", "comparator", "threshold", "expected"),
    [
        (3, ">=", 3, True),
        (3, ">", 3, False),
        (4, ">", 3, True),
        (3, "<=", 3, True),
        (4, "<=", 3, False),
        (2, "<", 3, True),
        (3, "<", 3, False),
        (1 / 3, ">=", 0.3333333333, True),
    ],
)
def test_comparators(value, comparator, threshold, expected):
    assert compare(value, comparator, threshold) is expected


def test_a_comparator_in_words():
    rule = indicator({"net_growth": {"threshold": -2, "comparator": ">"}})
    assert evaluate_indicator(rule, HealthFacts(on=ON)).required_text == "more than -2 over the last 365 days"
    rule = indicator({"meetings_held": {"threshold": 10, "comparator": "<"}})
    assert evaluate_indicator(rule, HealthFacts(on=ON)).required_text == "less than 10 over the last 90 days"


# Consolidation and tiers.


def test_consolidated_when_every_required_indicator_passes_and_tier_from_weights():
    indicators = [
        indicator({"meetings_held": {"threshold": 1, "weight": 2}}),
        indicator({"officers_filled": {"posts": ["secretary"]}}),
        indicator({"net_growth": {"threshold": 5, "required": False}}),
        indicator({"education_share": {"courses": ["intro"], "threshold": 0.5}}),
    ]
    facts = HealthFacts(
        on=ON,
        meetings=(meeting(1, ON, 3, 5),),
        posts={"secretary": 1},
        names={1: "Ann"},
        members={ON: frozenset({1, 2})},
        completed={"intro": frozenset({2})},
    )
    health = evaluate_health(indicators, facts, unit="elm", tiers=TIERS)
    assert health.consolidated  # net growth fails but is not required
    # Weights 2 + 1 + 1 passed of 2 + 1 + 1 + 1: 0.8, tier 4.
    assert health.score == 0.8 and health.tier == 4 and health.tier_label == "Steady"
    assert [result.indicator for result in health.failed] == ["net_growth"]
    data = health.as_dict(with_people=False)
    assert data["on"] == "2026-03-31" and data["tier"] == 4 and data["score"] == 0.8
    assert data["indicators"][1]["members"] == []
    assert health.as_dict()["indicators"][1]["members"] == [{"id": 1, "name": "Ann", "note": "secretary"}]
    weak = evaluate_health(indicators, HealthFacts(on=ON), unit="elm", tiers=TIERS)
    assert not weak.consolidated and weak.tier == 1 and weak.score == 0


def test_no_indicator_measured_is_no_tier_and_not_consolidated():
    health = evaluate_health([], HealthFacts(on=ON), unit="elm", tiers=TIERS)
    assert (health.consolidated, health.tier, health.score, health.tier_label) == (False, None, None, "")
    assert health.as_dict()["score"] is None


def test_tiers_by_weighted_share():
    assert [tier_of(score, TIERS) for score in (0, 0.2, 0.25, 0.5, 0.74, 0.75, 0.99, 1)] == [1, 1, 2, 3, 3, 4, 4, 5]


def test_the_days_and_the_window_the_indicators_need():
    indicators = [
        indicator({"meetings_held": {"threshold": 1, "window_days": 30}}),
        indicator({"attendance_rate": {"threshold": 0.5, "window_days": 60}}),
        indicator({"retention": {"threshold": 0.5, "window_days": 100}}),
    ]
    assert meetings_window(indicators) == 60
    assert meetings_window([]) == 0
    assert dates_needed(indicators, ON) == {ON, ON - dt.timedelta(days=100)}


# Declaring them.


def test_the_templates_declare_indicators():
    for name in ("party", "tenants_federation", "union"):
        constitution = parse_constitution(load_constitution_text(name))
        (basic,) = constitution.basic_kinds
        found = constitution.kind(basic).health_indicators()
        assert isinstance(found[0], MeetingsHeldIndicator)
        assert len(constitution.health_tiers) == 5


def test_unknown_indicator_and_bad_parameters_are_named_with_their_key():
    text = with_indicators("      - loyalty: {threshold: 1}\n      - attendance_rate: {threshold: 50}\n")
    assert errors_of(text) == [
        "unit_kinds.cell.indicators[0]: unknown indicator type 'loyalty' "
        "(known: meetings_held, attendance_rate, officers_filled, retention, net_growth, coverage, education_share)",
        "unit_kinds.cell.indicators[1]: attendance_rate.threshold: Input should be less than or equal to 1",
    ]
    text = with_indicators("      - {meetings_held: {threshold: 1}, retention: {threshold: 1}}\n")
    assert errors_of(text) == [
        "unit_kinds.cell.indicators[0]: an indicator is a mapping with exactly one indicator type, "
        "e.g. meetings_held: {threshold: 3}"
    ]
    text = with_indicators("      - meetings_held: {threshold: 1, comparator: '=='}\n")
    assert errors_of(text)[0].startswith("unit_kinds.cell.indicators[0]: meetings_held.comparator: Input should be")


def test_posts_must_be_declared_and_attendance_is_for_basic_units():
    text = with_indicators(
        "      - officers_filled: {posts: [chair]}\n      - coverage: {posts: [boss], threshold: 0.1}\n"
    )
    assert errors_of(text) == [
        "unit_kinds.cell.indicators[0].officers_filled.posts: 'chair' is not in officer_posts",
        "unit_kinds.cell.indicators[1].coverage.posts: 'boss' is not in officer_posts",
    ]
    text = with_indicators("      - attendance_rate: {threshold: 0.5}\n", kind="area")
    assert errors_of(text) == [
        "unit_kinds.area.indicators[0]: attendance_rate is for basic units, whose members meet; "
        "a committee's health can count its meetings_held"
    ]


def test_weights_cannot_all_be_zero_and_the_old_block_cannot_be_given_too():
    text = with_indicators("      - meetings_held: {threshold: 1, weight: 0}\n")
    assert errors_of(text) == ["unit_kinds.cell.indicators: every weight is 0; give at least one a weight"]
    text = with_indicators("      - meetings_held: {threshold: 1}\n    consolidation: {window_days: 30}\n")
    assert errors_of(text) == ["unit_kinds.cell: give indicators or the older consolidation block, not both"]


def test_the_older_consolidation_block_is_read_as_indicators():
    block = (
        "    consolidation:\n      window_days: 90\n      meetings: {at_least: 1, per_days: 60}\n"
        "      attendance_rate: 0.5\n      officers_filled: [secretary]\n      retention_rate: 0.8\n"
    )
    text = VALID.replace("    label: Area\n", "    label: Area\n" + block)
    text = text.replace(
        "founding_rules: [{founding_members: {at_least: 3}}]}", "consolidation: {attendance_rate: 0.4}}"
    )
    constitution = parse_constitution(text)
    area = constitution.kind("area").health_indicators()
    # 1 meeting per 60 days over 90 days: 2 meetings; no attendance rate for a committee.
    assert [type(found).__name__ for found in area] == [
        "MeetingsHeldIndicator",
        "OfficersFilledIndicator",
        "RetentionIndicator",
    ]
    assert area[0].meetings_held.threshold == 2 and area[0].meetings_held.window_days == 90
    assert isinstance(area[2], RetentionIndicator) and area[2].retention.window_days == 365
    (cell,) = constitution.kind("cell").health_indicators()
    assert cell.attendance_rate.threshold == 0.4 and cell.attendance_rate.window_days == 90


def test_health_tiers_are_five_rising_from_zero():
    five = "".join(f"  - {{label: T{n}, at_least: {share}}}\n" for n, share in enumerate([0.1, 0.2, 0.2, 0.8, 1]))
    assert errors_of(VALID + "health_tiers:\n" + five) == [
        "health_tiers[0].at_least: the lowest tier starts at 0",
        "health_tiers[2].at_least: must be above the tier before it",
    ]
    assert errors_of(VALID + "health_tiers: [{label: One, at_least: 0}]\n") == [
        "health_tiers: give 5 tiers, lowest first (there are 1)"
    ]
    labels = "".join(f"  - {{label: T{n}, at_least: {share}}}\n" for n, share in enumerate([0, 0.2, 0.4, 0.6, 0.9]))
    assert [tier.label for tier in parse_constitution(VALID + "health_tiers:\n" + labels).health_tiers][-1] == "T4"


# The founding rule that asks for consolidated children.


def test_consolidated_children_names_known_kinds_with_indicators_and_not_on_basic_units():
    rule = "      - consolidated_children: {kind: cell, at_least: 2}\n"
    text = VALID.replace("      - officer: secretary\n", "      - officer: secretary\n" + rule)
    assert errors_of(text) == [
        "unit_kinds.area.founding_rules[2].consolidated_children.kind: "
        "'cell' declares no indicators, so none can be consolidated"
    ]
    assert errors_of(text.replace("{kind: cell, at_least: 2}", "{kind: zone, at_least: 2}")) == [
        "unit_kinds.area.founding_rules[2].consolidated_children.kind: unknown unit kind 'zone'"
    ]
    text = with_indicators("      - meetings_held: {threshold: 1}\n").replace(
        "founding_rules: [{founding_members: {at_least: 3}}]",
        "founding_rules: [{consolidated_children: {kind: cell, at_least: 1}}]",
    )
    assert errors_of(text) == ["unit_kinds.cell.founding_rules[0]: a basic unit has no children"]
    text = with_indicators("      - meetings_held: {threshold: 1}\n").replace(
        "      - officer: secretary\n", "      - officer: secretary\n" + rule
    )
    (_, _, parsed) = parse_constitution(text).kind("area").rules()
    assert isinstance(parsed, ConsolidatedChildrenRule) and parsed.consolidated_children.at_least == 2


def test_consolidated_children_counts_founded_consolidated_ones_and_names_the_others():
    rule = ConsolidatedChildrenRule(consolidated_children={"kind": "building_committee", "at_least": 2})
    labels = {"building_committee": "Building committee", "district": "District committee"}
    children = [
        ChildFact("a", "Elm", "building_committee", "founded", consolidated=True),
        ChildFact("b", "Oak", "building_committee", "founded"),
        ChildFact("c", "Ash", "building_committee", "preparing"),
        ChildFact("d", "Fir", "district", "founded", consolidated=True),
    ]
    result = evaluate(
        [rule],
        UnitFacts(children=children),
        unit="u",
        kind_labels=labels,
        basic_kinds=frozenset({"building_committee"}),
    )
    (found,) = result.results
    assert found.rule == "consolidated_children: building_committee"
    assert found.title == "Consolidated building committees"
    assert found.required == "at least 2 consolidated building committees"
    assert found.actual == "1 consolidated of 2 founded"
    assert found.missing == "1 more consolidated building committee (not yet consolidated: Oak)"
    assert not result.ready
    children[1] = ChildFact("b", "Oak", "building_committee", "founded", consolidated=True)
    assert evaluate([rule], UnitFacts(children=children), unit="u", kind_labels=labels).ready
    one = ConsolidatedChildrenRule(consolidated_children={"kind": "district", "at_least": 1})
    (district,) = evaluate([one], UnitFacts(children=children[:3]), unit="u", kind_labels=labels).results
    assert district.actual == "0 consolidated of 0 constituted"
    assert district.required == "at least 1 consolidated district committee"
    assert district.missing == "1 more consolidated district committee"
