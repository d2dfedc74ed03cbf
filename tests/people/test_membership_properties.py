"""Property test: whatever people try, nobody ever holds two current memberships, and the kept
per-unit member counts agree with the memberships."""

import contextlib

from django.db.models import Count
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grassroots.errors import ActionRefused
from grassroots.organizations.selectors import members_in_subtree
from grassroots.people import actions
from grassroots.people.counts import recount
from grassroots.people.models import Membership
from tests.support import builders

operations = st.lists(
    st.tuples(st.sampled_from(["join", "transfer", "end", "status"]), st.integers(0, 3), st.integers(0, 2)),
    max_size=30,
)
STATUSES = ["candidate", "member", "lapsed"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=operations)
def test_never_two_current_memberships_per_person(db, operations):
    org = builders.organization()
    tree = builders.federation(org)
    units = [tree["elm"], tree["oak"], tree["ash"]]
    people = [builders.person(org) for _ in range(4)]
    for name, who, where in operations:
        person, unit = people[who], units[where]
        with contextlib.suppress(ActionRefused):  # refusals are fine; the invariant must hold regardless
            if name == "join":
                actions.join_unit(person=person, unit=unit, by="t")
            elif name == "transfer":
                actions.transfer_member(person=person, to_unit=unit, by="t")
            elif name == "end":
                actions.end_membership(person=person, by="t")
            else:
                actions.change_status(person=person, status=STATUSES[where], by="t")
        per_person = Membership.objects.filter(person__in=people, end__isnull=True).values("person")
        assert all(row["n"] <= 1 for row in per_person.annotate(n=Count("id")))
    assert recount(org) == []
    counted = Membership.objects.current().filter(unit__in=units, status__in=["candidate", "member"])
    assert members_in_subtree(tree["federation"]) == counted.count()
