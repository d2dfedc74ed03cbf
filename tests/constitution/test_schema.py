import pytest

from grassroots.constitution import ConstitutionError, load_constitution_text, parse_constitution, template_names
from grassroots.constitution.schema import ChildrenRule, FoundingMeetingRule, FoundingMembersRule, OfficerRule

VALID = """
name: Test
unit_kinds:
  cell: {label: Cell, basic: true, parents: [area], founding_rules: [{founding_members: {at_least: 3}}]}
  area:
    label: Area
    founding_rules:
      - children: {kind: cell, state: founded, at_least: 2}
      - officer: secretary
officer_posts: [secretary]
member_statuses:
  initial: supporter
  counted: [member]
  transitions: {supporter: [member], member: [resigned], resigned: []}
max_members_per_basic_unit: 20
"""


def errors_of(text: str) -> list[str]:
    with pytest.raises(ConstitutionError) as caught:
        parse_constitution(text)
    return caught.value.errors


def test_the_three_templates_ship_and_validate():
    assert template_names() == ["party", "tenants_federation", "union"]
    basics = {name: parse_constitution(load_constitution_text(name)).basic_kinds for name in template_names()}
    assert basics == {
        "party": ["branch"],
        "tenants_federation": ["building_committee"],
        "union": ["workplace_committee"],
    }


def test_rules_are_typed_from_their_one_key():
    constitution = parse_constitution(VALID)
    assert constitution.kind("cell").rules() == [FoundingMembersRule(founding_members={"at_least": 3})]
    area_rules = constitution.kind("area").rules()
    assert isinstance(area_rules[0], ChildrenRule) and area_rules[0].children.at_least == 2
    assert area_rules[1] == OfficerRule(officer="secretary")
    assert FoundingMeetingRule(founding_meeting=True).founding_meeting is True


def test_questions_the_domain_asks():
    constitution = parse_constitution(VALID)
    assert constitution.may_be_child(kind="cell", parent_kind="area")
    assert not constitution.may_be_child(kind="cell", parent_kind=None)
    assert constitution.may_be_child(kind="area", parent_kind=None)
    assert constitution.state_label(kind="area", state="founded") == "constituted"
    assert constitution.state_label(kind="cell", state="founded") == "founded"
    assert constitution.may_change_status("supporter", "member")
    assert not constitution.may_change_status("member", "supporter")


def test_unknown_rule_type_is_named_with_its_key():
    text = VALID.replace("- officer: secretary", "- quorum: 5")
    assert errors_of(text) == [
        "unit_kinds.area.founding_rules[1]: unknown rule type 'quorum' "
        "(known: founding_members, officer, founding_meeting, children, members_in_subtree, consolidated_children)"
    ]


def test_bad_rule_parameters_are_named():
    text = VALID.replace("{founding_members: {at_least: 3}}", "{founding_members: {at_least: -1}}")
    assert errors_of(text) == [
        "unit_kinds.cell.founding_rules[0]: founding_members.at_least: Input should be greater than or equal to 0"
    ]


def test_references_to_unknown_kinds_and_posts_are_named():
    text = VALID.replace("parents: [area]", "parents: [zone]").replace("- officer: secretary", "- officer: chair")
    assert errors_of(text) == [
        "unit_kinds.cell.parents: unknown unit kind 'zone'",
        "unit_kinds.area.founding_rules[1].officer: 'chair' is not in officer_posts",
    ]


def test_unknown_keys_and_missing_keys_are_named():
    text = VALID.replace("max_members_per_basic_unit: 20", "max_members: 20")
    assert errors_of(text) == ["max_members_per_basic_unit: Field required", "max_members: unknown key"]


def test_statuses_used_in_transitions_must_be_declared():
    text = VALID.replace("resigned: []", "resigned: [lapsed]")
    assert errors_of(text) == ["member_statuses.transitions: status 'lapsed' is used but has no entry"]


def test_parent_cycles_are_refused():
    text = VALID.replace("    label: Area\n", "    label: Area\n    parents: [region]\n").replace(
        "officer_posts:", "  region: {label: Region, parents: [area]}\nofficer_posts:"
    )
    messages = errors_of(text)
    assert "unit_kinds.area.parents: a kind cannot be its own ancestor" in messages
    assert "unit_kinds.region.parents: a kind cannot be its own ancestor" in messages


def test_no_basic_kind_and_children_rule_on_basic_are_refused():
    text = VALID.replace("basic: true, ", "")
    assert "unit_kinds: no kind is marked basic: true" in errors_of(text)
    text = VALID.replace("[{founding_members: {at_least: 3}}]", "[{children: {kind: cell, at_least: 1}}]")
    assert errors_of(text) == ["unit_kinds.cell.founding_rules[0]: a basic unit has no children"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file must be a mapping with keys such as name and unit_kinds"),
        ("- a\n- b\n", "the file must be a mapping with keys such as name and unit_kinds"),
        ("name: [unclosed", "not valid YAML"),
    ],
)
def test_files_that_are_not_a_constitution(text, message):
    assert errors_of(text)[0].startswith(message)


def test_yaml_is_never_executed():
    errors = errors_of("!!python/object/apply:os.system ['echo hacked']")
    assert errors[0].startswith("not valid YAML")


def test_a_path_that_is_neither_file_nor_template(tmp_path):
    with pytest.raises(ConstitutionError, match="neither a file nor a template"):
        load_constitution_text(str(tmp_path / "missing.yaml"))
    path = tmp_path / "mine.yaml"
    path.write_text(VALID)
    assert parse_constitution(load_constitution_text(str(path))).name == "Test"


def test_a_basic_kind_cannot_be_a_parent():
    text = VALID.replace("officer_posts:", "  flat: {label: Flat, parents: [cell]}\nofficer_posts:")
    assert errors_of(text) == ["unit_kinds.flat.parents: 'cell' is basic and cannot have children"]


def test_a_children_rule_names_a_known_kind():
    text = VALID.replace("{kind: cell, state: founded, at_least: 2}", "{kind: zone, state: founded, at_least: 2}")
    assert errors_of(text) == ["unit_kinds.area.founding_rules[0].children.kind: unknown unit kind 'zone'"]


def test_consolidation_and_rights_name_declared_posts_only():
    text = VALID.replace("    label: Area\n", "    label: Area\n    consolidation: {officers_filled: [chair]}\n")
    text = text.replace("officer_posts: [secretary]", "officer_posts: [secretary]\nofficer_rights: {treasurer: []}")
    assert errors_of(text) == [
        "unit_kinds.area.consolidation.officers_filled: 'chair' is not in officer_posts",
        "officer_rights.treasurer: 'treasurer' is not in officer_posts",
    ]


def test_a_post_without_listed_rights_grants_the_default_ones_and_statuses_follow_the_transitions():
    constitution = parse_constitution(VALID)
    assert constitution.rights_of_post("secretary") == frozenset({"view_people", "edit_people", "manage_units"})
    assert constitution.statuses == ["supporter", "member", "resigned"]


def test_a_file_that_is_not_utf8_is_named(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: Fédération\n".encode("latin-1"))
    with pytest.raises(ConstitutionError, match="cannot be read as UTF-8 text"):
        load_constitution_text(str(path))


def test_a_rule_has_exactly_one_type():
    text = VALID.replace("- officer: secretary", "- {officer: secretary, founding_meeting: true}")
    assert errors_of(text) == [
        "unit_kinds.area.founding_rules[1]: a rule is a mapping with exactly one rule type, e.g. officer: secretary"
    ]
