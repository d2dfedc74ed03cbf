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
from tests.support.sessions import sign_in

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
        "Kind Building committee State founded Part of North Slug elm-house Founded on 31 Jan 2024 "
        "Planned on 1 Jan 2024 Meetings Meetings of Elm House Directives Open assignments of Elm House "
        "Health Health of Elm House Education Completions awaiting review Counted members 3"
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
    assert (meeting.on, meeting.status) == (TODAY(), "held")
    assert meeting.minutes_versions.get().text == "We met in the laundry room."
    present = {row.person for row in meeting.attendance.filter(status="present")}
    assert present == {core[0], core[1], newcomer}
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


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_founded_unit_offers_no_founding_form_and_says_it_is_founded(staff_client, org, tree, method):
    response = getattr(staff_client, method)(url("unit_found", org, tree["elm"]), {"on": TODAY().isoformat()})
    assert response.status_code == 200
    assert text(response, "not-foundable") == "Elm House is already founded (on 31 Jan 2024); it is now founded."
    assert '<form method="post" class="stack">' not in response.content.decode()
    assert Meeting.objects.filter(unit=tree["elm"]).count() == 1


def test_add_unit_form_defaults_to_the_unit_she_came_from_and_offers_the_kinds_allowed_there(staff_client, org, tree):
    response = staff_client.get(url("unit_add", org), {"parent": "north"})
    form = response.context["form"]
    assert form["parent"].initial == tree["north"]
    assert form.fields["kind"].choices == [("building_committee", "Building committee")]
    assert list(form.fields["parent"].queryset) == [tree["federation"], tree["north"], tree["south"]]
    # From the tree page (no parent): every kind that fits somewhere, the top of the tree included.
    form = staff_client.get(url("unit_add", org)).context["form"]
    assert [key for key, _label in form.fields["kind"].choices] == ["building_committee", "district", "federation"]
    assert form.fields["parent"].empty_label == "— top of the tree —"


@pytest.fixture
def secretary_client(client, org, tree):
    """North's secretary, signed in: she manages North and the committees under it, nothing else."""
    return sign_in(client, builders.officer(org, tree["north"], "secretary", "sec@example.org", member_of=tree["elm"]))


