"""Writes of a conference in session: its motions and their amendments, polls and the delegates'
votes, proxies, elections and their ballots, and resolutions published in the bulletin.

Each action checks the actor, writes in one transaction with its audit record, and refuses
(`ActionRefused`, a 409 through the API) naming the field or the rule. The organizers are those
who may manage the convening unit; a delegate acts only for themself (their own delegate row,
`selectors.delegate_of`), votes only while seated and present, and only in an open poll.

Every action checks the conference's status with one helper, `_check_status`: motions,
amendments, polls, elections and proxies are prepared once the conference is called and until
it closes; polls and elections are opened, voted in and closed only in session. Publishing a
resolution and constituting the body stay possible after the close.

Counting is the voting engine's (`voting.close_poll`, `voting.elect`); its errors become
refusals naming its field, and the voter by their name. A closed poll or election keeps the
entitled list (weights and presence), the proxies and the result as they were at the close,
and never changes again.

The organizer can always close an open poll or election: each named vote (and ballot) records
the weight its voter carried when they cast it, and at the close a vote no longer fits when its
voter is no longer seated, not present, gave a proxy since, now carries another weight than
the vote was cast with (a proxy they held lapsed or came, or the alternate now holds another
seat), or it no longer passes the engine's checks (a split over what they carry, a chair's
split). Such a vote is not counted (not scaled down or moved: the voter decided with another
weight or for another seat) and is listed in the result's `not_counted` with the voter's name
and the reason; they may vote again while the poll is open.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from grassroots.access import OutOfScope, Right, authorize, is_operator
from grassroots.audit.actions import write_audit_record
from grassroots.bulletin import actions as bulletin
from grassroots.bulletin.models import Article, Issue
from grassroots.errors import ActionRefused, refuse_multiline, refuse_overlong
from grassroots.meetings.models import Decision
from grassroots.organizations.models import PATH_END, Unit
from grassroots.people.models import Person

from . import selectors, voting
from .models import (
    Amendment,
    Conference,
    Delegate,
    Election,
    ElectionBallot,
    Motion,
    Poll,
    PollVote,
    Proxy,
)

MotionStatus = Motion.Status
# Each motion status and the ones that may follow it (issue 17: submitted -> admitted -> debated
# -> adopted, rejected or referred).
MOTION_NEXT = {
    MotionStatus.SUBMITTED: (MotionStatus.ADMITTED,),
    MotionStatus.ADMITTED: (MotionStatus.DEBATED,),
    MotionStatus.DEBATED: (MotionStatus.ADOPTED, MotionStatus.REJECTED, MotionStatus.REFERRED),
}
OPEN_MOTION = (MotionStatus.SUBMITTED, MotionStatus.ADMITTED, MotionStatus.DEBATED)
PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
TEXT_LIMIT = 50_000
Status = Conference.Status
PREPARING = (Status.CALLED, Status.CREDENTIALING, Status.IN_SESSION)


def lines(text: str) -> str:
    """The text with Windows (CRLF) and old Mac (CR) line endings as LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def paragraphs(text: str) -> list[str]:
    """The text's paragraphs: blocks separated by a blank line, each stripped (CRLF as LF)."""
    return [part.strip() for part in PARAGRAPH_BREAK.split(lines(text).strip()) if part.strip()]


def _audit(by, action: str, conference: Conference, target, **changes) -> None:
    write_audit_record(
        by=by, action=action, target=target, organization=conference.organization, unit=conference.unit, changes=changes
    )


def _manage(by, conference: Conference) -> None:
    authorize(by, Right.MANAGE_UNITS, conference.unit)


def _may_manage(by, conference: Conference) -> bool:
    try:
        _manage(by, conference)
    except OutOfScope:
        return False
    return True


def _name(delegate: Delegate) -> str:
    """The delegate's name, as refusals and results show them."""
    return delegate.person.name


