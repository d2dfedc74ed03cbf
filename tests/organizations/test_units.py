"""The unit lifecycle through the actions: founding gate, transitions, moves, history."""

import datetime as dt

import pytest

from grassroots.access import Operator
from grassroots.audit.models import AuditRecord
from grassroots.errors import ActionRefused
from grassroots.meetings.models import Meeting
from grassroots.organizations import actions
from grassroots.organizations.models import Unit, UnitEvent, path_segment
from grassroots.organizations.selectors import readiness_of, tree_of
from grassroots.people.models import Membership
from tests.support import builders

OPERATOR = Operator("test")
DAY = dt.date(2024, 3, 1)


def test_paths_follow_the_parent_chain(tree):
    north, elm = tree["north"], tree["elm"]
    assert north.path == tree["federation"].path + path_segment(north.pk)
    assert elm.path == north.path + path_segment(elm.pk)
    assert {u.slug for u in north.subtree()} == {"north", "elm-house", "oak-court"}


def test_adding_a_unit_under_a_parent_the_constitution_forbids_is_refused(org, tree):
    with pytest.raises(ActionRefused, match="a district committee cannot stand under a building committee"):
        actions.add_unit(organization=org, kind="district", name="X", parent=tree["elm"], by="t")
    with pytest.raises(ActionRefused, match="a building committee cannot stand at the top"):
        actions.add_unit(organization=org, kind="building_committee", name="X", by="t")
    with pytest.raises(ActionRefused, match="unknown unit kind 'cell'"):
        actions.add_unit(organization=org, kind="cell", name="X", by="t")
    assert not Unit.objects.filter(name="X").exists()


def test_slugs_are_unique_within_the_organization_and_stable(org, tree):
    twin = actions.add_unit(organization=org, kind="building_committee", name="Elm House", parent=tree["south"], by="t")
    assert twin.slug == "elm-house-2"
    renamed = actions.rename_unit(unit=twin, name="Elm House South", by="t")
    assert renamed.slug == "elm-house-2" and renamed.name == "Elm House South"


def test_founding_a_basic_unit_records_members_meeting_officers_and_history(org, tree):
    ash = tree["ash"]
    core = [builders.person(org, name) for name in ("Ann", "Bo", "Cy")]
    founded = actions.found_unit(
        unit=ash, by="t", on=DAY, founding_members=core, officers={"secretary": core[1]}, minutes="We met."
    )
    assert (founded.state, founded.founded_on) == ("founded", DAY)
    meeting = Meeting.objects.get(unit=ash, kind="founding")
    assert (meeting.on, meeting.status, meeting.minutes_versions.get().text) == (DAY, "held", "We met.")
    present = meeting.attendance.filter(status="present").values_list("person__name", flat=True)
    assert sorted(present) == ["Ann", "Bo", "Cy"]
    memberships = Membership.objects.filter(unit=ash, end__isnull=True)
    assert sorted(memberships.values_list("person__name", "status", "start")) == [
        ("Ann", "member", DAY),
        ("Bo", "member", DAY),
        ("Cy", "member", DAY),
    ]
    assert ash.posts.get(end__isnull=True).person.name == "Bo"
    assert list(ash.events.values_list("kind", "state")) == [
        ("created", "planned"),
        ("preparing", "preparing"),
        ("founded", "founded"),
    ]
    record = AuditRecord.objects.filter(action="unit.founded", target_id=str(ash.pk)).get()
    assert record.changes == {"state": ["preparing", "founded"], "on": [None, "2024-03-01"]}
    assert record.actor_label == "t"
    assert readiness_of(OPERATOR, founded).ready


def test_the_founding_gate_lists_every_failed_rule_and_changes_nothing(org, tree):
    ash = tree["ash"]
    lonely = builders.person(org, "Lone")
    with pytest.raises(ActionRefused) as refused:
        actions.found_unit(unit=ash, by="t", on=DAY, founding_members=[lonely])
    assert refused.value.reasons == [
        "Founding members: needs at least 3 founding members, has 1 founding member",
        "Secretary: needs a secretary, has no secretary",
    ]
    assert str(refused.value).startswith("cannot found Ash Tower: Founding members: needs")
    ash.refresh_from_db()
    assert ash.state == "preparing"
    assert not Membership.objects.filter(person=lonely).exists()
    assert not Meeting.objects.filter(unit=ash).exists()
    assert not ash.events.filter(kind="founded").exists()


