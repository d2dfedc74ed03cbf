"""REST endpoints of a conference in session: motions and amendments, polls and votes, proxies,
elections and ballots. Organizers (who may manage the convening unit) prepare, open and close;
a delegate reads the conference they sit in and votes only for themself, only while present and
seated, only in an open poll. Anything unknown or out of scope is a 404 and changes nothing; a
rule's refusal is a 409 naming the field (`state`, `delegate`, `present`, `proxy`, ...)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import Http404, HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from grassroots.api.schemas import READ_ERRORS, WRITE_ERRORS, Body
from grassroots.errors import ActionRefused
from grassroots.meetings.models import Decision
from grassroots.organizations.selectors import organization_for
from grassroots.people.models import Person

from . import assembly, selectors
from .models import Conference, Delegate, Election, Motion, Poll, Proxy

router = Router(tags=["conferences"])
RowId = Annotated[int, Field(ge=1, le=2**63 - 1)]
Text = Annotated[str, Field(max_length=assembly.TEXT_LIMIT)]
Weight = Annotated[int, Field(ge=0, le=10**9)]


def caller(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _conference(request: HttpRequest, org_slug: str, conference_id: int) -> Conference:
    user = caller(request)
    return selectors.conference_for_delegate(user, organization_for(user, org_slug), conference_id)


class AmendmentOut(Schema):
    number: int
    paragraph: int | None
    text: str
    status: str
    delegate: int | None = Field(None, validation_alias="delegate_id")


class MotionOut(Schema):
    number: int
    title: str
    text: str
    status: str
    founding: bool
    unit: str | None = Field(None, validation_alias="unit.slug")
    decision: int | None = Field(None, validation_alias="decision_id")
    delegate: int | None = Field(None, validation_alias="delegate_id")
    versions: list[dict[str, Any]]
    article: int | None = Field(None, validation_alias="article_id")
    amendments: list[AmendmentOut]

    @staticmethod
    def resolve_amendments(motion: Motion) -> list[Any]:
        return list(motion.amendments.all())


class MotionIn(Body):
    title: str = Field(max_length=200)
    text: Text
    decision: RowId | None = None
    delegate: RowId | None = None
    founding: bool = False


class MotionStatusIn(Body):
    status: str = Field(max_length=20)


class AmendmentIn(Body):
    text: Text
    paragraph: Annotated[int, Field(ge=1, le=10_000)] | None = None


class PublishIn(Body):
    publication: str = Field(max_length=100)
    number: Annotated[int, Field(ge=1, le=10**6)]


class PollIn(Body):
    subject: str = Field("", max_length=200)
    kind: str = Field("yes-no-abstain", max_length=20)
    base: str = Field("valid", max_length=20)
    majority: str = Field("simple", max_length=20)
    motion: Annotated[int, Field(ge=1, le=10**6)] | None = None
    amendment: Annotated[int, Field(ge=1, le=10**6)] | None = Field(None, description="With `motion`: its number.")
    named: bool = True


class PollOut(Schema):
    id: int
    subject: str
    kind: str
    base: str
    majority: str
    named: bool
    state: str
    motion: int | None = Field(None, description="The number of the motion polled, or of the amendment's motion")
    amendment: int | None = Field(None, description="The number of the amendment polled (of motion `motion`)")
    passed: bool | None
    result: dict[str, Any] | None
    entitled: list[dict[str, Any]] | None
    proxies: list[dict[str, Any]] | None

    @staticmethod
    def resolve_motion(poll: Poll) -> int | None:
        motion = poll.motion if poll.amendment is None else poll.amendment.motion
        return None if motion is None else motion.number

    @staticmethod
    def resolve_amendment(poll: Poll) -> int | None:
        return None if poll.amendment is None else poll.amendment.number


class TotalsIn(Body):
    yes: Weight = 0
    no: Weight = 0
    abstain: Weight = 0


class CloseIn(Body):
    totals: TotalsIn | None = None


class VoteIn(Body):
    choice: str | None = Field(None, max_length=8)
    yes: Weight = 0
    no: Weight = 0
    abstain: Weight = 0


class VoteOut(Schema):
    poll: int = Field(validation_alias="poll_id")
    delegate: int = Field(validation_alias="delegate_id")
    choice: str
    yes: int
    no: int
    abstain: int


class ProxyIn(Body):
    holder: RowId
    giver: RowId | None = Field(None, description="Default: the caller's own delegate row.")


class ProxyOut(Schema):
    id: int
    giver: int = Field(validation_alias="giver_id")
    holder: int = Field(validation_alias="holder_id")


class ElectionIn(Body):
    title: str = Field(max_length=200)
    method: str = Field(max_length=20)
    candidates: list[Annotated[str, Field(max_length=200)]] = Field(max_length=1000)
    seats: Annotated[int, Field(ge=1, le=1000)] = 1
    body: bool = False
    people: dict[Annotated[str, Field(max_length=200)], RowId] = Field(
        default_factory=dict,
        max_length=1000,
        description="Candidates who are people of the organization: their name on the ballot -> person id.",
    )


class ElectionOut(Schema):
    id: int
    title: str
    method: str
    seats: int
    candidates: list[str]
    candidate_people: dict[str, int]
    body: bool
    state: str
    result: dict[str, Any] | None


class BallotIn(Body):
    choices: list[Annotated[str, Field(max_length=200)]] = Field(max_length=1000)


class BallotOut(Schema):
    election: int = Field(validation_alias="election_id")
    delegate: int = Field(validation_alias="delegate_id")
    choices: list[str]


class ResolutionArticleOut(Schema):
    id: int
    title: str


BASE = "/{org_slug}/conferences/{conference_id}"


def _motion(request: HttpRequest, org_slug: str, conference_id: int, number: int) -> Motion:
    return selectors.motion_in(_conference(request, org_slug, conference_id), number)


def _delegate(conference: Conference, pk: int | None, field: str) -> Delegate | None:
    if pk is None:
        return None
    found = Delegate.objects.filter(conference=conference, pk=pk).first()
    if found is None:
        raise ActionRefused(f"{field}: no delegate {pk} in conference {conference.pk}", field=field)
    return found


@router.get(f"{BASE}/motions", response={200: list[MotionOut], **READ_ERRORS}, summary="A conference's motions")
def list_motions(request: HttpRequest, org_slug: str, conference_id: RowId):
    """The agenda: the motions in number order, each with its amendments and earlier texts."""
    return selectors.motions_of(_conference(request, org_slug, conference_id))


@router.post(f"{BASE}/motions", response={201: MotionOut, **WRITE_ERRORS}, summary="Submit a motion")
def add_motion(request: HttpRequest, org_slug: str, conference_id: RowId, payload: MotionIn):
    """By a unit (`decision`: a carried decision of its meeting) or by a delegate (`delegate`;
    a delegate giving neither submits it as themself)."""
    user = caller(request)
    conference = _conference(request, org_slug, conference_id)
    decision = None
    if payload.decision is not None:
        decisions = Decision.objects.filter(pk=payload.decision, meeting__unit__organization=conference.organization)
        decision = decisions.select_related("meeting__unit").first()
        if decision is None:
            raise ActionRefused(f"decision: no decision {payload.decision} in this organization", field="decision")
    delegate = _delegate(conference, payload.delegate, "delegate")
    if decision is None and delegate is None:
        delegate = selectors.delegate_of(user, conference)
    motion = assembly.add_motion(
        conference=conference,
        title=payload.title,
        text=payload.text,
        by=user,
        decision=decision,
        delegate=delegate,
        founding=payload.founding,
    )
    return Status(201, motion)


@router.post(
    f"{BASE}/motions/{{motion_number}}/status", response={200: MotionOut, **WRITE_ERRORS}, summary="Move a motion on"
)
def motion_status(
    request: HttpRequest, org_slug: str, conference_id: RowId, motion_number: RowId, payload: MotionStatusIn
):
    """submitted -> admitted -> debated -> adopted, rejected or referred."""
    motion = _motion(request, org_slug, conference_id, motion_number)
    return assembly.set_motion_status(motion=motion, status=payload.status, by=caller(request))


@router.post(
    f"{BASE}/motions/{{motion_number}}/amendments",
    response={201: AmendmentOut, **WRITE_ERRORS},
    summary="Amend a motion",
)
def add_amendment(
    request: HttpRequest, org_slug: str, conference_id: RowId, motion_number: RowId, payload: AmendmentIn
):
    """Replace the whole text, or paragraph `paragraph` (1 first), with `text`."""
    user = caller(request)
    motion = _motion(request, org_slug, conference_id, motion_number)
    delegate = selectors.delegate_of(user, motion.conference)
    amendment = assembly.add_amendment(
        motion=motion, text=payload.text, paragraph=payload.paragraph, by=user, delegate=delegate
    )
    return Status(201, amendment)


@router.post(
    f"{BASE}/motions/{{motion_number}}/publish",
    response={200: ResolutionArticleOut, **WRITE_ERRORS},
    summary="Publish a resolution",
)
def publish_resolution(
    request: HttpRequest, org_slug: str, conference_id: RowId, motion_number: RowId, payload: PublishIn
):
    """Add the adopted motion to a draft or scheduled issue of the organization's publication."""
    motion = _motion(request, org_slug, conference_id, motion_number)
    return assembly.publish_resolution(
        motion=motion, publication=payload.publication, number=payload.number, by=caller(request)
    )