def _title(field: str, value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ActionRefused(f"{field}: required", field=field)
    refuse_multiline(field, value)
    refuse_overlong(field, value, 200)
    return value


def _body(field: str, value: str) -> str:
    value = lines(value or "").strip()
    if not value:
        raise ActionRefused(f"{field}: required", field=field)
    refuse_overlong(field, value, TEXT_LIMIT)
    return value


def _check_status(conference: Conference, what: str, *, in_session: bool = False, lock: bool = True) -> None:
    """The one status check of every action here: refused (field status) unless the conference
    is in session (`in_session`: polls and elections opened, voted in, closed) or called and not
    yet closed (motions, amendments, polls, elections and proxies prepared). Read again from the
    database, locked (`lock`, inside the action's transaction: a step on may have committed
    meanwhile)."""
    rows = Conference.objects.select_for_update() if lock else Conference.objects
    status = rows.values_list("status", flat=True).get(pk=conference.pk)
    allowed = (Status.IN_SESSION,) if in_session else PREPARING
    if status not in allowed:
        when = "only in session" if in_session else "only once the conference is called, until it closes"
        raise ActionRefused(
            f"status: conference {conference.pk} is {Status(status).label}; {what} {when}", field="status"
        )


def _own(by, conference: Conference) -> Delegate | None:
    """The actor's own delegate row (None for the terminal and jobs, which act for no one)."""
    return None if is_operator(by) else selectors.delegate_of(by, conference)


def _own_delegate(by, conference: Conference) -> Delegate:
    delegate = _own(by, conference)
    if delegate is None:
        raise ActionRefused(f"delegate: you are not a delegate of conference {conference.pk}", field="delegate")
    return delegate


VOTER = re.compile(r"(?:voter|giver|holder) '(\d+)'|'(\d+)'")


def _named(message: str, names: dict[str, str]) -> str:
    """The engine's message with each voter named by their name rather than their id."""

    def name(match: re.Match[str]) -> str:
        found = names.get(match[1] or match[2])
        return match[0] if found is None else found

    return VOTER.sub(name, message)


def _refusal(error: voting.VotingError, field: str, names: dict[str, str] | None = None) -> ActionRefused:
    return ActionRefused(_named(str(error), names or {}), field=error.field or field)


def _refuse_unless_seated(delegate: Delegate, what: str) -> None:
    """Delegates whose credential stands (submitted, verified or seated: motions come in before
    the session, while credentials are checked) and the alternates holding a seat submit motions
    and amendments as themselves; a delegate whose credential is challenged or refused, and an
    alternate holding no seat, do not (field delegate)."""
    if delegate.seated_for_id is not None:
        return
    standing = (Delegate.Credential.SUBMITTED, Delegate.Credential.VERIFIED, Delegate.Credential.SEATED)
    if delegate.role == Delegate.Role.DELEGATE and delegate.credential in standing:
        return
    if delegate.role == Delegate.Role.ALTERNATE:
        why = "is an alternate holding no seat"
    else:
        why = f"has a {delegate.credential} credential"
    raise ActionRefused(
        f"delegate: {_name(delegate)} {why}; "
        f"only delegates whose credential stands and alternates holding a seat submit {what}",
        field="delegate",
    )


# Motions and amendments ---------------------------------------------------------------------


def add_motion(
    *,
    conference: Conference,
    title: str,
    text: str,
    by,
    decision: Decision | None = None,
    delegate: Delegate | None = None,
    founding: bool = False,
) -> Motion:
    """Submit a motion: by a unit, from `decision` (a carried decision of one of its meetings; whoever
    manages that unit submits it), or by `delegate` (the delegate themself, or an organizer for
    them). `founding` marks the resolution that founds the top unit (organizers only). Refused,
    naming the field: title, text, decision (not carried, or of a unit outside the conference),
    delegate (not of this conference, not the caller, or neither a seated delegate nor an
    alternate holding a seat), status (the conference is not called or has closed). Text with
    CRLF line endings is kept with LF."""
    title, text = _title("title", title), _body("text", text)
    if (decision is None) == (delegate is None):
        raise ActionRefused("decision: give the unit's decision or the delegate, one of them", field="decision")
    unit = None
    if decision is not None:
        unit = decision.meeting.unit
        if decision.outcome != Decision.Outcome.CARRIED:
            raise ActionRefused(
                f"decision: decision {decision.pk} was {decision.outcome}, not carried", field="decision"
            )
        path = conference.unit.path
        if unit.organization_id != conference.organization_id or not path <= unit.path < path + PATH_END:
            raise ActionRefused(
                f"decision: decision {decision.pk} is of a unit outside conference {conference.pk}", field="decision"
            )
        authorize(by, Right.MANAGE_UNITS, unit)
    else:
        assert delegate is not None
        if delegate.conference_id != conference.pk:
            raise ActionRefused(
                f"delegate: delegate {delegate.pk} is not of conference {conference.pk}", field="delegate"
            )
        own = _own(by, conference)
        if own is None or own.pk != delegate.pk:
            _manage(by, conference)
        _refuse_unless_seated(delegate, "motions")
    if founding:
        _manage(by, conference)
    with transaction.atomic():
        _check_status(conference, "motions are submitted")
        number = (Motion.objects.filter(conference=conference).aggregate(n=Max("number"))["n"] or 0) + 1
        motion = Motion.objects.create(
            conference=conference,
            number=number,
            title=title,
            text=text,
            unit=unit,
            decision=decision,
            delegate=delegate,
            founding=founding,
            submitted_at=timezone.now(),
        )
        _audit(by, "conferences.motion.add", conference, motion, number=[None, number], title=[None, title])
    return motion


def set_motion_status(*, motion: Motion, status: str, by) -> Motion:
    """Move a motion on: submitted -> admitted -> debated -> adopted, rejected or referred
    (organizers). Refused (field status) for any other move."""
    conference = motion.conference
    _manage(by, conference)
    if status not in MotionStatus.values:
        raise ActionRefused(f"status: '{status}' is not one of {', '.join(MotionStatus.values)}", field="status")
    with transaction.atomic():
        _check_status(conference, "motions are moved on")
        motion = Motion.objects.select_for_update().get(pk=motion.pk)
        _move(motion, status, by)
    return motion


def _move(motion: Motion, status: str, by) -> None:
    allowed = MOTION_NEXT.get(MotionStatus(motion.status), ())
    if status not in allowed:
        after = f"only {' or '.join(allowed)} follows" if allowed else "it is decided"
        raise ActionRefused(f"status: motion {motion.number} is {motion.status}; {after}", field="status")
    before, motion.status = motion.status, status
    fields = ["status"]
    if status in (MotionStatus.ADOPTED, MotionStatus.REJECTED, MotionStatus.REFERRED):
        motion.decided_at = timezone.now()
        fields.append("decided_at")
    motion.save(update_fields=fields)
    _audit(by, "conferences.motion.status", motion.conference, motion, status=[before, status])


def add_amendment(
    *, motion: Motion, text: str, by, paragraph: int | None = None, delegate: Delegate | None = None
) -> Amendment:
    """Propose to replace the motion's whole text (`paragraph` None) or its paragraph `paragraph`
    (1 first; paragraphs are separated by a blank line) with `text`, while the motion is not yet
    decided: by an organizer, or by a delegate for themself (a seated delegate, or an alternate
    holding a seat). Refused naming the field: text, paragraph (no such paragraph), delegate,
    status (the motion is decided, or the conference is not called or has closed)."""
    conference = motion.conference
    text = _body("text", text)
    if delegate is None:
        _manage(by, conference)
    else:
        own = _own(by, conference)
        if own is None or own.pk != delegate.pk:
            _manage(by, conference)
        _refuse_unless_seated(delegate, "amendments")
    with transaction.atomic():
        _check_status(conference, "amendments are proposed")
        motion = Motion.objects.select_for_update().select_related("conference").get(pk=motion.pk)
        if motion.status not in OPEN_MOTION:
            raise ActionRefused(
                f"status: motion {motion.number} is {motion.status}; it takes no amendments", field="status"
            )
        count = len(paragraphs(motion.text))
        if paragraph is not None and not 1 <= paragraph <= count:
            raise ActionRefused(
                f"paragraph: motion {motion.number} has {count} paragraph(s); there is no paragraph {paragraph}",
                field="paragraph",
            )
        if paragraph is not None and len(paragraphs(text)) != 1:
            raise ActionRefused("text: a paragraph's replacement is one paragraph (no blank line)", field="text")
        number = (motion.amendments.aggregate(n=Max("number"))["n"] or 0) + 1
        amendment = Amendment.objects.create(
            motion=motion, number=number, paragraph=paragraph, text=text, delegate=delegate, submitted_at=timezone.now()
        )
        _audit(by, "conferences.amendment.add", conference, amendment, motion=[None, motion.number])
    return amendment


def amended_text(motion_text: str, amendment: Amendment) -> str:
    """The motion's text with the amendment applied: the whole text, or one paragraph replaced.
    Raises ActionRefused (field amendment) when the paragraph is no longer there (an earlier
    amendment replaced the whole text with fewer paragraphs)."""
    if amendment.paragraph is None:
        return amendment.text
    parts = paragraphs(motion_text)
    if not 1 <= amendment.paragraph <= len(parts):
        raise ActionRefused(
            f"amendment: amendment {amendment.number} replaces paragraph {amendment.paragraph}, "
            f"but the motion's text now has {len(parts)} paragraph(s)",
            field="amendment",
        )
    parts[amendment.paragraph - 1] = amendment.text
    return "\n\n".join(parts)


def _amendment_fault(amendment: Amendment, motion: Motion) -> str:
    """Why the amendment can no longer be decided ("" when it can): its motion is decided, it was
    decided itself, or its paragraph is gone."""
    if motion.status not in OPEN_MOTION:
        return f"motion {motion.number} is {motion.status}; amendments are decided only while it is undecided"
    if amendment.status != Amendment.Status.SUBMITTED:
        return f"amendment {amendment.number} is {amendment.status} already"
    try:
        amended_text(motion.text, amendment)
    except ActionRefused as refusal:
        return str(refusal).removeprefix("amendment: ")
    return ""


def _decide_amendment(amendment: Amendment, passed: bool, by) -> None:
    """Adopt or reject the amendment by its poll's result; when its motion was decided meanwhile
    or its paragraph is gone, the amendment lapses and the motion's text does not change."""
    motion = Motion.objects.select_for_update().get(pk=amendment.motion_id)
    if amendment.status != Amendment.Status.SUBMITTED:
        return
    lapsed = _amendment_fault(amendment, motion)
    if lapsed:
        amendment.status = Amendment.Status.LAPSED
    else:
        amendment.status = Amendment.Status.ADOPTED if passed else Amendment.Status.REJECTED
    amendment.save(update_fields=["status"])
    if passed and not lapsed:
        motion.versions = [
            *motion.versions,
            {"text": motion.text, "amendment": amendment.number, "at": timezone.now().isoformat()},
        ]
        motion.text = amended_text(motion.text, amendment)
        motion.save(update_fields=["text", "versions"])
    _audit(by, "conferences.amendment.decide", motion.conference, amendment, status=["submitted", amendment.status])


def publish_resolution(*, motion: Motion, publication: str, number: int, by) -> Article:
    """Publish an adopted motion (a resolution) as an article of a draft or scheduled bulletin
    issue of the organization (its `publication`'s slug and the issue's `number`): titled
    "Resolution N: <title>", its adopted text the body, the conference its author, for the
    members; the bulletin's own action writes it (and sends it with the issue). Refused when the
    motion is not adopted or already published, with no such issue (field issue), or when the
    issue is no longer editable (the bulletin's own refusal)."""
    conference = motion.conference
    _manage(by, conference)
    _refuse_unless_resolution(Motion.objects.get(pk=motion.pk))
    issue = (
        Issue.objects.filter(
            publication__organization=conference.organization, publication__slug=publication, number=number
        )
        .select_related("publication__organization")
        .first()
    )
    if issue is None:
        raise ActionRefused(
            f"issue: {conference.organization.name} has no issue {number} of '{publication}'", field="issue"
        )
    with transaction.atomic():
        motion = Motion.objects.select_for_update().select_related("conference").get(pk=motion.pk)
        _refuse_unless_resolution(motion)
        if motion.article_id is not None:
            raise ActionRefused(f"article: resolution {motion.number} is already published", field="article")
        article = bulletin.add_article(
            issue=issue,
            by=by,
            title=f"Resolution {motion.number}: {motion.title}"[:200],
            body=motion.text,
            author=conference.name,
        )
        motion.article = article
        motion.save(update_fields=["article"])
        _audit(by, "conferences.resolution.publish", conference, motion, article=[None, article.pk])
    return article


def _refuse_unless_resolution(motion: Motion) -> None:
    if motion.status != MotionStatus.ADOPTED:
        raise ActionRefused(
            f"status: motion {motion.number} is {motion.status}; only an adopted motion (a resolution) is published",
            field="status",
        )


# Polls ----------------------------------------------------------------------------------------


def add_poll(
    *,
    conference: Conference,
    by,
    kind: str = "yes-no-abstain",
    base: str = "valid",
    majority: str = "simple",
    subject: str = "",
    motion: Motion | None = None,
    amendment: Amendment | None = None,
    named: bool = True,
) -> Poll:
    """Prepare a poll (draft) on a motion, an amendment or a free `subject`: its kind, base of
    100 % and required majority as `voting.Poll` checks them, counted from named votes or from
    totals entered at the close (`named` False). Organizers only. A custom majority is a
    fraction p/q with 0 < p/q ≤ 1, stored normalized ("6/8" as "3/4"). A motion is polled, and
    its amendments, only while it is undecided (submitted, admitted, debated), an amendment only
    while it is submitted and its paragraph is still there. Refused naming the field: kind,
    base, majority, subject, motion, amendment, status."""
    _manage(by, conference)
    try:
        rule = voting.Poll(kind, base, majority)
    except voting.VotingError as error:
        raise _refusal(error, "majority") from None
    if motion is not None and amendment is not None:
        raise ActionRefused("amendment: a poll is on a motion or on one of its amendments, not both", field="amendment")
    for target, field in ((motion, "motion"), (amendment.motion if amendment else None, "amendment")):
        if target is not None and target.conference_id != conference.pk:
            raise ActionRefused(f"{field}: not of conference {conference.pk}", field=field)
    _refuse_undecidable(motion, amendment)
    if not subject.strip():
        if amendment is not None:
            subject = f"Amendment {amendment.number} to motion {amendment.motion.number}"
        elif motion is not None:
            subject = f"Motion {motion.number}: {motion.title}"
    subject = _title("subject", subject)[:200]
    with transaction.atomic():
        _check_status(conference, "polls are prepared")
        poll = Poll.objects.create(
            conference=conference,
            motion=motion,
            amendment=amendment,
            subject=subject,
            kind=rule.kind,
            base=rule.base,
            majority=str(rule.majority.share) if rule.majority.name == "fraction" else rule.majority.name,
            named=named,
            created_at=timezone.now(),
        )
        _audit(by, "conferences.poll.add", conference, poll, subject=[None, subject])
    return poll


def _refuse_undecidable(motion: Motion | None, amendment: Amendment | None) -> None:
    """Refuse a poll on a decided motion (field motion), or on an amendment that can no longer be
    decided: its motion decided, itself decided, or its paragraph gone (field amendment)."""
    if motion is not None:
        motion = Motion.objects.get(pk=motion.pk)
        if motion.status not in OPEN_MOTION:
            raise ActionRefused(
                f"motion: motion {motion.number} is {motion.status}; only an undecided motion is polled",
                field="motion",
            )
    if amendment is not None:
        amendment = Amendment.objects.select_related("motion").get(pk=amendment.pk)
        fault = _amendment_fault(amendment, amendment.motion)
        if fault:
            raise ActionRefused(f"amendment: {fault}", field="amendment")


def open_poll(*, poll: Poll, by) -> Poll:
    """Open a draft poll for votes, while the conference is in session (organizers); refused as
    `add_poll` refuses a poll on a motion or amendment that can no longer be decided."""
    _manage(by, poll.conference)
    _refuse_undecidable(poll.motion, poll.amendment)
    return _open(Poll, poll, by, "poll")


def _open(model: Any, item: Any, by, what: str) -> Any:
    """Open a draft poll or election (`model`) while the conference is in session, dated."""
    _manage(by, item.conference)
    with transaction.atomic():
        _check_status(item.conference, f"{what}s are opened", in_session=True)
        item = model.objects.select_for_update().select_related("conference").get(pk=item.pk)
        if item.state != Poll.State.DRAFT:
            raise ActionRefused(f"state: {what} {item.pk} is {item.state}; only a draft {what} opens", field="state")
        item.state, item.opened_at = Poll.State.OPEN, timezone.now()
        item.save(update_fields=["state", "opened_at"])
        _audit(by, f"conferences.{what}.open", item.conference, item, state=["draft", "open"])
    return item


def _proxies(conference: Conference, seated: set[str]) -> list[voting.Proxy]:
    """The conference's proxies between seated delegates (others lapse with the seat)."""
    rows = Proxy.objects.filter(conference=conference).values_list("giver_id", "holder_id")
    return [
        voting.Proxy(str(giver), str(holder))
        for giver, holder in rows
        if str(giver) in seated and str(holder) in seated
    ]


def _ballot_rules(conference: Conference, delegate: Delegate) -> tuple[list[voting.Voter], list[voting.Proxy], int]:
    """The entitled list, the proxies and the weight the delegate carries now, after refusing a
    delegate who may not vote now: not seated (delegate), absent or not checked in (present: an
    absent delegate whose seat an alternate holds is told who holds it), or who gave a proxy."""
    entitled = selectors.entitled(conference)
    me = next((voter for voter in entitled if voter.id == str(delegate.pk)), None)
    if me is None:
        holder = Delegate.objects.filter(seated_for=delegate).select_related("person").first()
        if holder is not None:
            raise ActionRefused(f"present: you are absent; alternate {_name(holder)} holds your seat", field="present")
        raise ActionRefused("delegate: you are not seated; only a seated delegate votes", field="delegate")
    if not me.present:
        raise ActionRefused("present: you are not checked in; a delegate votes only while present", field="present")
    proxies = _proxies(conference, {voter.id for voter in entitled})
    given = next((proxy for proxy in proxies if proxy.giver == me.id), None)
    if given is not None:
        holder = Delegate.objects.select_related("person").get(pk=int(given.holder))
        raise ActionRefused(
            f"proxy: you gave your vote to {_name(holder)}; a delegate who gave a proxy cannot vote",
            field="proxy",
        )
    return entitled, proxies, voting.carried(entitled, proxies)[me.id]


def carried_weight(conference: Conference, delegate: Delegate) -> int:
    """The votes `delegate` carries now: their own weight and, while they are seated and present,
    the proxies they hold (`voting.carried`); their own weight otherwise. Two queries."""
    entitled = selectors.entitled(conference)
    ids = {voter.id for voter in entitled}
    if str(delegate.pk) not in ids:
        return delegate.weight
    return voting.carried(entitled, _proxies(conference, ids)).get(str(delegate.pk), delegate.weight)


def cast_vote(*, poll: Poll, by, choice: str | None = None, yes: int = 0, no: int = 0, abstain: int = 0) -> PollVote:
    """The caller's own vote in an open poll counted by named votes: `choice` (yes, no, abstain:
    all the weight they carry, proxies held included) or a split of that weight into `yes`, `no`
    and `abstain` parts; a later vote replaces an earlier one while the poll is open. Refused
    (409) naming the rule: state (the poll is not open), named (counted by entered totals),
    delegate (not a delegate, or not seated), present (not checked in), proxy (gave a proxy),
    votes (a choice the poll does not offer, a split over the weight, a chair splitting)."""
    conference = poll.conference
    delegate = _own_delegate(by, conference)
    if poll.state != Poll.State.OPEN:
        raise ActionRefused(
            f"state: poll {poll.pk} is {poll.state}; votes are cast only in an open poll", field="state"
        )
    _check_status(conference, "votes are cast", in_session=True, lock=False)
    if not poll.named:
        raise ActionRefused(f"named: poll {poll.pk} is counted by entered totals, not named votes", field="named")
    entitled, proxies, weight = _ballot_rules(conference, delegate)
    vote = voting.Vote(str(delegate.pk), choice=choice or None, yes=yes, no=no, abstain=abstain)
    try:
        voting.close_poll(_rule(poll), entitled=entitled, votes=[vote], proxies=proxies)
    except voting.VotingError as error:
        raise _refusal(error, "votes", {vote.voter: _name(delegate)}) from None
    with transaction.atomic():
        locked = Poll.objects.select_for_update().get(pk=poll.pk)
        if locked.state != Poll.State.OPEN:
            raise ActionRefused(f"state: poll {poll.pk} closed; votes are cast only in an open poll", field="state")
        row, _created = PollVote.objects.update_or_create(
            poll=poll,
            delegate=delegate,
            defaults={
                "choice": choice or "",
                "yes": yes,
                "no": no,
                "abstain": abstain,
                "weight": weight,
                "cast_at": timezone.now(),
            },
        )
        _audit(by, "conferences.poll.vote", conference, poll, delegate=[None, delegate.pk])
    return row


def _rule(poll: Poll) -> voting.Poll:
    return voting.Poll(poll.kind, poll.base, poll.majority)


def _named_votes(poll: Poll) -> list[tuple[voting.Vote, int | None]]:
    """The poll's named votes, each with the weight its voter carried when they cast it."""
    rows = PollVote.objects.filter(poll=poll).values_list("delegate_id", "choice", "yes", "no", "abstain", "weight")
    return [
        (voting.Vote(str(pk), choice=choice or None, yes=y, no=n, abstain=a), weight)
        for pk, choice, y, n, a, weight in rows
    ]


def _misfit(voter: voting.Voter | None, carried: dict[str, int], cast_with: int | None) -> str:
    """Why a vote or ballot cast carrying `cast_with` no longer fits its voter at the close ("" when
    it fits): no longer seated, not present, gave a proxy since, or carries another weight now."""
    if voter is None:
        return "not seated"
    if not voter.present:
        return "not present"
    if voter.id not in carried:
        return "gave a proxy"
    if cast_with is not None and cast_with != carried[voter.id]:
        return (
            f"voted carrying {cast_with} vote(s) and carries {carried[voter.id]} at the close "
            "(a proxy or the seat held changed); not counted, vote again"
        )
    return ""


def _not_counted(left_out: list[tuple[str, str]]) -> list[dict[str, str]]:
    """The votes left out, each with the voter's id, their name and why (the engine's message
    with the voter named)."""
    if not left_out:
        return []
    ids = [int(voter) for voter, _why in left_out]
    names = {str(pk): name for pk, name in Delegate.objects.filter(pk__in=ids).values_list("pk", "person__name")}
    return [{"voter": voter, "name": names.get(voter, voter), "why": _named(why, names)} for voter, why in left_out]


def count(poll: Poll, *, totals: voting.Totals | None = None) -> tuple[voting.PollResult, list[dict[str, str]]]:
    """The poll counted now from the entitled list, the proxies and its named votes (or
    `totals`): the engine's result, and the named votes not counted, each with the voter's name
    and why: the voter is no longer seated, has left, gave a proxy since, carries another weight
    than they voted with, or the vote no longer passes the engine's checks (a split over what
    they carry). Such votes are left out rather than refusing the close, so that the organizer
    can always close an open poll. Raises VotingError (entered totals over what the present carry)."""
    entitled = selectors.entitled(poll.conference)
    voters = {voter.id: voter for voter in entitled}
    proxies = _proxies(poll.conference, set(voters))
    rule = _rule(poll)
    if totals is not None:
        return voting.close_poll(rule, entitled=entitled, totals=totals, proxies=proxies), []
    carried = voting.carried(entitled, proxies)
    counted: list[voting.Vote] = []
    left_out: list[tuple[str, str]] = []
    for vote, cast_with in _named_votes(poll):
        voter = voters.get(vote.voter)
        why = _misfit(voter, carried, cast_with)
        if not why:
            assert voter is not None
            try:
                voting.check_vote(rule, voter, carried[voter.id], vote)
            except voting.VotingError as error:
                why = str(error)
        if why:
            left_out.append((vote.voter, why))
        else:
            counted.append(vote)
    result = voting.close_poll(rule, entitled=entitled, votes=counted, proxies=proxies)
    return result, _not_counted(left_out)


def close_poll(*, poll: Poll, by, totals: dict[str, int] | None = None) -> Poll:
    """Close an open poll and freeze it: the entitled list with weights and presence, the proxies,
    and the result (`voting.PollResult.as_json` without the entitled list and proxies, which are
    kept beside it, plus `not_counted`: the named votes that no longer fit their voter, see
    `count`; a named poll always closes). A poll by entered totals takes `totals` ({"yes", "no",
    "abstain"}). A poll on an amendment adopts it (changing the motion's text, the old one kept)
    or rejects it; when its motion was decided meanwhile, or its paragraph is gone, the result is
    recorded, the amendment lapses (`amendment_lapsed` in the result says why) and the text does
    not change. One on a motion admitted or debated adopts or rejects the motion. Refused naming
    the field: state, status (the conference is not in session), totals (missing, or more than
    the present carry)."""
    _manage(by, poll.conference)
    if poll.named and totals is not None:
        raise ActionRefused(f"totals: poll {poll.pk} is counted by named votes; enter no totals", field="totals")
    if not poll.named and totals is None:
        raise ActionRefused(f"totals: poll {poll.pk} is counted by entered totals; give them", field="totals")
    with transaction.atomic():
        _check_status(poll.conference, "polls are closed", in_session=True)
        poll = Poll.objects.select_for_update().select_related("conference").get(pk=poll.pk)
        if poll.state != Poll.State.OPEN:
            raise ActionRefused(f"state: poll {poll.pk} is {poll.state}; only an open poll closes", field="state")
        try:
            entered = (
                None if totals is None else voting.Totals(**{k: totals.get(k, 0) for k in ("yes", "no", "abstain")})
            )
            result, left_out = count(poll, totals=entered)
        except voting.VotingError as error:
            raise _refusal(error, "totals") from None
        shown: dict[str, Any] = result.as_json()
        poll.entitled = shown.pop("entitled")
        poll.proxies = shown.pop("proxies")
        shown["not_counted"] = left_out
        amendment = None
        if poll.amendment_id is not None:
            amendment = Amendment.objects.select_for_update().select_related("motion").get(pk=poll.amendment_id)
            if amendment.status == Amendment.Status.SUBMITTED:
                lapsed = _amendment_fault(amendment, amendment.motion)
                if lapsed:
                    shown["amendment_lapsed"] = f"amendment {amendment.number} lapsed: {lapsed}"
        poll.result, poll.passed = shown, result.passed
        poll.totals = None if entered is None else entered.as_json()
        poll.state, poll.closed_at = Poll.State.CLOSED, timezone.now()
        poll.save(update_fields=["entitled", "proxies", "result", "passed", "totals", "state", "closed_at"])
        _audit(
            by, "conferences.poll.close", poll.conference, poll, state=["open", "closed"], passed=[None, poll.passed]
        )
        if amendment is not None:
            if amendment.status == Amendment.Status.SUBMITTED:
                _decide_amendment(amendment, result.passed, by)
        elif poll.motion_id is not None:
            motion = Motion.objects.select_for_update().select_related("conference").get(pk=poll.motion_id)
            if motion.status in (MotionStatus.ADMITTED, MotionStatus.DEBATED):
                if motion.status == MotionStatus.ADMITTED:
                    _move(motion, MotionStatus.DEBATED, by)
                _move(motion, MotionStatus.ADOPTED if result.passed else MotionStatus.REJECTED, by)
    return poll


# Proxies --------------------------------------------------------------------------------------


def give_proxy(*, giver: Delegate, holder: Delegate, by) -> Proxy:
    """`giver` gives their vote to `holder`, a delegate of the same delegation, for the rest of the
    conference (the giver themself, or an organizer). Refused naming the rule: giver (a delegate
    naming another giver), holder (another delegation, themself, or a holder who gave a proxy),
    proxy (the giver already gave one, or holds one), votes (the giver or the holder voted in a
    poll or an election still open), status (the conference is not called or has closed)."""
    conference = giver.conference
    own = _own(by, conference)
    if own is not None and own.pk != giver.pk and not _may_manage(by, conference):
        raise ActionRefused(
            f"giver: you give only your own proxy, not {_name(giver)}'s; an organizer gives one for another delegate",
            field="giver",
        )
    if own is None or own.pk != giver.pk:
        _manage(by, conference)
    if holder.conference_id != conference.pk or holder.delegation_id != giver.delegation_id:
        raise ActionRefused(
            f"holder: {_name(holder)} is not of {_name(giver)}'s delegation; proxies stay within it",
            field="holder",
        )
    if holder.pk == giver.pk:
        raise ActionRefused("holder: a delegate cannot hold their own proxy", field="holder")
    with transaction.atomic():
        _check_status(conference, "proxies are given")
        seated = {voter.id for voter in selectors.entitled(conference)}
        for field, delegate in (("giver", giver), ("holder", holder)):
            if str(delegate.pk) not in seated:
                raise ActionRefused(
                    f"{field}: {_name(delegate)} holds no seat now; a proxy passes between seated delegates "
                    "(and alternates holding a seat)",
                    field=field,
                )
        if Proxy.objects.filter(conference=conference, giver=giver).exists():
            raise ActionRefused(f"proxy: {_name(giver)} already gave a proxy; withdraw it first", field="proxy")
        if Proxy.objects.filter(conference=conference, giver=holder).exists():
            raise ActionRefused(f"holder: {_name(holder)} gave a proxy and cannot hold one", field="holder")
        if Proxy.objects.filter(conference=conference, holder=giver).exists():
            raise ActionRefused(f"proxy: {_name(giver)} holds a proxy and cannot give one", field="proxy")
        _refuse_changing_a_cast_weight(giver, "given")
        _refuse_changing_a_cast_weight(holder, "given")
        proxy = Proxy.objects.create(conference=conference, giver=giver, holder=holder, given_at=timezone.now())
        _audit(by, "conferences.proxy.give", conference, proxy, holder=[None, holder.pk])
    return proxy


def withdraw_proxy(*, proxy: Proxy, by) -> None:
    """Withdraw a proxy (its giver, or an organizer); the giver votes again for themself. Votes the
    holder cast carrying it are not counted at the close (see `count`). Refused (status) once the
    conference has closed."""
    conference = proxy.conference
    own = _own(by, conference)
    if own is None or own.pk != proxy.giver_id:
        _manage(by, conference)
    with transaction.atomic():
        _check_status(conference, "proxies are withdrawn")
        _refuse_changing_a_cast_weight(proxy.holder, "withdrawn")
        _audit(by, "conferences.proxy.withdraw", conference, proxy, holder=[proxy.holder_id, None])
        proxy.delete()


def _refuse_changing_a_cast_weight(holder: Delegate, done: str) -> None:
    """Refused (votes) while `holder` (a proxy's giver or holder) has a vote in an open poll or a
    ballot in an open election: it was cast with the votes they carried then, and a vote counts
    only while its voter carries the same (see `count`), so a proxy given or withdrawn then
    would leave it out."""
    polls = PollVote.objects.filter(poll__state=Poll.State.OPEN, delegate=holder).values_list("poll_id", flat=True)
    elections = ElectionBallot.objects.filter(election__state="open", delegate=holder).values_list(
        "election_id", flat=True
    )
    poll = polls.first()
    election = elections.first() if poll is None else None
    where = f"poll {poll}" if poll is not None else f"election {election}"
    if poll is not None or election is not None:
        raise ActionRefused(
            f"votes: {_name(holder)} voted in {where}, still open, with the votes they carried; "
            f"the proxy is {done} once it closes",
            field="votes",
        )


# Elections ------------------------------------------------------------------------------------


def add_election(
    *,
    conference: Conference,
    title: str,
    method: str,
    candidates: list[str],
    by,
    seats: int = 1,
    body: bool = False,
    seed: str = "",
    people: dict[str, Person] | None = None,
) -> Election:
    """Prepare an election (draft): `candidates` by name, `method` one of voting.METHODS, `seats`
    to fill; `body` marks the election of the top unit's leading body; `people` links candidates
    (by their name on the ballot) to people of the organization (the caller resolves them in
    their own scope). Organizers only. Refused naming the field: title, method, candidates,
    seats, people (a name that is no candidate, a person of another organization, one person
    twice), status."""
    _manage(by, conference)
    title = _title("title", title)
    if method not in voting.METHODS:
        raise ActionRefused(
            f"method: unknown method {method!r}; use one of {', '.join(voting.METHODS)}", field="method"
        )
    names = [(name or "").strip() for name in candidates]
    for name in names:
        refuse_overlong("candidates", name, 200)
    try:
        # One ballot for the first candidate: the engine checks the method, candidates and seats.
        voting.elect(method, candidates=names, ballots=[voting.Ballot("-", tuple(names[:1]))], seats=seats, seed="-")
    except voting.VotingError as error:
        raise _refusal(error, "candidates") from None
    linked = _candidate_people(conference, names, people or {})
    with transaction.atomic():
        _check_status(conference, "elections are prepared")
        election = Election.objects.create(
            conference=conference,
            title=title,
            method=method,
            seats=seats,
            candidates=names,
            candidate_people=linked,
            body=body,
            seed=seed or conference.seed,
        )
        _audit(by, "conferences.election.add", conference, election, title=[None, title])
    return election


def _candidate_people(conference: Conference, names: list[str], people: dict[str, Person]) -> dict[str, int]:
    """Candidate name -> person id, refused (field people) for a name that is no candidate, a
    person of another organization or one person standing twice."""
    linked: dict[str, int] = {}
    for name, person in people.items():
        if name.strip() not in names:
            raise ActionRefused(f"people: '{name}' is not one of the candidates", field="people")
        if person.organization_id != conference.organization_id:
            raise ActionRefused(f"people: '{name}' is not a person of this organization", field="people")
        if person.pk in linked.values():
            raise ActionRefused(f"people: person {person.pk} stands more than once", field="people")
        linked[name.strip()] = person.pk
    return linked


def elected_people(election: Election) -> list[tuple[str, int | None]]:
    """The elected in the order they were elected, each with the id of the person they are (None
    for a candidate named only)."""
    links = election.candidate_people or {}
    return [(name, links.get(name)) for name in (election.result or {}).get("elected", [])]


def open_election(*, election: Election, by) -> Election:
    """Open a draft election for ballots, while the conference is in session (organizers)."""
    return _open(Election, election, by, "election")


def cast_ballot(*, election: Election, by, choices: list[str]) -> ElectionBallot:
    """The caller's own ballot in an open election: the candidates in order of preference (irv,
    stv), those approved (approval) or the one chosen (plurality); a later ballot replaces an
    earlier one while it is open; it records the weight the delegate carries. Refused as
    `cast_vote` refuses (state, status, delegate, present, proxy), and naming the ballot's fault
    (ballots) as the engine names it."""
    conference = election.conference
    delegate = _own_delegate(by, conference)
    if election.state != "open":
        raise ActionRefused(
            f"state: election {election.pk} is {election.state}; ballots go only in an open one", field="state"
        )
    _check_status(conference, "ballots are cast", in_session=True, lock=False)
    _entitled, _proxies_now, weight = _ballot_rules(conference, delegate)
    try:
        voting.elect(
            election.method,
            candidates=election.candidates,
            ballots=[voting.Ballot(str(delegate.pk), tuple(choices))],
            seats=election.seats,
            seed=election.seed,
        )
    except voting.VotingError as error:
        raise _refusal(error, "ballots", {str(delegate.pk): _name(delegate)}) from None
    with transaction.atomic():
        locked = Election.objects.select_for_update().get(pk=election.pk)
        if locked.state != "open":
            raise ActionRefused(f"state: election {election.pk} closed; ballots go only in an open one", field="state")
        ballot, _created = ElectionBallot.objects.update_or_create(
            election=election,
            delegate=delegate,
            defaults={"choices": list(choices), "weight": weight, "cast_at": timezone.now()},
        )
        _audit(by, "conferences.election.ballot", conference, election, delegate=[None, delegate.pk])
    return ballot


def close_election(*, election: Election, by) -> Election:
    """Close an open election and count it with `voting.elect`: each ballot weighs what its
    delegate carries at the close (their weight and the proxies they hold, as in a poll); ballots
    that no longer fit their voter (who left, lost their seat, gave a proxy, or carries another
    weight than they cast it with) are not counted, as in `count`. With no ballot counted that
    marks a candidate, nobody is elected: an open election always closes. Keeps the entitled
    list and the result (the engine's JSON, with `not_counted`: voter, name and why). Refused
    (status) unless the conference is in session, (state) unless the election is open."""
    _manage(by, election.conference)
    with transaction.atomic():
        _check_status(election.conference, "elections are closed", in_session=True)
        election = Election.objects.select_for_update().select_related("conference").get(pk=election.pk)
        if election.state != "open":
            raise ActionRefused(
                f"state: election {election.pk} is {election.state}; only an open one closes", field="state"
            )
        entitled = selectors.entitled(election.conference)
        proxies = _proxies(election.conference, {voter.id for voter in entitled})
        try:
            weights = voting.carried(entitled, proxies)
            voters = {voter.id: voter for voter in entitled}
            rows = ElectionBallot.objects.filter(election=election).values_list("delegate_id", "choices", "weight")
            ballots, left_out = [], []
            for pk, choices, cast_with in rows:
                why = _misfit(voters.get(str(pk)), weights, cast_with)
                if why:
                    left_out.append((str(pk), why))
                else:
                    ballots.append(voting.Ballot(str(pk), tuple(choices), weights[str(pk)]))
            result = voting.elect(
                election.method,
                candidates=election.candidates,
                ballots=ballots,
                seats=election.seats,
                seed=election.seed,
            )
        except voting.VotingError as error:
            raise _refusal(error, "ballots") from None
        shown: dict[str, Any] = result.as_json()
        shown["not_counted"] = _not_counted(left_out)
        election.entitled = [voter.as_json() for voter in entitled]
        election.result, election.state, election.closed_at = shown, "closed", timezone.now()
        election.save(update_fields=["entitled", "result", "state", "closed_at"])
        _audit(by, "conferences.election.close", election.conference, election, elected=[None, list(result.elected)])
    return election


# Constituting the body -----------------------------------------------------------------------


def constitute_body(*, conference: Conference, by, on: dt.date | None = None, officers: dict | None = None) -> Unit:
    """Constitute the organization's top unit at its founding conference: once the conference
    adopted its founding resolution (a motion marked `founding`) and elected the leading body (a
    closed election marked `body`), the top unit's founding transition (`organizations.actions.
    found_unit`) runs with the seated delegates present as its founding members, the `officers`
    given (post -> Person) and minutes that name the conference, the resolution and the body
    elected; the founding meeting it records is the conference's. The founding rules still
    decide: their refusal lists every rule that fails and nothing is written. Refused (field)
    when the conference is not convened by the top unit (unit), has no adopted founding
    resolution (resolution) or no closed election of the body (election)."""
    from grassroots.organizations.actions import found_unit

    _manage(by, conference)
    top = conference.unit
    if top.parent_id is not None:
        raise ActionRefused(
            f"unit: conference {conference.pk} is convened by {top.name}, not the organization's top unit", field="unit"
        )
    resolution = Motion.objects.filter(conference=conference, founding=True, status=MotionStatus.ADOPTED).first()
    if resolution is None:
        raise ActionRefused(
            f"resolution: conference {conference.pk} adopted no founding resolution", field="resolution"
        )
    body = Election.objects.filter(conference=conference, body=True, state="closed").first()
    if body is None or body.result is None:
        raise ActionRefused(
            f"election: conference {conference.pk} has no closed election of the body", field="election"
        )
    present = [int(voter.id) for voter in selectors.entitled(conference) if voter.present]
    members = [delegate.person for delegate in Delegate.objects.filter(pk__in=present).select_related("person")]
    elected = ", ".join(f"{name} (person {pk})" if pk else name for name, pk in elected_people(body))
    minutes = (
        f"Founding conference: {conference.name} (conference {conference.pk}), {len(members)} delegates present. "
        f"Resolution {resolution.number} adopted: {resolution.title}. {body.title} elected: {elected}."
    )
    with transaction.atomic():
        founded = found_unit(
            unit=top, by=by, on=on or timezone.localdate(), founding_members=members, officers=officers, minutes=minutes
        )
        _audit(by, "conferences.constitute", conference, conference, unit=[None, top.pk], elected=[None, elected])
    return founded
