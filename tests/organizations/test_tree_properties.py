"""Property tests: after any sequence of additions and moves the paths agree with the parents."""

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grassroots.errors import ActionRefused
from grassroots.organizations import actions
from grassroots.organizations.models import Unit, path_segment
from tests.support import builders

KIND_BELOW = {"federation": "district", "district": "building_committee"}
PARENT_KIND = {"district": "federation", "building_committee": "district"}
# Each step: add a child under the n-th unit, or move the n-th unit under the m-th unit.
steps = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(0, 50)),
        st.tuples(st.just("move"), st.integers(0, 50), st.integers(0, 50)),
    ),
    max_size=25,
)


def assert_paths_agree_with_parents(org) -> None:
    units = {unit.pk: unit for unit in Unit.objects.filter(organization=org)}
    for unit in units.values():
        parent = units.get(unit.parent_id)
        assert unit.path == (parent.path if parent else "") + path_segment(unit.pk)
    for unit in units.values():
        by_walk, frontier = {unit.pk}, [unit.pk]
        while frontier:
            children = [pk for pk, other in units.items() if other.parent_id in frontier]
            by_walk.update(children)
            frontier = children
        assert set(unit.subtree().values_list("pk", flat=True)) == by_walk


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_paths_agree_with_the_parent_chain_after_any_moves(db, steps):
    org = builders.organization()
    roots = [builders.unit(org, "federation", "Federation A"), builders.unit(org, "federation", "Federation B")]
    ordered = list(roots)
    for step in steps:
        if step[0] == "add":
            parent = ordered[step[1] % len(ordered)]
            if parent.kind in KIND_BELOW:
                ordered.append(builders.unit(org, KIND_BELOW[parent.kind], f"Unit {len(ordered)}", parent))
        else:
            unit, target = ordered[step[1] % len(ordered)], ordered[step[2] % len(ordered)]
            if unit.kind in PARENT_KIND:
                # Refused moves (wrong kind, same place, a cycle) must leave the tree as it was.
                with contextlib.suppress(ActionRefused):
                    actions.move_unit(unit=unit, parent=target, by="t", on=builders.START)
        for unit in ordered:
            unit.refresh_from_db()
    assert_paths_agree_with_parents(org)