@router.get(f"{BASE}/polls", response={200: list[PollOut], **READ_ERRORS}, summary="A conference's polls")
def list_polls(request: HttpRequest, org_slug: str, conference_id: RowId):
    return list(selectors.polls_of(_conference(request, org_slug, conference_id)))


@router.post(f"{BASE}/polls", response={201: PollOut, **WRITE_ERRORS}, summary="Prepare a poll")
def add_poll(request: HttpRequest, org_slug: str, conference_id: RowId, payload: PollIn):
    """A draft poll on motion `motion` (or its amendment `amendment`) or a free `subject`."""
    conference = _conference(request, org_slug, conference_id)
    motion = selectors.motion_in(conference, payload.motion) if payload.motion else None
    if payload.amendment is not None and motion is None:
        raise ActionRefused("amendment: give the motion's number with it", field="amendment")
    amendment = selectors.amendment_in(motion, payload.amendment) if motion and payload.amendment else None
    poll = assembly.add_poll(
        conference=conference,
        by=caller(request),
        kind=payload.kind,
        base=payload.base,
        majority=payload.majority,
        subject=payload.subject,
        motion=None if amendment else motion,
        amendment=amendment,
        named=payload.named,
    )
    return Status(201, poll)


@router.get(f"{BASE}/polls/{{poll_id}}", response={200: PollOut, **READ_ERRORS}, summary="A poll and its result")
def get_poll(request: HttpRequest, org_slug: str, conference_id: RowId, poll_id: RowId):
    """The poll; once closed, its frozen entitled list, proxies and result."""
    return selectors.poll_in(_conference(request, org_slug, conference_id), poll_id)