def test_a_founding_member_of_another_unit_must_be_transferred_first(org, tree):
    elm_member = Membership.objects.filter(unit=tree["elm"]).first().person
    others = [builders.person(org) for _ in range(2)]
    with pytest.raises(ActionRefused) as refused:
        actions.found_unit(
            unit=tree["ash"], by="t", founding_members=[elm_member, *others], officers={"secretary": others[0]}
        )
    assert refused.value.reasons == [f"{elm_member.name} is a member of Elm House; transfer them first"]


def test_constituting_a_district_needs_founded_committees_members_and_a_secretary(org, tree):
    north = tree["north"]
    readiness = readiness_of(OPERATOR, north)
    assert [(r.rule, r.passed, r.missing) for r in readiness.results] == [
        ("children: building_committee", False, "1 more founded building committee"),
        (
            "consolidated_children: building_committee",
            False,
            "2 more consolidated building committees (not yet consolidated: Elm House, Oak Court)",
        ),
        ("members_in_subtree", False, "34 more members"),
        ("officer: secretary", False, "appoint a secretary"),
    ]
    with pytest.raises(ActionRefused, match="cannot constitute North"):
        actions.found_unit(unit=north, by="t")

    builders.founded_basic_unit(org, "Yew Hall", north)
    builders.members(org, tree["elm"], 31)
    builders.consolidate(tree["elm"])
    with pytest.raises(ActionRefused, match="has 1 consolidated of 3 founded"):
        actions.found_unit(unit=north, by="t", officers={"secretary": tree["oak"].memberships.first().person})
    builders.consolidate(tree["oak"])
    secretary = Membership.objects.filter(unit=tree["oak"]).first().person
    constituted = actions.found_unit(unit=north, by="t", officers={"secretary": secretary})
    assert constituted.state_label == "constituted"
    assert readiness_of(OPERATOR, constituted).ready


def test_transitions_check_the_state_they_start_from(tree):
    elm = tree["elm"]
    with pytest.raises(ActionRefused, match="Elm House is founded; this needs it to be planned or dormant"):
        actions.start_preparing(unit=elm, by="t")
    dormant = actions.make_dormant(unit=elm, by="t")
    assert dormant.state == "dormant"
    again = actions.start_preparing(unit=dormant, by="t")
    assert again.state == "preparing"
    with pytest.raises(ActionRefused, match="North is planned; this needs it to be founded"):
        actions.make_dormant(unit=tree["north"], by="t")


def test_dissolving_needs_no_members_and_no_living_children(org, tree):
    with pytest.raises(ActionRefused) as refused:
        actions.dissolve_unit(unit=tree["north"], by="t")
    assert refused.value.reasons == ["its child units are not dissolved: Elm House, Oak Court"]
    with pytest.raises(ActionRefused, match="it has 3 current member"):
        actions.dissolve_unit(unit=tree["elm"], by="t")
    empty = builders.unit(org, "building_committee", "Empty", tree["south"])
    gone = actions.dissolve_unit(unit=empty, by="t")
    assert gone.state == "dissolved"
    with pytest.raises(ActionRefused, match="is dissolved"):
        actions.add_unit(organization=org, kind="building_committee", name="Z", parent=gone, by="t")


def test_dates_cannot_go_back_before_the_last_event_or_into_the_future(tree):
    with pytest.raises(ActionRefused, match="before the unit's last recorded event on 2024-01-31"):
        actions.make_dormant(unit=tree["elm"], by="t", on=dt.date(2024, 1, 15))
    with pytest.raises(ActionRefused, match="is in the future"):
        actions.make_dormant(unit=tree["elm"], by="t", on=dt.date.today() + dt.timedelta(days=2))


def test_moving_a_subtree_rewrites_every_path_in_it(org, tree):
    north, south = tree["north"], tree["south"]
    region_like = builders.unit(org, "federation", "Second Federation")
    moved = actions.move_unit(unit=north, parent=region_like, by="t")
    assert moved.path == region_like.path + path_segment(north.pk)
    for unit in Unit.objects.filter(pk__in=[tree["elm"].pk, tree["oak"].pk]):
        assert unit.path == moved.path + path_segment(unit.pk)
    assert set(region_like.subtree().values_list("slug", flat=True)) == {
        "second-federation",
        "north",
        "elm-house",
        "oak-court",
    }
    assert set(tree["federation"].subtree().values_list("slug", flat=True)) == {"federation", "south", "ash-tower"}
    assert UnitEvent.objects.filter(unit=north, kind="moved").get().parent == region_like
    assert south.path.startswith(tree["federation"].path)


