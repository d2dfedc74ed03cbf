"""People and memberships through the actions; the one-current-membership constraint."""

import datetime as dt
import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction

from grassroots.audit.models import AuditRecord
from grassroots.errors import ActionRefused
from grassroots.people import actions
from grassroots.people.models import Membership, Person, StatusChange
from tests.support import builders

DAY = dt.date(2024, 4, 1)


def test_a_person_needs_only_a_name_and_a_valid_email_if_any(org):
    person = actions.add_person(organization=org, name="  Rosa  ", by="t")
    assert (person.name, person.email, person.recruiter) == ("Rosa", "", None)
    with pytest.raises(ActionRefused, match="name: a person needs a name"):
        actions.add_person(organization=org, name=" ", by="t")
    with pytest.raises(ActionRefused, match="email: 'not-an-email' is not a valid email address"):
        actions.add_person(organization=org, name="Bad", email="not-an-email", by="t")
    assert list(Person.objects.filter(organization=org).values_list("name", flat=True)) == ["Rosa"]


def test_the_recruiter_is_recorded_and_must_be_of_the_same_organization(org):
    recruiter = builders.person(org, "Recruiter")
    recruit = builders.person(org, "Recruit", recruiter=recruiter)
    assert list(recruiter.recruits.all()) == [recruit]
    stranger = builders.person(builders.organization(), "Stranger")
    with pytest.raises(ActionRefused, match="recruiter: belongs to another organization"):
        builders.person(org, "X", recruiter=stranger)


def test_join_starts_with_the_initial_status_and_only_in_open_basic_units(org, tree):
    person = builders.person(org)
    membership = actions.join_unit(person=person, unit=tree["ash"], by="t", on=DAY)
    assert (membership.status, membership.start, membership.end) == ("supporter", DAY, None)
    newcomer = builders.person(org)
    with pytest.raises(ActionRefused, match="North is a district committee; people are members of basic units"):
        actions.join_unit(person=newcomer, unit=tree["north"], by="t")
    planned = builders.unit(org, "building_committee", "Planned", tree["south"])
    with pytest.raises(ActionRefused, match="Planned is planned; people join units that are preparing or founded"):
        actions.join_unit(person=newcomer, unit=planned, by="t")
    with pytest.raises(ActionRefused, match="status: 'boss' is not a status"):
        actions.join_unit(person=newcomer, unit=tree["ash"], by="t", status="boss")
    assert not Membership.objects.filter(person=newcomer).exists()


def test_a_second_join_is_refused_and_points_to_transfer(org, tree):
    person = builders.person(org)
    actions.join_unit(person=person, unit=tree["ash"], by="t", on=DAY)
    with pytest.raises(ActionRefused, match="already a member of Ash Tower; transfer them instead"):
        actions.join_unit(person=person, unit=tree["elm"], by="t", on=DAY)


def test_transfer_ends_one_membership_and_starts_the_next_the_same_day(org, tree):
    person = builders.person(org)
    actions.join_unit(person=person, unit=tree["ash"], by="t", on=DAY, status="candidate")
    moved_on = dt.date(2024, 9, 1)
    new = actions.transfer_member(person=person, to_unit=tree["elm"], by="t", on=moved_on)
    history = list(Membership.objects.filter(person=person).order_by("start").values_list("unit__slug", "start", "end"))
    assert history == [("ash-tower", DAY, moved_on), ("elm-house", moved_on, None)]
    assert new.status == "candidate"
    record = AuditRecord.objects.get(action="membership.transfer")
    assert record.changes == {"unit": ["ash-tower", "elm-house"], "on": [None, "2024-09-01"]}
    with pytest.raises(ActionRefused, match="already a member of Elm House"):
        actions.transfer_member(person=person, to_unit=tree["elm"], by="t")
    with pytest.raises(ActionRefused, match="before the current membership began"):
        actions.transfer_member(person=person, to_unit=tree["ash"], by="t", on=DAY)


def test_status_changes_follow_the_constitution_and_are_dated(org, tree):
    person = builders.person(org)
    actions.join_unit(person=person, unit=tree["ash"], by="t", on=DAY)
    with pytest.raises(ActionRefused, match=r"cannot go from supporter to lapsed \(allowed from supporter: candidate"):
        actions.change_status(person=person, status="lapsed", by="t")
    with pytest.raises(ActionRefused, match=r"status: 'veteran' is not a status of this organization \(supporter, "):
        actions.change_status(person=person, status="veteran", by="t")
    actions.change_status(person=person, status="candidate", by="t", on=dt.date(2024, 5, 1))
    actions.change_status(person=person, status="member", by="t", on=dt.date(2024, 7, 1))
    changes = StatusChange.objects.filter(membership__person=person)
    assert list(changes.values_list("on", "old", "new")) == [
        (dt.date(2024, 5, 1), "supporter", "candidate"),
        (dt.date(2024, 7, 1), "candidate", "member"),
    ]
    with pytest.raises(ActionRefused, match="before the last status change"):
        actions.change_status(person=person, status="lapsed", by="t", on=dt.date(2024, 6, 1))


def test_ending_a_membership_with_a_final_status(org, tree):
    person = builders.person(org)
    actions.join_unit(person=person, unit=tree["ash"], by="t", on=DAY)
    ended = actions.end_membership(person=person, by="t", on=dt.date(2024, 8, 1), status="resigned")
    assert (ended.status, ended.end) == ("resigned", dt.date(2024, 8, 1))
    with pytest.raises(ActionRefused, match="has no current membership"):
        actions.end_membership(person=person, by="t")
    again = actions.join_unit(person=person, unit=tree["elm"], by="t")
    assert again.end is None


def test_the_database_refuses_a_second_current_membership(org, tree):
    person = builders.person(org)
    Membership.objects.create(person=person, unit=tree["ash"], status="member", start=DAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(person=person, unit=tree["elm"], status="member", start=DAY)
    Membership.objects.create(person=person, unit=tree["elm"], status="member", start=DAY, end=DAY)
    assert Membership.objects.filter(person=person).count() == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_joins_give_exactly_one_current_membership():
    org = builders.organization()
    tree = builders.federation(org)
    person = builders.person(org)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def join(unit):
        try:
            barrier.wait(timeout=10)
            actions.join_unit(person=person, unit=unit, by="t")
            outcomes.append("joined")
        except ActionRefused as refused:
            outcomes.append(f"refused: {refused}")
        except Exception as error:  # anything else fails the test below, never silently
            outcomes.append(f"error: {error!r}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=join, args=(tree[name],)) for name in ("ash", "elm")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(outcomes) == 2, outcomes
    assert outcomes.count("joined") == 1, outcomes
    (refusal,) = [outcome for outcome in outcomes if outcome != "joined"]
    assert refusal.startswith("refused: ") and "already" in refusal, outcomes
    assert Membership.objects.filter(person=person, end__isnull=True).count() == 1
