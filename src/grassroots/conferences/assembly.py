"""Writes of a conference in session: its motions and their amendments, polls and the delegates'
votes, proxies, elections and their ballots, and resolutions published in the bulletin.

Each action checks the actor, writes in one transaction with its audit record, and refuses
(`ActionRefused`, a 409 through the API) naming the field or the rule. The organizers are those
who may manage the convening unit; a delegate acts only for themself (their own delegate row,
`selectors.delegate_of`), votes only while seated and present, and only in an open poll.

Counting is the voting engine's (`voting.close_poll`, `voting.elect`); its errors become
refusals naming its field. A closed poll or election keeps the entitled list (weights and
presence), the proxies and the result as they were at the close, and never changes again.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from grassroots.access import Right, authorize, is_operator
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


def paragraphs(text: str) -> list[str]:
    """The text's paragraphs: blocks separated by a blank line, each stripped."""
    return [part.strip() for part in PARAGRAPH_BREAK.split(text.strip()) if part.strip()]


def _audit(by, action: str, conference: Conference, target, **changes) -> None:
    write_audit_record(
        by=by, action=action, target=target, organization=conference.organization, unit=conference.unit, changes=changes
    )


def _manage(by, conference: Conference) -> None:
    authorize(by, Right.MANAGE_UNITS, conference.unit)


