"""Shapes of the meetings API: what a meeting, its attendance and its records look like, and the
bodies that plan, attend, decide and write them."""

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema

from grassroots.api.schemas import NOT_A_BOOLEAN, Body, IsoDate, PersonId

from .selectors import sees_hidden_places

Count = Annotated[int, Field(ge=0, le=1_000_000), NOT_A_BOOLEAN]


class MeetingOut(Schema):
    id: int
    uid: str
    unit: str = Field(description="The unit's slug.")
    title: str
    kind: str
    start: str = Field(description="ISO 8601 with the offset where the meeting is held.")
    time_zone: str
    duration: int
    place: str = Field(description="Empty when the place is for officers and the caller is none.")
    status: str
    sequence: int
    series: int | None = Field(None, alias="series_id")
    present: int
    expected: int

    @staticmethod
    def resolve_uid(meeting) -> str:
        return str(meeting["uid"] if isinstance(meeting, dict) else meeting.uid)

    @staticmethod
    def resolve_unit(meeting) -> str:
        return meeting["unit"] if isinstance(meeting, dict) else meeting.unit.slug

    @staticmethod
    def resolve_start(meeting) -> str:
        return meeting["start"] if isinstance(meeting, dict) else meeting.local_start.isoformat()

    @staticmethod
    def resolve_place(meeting, context) -> str:
        if isinstance(meeting, dict):
            return meeting["place"]
        if meeting.place_visibility == "officers" and not sees_hidden_places(context["request"].auth, meeting.unit):
            return ""
        return meeting.place


class AgendaItemOut(Schema):
    id: int
    parent: int | None
    position: int
    title: str
    is_open: bool


class DecisionOut(Schema):
    id: int
    meeting: int = Field(alias="meeting_id")
    agenda_item: int | None = Field(None, alias="agenda_item_id")
    responsible: int | None = Field(None, alias="responsible_id")
    text: str
    outcome: str
    yes: int | None
    no: int | None
    abstain: int | None
    present: int
    required: int
    quorate: bool
    due: dt.date | None


class MinutesOut(Schema):
    version: int
    status: str
    text: str
    approved_at: int | None = Field(None, description="The later meeting whose decision approved them.")
    approved_by: int | None = Field(None, description="That decision.")


class MeetingDetailOut(MeetingOut):
    guests: int = Field(description="Guests present (not counted members) and walk-ins only counted.")
    agenda: list[AgendaItemOut]
    offered: list[AgendaItemOut] = Field(description="Items still open at the unit's last meeting held before.")
    decisions: list[DecisionOut]
    minutes: MinutesOut | None


class AttendanceOut(Schema):
    person: int
    name: str
    status: str
    method: str
    guest: bool
    arrived_at: dt.datetime | None


class StandingOut(Schema):
    person: int
    on: str
    attended: int
    required: int
    since: str | None
    in_good_standing: bool


class MeetingIn(Body):
    title: Annotated[str, Field(max_length=200)]
    start: Annotated[str, Field(max_length=40, description='Local wall-clock start, "YYYY-MM-DD HH:MM".')]
    time_zone: Annotated[str, Field(max_length=60)] | None = None
    kind: Annotated[str, Field(max_length=40)] = "regular"
    duration: Annotated[int, Field(ge=1, le=1440), NOT_A_BOOLEAN] = 120
    place: Annotated[str, Field(max_length=500)] = ""
    place_visibility: Literal["members", "officers"] = "members"
    repeat: Annotated[str, Field(max_length=300, description="An RRULE value: plans a series.")] | None = None
    exclude: Annotated[list[IsoDate], Field(max_length=500)] = []


class PlannedOut(Schema):
    id: int | None = Field(description="The meeting, or a series' first meeting.")
    series: int | None


class AttendanceIn(Body):
    people: Annotated[list[PersonId], Field(min_length=1, max_length=1000)]
    status: Literal["invited", "registered", "excused", "present", "absent"] = "present"
    method: Literal["host", "qr", "self", "paper", "import"] = "paper"


RowId = Annotated[int, Field(ge=1, le=2**63 - 1), NOT_A_BOOLEAN]


