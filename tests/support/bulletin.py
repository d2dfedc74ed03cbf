"""A small organization with a bulletin: members with addresses in two units of two districts,
a supporter who confirmed, one who did not, a member who unsubscribed, one without an address."""

from __future__ import annotations

from dataclasses import dataclass

from grassroots.bulletin import actions as bulletin
from grassroots.bulletin.models import Issue, Publication
from grassroots.organizations.models import Organization, Unit
from grassroots.people import actions as people
from grassroots.people.models import Person
from tests.support import builders

BY = "test"


@dataclass
class Newsroom:
    org: Organization
    units: dict[str, Unit]
    people: dict[str, Person]
    publication: Publication
    issue: Issue


def join(org, unit, name: str, *, email: str = "", status: str = "member") -> Person:
    person = builders.person(org, name, email=email)
    people.join_unit(person=person, unit=unit, by=BY, on=builders.START, status=status)
    person.refresh_from_db()
    return person


def newsroom() -> Newsroom:
    org = builders.organization()
    units = builders.federation(org)
    folks = {
        "ann": join(org, units["elm"], "Ann North", email="ann@example.org"),
        "bob": join(org, units["oak"], "Bob North", email="bob@example.org", status="candidate"),
        "cy": join(org, units["ash"], "Cy South", email="cy@example.org"),
        "dee": join(org, units["elm"], "Dee Supporter", email="dee@example.org", status="supporter"),
        "eve": join(org, units["elm"], "Eve Unconfirmed", email="eve@example.org", status="supporter"),
        "fay": join(org, units["elm"], "Fay Unsubscribed", email="fay@example.org"),
        "gus": join(org, units["elm"], "Gus No Address"),
    }
    publication = bulletin.add_publication(organization=org, name="The Tenant", footer="1 Union Street, Leeds", by=BY)
    bulletin.confirm_subscription(
        subscription=bulletin.subscribe(person=folks["dee"], publication=publication, by=BY), by=BY
    )
    bulletin.subscribe(person=folks["eve"], publication=publication, by=BY)
    bulletin.unsubscribe(person=folks["fay"], publication=publication, by=BY)
    issue = bulletin.add_issue(
        publication=publication,
        title="Rent strike",
        by=BY,
        articles=[
            {
                "title": "We won",
                "author": "Ann",
                "body": "The **rent** is frozen.\n\n<script>x()</script>",
                "visibility": "public",
            },
            {"title": "Internal", "body": "Members only: the next meeting.", "visibility": "members"},
        ],
    )
    return Newsroom(org, units, folks, publication, issue)
