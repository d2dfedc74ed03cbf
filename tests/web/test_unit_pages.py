"""A unit's page, its founding form, adding units, and the lifecycle steps posted from the page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from grassroots.meetings.models import Meeting
from grassroots.organizations.models import OfficerPost, Unit, UnitEvent
from grassroots.people.models import Membership
from tests.support import builders
from tests.support.html import text

TODAY = timezone.localdate


def url(name: str, org, unit: Unit | None = None) -> str:
    kwargs = {"org": org.slug} if unit is None else {"org": org.slug, "unit": unit.slug}
    return reverse(name, kwargs=kwargs)


def messages_of(response) -> str:
    return text(response, "messages")


def test_unit_page_shows_facts_members_officers_history_and_readiness(staff_client, org, tree):
    elm = tree["elm"]
    response = staff_client.get(url("unit", org, elm))
    assert response.status_code == 200
    assert text(response, "facts") == (
        "Kind Building committee State founded Part of North Founded on 31 Jan 2024 "
        "Planned on 1 Jan 2024 Counted members 3"
    )
    members = text(response, "members")
    for membership in Membership.objects.current().filter(unit=elm).select_related("person"):
        assert f"{membership.person.name} member 31 Jan 2024" in members
    secretary = OfficerPost.objects.get(unit=elm, post="secretary").person
    assert text(response, "posts") == (
        f"Officers Post Held by Since Until Actions Secretary {secretary.name} 31 Jan 2024 — On: End this post"
    )
    assert text(response, "history") == (
        "History Date Event State after Name 31 Jan 2024 Founded founded Elm House "
        "1 Jan 2024 Preparing preparing Elm House 1 Jan 2024 Created planned Elm House"
    )
    assert "Ready: every founding rule holds." in text(response, "readiness")


def test_a_district_page_says_constituted_lists_its_units_and_what_it_lacks(staff_client, org, tree):
    response = staff_client.get(url("unit", org, tree["north"]))
    assert "Constituted on not yet" in text(response, "facts")
    assert text(response, "children") == (
        "Units under it Elm House · Building committee · founded Oak Court · Building committee · founded "
        "Add a unit under North"
    )
    readiness = text(response, "readiness")
    assert "at least 3 founded building committees 2 founded of 2 1 more founded building committee" in readiness
    assert "at least 40 members 6 members 34 more members" in readiness


@pytest.mark.parametrize(
    ("unit", "offered", "not_offered"),
    [
        ("north", ["Constitute North…", "Start preparing", "Dissolve North"], ["Make dormant"]),
        ("ash", ["Found Ash Tower…", "Dissolve Ash Tower"], ["Start preparing", "Make dormant"]),
        ("elm", ["Make dormant", "Dissolve Elm House"], ["Found Elm House…", "Start preparing"]),
    ],
)
def test_the_page_offers_the_steps_of_the_units_state(staff_client, org, tree, unit, offered, not_offered):
    steps = text(staff_client.get(url("unit", org, tree[unit])), "steps")
    assert all(step in steps for step in offered)
    assert not any(step in steps for step in not_offered)


def test_found_form_offers_current_members_checked_and_people_without_a_membership(staff_client, org, tree):
    ash = tree["ash"]
    core = builders.members(org, ash, 2, status="supporter")
    newcomer = builders.person(org, "Nadia Newcomer")
    form = staff_client.get(url("unit_found", org, ash)).context["form"]
    assert {person.pk for person in form.fields["founding_members"].queryset} == {core[0].pk, core[1].pk, newcomer.pk}
    assert sorted(form["founding_members"].initial) == sorted(person.pk for person in core)
    labels = dict(form.fields["founding_members"].choices)
    assert any(str(label) == "Nadia Newcomer (no membership yet: joins at the founding)" for label in labels.values())
    assert [field.label for field in form.officer_fields()] == ["Secretary", "Organizer", "Treasurer"]


def test_founding_through_the_form(staff_client, org, tree):
    ash = tree["ash"]
    core = builders.members(org, ash, 2)
    newcomer = builders.person(org, "Nadia Newcomer")
    response = staff_client.post(
        url("unit_found", org, ash),
        {
            "on": TODAY().isoformat(),
            "founding_members": [core[0].pk, core[1].pk, newcomer.pk],
            "officer_secretary": core[0].pk,
            "minutes": "We met in the laundry room.",
        },
        follow=True,
    )
    assert response.redirect_chain == [(url("unit", org, ash), 302)]
    assert messages_of(response) == "Ash Tower is now founded."
    ash.refresh_from_db()
    assert (ash.state, ash.founded_on) == ("founded", TODAY())
    meeting = Meeting.objects.get(unit=ash, kind=Meeting.Kind.FOUNDING)
    assert (meeting.on, meeting.minutes) == (TODAY(), "We met in the laundry room.")
    assert set(meeting.attendees.all()) == {core[0], core[1], newcomer}
    assert OfficerPost.objects.get(unit=ash, post="secretary", end=None).person == core[0]
    assert Membership.objects.current().get(person=newcomer).unit == ash
    assert "Ash Tower Building committee founded 3" in text(
        staff_client.get(url("organization", org)), "unit-ash-tower"
    )


def test_a_refused_founding_lists_every_failed_rule_and_changes_nothing(staff_client, org, tree):
    ash = tree["ash"]
    (lone,) = builders.members(org, ash, 1)
    response = staff_client.post(
        url("unit_found", org, ash), {"on": TODAY().isoformat(), "founding_members": [lone.pk]}
    )
    assert response.status_code == 200
    assert text(response, "form-errors") == (
        "cannot found Ash Tower "
        "Founding members: needs at least 3 founding members, has 1 founding member "
        "Secretary: needs a secretary, has no secretary"
    )
    ash.refresh_from_db()
    assert ash.state == "preparing"
    assert not Meeting.objects.filter(unit=ash).exists()
    assert not UnitEvent.objects.filter(unit=ash, kind="founded").exists()


def test_constituting_a_district_through_the_form(staff_client, org, tree):
    north = tree["north"]
    secretary = builders.district_ready_to_constitute(org, north)
    form = staff_client.get(url("unit_found", org, north)).context["form"]
    # At a body's constituting meeting, the candidates are the officers of the units under it.
    officers = set(OfficerPost.objects.filter(unit__parent=north, end=None).values_list("person_id", flat=True))
    assert {person.pk for person in form.fields["founding_members"].queryset} == officers

    response = staff_client.post(
        url("unit_found", org, north),
        {"on": TODAY().isoformat(), "founding_members": sorted(officers), "officer_secretary": secretary.pk},
        follow=True,
    )
    assert messages_of(response) == "North is now constituted."
    tree_page = staff_client.get(url("organization", org))
    assert text(tree_page, "unit-north") == "North District committee constituted 40"
    assert text(tree_page, "unit-elm-house") == "Elm House Building committee founded 34"


def test_a_founded_unit_cannot_be_founded_again(staff_client, org, tree):
    response = staff_client.post(url("unit_found", org, tree["elm"]), {"on": TODAY().isoformat()})
    assert text(response, "form-errors") == ("Elm House is founded; only a planned or preparing unit can be founded")
    assert Meeting.objects.filter(unit=tree["elm"]).count() == 1


def test_add_unit_form_offers_kinds_and_the_units_that_can_hold_others(staff_client, org, tree):
    response = staff_client.get(url("unit_add", org), {"parent": "north"})
    form = response.context["form"]
    assert form["parent"].initial == tree["north"]
    assert form.fields["kind"].choices == [
        ("building_committee", "Building committee"),
        ("district", "District committee"),
        ("federation", "Federation"),
    ]
    assert list(form.fields["parent"].queryset) == [tree["federation"], tree["north"], tree["south"]]


def test_adding_a_unit(staff_client, org, tree):
    response = staff_client.post(
        url("unit_add", org),
        {"kind": "building_committee", "name": "Pine Yard", "parent": tree["north"].pk, "on": TODAY().isoformat()},
        follow=True,
    )
    pine = Unit.objects.get(organization=org, name="Pine Yard")
    assert response.redirect_chain == [(url("unit", org, pine), 302)]
    assert messages_of(response) == "Pine Yard is planned."
    assert (pine.kind, pine.state, pine.parent) == ("building_committee", "planned", tree["north"])


def test_adding_a_unit_where_the_constitution_does_not_allow_it_is_refused(staff_client, org, tree):
    response = staff_client.post(
        url("unit_add", org),
        {"kind": "district", "name": "Sub-district", "parent": tree["north"].pk, "on": TODAY().isoformat()},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "parent": ["a district cannot stand under a district; its parent must be one of: federation"]
    }
    assert not Unit.objects.filter(name="Sub-district").exists()


def test_adding_under_an_unknown_parent_is_404(staff_client, org, tree):
    assert staff_client.get(url("unit_add", org), {"parent": "nowhere"}).status_code == 404


@pytest.mark.parametrize(
    ("unit", "step", "state", "message"),
    [
        ("north", "unit_prepare", "preparing", "North is now preparing."),
        ("elm", "unit_dormant", "dormant", "Elm House is now dormant."),
    ],
)
def test_a_lifecycle_step(staff_client, org, tree, unit, step, state, message):
    target = tree[unit]
    response = staff_client.post(url(step, org, target), {"on": TODAY().isoformat()}, follow=True)
    assert response.redirect_chain == [(url("unit", org, target), 302)]
    assert messages_of(response) == message
    target.refresh_from_db()
    assert target.state == state
    assert UnitEvent.objects.filter(unit=target, on=TODAY()).latest("id").state == state


def test_dissolving_an_empty_unit(staff_client, org, tree):
    spare = builders.unit(org, "building_committee", "Spare Room", tree["south"])
    response = staff_client.post(url("unit_dissolve", org, spare), {"on": TODAY().isoformat()}, follow=True)
    assert messages_of(response) == "Spare Room is now dissolved."
    assert 'id="steps"' not in response.content.decode()


def test_a_refused_step_shows_every_reason_and_changes_nothing(staff_client, org, tree):
    elm = tree["elm"]
    response = staff_client.post(url("unit_dissolve", org, elm), {"on": TODAY().isoformat()}, follow=True)
    assert messages_of(response) == (
        "cannot dissolve Elm House it has 3 current member(s); transfer them or end their memberships"
    )
    elm.refresh_from_db()
    assert elm.state == "founded"


def test_a_date_in_the_future_is_refused(staff_client, org, tree):
    tomorrow = TODAY() + dt.timedelta(days=1)
    response = staff_client.post(url("unit_prepare", org, tree["north"]), {"on": tomorrow.isoformat()}, follow=True)
    assert messages_of(response) == f"date {tomorrow} is in the future"
    tree["north"].refresh_from_db()
    assert tree["north"].state == "planned"


def test_renaming_keeps_the_slug(staff_client, org, tree):
    elm = tree["elm"]
    response = staff_client.post(
        url("unit_rename", org, elm), {"name": "Elm Court", "on": TODAY().isoformat()}, follow=True
    )
    assert messages_of(response) == "Renamed to Elm Court."
    elm.refresh_from_db()
    assert (elm.name, elm.slug) == ("Elm Court", "elm-house")


def test_moving_a_unit_under_another_parent(staff_client, org, tree):
    ash = tree["ash"]
    response = staff_client.post(
        url("unit_move", org, ash), {"parent": tree["north"].pk, "on": TODAY().isoformat()}, follow=True
    )
    assert messages_of(response) == "Ash Tower has moved."
    ash.refresh_from_db()
    assert ash.parent == tree["north"]
    assert ash.path.startswith(tree["north"].path)


def test_move_offers_no_unit_of_its_own_subtree_and_refuses_what_the_constitution_forbids(staff_client, org, tree):
    form = staff_client.get(url("unit", org, tree["north"])).context["move_form"]
    assert list(form.fields["parent"].queryset) == [tree["federation"], tree["south"]]

    response = staff_client.post(
        url("unit_move", org, tree["elm"]), {"parent": "", "on": TODAY().isoformat()}, follow=True
    )
    assert messages_of(response) == (
        "a building_committee cannot stand at the top of the tree; its parent must be one of: district, federation"
    )
    tree["elm"].refresh_from_db()
    assert tree["elm"].parent == tree["north"]


def test_a_large_unit_lists_its_members_fifty_a_page(staff_client, org, tree):
    builders.members(org, tree["elm"], 55)
    first = staff_client.get(url("unit", org, tree["elm"]))
    members = first.context["members"]
    assert len(members.rows) == 50
    assert f'href="?after={members.next_cursor}#members" rel="next"' in first.content.decode()
    second = staff_client.get(url("unit", org, tree["elm"]), {"after": members.next_cursor})
    assert len(second.context["members"].rows) == 3 + 55 - 50
    assert second.context["members"].next_cursor is None
    names = [m.person.name for m in members.rows + second.context["members"].rows]
    assert len(set(names)) == 58


# Session, user, device, account and grants, organization, unit, then the page's reads: events,
# posts, the founding facts (founding meeting, core or children, posts, counted members),
# members or children, candidates (and their subtree's size), the current and first parents for the move form.
UNIT_PAGE_QUERIES = 20


@pytest.mark.parametrize("unit, grow", [("elm", "members"), ("north", "children")])
def test_unit_page_queries_do_not_grow_with_the_unit(
    staff_client, org, tree, unit, grow, django_assert_max_num_queries
):
    def measure() -> int:
        with django_assert_max_num_queries(UNIT_PAGE_QUERIES) as captured:
            assert staff_client.get(url("unit", org, tree[unit])).status_code == 200
        return len(captured)

    before = measure()
    if grow == "members":
        builders.members(org, tree["elm"], 60)
    else:
        for number in range(8):
            builders.founded_basic_unit(org, f"Committee {number}", tree["north"], size=3)
    assert measure() == before


def test_the_move_form_finds_parents_by_name(staff_client, org, tree):
    page = staff_client.get(url("unit", org, tree["elm"])).content.decode()
    assert f'hx-get="/o/{org.slug}/u/elm-house/parents/"' in page
    options = staff_client.get(f"/o/{org.slug}/u/elm-house/parents/", {"q": "sou"}).content.decode()
    assert "South (District committee)" in options
    assert "North" not in options
