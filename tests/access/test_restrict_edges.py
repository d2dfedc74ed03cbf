"""The edges of the one restriction point: the operator at the terminal, a read with no
organization, import runs (the organization's, not a subtree's), superusers' tokens and the
accounts that grant nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from grassroots.access import Operator, Right, grants_for, may_import, restrict, visible_organization_ids
from grassroots.access.grants import Grants
from grassroots.imports.models import ImportRun
from grassroots.organizations.models import Organization, Unit
from tests.support import builders

pytestmark = pytest.mark.django_db


def run_of(org, user) -> ImportRun:
    return ImportRun.objects.create(
        organization=org,
        actor_label=user.get_username(),
        requested_by=user,
        file_name="m.csv",
        sha256="0" * 64,
        started_at=timezone.now(),
    )


def test_the_operator_reads_everything_without_an_organization_anyone_else_must_name_one(org, tree, staff):
    operator = Operator("cli:ann")
    assert operator.get_username() == "cli:ann"
    assert restrict(Unit.objects.all(), user=operator).count() == Unit.objects.count() == 6
    with pytest.raises(ValueError, match=r"restrict\(organizations.unit\) needs the organization"):
        restrict(Unit.objects.all(), user=staff)
    run = run_of(org, staff)
    assert list(restrict(ImportRun.objects.all(), user=operator)) == [run]
    with pytest.raises(ValueError, match=r"restrict\(imports.importrun\) needs the organization"):
        restrict(ImportRun.objects.all(), user=staff)


def test_import_runs_administrators_see_all_a_secretary_her_own_an_organizer_none(org, tree, staff):
    secretary = builders.officer(org, tree["north"], "secretary", "s@example.org", member_of=tree["elm"])
    organizer = builders.officer(org, tree["north"], "organizer", "o@example.org", member_of=tree["elm"])
    runs = [run_of(org, staff), run_of(org, secretary)]
    assert list(restrict(ImportRun.objects.order_by("pk"), user=staff, organization=org)) == runs
    assert list(restrict(ImportRun.objects.all(), user=secretary, organization=org)) == [runs[1]]
    assert list(restrict(ImportRun.objects.all(), user=organizer, organization=org)) == []
    assert may_import(secretary, org) and not may_import(organizer, org)
    assert may_import(Operator("cli"), org) and may_import(staff, org)
    member = builders.account(org, "m@example.org", person=builders.members(org, tree["elm"], 1)[0])
    assert not may_import(member, org)
    assert list(restrict(ImportRun.objects.all(), user=member, organization=org)) == []


def test_a_superusers_token_reaches_its_own_organization_only(org, tree):
    other = builders.organization(slug="elsewhere")
    root = get_user_model().objects.create_superuser(username="root@example.org", password="pw-root-1")
    assert visible_organization_ids(root) is None
    root.token_organization_id = org.pk
    assert visible_organization_ids(root) == [org.pk]
    assert grants_for(root, org.pk).everything
    assert grants_for(root, other.pk) == Grants()


def test_deactivated_users_and_accounts_without_a_person_are_granted_nothing(org, tree):
    no_person = builders.account(org, "nobody@example.org")
    assert grants_for(no_person, org.pk) == Grants()
    assert grants_for(no_person, org.pk).is_empty
    member = builders.account(org, "gone@example.org", person=builders.members(org, tree["elm"], 1)[0])
    member.is_active = False
    assert visible_organization_ids(member) == []
    assert grants_for(member, org.pk) == Grants()
    assert restrict(Unit.objects.all(), user=member, organization=org).count() == 0


def test_organizations_narrowed_to_one_and_grants_in_an_organization_without_an_account(org, tree, staff):
    other = builders.organization(slug="elsewhere")
    assert list(restrict(Organization.objects.all(), user=staff, organization=org)) == [org]
    assert list(restrict(Organization.objects.all(), user=staff, organization=other)) == []
    assert grants_for(staff, other.pk) == Grants()
    assert grants_for(staff, org.pk).allows(Right.VIEW_AUDIT, tree["elm"].path)
    member = builders.account(org, "m@example.org", person=builders.members(org, tree["elm"], 1)[0])
    grants = grants_for(member, org.pk)
    assert grants.allows(Right.VIEW_UNITS, tree["elm"].path)
    assert not grants.allows(Right.VIEW_UNITS, tree["oak"].path)


def test_an_organization_is_found_for_exactly_those_restrict_lists_it_to(org, tree, staff):
    """`organization_for` decides from the request's grants, `restrict` by one query of accounts:
    the same answer for every kind of user (an organization's page opens exactly when it is listed)."""
    from django.http import Http404

    from grassroots.access import NotVisible
    from grassroots.organizations.selectors import organization_for

    builders.organization(slug="elsewhere")
    member = builders.account(org, "m@example.org", person=builders.members(org, tree["elm"], 1)[0])
    lapsed_person = builders.members(org, tree["elm"], 1)[0]
    lapsed_person.memberships.update(end=timezone.localdate())
    lapsed = builders.account(org, "lapsed@example.org", person=lapsed_person)
    inactive = builders.account(org, "inactive@example.org", person=builders.members(org, tree["elm"], 1)[0])
    inactive.is_active = False
    no_person = builders.account(org, "nobody@example.org")
    stranger = get_user_model().objects.create_user(username="stranger@example.org", password="pw-stranger-1")
    root = get_user_model().objects.create_superuser(username="root@example.org", password="pw-root-1")
    tokened = get_user_model().objects.create_superuser(username="tokened@example.org", password="pw-root-2")
    tokened.token_organization_id = Organization.objects.get(slug="elsewhere").pk
    seen = {}
    for user in (staff, member, lapsed, inactive, no_person, stranger, root, tokened):
        listed = set(restrict(Organization.objects.all(), user=user).values_list("slug", flat=True))
        for slug in (org.slug, "elsewhere"):
            try:
                found = organization_for(user, slug).slug == slug
            except NotVisible:
                found = False
            assert found == (slug in listed), (user.get_username(), slug)
            seen[user.get_username(), slug] = found
    assert seen["m@example.org", org.slug] and seen["lapsed@example.org", org.slug]
    assert not seen["inactive@example.org", org.slug] and not seen["nobody@example.org", org.slug]
    assert not seen["m@example.org", "elsewhere"] and seen["root@example.org", "elsewhere"]
    assert seen["tokened@example.org", "elsewhere"] and not seen["tokened@example.org", org.slug]
    with pytest.raises(Http404) as missing:
        organization_for(staff, "nowhere")
    assert not isinstance(missing.value, NotVisible)
