"""The kept per-unit member counts agree with the memberships after an import (the actions'
changes are checked by the property test in test_membership_properties)."""

import csv

from grassroots.imports.actions import import_members
from grassroots.organizations.selectors import members_in_subtree
from grassroots.people.counts import recount
from grassroots.people.models import MemberCount
from tests.support import builders


def test_import_keeps_the_counts(db, tmp_path):
    org = builders.organization()
    tree = builders.federation(org)
    path = tmp_path / "members.csv"
    with path.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["name", "email", "unit", "status"])
        for number in range(30):
            writer.writerow([f"P {number}", f"p{number}@example.org", ["elm-house", "oak-court"][number % 2], "member"])
    import_members(organization=org, path=path, by="test", valid_rows=True)
    # Again, lapsed, all named in Elm House: the five there move from member to lapsed (the five
    # in Oak Court are not moved by an import, so their rows are refused).
    with path.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["name", "email", "unit", "status"])
        for number in range(10):
            writer.writerow([f"P {number}", f"p{number}@example.org", "elm-house", "lapsed"])
    result = import_members(organization=org, path=path, by="test", valid_rows=True, on_duplicate="update")
    assert result.rejected == 5
    assert recount(org) == []
    elm = MemberCount.objects.filter(unit=tree["elm"])
    assert dict(elm.values_list("status", "members"))["lapsed"] == 5
    assert members_in_subtree(tree["north"]) == 6 + 30 - 5


def test_a_moved_unit_takes_its_counts_to_its_new_subtree(db):
    from grassroots.organizations.actions import move_unit
    from grassroots.people.counts import stale_paths

    org = builders.organization()
    tree = builders.federation(org)
    builders.members(org, tree["elm"], 4)
    north_before = members_in_subtree(tree["north"])
    south_before = members_in_subtree(tree["south"])
    elm_members = members_in_subtree(tree["elm"])
    assert elm_members >= 4
    move_unit(unit=tree["elm"], parent=tree["south"], by="test")
    assert members_in_subtree(tree["north"]) == north_before - elm_members
    assert members_in_subtree(tree["south"]) == south_before + elm_members
    assert members_in_subtree(tree["federation"]) == north_before + south_before
    assert recount(org) == [] and stale_paths(org) == []
    # A count row left with the old path (as a write outside the actions would) is named.
    MemberCount.objects.filter(unit=tree["elm"]).update(path=tree["north"].path + "zzzzzzz")
    assert stale_paths(org) == [tree["elm"].pk]