def _title(field: str, value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ActionRefused(f"{field}: required", field=field)
    refuse_multiline(field, value)
    refuse_overlong(field, value, 200)
    return value


def _body(field: str, value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ActionRefused(f"{field}: required", field=field)
    refuse_overlong(field, value, TEXT_LIMIT)
    return value


def _lock_meeting(conference: Conference) -> None:
    """Lock the conference row and refuse unless it is called and not closed (read again under
    the lock: a step on may have committed meanwhile)."""
    conference = Conference.objects.select_for_update().get(pk=conference.pk)
    if conference.status in (Conference.Status.PLANNED, Conference.Status.CLOSED):
        raise ActionRefused(
            f"status: conference {conference.pk} is {conference.get_status_display()}; "
            "motions, polls and elections belong to a called conference that has not closed",
            field="status",
        )


def _refuse_unless_in_session(conference: Conference, what: str) -> None:
    if conference.status != Conference.Status.IN_SESSION:
        raise ActionRefused(
            f"status: conference {conference.pk} is {conference.get_status_display()}; {what} only in session",
            field="status",
        )


def _own(by, conference: Conference) -> Delegate | None:
    """The actor's own delegate row (None for the terminal and jobs, which act for no one)."""
    return None if is_operator(by) else selectors.delegate_of(by, conference)


def _own_delegate(by, conference: Conference) -> Delegate:
    delegate = _own(by, conference)
    if delegate is None:
        raise ActionRefused(f"delegate: you are not a delegate of conference {conference.pk}", field="delegate")
    return delegate


def _refusal(error: voting.VotingError, field: str) -> ActionRefused:
    return ActionRefused(str(error), field=error.field or field)


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
    delegate (not of this conference, or not the caller), status (the conference is not called
    or has closed)."""
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
    if founding:
        _manage(by, conference)
    with transaction.atomic():
        _lock_meeting(conference)
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
    decided: by an organizer, or by a delegate for themself. Refused naming the field: text,
    paragraph (no such paragraph), delegate, status."""
    conference = motion.conference
    text = _body("text", text)
    if delegate is None:
        _manage(by, conference)
    else:
        own = _own(by, conference)
        if own is None or own.pk != delegate.pk:
            _manage(by, conference)
    with transaction.atomic():
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
    """The motion's text with the amendment applied: the whole text, or one paragraph replaced."""
    if amendment.paragraph is None:
        return amendment.text
    parts = paragraphs(motion_text)
    parts[amendment.paragraph - 1] = amendment.text
    return "\n\n".join(parts)


def _decide_amendment(amendment: Amendment, passed: bool, by) -> None:
    motion = Motion.objects.select_for_update().get(pk=amendment.motion_id)
    amendment.status = Amendment.Status.ADOPTED if passed else Amendment.Status.REJECTED
    amendment.save(update_fields=["status"])
    if passed:
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
        if motion.status != MotionStatus.ADOPTED:
            raise ActionRefused(f"status: motion {motion.number} is {motion.status}; only a resolution", field="status")
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
    totals entered at the close (`named` False). Organizers only. Refused naming the field:
    kind, base, majority, subject, motion, amendment, status."""
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
    if not subject.strip():
        if amendment is not None:
            subject = f"Amendment {amendment.number} to motion {amendment.motion.number}"
        elif motion is not None:
            subject = f"Motion {motion.number}: {motion.title}"
    subject = _title("subject", subject)[:200]
    with transaction.atomic():
        _lock_meeting(conference)
        poll = Poll.objects.create(
            conference=conference,
            motion=motion,
            amendment=amendment,
            subject=subject,
            kind=rule.kind,
            base=rule.base,
            majority=majority if isinstance(majority, str) else str(rule.majority.share),
            named=named,
            created_at=timezone.now(),
        )
        _audit(by, "conferences.poll.add", conference, poll, subject=[None, subject])
    return poll


def open_poll(*, poll: Poll, by) -> Poll:
    """Open a draft poll for votes, while the conference is in session (organizers)."""
    return _open(Poll, poll, by, "poll")


def _open(model: Any, item: Any, by, what: str) -> Any:
    """Open a draft poll or election (`model`) while the conference is in session, dated."""
    _manage(by, item.conference)
    with transaction.atomic():
        item = model.objects.select_for_update().select_related("conference").get(pk=item.pk)
        _refuse_unless_in_session(item.conference, f"{what}s are opened")
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


def _ballot_rules(conference: Conference, delegate: Delegate) -> tuple[list[voting.Voter], list[voting.Proxy]]:
    """The entitled list and proxies now, after refusing a delegate who may not vote now: not
    seated, not present, or who gave a proxy (each refusal names its rule)."""
    entitled = selectors.entitled(conference)
    me = next((voter for voter in entitled if voter.id == str(delegate.pk)), None)
    if me is None:
        raise ActionRefused("delegate: you are not seated; only a seated delegate votes", field="delegate")
    if not me.present:
        raise ActionRefused("present: you are not checked in; a delegate votes only while present", field="present")
    proxies = _proxies(conference, {voter.id for voter in entitled})
    given = next((proxy for proxy in proxies if proxy.giver == me.id), None)
    if given is not None:
        raise ActionRefused(
            f"proxy: you gave your vote to delegate {given.holder}; a delegate who gave a proxy cannot vote",
            field="proxy",
        )
    return entitled, proxies


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
    _refuse_unless_in_session(conference, "votes are cast")
    if not poll.named:
        raise ActionRefused(f"named: poll {poll.pk} is counted by entered totals, not named votes", field="named")
    entitled, proxies = _ballot_rules(conference, delegate)
    vote = voting.Vote(str(delegate.pk), choice=choice or None, yes=yes, no=no, abstain=abstain)
    try:
        voting.close_poll(_rule(poll), entitled=entitled, votes=[vote], proxies=proxies)
    except voting.VotingError as error:
        raise _refusal(error, "votes") from None
    with transaction.atomic():
        locked = Poll.objects.select_for_update().get(pk=poll.pk)
        if locked.state != Poll.State.OPEN:
            raise ActionRefused(f"state: poll {poll.pk} closed; votes are cast only in an open poll", field="state")
        row, _created = PollVote.objects.update_or_create(
            poll=poll,
            delegate=delegate,
            defaults={"choice": choice or "", "yes": yes, "no": no, "abstain": abstain, "cast_at": timezone.now()},
        )
        _audit(by, "conferences.poll.vote", conference, poll, delegate=[None, delegate.pk])
    return row


def _rule(poll: Poll) -> voting.Poll:
    return voting.Poll(poll.kind, poll.base, poll.majority)


def _named_votes(poll: Poll) -> list[voting.Vote]:
    rows = PollVote.objects.filter(poll=poll).values_list("delegate_id", "choice", "yes", "no", "abstain")
    return [voting.Vote(str(pk), choice=choice or None, yes=y, no=n, abstain=a) for pk, choice, y, n, a in rows]


def count(poll: Poll, *, totals: voting.Totals | None = None) -> tuple[voting.PollResult, list[dict[str, str]]]:
    """The poll counted now from the entitled list, the proxies and its named votes (or
    `totals`): the engine's result, and the named votes not counted, each with why (the voter
    is no longer seated, has left, or gave a proxy since). Raises VotingError."""
    entitled = selectors.entitled(poll.conference)
    voters = {voter.id: voter for voter in entitled}
    proxies = _proxies(poll.conference, set(voters))
    givers = {proxy.giver for proxy in proxies}
    if totals is not None:
        return voting.close_poll(_rule(poll), entitled=entitled, totals=totals, proxies=proxies), []
    counted, left_out = [], []
    for vote in _named_votes(poll):
        voter = voters.get(vote.voter)
        why = (
            "not seated"
            if voter is None
            else "not present"
            if not voter.present
            else "gave a proxy"
            if vote.voter in givers
            else ""
        )
        if why:
            left_out.append({"voter": vote.voter, "why": why})
        else:
            counted.append(vote)
    return voting.close_poll(_rule(poll), entitled=entitled, votes=counted, proxies=proxies), left_out


def close_poll(*, poll: Poll, by, totals: dict[str, int] | None = None) -> Poll:
    """Close an open poll and freeze it: the entitled list with weights and presence, the proxies,
    and the result (`voting.PollResult.as_json` without the entitled list and proxies, which are
    kept beside it, plus `not_counted`: named votes of delegates who left, lost their seat or gave
    a proxy since they voted). A poll by entered totals takes `totals` ({"yes", "no", "abstain"}).
    A poll on an amendment adopts it (changing the motion's text, the old one kept) or rejects
    it; one on a motion admitted or debated adopts or rejects the motion. Refused naming the
    field: state, totals (missing, or more than the present carry), and the engine's fields."""
    _manage(by, poll.conference)
    if poll.named and totals is not None:
        raise ActionRefused(f"totals: poll {poll.pk} is counted by named votes; enter no totals", field="totals")
    if not poll.named and totals is None:
        raise ActionRefused(f"totals: poll {poll.pk} is counted by entered totals; give them", field="totals")
    with transaction.atomic():
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
        poll.result, poll.passed = shown, result.passed
        poll.totals = None if entered is None else entered.as_json()
        poll.state, poll.closed_at = Poll.State.CLOSED, timezone.now()
        poll.save(update_fields=["entitled", "proxies", "result", "passed", "totals", "state", "closed_at"])
        _audit(
            by, "conferences.poll.close", poll.conference, poll, state=["open", "closed"], passed=[None, poll.passed]
        )
        if poll.amendment_id is not None:
            amendment = Amendment.objects.select_for_update().get(pk=poll.amendment_id)
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
    conference (the giver themself, or an organizer). Refused naming the rule: holder (another
    delegation, themself, or a holder who gave a proxy), proxy (the giver already gave one, or
    holds one), votes (the giver voted in a poll still open)."""
    conference = giver.conference
    own = _own(by, conference)
    if own is None or own.pk != giver.pk:
        _manage(by, conference)
    if holder.conference_id != conference.pk or holder.delegation_id != giver.delegation_id:
        raise ActionRefused(
            f"holder: delegate {holder.pk} is not of delegate {giver.pk}'s delegation; proxies stay within it",
            field="holder",
        )
    if holder.pk == giver.pk:
        raise ActionRefused("holder: a delegate cannot hold their own proxy", field="holder")
    with transaction.atomic():
        Conference.objects.select_for_update().get(pk=conference.pk)
        if Proxy.objects.filter(conference=conference, giver=giver).exists():
            raise ActionRefused(f"proxy: delegate {giver.pk} already gave a proxy; withdraw it first", field="proxy")
        if Proxy.objects.filter(conference=conference, giver=holder).exists():
            raise ActionRefused(f"holder: delegate {holder.pk} gave a proxy and cannot hold one", field="holder")
        if Proxy.objects.filter(conference=conference, holder=giver).exists():
            raise ActionRefused(f"proxy: delegate {giver.pk} holds a proxy and cannot give one", field="proxy")
        if PollVote.objects.filter(poll__state=Poll.State.OPEN, delegate=giver).exists():
            raise ActionRefused(f"votes: delegate {giver.pk} voted in a poll still open; give it after", field="votes")
        proxy = Proxy.objects.create(conference=conference, giver=giver, holder=holder, given_at=timezone.now())
        _audit(by, "conferences.proxy.give", conference, proxy, holder=[None, holder.pk])
    return proxy


def withdraw_proxy(*, proxy: Proxy, by) -> None:
    """Withdraw a proxy (its giver, or an organizer); the giver votes again for themself."""
    conference = proxy.conference
    own = _own(by, conference)
    if own is None or own.pk != proxy.giver_id:
        _manage(by, conference)
    with transaction.atomic():
        _audit(by, "conferences.proxy.withdraw", conference, proxy, holder=[proxy.holder_id, None])
        proxy.delete()


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
        _lock_meeting(conference)
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
    earlier one while it is open. Refused as `cast_vote` refuses (state, delegate, present,
    proxy), and naming the ballot's fault (ballots) as the engine names it."""
    conference = election.conference
    delegate = _own_delegate(by, conference)
    if election.state != "open":
        raise ActionRefused(
            f"state: election {election.pk} is {election.state}; ballots go only in an open one", field="state"
        )
    _ballot_rules(conference, delegate)
    try:
        voting.elect(
            election.method,
            candidates=election.candidates,
            ballots=[voting.Ballot(str(delegate.pk), tuple(choices))],
            seats=election.seats,
            seed=election.seed,
        )
    except voting.VotingError as error:
        raise _refusal(error, "ballots") from None
    with transaction.atomic():
        locked = Election.objects.select_for_update().get(pk=election.pk)
        if locked.state != "open":
            raise ActionRefused(f"state: election {election.pk} closed; ballots go only in an open one", field="state")
        ballot, _created = ElectionBallot.objects.update_or_create(
            election=election, delegate=delegate, defaults={"choices": list(choices), "cast_at": timezone.now()}
        )
        _audit(by, "conferences.election.ballot", conference, election, delegate=[None, delegate.pk])
    return ballot


def close_election(*, election: Election, by) -> Election:
    """Close an open election and count it with `voting.elect`: each ballot weighs what its
    delegate carries at the close (their weight and the proxies they hold, as in a poll); ballots
    of delegates who left, lost their seat or gave a proxy are not counted. Keeps the entitled
    list and the result (the engine's JSON, with `not_counted`)."""
    _manage(by, election.conference)
    with transaction.atomic():
        election = Election.objects.select_for_update().select_related("conference").get(pk=election.pk)
        if election.state != "open":
            raise ActionRefused(
                f"state: election {election.pk} is {election.state}; only an open one closes", field="state"
            )
        entitled = selectors.entitled(election.conference)
        proxies = _proxies(election.conference, {voter.id for voter in entitled})
        try:
            weights = voting.carried(entitled, proxies)
            rows = ElectionBallot.objects.filter(election=election).values_list("delegate_id", "choices")
            ballots = [voting.Ballot(str(pk), tuple(c), weights[str(pk)]) for pk, c in rows if str(pk) in weights]
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
        shown["not_counted"] = [str(pk) for pk, _c in rows if str(pk) not in weights]
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