def _poll(request: HttpRequest, org_slug: str, conference_id: int, poll_id: int) -> Poll:
    return selectors.poll_in(_conference(request, org_slug, conference_id), poll_id)


@router.post(f"{BASE}/polls/{{poll_id}}/open", response={200: PollOut, **WRITE_ERRORS}, summary="Open a poll")
def open_poll(request: HttpRequest, org_slug: str, conference_id: RowId, poll_id: RowId):
    return assembly.open_poll(poll=_poll(request, org_slug, conference_id, poll_id), by=caller(request))


@router.post(f"{BASE}/polls/{{poll_id}}/close", response={200: PollOut, **WRITE_ERRORS}, summary="Close a poll")
def close_poll(request: HttpRequest, org_slug: str, conference_id: RowId, poll_id: RowId, payload: CloseIn):
    """Count and freeze it; a poll by entered totals takes `totals`."""
    poll = _poll(request, org_slug, conference_id, poll_id)
    totals = payload.totals.model_dump() if payload.totals else None
    return assembly.close_poll(poll=poll, by=caller(request), totals=totals)


@router.post(f"{BASE}/polls/{{poll_id}}/vote", response={200: VoteOut, **WRITE_ERRORS}, summary="Vote in a poll")
def vote(request: HttpRequest, org_slug: str, conference_id: RowId, poll_id: RowId, payload: VoteIn):
    """The caller's own vote: `choice`, or a split of their weight into yes, no and abstain."""
    poll = _poll(request, org_slug, conference_id, poll_id)
    return assembly.cast_vote(poll=poll, by=caller(request), **payload.model_dump())


@router.post(f"{BASE}/proxies", response={201: ProxyOut, **WRITE_ERRORS}, summary="Give a proxy")
def give_proxy(request: HttpRequest, org_slug: str, conference_id: RowId, payload: ProxyIn):
    """`giver` (default: the caller) gives their vote to `holder`, of the same delegation."""
    user = caller(request)
    conference = _conference(request, org_slug, conference_id)
    giver = _delegate(conference, payload.giver, "giver") or selectors.delegate_of(user, conference)
    if giver is None:
        raise ActionRefused("giver: you are not a delegate; name the giver", field="giver")
    holder = _delegate(conference, payload.holder, "holder")
    assert holder is not None
    return Status(201, assembly.give_proxy(giver=giver, holder=holder, by=user))