class DecisionIn(Body):
    text: Annotated[str, Field(min_length=1, max_length=5000)]
    outcome: Literal["carried", "failed", "deferred"]
    yes: Count | None = None
    no: Count | None = None
    abstain: Count | None = None
    due: IsoDate | None = None
    agenda_item: RowId | None = Field(
        None, description="An agenda item of this meeting (carried or failed: dealt with)."
    )
    responsible: PersonId | None = None
    directive: RowId | None = Field(
        None, description="A directive whose open assignment of this meeting's unit the (carried) decision marks."
    )
    assignment_status: Literal["done", "declined"] | None = Field(
        None, description="What the decision marks that assignment: done or declined."
    )
    reason: Annotated[str, Field(max_length=2000)] = Field("", description="Why it is declined (default: the text).")


class ApproveMinutesIn(Body):
    minutes_of: RowId = Field(description="The earlier meeting whose latest minutes this meeting approves.")
    yes: Count | None = None
    no: Count | None = None
    abstain: Count | None = None


class SheetOut(Schema):
    rows: int = Field(description="Rows read from the sheet.")
    changed: list[AttendanceOut]


class RegistrationOut(Schema):
    code: str = Field(description="The one-time check-in code (its QR code is on the meeting page).")
    svg: str = Field(description="The code as a QR code, an SVG.")


class HostPersonOut(Schema):
    person: int
    name: str = Field(description="First name and initial: all the host sees.")
    status: str
    guest: bool


class CounterOut(Schema):
    present: int
    expected: int
    guests: int


class HostListOut(CounterOut):
    meeting: int
    title: str
    unit: str = Field(description="The unit's name.")
    start: str
    people: list[HostPersonOut]


class HostTapIn(Body):
    person: PersonId


class HostWalkInIn(Body):
    name: Annotated[str, Field(max_length=200)] = ""
    email: Annotated[str, Field(max_length=254)] = ""
    consent: bool = Field(False, description="They agree to be recorded as a supporter; otherwise only counted.")


class HostScanIn(Body):
    code: Annotated[str, Field(min_length=1, max_length=100)]


class HostDoneOut(CounterOut):
    person: HostPersonOut | None = Field(None, description="Who was checked in (none for a walk-in only counted).")


class AgendaItemIn(Body):
    title: Annotated[str, Field(min_length=1, max_length=300)]
    parent: Annotated[int, Field(ge=1, le=2**63 - 1), NOT_A_BOOLEAN] | None = None
    carried_from: RowId | None = Field(None, description="An item still open at the last meeting (see `offered`).")


class MinutesIn(Body):
    text: Annotated[str, Field(min_length=1, max_length=100_000)]


LocalStart = Annotated[str, Field(max_length=40, description='Local wall-clock start, "YYYY-MM-DD HH:MM".')]


class MeetingChangeIn(Body):
    """What changes in a planned meeting; a key left out stays as it is."""

    title: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    start: LocalStart | None = None
    duration: Annotated[int, Field(ge=1, le=1440), NOT_A_BOOLEAN] | None = None
    place: Annotated[str, Field(max_length=500)] | None = None
    place_visibility: Literal["members", "officers"] | None = None
    online_link: Annotated[str, Field(max_length=500)] | None = None


class SeriesChangeIn(MeetingChangeIn):
    """What changes in a series (only its meetings still to come follow); a key left out stays."""

    start: (
        Annotated[str, Field(max_length=40, description='The first meeting\'s local start, "YYYY-MM-DD HH:MM".')] | None
    ) = None
    repeat: Annotated[str, Field(max_length=300, description="An RRULE value.")] | None = None
    exclude: Annotated[list[IsoDate], Field(max_length=500, description="Every date left out.")] | None = None


class OccurrenceOut(Schema):
    id: int
    start: str = Field(description="ISO 8601 with the offset where the meeting is held.")
    status: str
    changed: bool = Field(description="Changed on its own: edits of the series leave it as it is.")


class SeriesOut(Schema):
    id: int
    uid: str
    unit: str
    title: str
    kind: str
    start: str = Field(description="The first meeting's start, ISO 8601 with the offset where it is held.")
    time_zone: str
    repeat: str
    exclude: list[str]
    duration: int
    place: str = Field(description="Empty when the place is for officers and the caller is none.")
    place_visibility: str
    sequence: int
    upcoming: list[OccurrenceOut]


class AgendaMoveIn(Body):
    position: Annotated[int, Field(ge=1, le=10_000, description="1 is first among its siblings."), NOT_A_BOOLEAN]
