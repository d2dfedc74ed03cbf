"""Typed shapes of the API for people and their memberships."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from grassroots.organizations.schemas import Body, PersonId, PersonRef

from .models import Membership, Person
from .selectors import current_membership


class UnitRef(Schema):
    slug: str
    name: str


class CurrentMembershipOut(Schema):
    unit: str = Field(description="The basic unit's slug.")
    status: str
    start: dt.date

    @staticmethod
    def resolve_unit(membership: Membership) -> str:
        return membership.unit.slug


class PersonOut(Schema):
    id: int
    name: str
    email: str
    phone: str
    address: str
    recruiter: int | None = Field(description="Id of the person who brought them in.")
    membership: CurrentMembershipOut | None = Field(description="The current membership, if any.")

    @staticmethod
    def resolve_recruiter(person: Person) -> int | None:
        return person.recruiter_id

    @staticmethod
    def resolve_membership(person: Person) -> Membership | None:
        return current_membership(person)


class MembershipOut(Schema):
    id: int
    person: PersonRef
    unit: UnitRef
    status: str
    start: dt.date
    end: dt.date | None


class PersonIn(Body):
    name: str
    email: str = ""
    phone: str = ""
    address: str = ""
    recruiter: PersonId | None = Field(None, description="Id of the person who brought them in.")


class JoinIn(Body):
    unit: str = Field(description="Slug of the basic unit they join.")
    on: dt.date | None = Field(None, description="The day it happened; today when absent.")
    status: str | None = Field(None, description="A status of the constitution; its initial status when absent.")


class TransferIn(Body):
    unit: str = Field(description="Slug of the basic unit they transfer to.")
    on: dt.date | None = Field(None, description="The day it happened; today when absent.")


class StatusIn(Body):
    status: str = Field(description="The new status; the constitution says which moves are allowed.")
    on: dt.date | None = Field(None, description="The day it happened; today when absent.")


class EndIn(Body):
    on: dt.date | None = Field(None, description="The day it ends; today when absent.")
    status: str | None = Field(None, description="A final status to change to first (e.g. resigned).")
