"""Shapes of the education endpoints."""

from __future__ import annotations

from ninja import Schema
from pydantic import Field

from grassroots.api.schemas import IsoDate


class CourseStatusOut(Schema):
    course: str = Field(description="The course's code.")
    title: str
    programme: str | None = Field(description="The code of the course's programme, if any.")
    status: str = Field(
        description="not started, in progress (k of K), pending review, complete, "
        "expiring soon (within 30 days), expired."
    )
    completed_on: IsoDate | None = Field(description="The completion held on the day (or the last one, expired).")
    expires_on: IsoDate | None = Field(description="When that completion expires (exclusive); null: never.")
    attended: int = Field(description="The course's sessions the person was present at.")
    required: int | None = Field(description="The k of an 'attend k of n sessions' rule; null: no such rule.")


class CourseShareOut(Schema):
    course: str
    title: str
    members: int = Field(description="Members counted on the day in the unit (or its subtree).")
    complete: int = Field(description="Of them, those holding a completion of the course on the day.")
    share: float | None = Field(description="complete / members, 0 to 1; null for no members.")
