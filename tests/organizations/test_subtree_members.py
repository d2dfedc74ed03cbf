"""Subtree member counts of a set of units in one query (the tree page's, its opened units', a
search's): the same as counting each unit's subtree on its own, however the units nest."""

from itertools import combinations

import pytest

from grassroots.organizations.selectors import members_in_subtree, subtree_members_of
from tests.support import builders


@pytest.fixture
def counted_tree(org, tree):
    """The federation with members of counted and uncounted statuses under both districts: Elm
    House 3 founders and 2 candidates, Oak Court 3 founders and a supporter (not counted), Ash
    Tower (preparing) 4 members."""
    builders.members(org, tree["elm"], 2, status="candidate")
    builders.members(org, tree["oak"], 1, status="supporter")
    builders.members(org, tree["ash"], 4)
    return tree


def test_any_set_of_units_counts_as_each_unit_alone(org, counted_tree, django_assert_num_queries):
    units = list(counted_tree.values())
    alone = {unit.path: members_in_subtree(unit) for unit in units}
    assert {key: alone[unit.path] for key, unit in counted_tree.items()} == {
        "federation": 12,
        "north": 8,
        "south": 4,
        "elm": 5,
        "oak": 3,
        "ash": 4,
    }
    for size in range(1, len(units) + 1):
        for chosen in combinations(units, size):
            paths = [unit.path for unit in chosen]
            with django_assert_num_queries(1):
                together = subtree_members_of(org, paths)
            assert together == {path: alone[path] for path in paths}, [unit.slug for unit in chosen]


def test_a_units_children_read_as_its_range(org, counted_tree, django_assert_num_queries):
    federation, north, south = counted_tree["federation"], counted_tree["north"], counted_tree["south"]
    with django_assert_num_queries(1):
        assert subtree_members_of(org, [north.path, south.path], within=federation) == {north.path: 8, south.path: 4}
    # One child shown (the other dissolved or not visible): its group alone, the other's left out.
    assert subtree_members_of(org, [south.path], within=federation) == {south.path: 4}
    elm, oak = counted_tree["elm"], counted_tree["oak"]
    assert subtree_members_of(org, [elm.path, oak.path], within=north) == {elm.path: 5, oak.path: 3}


def test_no_units_no_query(org, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert subtree_members_of(org, []) == {}