def test_moves_that_make_a_cycle_or_break_the_kinds_are_refused(tree):
    with pytest.raises(ActionRefused, match="inside its own subtree"):
        actions.move_unit(unit=tree["federation"], parent=tree["north"], by="t")
    with pytest.raises(ActionRefused, match="a building committee cannot stand at the top"):
        actions.move_unit(unit=tree["elm"], parent=None, by="t")
    with pytest.raises(ActionRefused, match="already there"):
        actions.move_unit(unit=tree["elm"], parent=tree["north"], by="t")


def test_the_tree_as_of_a_date_shows_the_units_and_states_of_that_day(org, tree):
    builders.members(org, tree["elm"], 2)
    actions.move_unit(unit=tree["oak"], parent=tree["south"], by="t", on=dt.date(2024, 6, 1))
    before = {row.slug: (row.state, row.parent_slug, row.members) for row in tree_of(OPERATOR, org, as_of=DAY)}
    assert before["elm-house"] == ("founded", "north", 5)
    assert before["oak-court"] == ("founded", "north", 3)
    assert before["north"] == ("planned", "federation", 8)
    early = {row.slug: row.state for row in tree_of(OPERATOR, org, as_of=dt.date(2024, 1, 15))}
    assert early["elm-house"] == "preparing"
    assert tree_of(OPERATOR, org, as_of=dt.date(2023, 12, 31)) == []
    today = {row.slug: (row.parent_slug, row.members) for row in tree_of(OPERATOR, org)}
    assert today["oak-court"] == ("south", 3)
    assert today["south"] == ("federation", 3)
    assert today["federation"] == (None, 8)


def test_dissolved_units_leave_the_tree_from_their_dissolution(org, tree):
    empty = builders.unit(org, "building_committee", "Empty", tree["south"])
    actions.dissolve_unit(unit=empty, by="t", on=dt.date(2024, 2, 1))
    assert "empty" in {row.slug for row in tree_of(OPERATOR, org, as_of=dt.date(2024, 1, 20))}
    assert "empty" not in {row.slug for row in tree_of(OPERATOR, org)}


def test_posts_change_hands_on_a_date(org, tree):
    elm = tree["elm"]
    first = elm.posts.get(post="secretary", end__isnull=True)
    successor = Membership.objects.filter(unit=elm).exclude(person=first.person).first().person
    actions.assign_post(unit=elm, person=successor, post="secretary", by="t", on=dt.date(2024, 5, 1))
    first.refresh_from_db()
    assert first.end == dt.date(2024, 5, 1)
    assert elm.posts.get(end__isnull=True).person == successor
    outsider = builders.person(org)
    with pytest.raises(ActionRefused, match="is not a current member within Elm House"):
        actions.assign_post(unit=elm, person=outsider, post="secretary", by="t")
    with pytest.raises(ActionRefused, match="'chair' is not an officer post"):
        actions.assign_post(unit=elm, person=successor, post="chair", by="t")


def test_an_organization_needs_a_valid_constitution_and_a_free_slug(db):
    with pytest.raises(ActionRefused) as refused:
        actions.create_organization(slug="x", name="X", constitution_yaml="name: X", by="t")
    assert "unit_kinds: Field required" in refused.value.reasons
    builders.organization(slug="taken")
    with pytest.raises(ActionRefused, match="already exists"):
        builders.organization(slug="taken")
    with pytest.raises(ActionRefused, match="lowercase letters"):
        builders.organization(slug="Bad Slug")


def test_the_tree_as_of_a_date_counts_members_by_their_status_then(org, tree):
    from grassroots.people import actions as people

    newcomer = builders.person(org)
    people.join_unit(person=newcomer, unit=tree["elm"], by="t", on=dt.date(2024, 4, 1))  # a supporter
    people.change_status(person=newcomer, status="member", by="t", on=dt.date(2024, 6, 1))
    counts = {
        day: {r.slug: r.members for r in tree_of(OPERATOR, org, as_of=day)}["elm-house"]
        for day in (
            dt.date(2024, 5, 1),
            dt.date(2024, 7, 1),
        )
    }
    assert counts == {dt.date(2024, 5, 1): 3, dt.date(2024, 7, 1): 4}


def test_an_organization_refreshed_from_the_database_reads_its_new_constitution(org):
    """Another process (or request) changed the constitution: `refresh_from_db()` brings its rules."""
    from grassroots.organizations.models import Organization

    assert org.constitution.max_members_per_basic_unit != 7
    changed = org.constitution_yaml.replace(
        f"max_members_per_basic_unit: {org.constitution.max_members_per_basic_unit}", "max_members_per_basic_unit: 7"
    )
    assert changed != org.constitution_yaml
    Organization.objects.filter(pk=org.pk).update(constitution_yaml=changed)
    org.refresh_from_db()
    assert org.constitution.max_members_per_basic_unit == 7
