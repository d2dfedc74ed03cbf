"""A person with a full history, for the tests of subject access, erasure and consents.

Rosa Lindqvist was recruited by Rex, joined Ash Tower (south) as a supporter, was among its
founding members and its first secretary, became a member, recruited Tom, gave two consents
and withdrew one. Then Sid replaced her as secretary.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from grassroots.organizations import actions as units
from grassroots.organizations.models import Organization, Unit
from grassroots.people import actions as people
from grassroots.people.models import Consent, Person
from tests.support import builders

BY = builders.BY
JOINED = builders.START
FOUNDED = builders.START + dt.timedelta(days=30)
PROMOTED = builders.START + dt.timedelta(days=31)
REPLACED = builders.START + dt.timedelta(days=60)


@dataclass
class Story:
    org: Organization
    ash: Unit
    rosa: Person
    rex: Person
    tom: Person
    sid: Person
    email_consent: Consent
    phone_consent: Consent


def rosa_story(org: Organization, tree: dict[str, Unit]) -> Story:
    ash = tree["ash"]
    rex = builders.person(org, "Rex Recruiter")
    rosa = builders.person(
        org,
        "Rosa Lindqvist",
        email="rosa@example.org",
        phone="+44 20 7946 0000",
        address="1 Ash Tower, Southside",
        recruiter=rex,
        unit=ash,
        status="supporter",
        on=JOINED,
    )
    others = builders.members(org, ash, 2, status="supporter")
    units.found_unit(unit=ash, by=BY, on=FOUNDED, officers={"secretary": rosa})
    people.change_status(person=rosa, status="member", by=BY, on=PROMOTED)
    tom = builders.person(org, "Tom Recruit", recruiter=rosa)
    email_consent = people.record_consent(person=rosa, purpose="email bulletins", policy_version="2024-1", by=BY)
    phone_consent = people.record_consent(person=rosa, purpose="phone contact", policy_version="2024-1", by=BY)
    people.withdraw_consent(consent=phone_consent, by=BY)
    sid = others[0]
    units.assign_post(unit=ash, person=sid, post="secretary", by=BY, on=REPLACED)
    rosa.refresh_from_db()
    ash.refresh_from_db()
    return Story(org, ash, rosa, rex, tom, sid, email_consent, phone_consent)
