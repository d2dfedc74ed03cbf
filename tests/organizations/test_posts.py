"""Officer posts: appointing for a term, ending a term, and who may."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from grassroots.access import OutOfScope
from grassroots.audit.models import AuditRecord
from grassroots.errors import ActionRefused
from grassroots.organizations import actions
from grassroots.organizations.models import OfficerPost
from grassroots.organizations.selectors import current_posts, post_candidates, posts_of_unit
from tests.support import builders

START = builders.START
APPOINTED = START + dt.timedelta(days=40)


@pytest.fixture
def elm(tree):
    return tree["elm"]


@pytest.fixture
def member(org, elm):
    (person,) = builders.members(org, elm, 1)
    return person


def test_a_post_may_be_assigned_until_a_later_day(org, elm, member):
    until = timezone.localdate() + dt.timedelta(days=30)
    holding = actions.assign_post(unit=elm, person=member, post="organizer", by="test", on=APPOINTED, until=until)
    assert (holding.start, holding.end) == (APPOINTED, until)
    assert holding in current_posts(elm)  # it runs until then
    record = AuditRecord.objects.get(action="post.assign", target_id=str(holding.pk))
    assert record.unit == elm
    assert record.changes == {"holder": [None, member.name], "on": [None, "2024-02-10"], "until": [None, str(until)]}


def test_the_end_of_a_term_comes_after_its_start(elm, member):
    for until in (APPOINTED, APPOINTED - dt.timedelta(days=1)):
        with pytest.raises(ActionRefused) as refusal:
            actions.assign_post(unit=elm, person=member, post="organizer", by="test", on=APPOINTED, until=until)
        assert refusal.value.field == "until"
    assert not OfficerPost.objects.filter(post="organizer").exists()


def test_a_new_holder_ends_the_term_of_one_appointed_until_later(org, elm, member):
    later = timezone.localdate() + dt.timedelta(days=30)
    first = actions.assign_post(unit=elm, person=member, post="organizer", by="test", on=APPOINTED, until=later)
    (second_person,) = builders.members(org, elm, 1)
    on = APPOINTED + dt.timedelta(days=10)
    second = actions.assign_post(unit=elm, person=second_person, post="organizer", by="test", on=on)
    first.refresh_from_db()
    assert (first.end, second.start, second.end) == (on, on, None)
    assert list(current_posts(elm).filter(post="organizer")) == [second]


def test_end_a_post(elm):
    holding = elm.posts.get(post="secretary")
    on = APPOINTED
    ended = actions.end_post(holding=holding, by="test", on=on)
    assert ended.end == on
    assert not current_posts(elm).filter(post="secretary").exists()
    record = AuditRecord.objects.get(action="post.end")
    assert (record.unit, record.target_id, record.changes) == (elm, str(holding.pk), {"end": [None, "2024-02-10"]})
    current, past = posts_of_unit("test", elm)
    assert (current, past) == ([], [holding])


def test_a_term_ends_once_not_before_it_began_nor_in_the_future(elm):
    holding = elm.posts.get(post="secretary")
    with pytest.raises(ActionRefused, match="before"):
        actions.end_post(holding=holding, by="test", on=holding.start - dt.timedelta(days=1))
    with pytest.raises(ActionRefused, match="future"):
        actions.end_post(holding=holding, by="test", on=timezone.localdate() + dt.timedelta(days=1))
    actions.end_post(holding=holding, by="test", on=APPOINTED)
    with pytest.raises(ActionRefused, match="already ended on 2024-02-10"):
        actions.end_post(holding=holding, by="test")
    assert AuditRecord.objects.filter(action="post.end").count() == 1


def test_a_term_set_to_end_later_may_end_sooner(elm, member):
    later = timezone.localdate() + dt.timedelta(days=30)
    holding = actions.assign_post(unit=elm, person=member, post="organizer", by="test", on=APPOINTED, until=later)
    actions.end_post(holding=holding, by="test")
    holding.refresh_from_db()
    assert holding.end == timezone.localdate()


def test_only_who_manages_the_unit_ends_or_assigns_its_posts(org, tree, elm, member):
    organizer = builders.officer(org, tree["north"], "organizer", "organizer@example.org", member_of=elm)
    holding = elm.posts.get(post="secretary")
    with pytest.raises(OutOfScope):
        actions.end_post(holding=holding, by=organizer)
    with pytest.raises(OutOfScope):
        actions.assign_post(unit=elm, person=member, post="treasurer", by=organizer)
    secretary = builders.officer(org, tree["north"], "secretary", "secretary@example.org", member_of=elm)
    actions.end_post(holding=holding, by=secretary)
    holding.refresh_from_db()
    assert holding.end == timezone.localdate()
    assert not OfficerPost.objects.filter(post="treasurer").exists()


def test_candidates_are_the_current_members_within_the_unit(org, tree):
    north_members = set(tree["elm"].memberships.values_list("person_id", flat=True)) | set(
        tree["oak"].memberships.values_list("person_id", flat=True)
    )
    builders.person(org, "No Unit")
    assert set(post_candidates("test", tree["north"]).values_list("pk", flat=True)) == north_members
    assert set(post_candidates("test", tree["elm"]).values_list("pk", flat=True)) == set(
        tree["elm"].memberships.values_list("person_id", flat=True)
    )
    zelda = builders.person(org, "Zelda Quist", email="zq@example.org", unit=tree["oak"])
    assert list(post_candidates("test", tree["north"], query="zelda")) == [zelda]
    assert list(post_candidates("test", tree["north"], query="ZQ@")) == [zelda]
    assert list(post_candidates("test", tree["elm"], query="zelda")) == []
