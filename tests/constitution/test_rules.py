import pytest

from grassroots.constitution import ChildFact, UnitFacts, evaluate, parse_constitution
from grassroots.constitution.rules import evaluate_rule
from grassroots.constitution.schema import ChildrenRule, load_constitution_text

FEDERATION = parse_constitution(load_constitution_text("tenants_federation"))
LABELS = {key: kind.label for key, kind in FEDERATION.unit_kinds.items()}
BASIC = frozenset(FEDERATION.basic_kinds)


def readiness(kind: str, facts: UnitFacts):
    return evaluate(FEDERATION.kind(kind).rules(), facts, unit="u", kind_labels=LABELS, basic_kinds=BASIC)


def test_a_building_committee_with_nothing_lists_every_missing_piece():
    result = readiness("building_committee", UnitFacts(founding_members=["Ann"]))
    assert not result.ready
    assert [(r.rule, r.actual, r.missing) for r in result.results] == [
        ("founding_members", "1 founding member", "2 more founding members"),
        ("officer: secretary", "no secretary", "appoint a secretary"),
        ("founding_meeting", "not held", "hold the founding meeting (recorded when the unit is founded)"),
    ]


def test_a_building_committee_with_its_core_secretary_and_meeting_is_ready():
    facts = UnitFacts(founding_members=["Ann", "Bo", "Cy"], founding_meeting=True, officers={"secretary": "Ann"})
    result = readiness("building_committee", facts)
    assert result.ready
    assert result.as_dict()["rules"][1] == {
        "rule": "officer: secretary",
        "required": "a secretary",
        "actual": "secretary: Ann",
        "passed": True,
        "missing": "",
    }


def test_children_rule_names_the_units_that_are_not_yet_founded():
    children = [
        ChildFact("a", "Elm", "building_committee", "founded"),
        ChildFact("b", "Oak", "building_committee", "preparing"),
        ChildFact("c", "Ash", "building_committee", "planned"),
    ]
    result = readiness("district", UnitFacts(children=children, members_in_subtree=41, officers={"secretary": "X"}))
    children_rule = result.results[0]
    assert children_rule.required == "at least 3 founded building committees"
    assert children_rule.actual == "1 founded of 3"
    assert children_rule.missing == "2 more founded building committees (not yet founded: Oak, Ash)"
    # The template's district also needs 2 consolidated committees: Elm is founded, not consolidated.
    assert [r.passed for r in result.results] == [False, False, True, True]
    assert result.results[1].actual == "0 consolidated of 1 founded"


def test_bodies_above_the_basic_level_are_counted_as_constituted():
    children = [ChildFact("n", "North", "district", "founded"), ChildFact("s", "South", "district", "planned")]
    result = readiness("federation", UnitFacts(children=children, members_in_subtree=100))
    assert result.results[0].required == "at least 3 constituted district committees"
    assert result.results[0].missing == "2 more constituted district committees (not yet constituted: South)"
    assert result.results[1].missing == "150 more members"


def test_exact_thresholds_pass():
    children = [ChildFact(str(i), f"C{i}", "building_committee", "founded", consolidated=i < 2) for i in range(3)]
    result = readiness("district", UnitFacts(children=children, members_in_subtree=40, officers={"secretary": "X"}))
    assert result.ready
    assert result.results[1].actual == "2 consolidated of 3 founded"


def test_failed_lists_the_rules_not_met_and_a_preparing_rule_counts_founded_children():
    result = readiness("building_committee", UnitFacts(founding_members=["Ann", "Bo", "Cy"]))
    assert [r.rule for r in result.failed] == ["officer: secretary", "founding_meeting"]
    rule = ChildrenRule(children={"kind": "building_committee", "state": "preparing", "at_least": 2})
    children = [
        ChildFact("a", "Elm", "building_committee", "founded"),
        ChildFact("b", "Oak", "building_committee", "preparing"),
    ]
    assert evaluate([rule], UnitFacts(children=children), unit="u", kind_labels=LABELS, basic_kinds=BASIC).ready


def test_a_rule_of_no_known_type_is_a_programming_error():
    with pytest.raises(TypeError, match="no evaluation for rule"):
        evaluate_rule("quorum: 5", UnitFacts(), kind_labels=LABELS, basic_kinds=BASIC)


def test_ready_to_found_waits_only_for_the_founding_meeting():
    facts = UnitFacts(founding_members=["Ann", "Bo", "Cy"], officers={"secretary": "Ann"})
    result = readiness("building_committee", facts)
    assert not result.ready and result.ready_to_found
    assert not readiness("building_committee", UnitFacts(founding_members=["Ann"])).ready_to_found


def test_a_kind_by_its_key_or_label_and_in_words():
    assert FEDERATION.kind_key(" Building Committee ") == "building_committee"
    assert FEDERATION.kind_key("BUILDING_COMMITTEE") == "building_committee"
    assert FEDERATION.kind_key("parish") is None
    assert FEDERATION.kind_in_words("building_committee") == "a building committee"
    assert FEDERATION.kind_in_words("assembly") == "an assembly"