def test_add_unit_offers_a_secretary_only_her_units_and_keeps_her_input_when_refused(secretary_client, org, tree):
    form = secretary_client.get(url("unit_add", org), {"parent": "north"}).context["form"]
    assert list(form.fields["parent"].queryset) == [tree["north"]]
    assert form.fields["parent"].required and form.fields["parent"].empty_label is None
    # A parent outside her scope, posted by hand: refused on the form, her input kept.
    response = secretary_client.post(
        url("unit_add", org),
        {"kind": "building_committee", "name": "Birch Row", "parent": tree["south"].pk, "on": TODAY().isoformat()},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in text(response)
    assert response.context["form"]["name"].value() == "Birch Row"
    assert not Unit.objects.filter(name="Birch Row").exists()


def test_a_refusal_out_of_scope_is_shown_on_the_add_form(secretary_client, org, tree, monkeypatch):
    from grassroots.organizations import selectors

    # Her grants change between showing the form and posting it: the action refuses, the form says why.
    monkeypatch.setattr(selectors, "possible_parents", lambda *args, **kwargs: Unit.objects.filter(slug="south"))
    response = secretary_client.post(
        url("unit_add", org),
        {"kind": "building_committee", "name": "Birch Row", "parent": tree["south"].pk, "on": TODAY().isoformat()},
    )
    assert response.status_code == 200
    assert text(response, "form-errors") == "You may not manage units in a unit outside your scope."
    assert response.context["form"]["name"].value() == "Birch Row"


def test_her_unit_page_names_the_units_above_her_scope_without_a_link(secretary_client, org, tree):
    response = secretary_client.get(url("unit", org, tree["north"]))
    assert "Part of Federation Slug north" in text(response, "facts")
    page = response.content.decode()
    assert url("unit", org, tree["federation"]) not in page
    assert url("unit", org, tree["north"]) in secretary_client.get(url("unit", org, tree["elm"])).content.decode()


def test_pages_out_of_scope_are_the_sites_own_404_and_403(secretary_client, client, org, tree):
    missing = secretary_client.get(url("unit", org, tree["federation"]))
    assert missing.status_code == 404
    assert text(missing, "main") == (
        "Not found There is no such page, or it lies outside what you may see. Back to the start"
    )
    assert "grassroots/app.css" in missing.content.decode()  # the site's own page, styled
    api = secretary_client.get(f"/api/orgs/{org.slug}/units/federation")
    assert api["Content-Type"].startswith("application/json")

    (member,) = builders.members(org, tree["oak"], 1)
    sign_in(client, builders.account(org, "member@example.org", person=member))
    refused = client.get(reverse("audit", kwargs={"org": org.slug}))
    assert refused.status_code == 403
    assert text(refused, "main") == (f"Not allowed You may not read the audit trail in {org.name}. Back to the start")
    assert "grassroots/app.css" in refused.content.decode()


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
        "parent": ["a district committee cannot stand under a district committee; it stands under a federation"]
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
    response = staff_client.post(url(step, org, target), {"on": TODAY().isoformat(), "confirmed": "yes"}, follow=True)
    assert response.redirect_chain == [(url("unit", org, target), 302)]
    assert messages_of(response) == message
    target.refresh_from_db()
    assert target.state == state
    assert UnitEvent.objects.filter(unit=target, on=TODAY()).latest("id").state == state


def test_dissolving_an_empty_unit(staff_client, org, tree):
    spare = builders.unit(org, "building_committee", "Spare Room", tree["south"])
    response = staff_client.post(
        url("unit_dissolve", org, spare), {"on": TODAY().isoformat(), "confirmed": "yes"}, follow=True
    )
    assert messages_of(response) == "Spare Room is now dissolved."
    assert 'id="steps"' not in response.content.decode()


@pytest.mark.parametrize("step", ["unit_dormant", "unit_dissolve"])
def test_making_dormant_and_dissolving_ask_for_confirmation_first(staff_client, org, tree, step):
    elm = tree["elm"]
    asked = staff_client.post(url(step, org, elm), {"on": TODAY().isoformat()})
    assert asked.status_code == 200
    assert text(asked, "confirm").startswith(("Make Elm House dormant?", "Dissolve Elm House?"))
    assert 'name="confirmed" value="yes"' in asked.content.decode()
    assert f'name="on" value="{TODAY().isoformat()}"' in asked.content.decode()
    elm.refresh_from_db()
    assert elm.state == "founded"


def test_a_unit_page_offers_adding_a_member_there(staff_client, org, tree):
    page = staff_client.get(url("unit", org, tree["elm"])).content.decode()
    add = reverse("person_add", kwargs={"org": org.slug})
    assert f'href="{add}?unit={tree["elm"].pk}"' in page
    form = staff_client.get(add, {"unit": tree["elm"].pk}).context["form"]
    assert form["unit"].value() == str(tree["elm"].pk)
    assert "Add a member here" not in staff_client.get(url("unit", org, tree["north"])).content.decode()


def test_a_refused_step_shows_every_reason_and_changes_nothing(staff_client, org, tree):
    elm = tree["elm"]
    response = staff_client.post(
        url("unit_dissolve", org, elm), {"on": TODAY().isoformat(), "confirmed": "yes"}, follow=True
    )
    assert messages_of(response) == (
        "cannot dissolve Elm House it has 3 current member(s); transfer them or end their memberships"
    )
    elm.refresh_from_db()
    assert elm.state == "founded"


def test_a_date_in_the_future_is_refused(staff_client, org, tree):
    tomorrow = TODAY() + dt.timedelta(days=1)
    response = staff_client.post(url("unit_prepare", org, tree["north"]), {"on": tomorrow.isoformat()}, follow=True)
    assert messages_of(response) == f"on: {tomorrow} is in the future"
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
        "a building committee cannot stand at the top of the tree; it stands under a district committee or a federation"
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
# members or children, candidates (the subtree's size comes from the founding facts, not counted
# again), the current and first parents for the move form; for a body whose kind asks for
# consolidated children, their health snapshots of the day (one query) and the health of those
# without one (a fixed number of queries, see `health_of_units`).
UNIT_PAGE_QUERIES = 23


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
