"""The people list and search, adding a person, and a person's page with its membership forms."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grassroots.people import actions
from grassroots.people.models import Membership, Person, StatusChange
from tests.support import builders
from tests.support.html import text
from tests.support.sessions import sign_in

TODAY = timezone.localdate


def url(name: str, org, person: Person | None = None) -> str:
    kwargs = {"org": org.slug} if person is None else {"org": org.slug, "pk": person.pk}
    return reverse(name, kwargs=kwargs)


@pytest.fixture
def rosa(org, tree):
    rosa = builders.person(org, "Rosa Lindqvist", email="rosa@example.org", phone="+44 20 7946 0000")
    actions.join_unit(person=rosa, unit=tree["elm"], by="test", on=builders.START, status="member")
    return rosa


def test_people_list_shows_name_email_unit_and_status(staff_client, org, rosa):
    builders.person(org, "Lone Walker")
    results = text(staff_client.get(url("people", org)), "people-results")
    assert results.startswith("8 people")
    assert "Rosa Lindqvist Elm House member rosa@example.org" in results
    assert "Lone Walker — no membership —" in results


def test_people_list_filters_by_the_status_a_last_membership_ended_with(staff_client, org, tree):
    former = builders.former_members(org, tree)
    resigned = staff_client.get(url("people", org), {"status": "resigned"})
    assert [person for person, *_row in resigned.context["rows"]] == [former["rosa"]]
    assert (
        text(resigned, "people-results")
        == "1 person Name Unit Status Email Phone Rosa Former Elm House resigned (ended 2024-06-30) — —"
    )
    lapsed_south = staff_client.get(url("people", org), {"status": "lapsed", "unit": tree["south"].pk})
    assert "Kofi Former Ash Tower lapsed (ended 2024-09-30)" in text(lapsed_south, "people-results")
    assert [person for person, *_row in lapsed_south.context["rows"]] == [former["kofi"]]
    lapsed_north = staff_client.get(url("people", org), {"status": "lapsed", "unit": tree["north"].pk})
    assert lapsed_north.context["rows"] == []
    candidates = staff_client.get(url("people", org), {"status": "candidate", "q": "former"})
    assert "Ada Former Elm House candidate —" in text(candidates, "people-results")


def test_people_list_searches_names_and_emails(staff_client, org, rosa):
    by_name = staff_client.get(url("people", org), {"q": "lindq"})
    assert [person for person, *_row in by_name.context["rows"]] == [rosa]
    assert text(by_name, "people-results").startswith("1 person matching “lindq”")
    by_email = staff_client.get(url("people", org), {"q": "ROSA@example"})
    assert [person for person, *_row in by_email.context["rows"]] == [rosa]


def test_typing_in_the_search_box_swaps_in_the_results_alone(staff_client, org, rosa):
    response = staff_client.get(url("people", org), {"q": "rosa"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body
    assert "Rosa Lindqvist" in body
    assert "HX-Request" in response["Vary"]


def test_people_list_has_fifty_a_page(staff_client, org):
    for number in range(60):
        builders.person(org, f"Member {number:02d}")
    first = staff_client.get(url("people", org))
    assert len(first.context["rows"]) == 50
    assert text(first, "people-results").startswith("The first 50 people by name")
    # The next page follows the last row shown (a keyset cursor), whatever was added before it.
    cursor = first.context["page"].next_cursor
    assert f'after={cursor}" rel="next"' in first.content.decode()
    builders.person(org, "Member 00a")
    second = staff_client.get(url("people", org), {"after": cursor})
    assert [person.name for person, *_row in second.context["rows"]] == [f"Member {n}" for n in range(50, 60)]
    assert text(second, "people-results").startswith("Next 10 people by name: the last page")
    # A page link whose cursor is not one of the list's opens the first page and says so.
    broken = staff_client.get(url("people", org), {"after": "garbage"})
    assert broken.status_code == 200
    assert len(broken.context["rows"]) == 50
    assert "That page link is not one of this list's pages" in html.unescape(broken.content.decode())


# Session, user, its second-factor device, the user's account (two-factor policy, then grants),
# organization, the page of people (no count: pages follow a cursor), their current memberships,
# and the first units the filter offers.
PEOPLE_LIST_QUERIES = 9


@pytest.mark.parametrize("size", [2, 40])
def test_people_list_queries_do_not_grow_with_the_page(staff_client, org, tree, size, django_assert_max_num_queries):
    builders.members(org, tree["ash"], size)
    with django_assert_max_num_queries(PEOPLE_LIST_QUERIES):
        response = staff_client.get(url("people", org))
    assert len(response.context["rows"]) == 6 + size


@pytest.mark.parametrize("size", [1, 12])
def test_people_list_by_status_queries_do_not_grow(staff_client, org, tree, size, django_assert_max_num_queries):
    for _ in range(size):
        builders.former_members(org, tree)
    with django_assert_max_num_queries(PEOPLE_LIST_QUERIES):
        response = staff_client.get(url("people", org), {"status": "resigned"})
    assert len(response.context["rows"]) == size


def test_adding_a_person_who_joins_a_unit(staff_client, org, tree, rosa):
    response = staff_client.post(
        url("person_add", org),
        {
            "name": "Kofi Mensah",
            "email": "Kofi@Example.org",
            "phone": "07700 900123",
            "address": "Flat 4, Ash Tower",
            "recruiter": rosa.pk,
            "unit": tree["ash"].pk,
            "status": "candidate",
            "on": TODAY().isoformat(),
        },
        follow=True,
    )
    kofi = Person.objects.get(organization=org, name="Kofi Mensah")
    assert response.redirect_chain == [(url("person", org, kofi), 302)]
    assert text(response, "messages") == "Kofi Mensah is recorded."
    assert (kofi.email, kofi.phone, kofi.address, kofi.recruiter) == (
        "kofi@example.org",
        "+447700900123",
        "Flat 4, Ash Tower",
        rosa,
    )
    membership = Membership.objects.current().get(person=kofi)
    assert (membership.unit, membership.status, membership.start) == (tree["ash"], "candidate", TODAY())


def test_a_refused_join_leaves_no_person_behind(staff_client, org, tree):
    tomorrow = TODAY() + dt.timedelta(days=1)
    response = staff_client.post(
        url("person_add", org),
        {"name": "Kofi Mensah", "unit": tree["ash"].pk, "status": "member", "on": tomorrow.isoformat()},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"on": [f"on: {tomorrow} is in the future"]}
    assert not Person.objects.filter(name="Kofi Mensah").exists()


def test_add_person_lists_the_first_choices_and_the_chosen_recruiter(staff_client, org):
    people = [builders.person(org, f"Member {number:02d}") for number in range(60)]
    response = staff_client.get(url("person_add", org), {"recruiter": people[-1].pk})
    options = list(response.context["form"]["recruiter"].subwidgets)
    assert len(options) == 1 + 1 + 50  # the blank, the chosen recruiter, the first fifty others
    assert [option.data["label"] for option in options if option.data["selected"]] == ["Member 59"]


def test_person_page_shows_contact_recruiter_and_membership_history(staff_client, org, tree, rosa):
    recruit = builders.person(org, "Kofi Mensah", recruiter=rosa, address="Flat 4\nAsh Tower")
    actions.join_unit(person=recruit, unit=tree["ash"], by="test", on=builders.START)
    actions.transfer_member(person=recruit, to_unit=tree["elm"], by="test", on=dt.date(2024, 3, 1))
    response = staff_client.get(url("person", org, recruit))
    assert text(response, "facts") == (
        "Email — Phone — Address Flat 4 Ash Tower Recruited by Rosa Lindqvist "
        "Membership Supporter of Elm House since 1 Mar 2024"
    )
    assert text(response, "history") == (
        "Membership history Unit Status From To Status history "
        "Elm House supporter 1 Mar 2024 now — Ash Tower supporter 1 Jan 2024 1 Mar 2024 —"
    )
    status_form = response.context["status_form"]
    assert status_form.fields["status"].choices == [
        ("", "— choose —"),
        ("candidate", "Candidate"),
        ("member", "Member"),
        ("resigned", "Resigned"),
    ]


def test_transfer_moves_the_membership(staff_client, org, tree, rosa):
    response = staff_client.post(
        url("person_transfer", org, rosa), {"to_unit": tree["oak"].pk, "on": TODAY().isoformat()}, follow=True
    )
    assert text(response, "messages") == "Rosa Lindqvist is transferred."
    old, new = Membership.objects.filter(person=rosa).order_by("start", "id")
    assert (old.unit, old.end) == (tree["elm"], TODAY())
    assert (new.unit, new.status, new.start, new.end) == (tree["oak"], "member", TODAY(), None)


def test_a_refused_transfer_changes_nothing(staff_client, org, tree, rosa):
    response = staff_client.post(
        url("person_transfer", org, rosa), {"to_unit": tree["elm"].pk, "on": TODAY().isoformat()}, follow=True
    )
    assert text(response, "messages") == "Rosa Lindqvist is already a member of Elm House"
    assert Membership.objects.current().get(person=rosa).unit == tree["elm"]


def test_changing_status_along_the_constitution(staff_client, org, rosa):
    response = staff_client.post(
        url("person_status", org, rosa), {"status": "lapsed", "on": TODAY().isoformat()}, follow=True
    )
    assert text(response, "messages") == "Rosa Lindqvist's status is changed."
    assert Membership.objects.current().get(person=rosa).status == "lapsed"
    assert StatusChange.objects.get(membership__person=rosa).new == "lapsed"


def test_a_status_change_the_constitution_does_not_allow_is_refused(staff_client, org, rosa):
    response = staff_client.post(
        url("person_status", org, rosa), {"status": "candidate", "on": TODAY().isoformat()}, follow=True
    )
    assert (
        text(response, "messages")
        == "status: cannot go from member to candidate (allowed from member: lapsed, resigned)"
    )
    assert Membership.objects.current().get(person=rosa).status == "member"


def test_ending_a_membership_with_a_final_status(staff_client, org, rosa):
    response = staff_client.post(
        url("person_end", org, rosa), {"status": "resigned", "on": TODAY().isoformat(), "confirmed": "yes"}, follow=True
    )
    assert text(response, "messages") == "Rosa Lindqvist's membership has ended."
    membership = Membership.objects.get(person=rosa)
    assert (membership.status, membership.end) == ("resigned", TODAY())
    assert "join_form" in response.context


def test_joining_a_unit_from_the_person_page(staff_client, org, tree):
    walker = builders.person(org, "Lone Walker")
    response = staff_client.post(
        url("person_join", org, walker),
        {"unit": tree["ash"].pk, "status": "supporter", "on": TODAY().isoformat()},
        follow=True,
    )
    assert text(response, "messages") == "Lone Walker has joined."
    membership = Membership.objects.current().get(person=walker)
    assert (membership.unit, membership.status) == (tree["ash"], "supporter")


def test_joining_offers_only_units_open_to_members(staff_client, org, tree):
    planned = builders.unit(org, "building_committee", "Birch Planned", tree["south"])
    walker = builders.person(org, "Lone Walker")
    form = staff_client.get(url("person", org, walker)).context["join_form"]
    assert list(form.fields["unit"].queryset) == [tree["ash"], tree["elm"], tree["oak"]]
    response = staff_client.post(
        url("person_join", org, walker), {"unit": planned.pk, "on": TODAY().isoformat()}, follow=True
    )
    assert text(response, "messages").startswith("Join: Select a valid choice.")
    assert not Membership.objects.filter(person=walker).exists()


def test_searching_people_for_a_select(staff_client, org, rosa):
    response = staff_client.get(url("person_options", org), {"q": "rosa"})
    assert [line.strip() for line in response.content.decode().splitlines() if line.strip()] == [
        '<option value="">—</option>',
        f'<option value="{rosa.pk}" selected>Rosa Lindqvist &lt;rosa@example.org&gt;</option>',
    ]


def test_searching_units_for_a_select_finds_only_open_basic_units(staff_client, org, tree):
    builders.unit(org, "building_committee", "Ash Annex", tree["south"])  # planned: not open
    response = staff_client.get(url("unit_options", org), {"q": "ash"})
    assert text(response) == "— Ash Tower, South"
    assert staff_client.get(url("unit_options", org), {"q": "nowhere"}).content.decode().strip() == (
        '<option value="">No match</option>'
    )


def test_people_list_filters_by_unit_subtree_status_and_accent_free_text(staff_client, org, tree, rosa):
    builders.person(org, "José Álvarez", unit=tree["ash"], status="candidate", on=builders.START)
    response = staff_client.get(url("people", org), {"q": "JOSE"})
    assert [person.name for person, *_row in response.context["rows"]] == ["José Álvarez"]
    in_north = staff_client.get(url("people", org), {"unit": tree["north"].pk, "status": "member"})
    assert rosa in [person for person, *_row in in_north.context["rows"]]
    assert "José Álvarez" not in [person.name for person, *_row in in_north.context["rows"]]
    assert "Rosa Lindqvist Elm House member rosa@example.org +442079460000" in text(in_north, "people-results")


def test_the_edit_and_add_pages_show_every_wrong_field_at_once(staff_client, org, rosa):
    """The form's own checks (an email) and the action's (a phone) together, on one submit."""
    typed = {"name": "Rosa Lindqvist", "email": "rosa@@example", "phone": "abc", "address": ""}
    for page in (url("person_edit", org, rosa), url("person_add", org)):
        refused = staff_client.post(page, {**typed, "status": "member", "on": "2026-01-05"})
        errors = refused.context["form"].errors
        assert (refused.status_code, sorted(errors)) == (200, ["email", "phone"]), page
        assert errors["phone"] == ["phone: 'abc' is not a phone number for GB"], page
    blank = staff_client.post(url("person_edit", org, rosa), {**typed, "name": " ", "email": ""})
    assert blank.context["form"].errors == {
        "name": ["This field is required."],
        "phone": ["phone: 'abc' is not a phone number for GB"],
    }
    rosa.refresh_from_db()
    assert (rosa.email, rosa.phone) == ("rosa@example.org", "+442079460000")


def test_a_wrong_filter_is_shown_and_the_others_kept_and_a_unit_may_be_named_by_slug(staff_client, org, tree, rosa):
    builders.person(org, "José Álvarez", unit=tree["ash"], status="candidate", on=builders.START)
    response = staff_client.get(url("people", org), {"unit": tree["north"].pk, "status": "nonsense"})
    statuses = ", ".join(org.constitution.statuses)
    assert text(response, "people-filter-errors") == f"status: 'nonsense' is not one of {statuses}"
    # The valid unit filter still applies: North's Rosa (and its committees' members), not South's José.
    names = [person.name for person, *_row in response.context["rows"]]
    assert "Rosa Lindqvist" in names and "José Álvarez" not in names
    assert {membership.unit.parent for _person, _link, membership, _unit in response.context["rows"]} == {tree["north"]}
    by_slug = staff_client.get(url("people", org), {"unit": "south"})
    assert [person.name for person, *_row in by_slug.context["rows"]] == ["José Álvarez"]
    assert by_slug.context["filters"]["unit"].value() == str(tree["south"].pk)
    unknown = staff_client.get(url("people", org), {"unit": "nowhere", "status": "candidate"})
    assert text(unknown, "people-filter-errors") == "unit: no unit 'nowhere' that you can see"
    assert [person.name for person, *_row in unknown.context["rows"]] == ["José Álvarez"]


def test_correcting_a_person_on_the_edit_page(staff_client, org, rosa):
    page = staff_client.get(url("person_edit", org, rosa))
    assert page.context["form"]["name"].value() == "Rosa Lindqvist"
    refused = staff_client.post(url("person_edit", org, rosa), {"name": "Rosa Lindqvist", "phone": "abc"})
    assert refused.context["form"].errors["phone"] == ["phone: 'abc' is not a phone number for GB"]
    response = staff_client.post(
        url("person_edit", org, rosa),
        {"name": "Rosa  Lindqvist-Berg", "email": "rosa@example.org", "phone": "07911 123458", "address": ""},
        follow=True,
    )
    assert text(response, "messages") == "Rosa Lindqvist-Berg's record is corrected."
    rosa.refresh_from_db()
    assert (rosa.name, rosa.phone) == ("Rosa Lindqvist-Berg", "+447911123458")


def test_adding_a_duplicate_asks_for_the_checkbox(staff_client, org, rosa):
    data = {"name": "rosa lindqvist", "email": "ROSA@example.org", "status": "supporter", "on": TODAY().isoformat()}
    refused = staff_client.post(url("person_add", org), data)
    assert refused.context["form"].errors["allow_duplicate"] == [
        f"person {rosa.pk} (Rosa Lindqvist) has the same name and email; "
        "confirm that this is another person to record them anyway"
    ]
    staff_client.post(url("person_add", org), {**data, "allow_duplicate": "on"})
    assert Person.objects.filter(organization=org, email="rosa@example.org").count() == 2


def test_duplicates_page_then_merge_after_seeing_both(staff_client, org, rosa):
    other = builders.person(org, "Rosa Lindqvist", phone="07911 123458", allow_duplicate=True)
    listed = staff_client.get(url("person_duplicates", org))
    assert f"Rosa Lindqvist ({rosa.pk}) Rosa Lindqvist ({other.pk}) same name" in text(listed, "duplicates")
    merge = reverse("person_merge", kwargs={"org": org.slug, "pk": rosa.pk})
    unchosen = staff_client.get(merge, follow=True)  # no other record yet: a hint, not an error
    assert text(unchosen, "messages") == "Choose the record to merge into Rosa Lindqvist from the possible duplicates."
    shown = staff_client.get(merge, {"other": other.pk})
    assert "Phone +442079460000 +447911123458" in text(shown, "merge")
    assert Person.objects.filter(pk=other.pk).exists()
    done = staff_client.post(merge, {"other": other.pk}, follow=True)
    assert text(done, "messages") == (
        f"Person {other.pk} is merged into Rosa Lindqvist. "
        f"Not kept from person {other.pk}: phone +447911123458 (in the audit record)."
    )
    assert not Person.objects.filter(pk=other.pk).exists()
    rosa.refresh_from_db()
    assert rosa.phone == "+442079460000"  # the kept record's own, filled from the other only when empty


def test_merge_page_shows_an_overlap_and_answers_404_for_another_out_of_scope(staff_client, org, tree, rosa):
    """Rosa in Elm House since 2024-01-01; her other record in Oak Court from 2024-02-01 to 2024-03-01."""
    other = builders.person(org, "Rosa Lindqvist", unit=tree["oak"], on=dt.date(2024, 2, 1), allow_duplicate=True)
    actions.end_membership(person=other, by="test", on=dt.date(2024, 3, 1))
    merge = reverse("person_merge", kwargs={"org": org.slug, "pk": rosa.pk})
    refused = staff_client.post(merge, {"other": other.pk})
    assert text(refused, "messages").startswith(
        f"the memberships overlap: person {rosa.pk} in Elm House since 2024-01-01 and person {other.pk} in "
        "Oak Court from 2024-02-01 to 2024-03-01; a person is a member of one basic unit at a time"
    )
    assert Person.objects.filter(pk=other.pk).exists()
    stranger = builders.person(builders.organization(), "Rosa Lindqvist")
    assert staff_client.post(merge, {"other": stranger.pk}).status_code == 404
    assert staff_client.get(merge, {"other": stranger.pk}).status_code == 404
    # An officer of Elm House sees Rosa but not someone of Ash Tower.
    ash = builders.person(org, "Rosa Lindqvist", unit=tree["ash"], on=builders.START, allow_duplicate=True)
    steward = builders.officer(org, tree["elm"], "secretary", "sec@example.org")
    assert sign_in(Client(), steward).post(merge, {"other": ash.pk}).status_code == 404
    assert Person.objects.filter(pk=ash.pk).exists()


def test_ending_a_membership_asks_for_confirmation_first(staff_client, org, rosa):
    asked = staff_client.post(url("person_end", org, rosa), {"status": "resigned", "on": TODAY().isoformat()})
    assert text(asked, "confirm").startswith("End Rosa Lindqvist's membership?")
    assert Membership.objects.current().filter(person=rosa).exists()


def test_the_person_page_shows_the_status_history(staff_client, org, rosa):
    actions.change_status(person=rosa, status="lapsed", by="test", on=builders.START + dt.timedelta(days=10))
    response = staff_client.get(url("person", org, rosa))
    assert "11 Jan 2024: member → lapsed" in text(response, "history")


def test_add_buttons_are_offered_to_whoever_may_add_somewhere_and_to_no_one_else(client, staff_client, org, tree):
    """A member is not offered forms that would only refuse her; a district's secretary is offered
    both (each addition is then checked against its own unit)."""
    member = builders.account(org, "member@example.org", person=builders.members(org, tree["elm"], 1)[0])
    secretary = builders.officer(org, tree["north"], "secretary", "s@example.org", member_of=tree["elm"])
    people, tree_page = reverse("people", kwargs={"org": org.slug}), reverse("organization", kwargs={"org": org.slug})
    for user, offered in ((member, False), (secretary, True)):
        signed_in = sign_in(Client(), user)
        assert ("Add a person" in signed_in.get(people).content.decode()) is offered
        page = signed_in.get(tree_page).content.decode()
        assert ("Add a person" in page, "Add a unit" in page) == (offered, offered)
    page = staff_client.get(tree_page).content.decode()
    assert "Add a person" in page and "Add a unit" in page