@router.post(f"{BASE}/proxies/{{proxy_id}}/withdraw", response={204: None, **WRITE_ERRORS}, summary="Withdraw a proxy")
def withdraw_proxy(request: HttpRequest, org_slug: str, conference_id: RowId, proxy_id: RowId):
    conference = _conference(request, org_slug, conference_id)
    proxy = Proxy.objects.filter(conference=conference, pk=proxy_id).select_related("conference__unit").first()
    if proxy is None:
        raise Http404(f"no proxy {proxy_id} in conference {conference.pk}")
    assembly.withdraw_proxy(proxy=proxy, by=caller(request))
    return Status(204, None)


@router.get(f"{BASE}/elections", response={200: list[ElectionOut], **READ_ERRORS}, summary="A conference's elections")
def list_elections(request: HttpRequest, org_slug: str, conference_id: RowId):
    return list(selectors.elections_of(_conference(request, org_slug, conference_id)))


@router.post(f"{BASE}/elections", response={201: ElectionOut, **WRITE_ERRORS}, summary="Prepare an election")
def add_election(request: HttpRequest, org_slug: str, conference_id: RowId, payload: ElectionIn):
    """Candidates by name; method plurality, approval, irv or stv; `body`: the leading body."""
    conference = _conference(request, org_slug, conference_id)
    fields = payload.model_dump(exclude={"people"})
    refs = [str(pk) for pk in payload.people.values()]
    named = selectors.people_named(caller(request), conference.organization, refs)
    for name, pk in payload.people.items():
        if str(pk) not in named:
            raise ActionRefused(f"people.{name}: no person {pk} you see in this organization", field="people")
    people = {name: named[str(pk)] for name, pk in payload.people.items()}
    election = assembly.add_election(conference=conference, by=caller(request), people=people, **fields)
    return Status(201, election)


def _election(request: HttpRequest, org_slug: str, conference_id: int, election_id: int) -> Election:
    return selectors.election_in(_conference(request, org_slug, conference_id), election_id)


@router.get(
    f"{BASE}/elections/{{election_id}}", response={200: ElectionOut, **READ_ERRORS}, summary="An election and result"
)
def get_election(request: HttpRequest, org_slug: str, conference_id: RowId, election_id: RowId):
    return _election(request, org_slug, conference_id, election_id)


@router.post(
    f"{BASE}/elections/{{election_id}}/open", response={200: ElectionOut, **WRITE_ERRORS}, summary="Open an election"
)
def open_election(request: HttpRequest, org_slug: str, conference_id: RowId, election_id: RowId):
    election = _election(request, org_slug, conference_id, election_id)
    return assembly.open_election(election=election, by=caller(request))


@router.post(
    f"{BASE}/elections/{{election_id}}/close", response={200: ElectionOut, **WRITE_ERRORS}, summary="Count an election"
)
def close_election(request: HttpRequest, org_slug: str, conference_id: RowId, election_id: RowId):
    election = _election(request, org_slug, conference_id, election_id)
    return assembly.close_election(election=election, by=caller(request))


@router.post(
    f"{BASE}/elections/{{election_id}}/ballot", response={200: BallotOut, **WRITE_ERRORS}, summary="Cast a ballot"
)
def ballot(request: HttpRequest, org_slug: str, conference_id: RowId, election_id: RowId, payload: BallotIn):
    """The caller's own ballot: candidates in order of preference (or those approved)."""
    election = _election(request, org_slug, conference_id, election_id)
    return assembly.cast_ballot(election=election, by=caller(request), choices=payload.choices)


class ConstituteIn(Body):
    on: dt.date | None = None
    officers: dict[Annotated[str, Field(max_length=60)], RowId] = Field(default_factory=dict, max_length=50)


class UnitStateOut(Schema):
    unit: str = Field(validation_alias="slug")
    state: str
    founded_on: dt.date | None


@router.post(f"{BASE}/constitute", response={200: UnitStateOut, **WRITE_ERRORS}, summary="Constitute the top unit")
def constitute(request: HttpRequest, org_slug: str, conference_id: RowId, payload: ConstituteIn):
    """Found the top unit at this conference (its founding resolution adopted, its body elected):
    the delegates present are the founding members, `officers` (post -> person id) appointed; the
    founding rules still decide (a 409 listing every rule that fails)."""
    conference = _conference(request, org_slug, conference_id)
    people = Person.objects.filter(organization=conference.organization, pk__in=payload.officers.values())
    found = {person.pk: person for person in people}
    for post, pk in payload.officers.items():
        if pk not in found:
            raise ActionRefused(f"officers.{post}: no person {pk} in this organization", field=f"officers.{post}")
    officers = {post: found[pk] for post, pk in payload.officers.items()}
    return assembly.constitute_body(conference=conference, by=caller(request), on=payload.on, officers=officers)
