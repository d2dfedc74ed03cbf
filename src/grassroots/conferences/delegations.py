"""Writes of delegations: a unit elects its delegation after the call, the credentials committee
verifies, challenges, rules on and seats the credentials, and the organizers keep the presence
in the hall (an absent delegate's seat is taken by the first present alternate).

Each action checks the actor's right, writes in one transaction and writes its audit record
beside the change. A refusal names its field: status, unit, decision, delegates, alternates,
chair, credential, grounds, ruling, present.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from grassroots.access import Right, authorize
from grassroots.audit.actions import write_audit_record
from grassroots.errors import ActionRefused, refuse_overlong
from grassroots.meetings.hostlink import host_token
from grassroots.meetings.models import Decision
from grassroots.meetings.selectors import standing_of
from grassroots.organizations.models import PATH_END, Unit
from grassroots.people.models import Membership, Person

from .apportionment import delegate_votes
from .models import Allocation, Amendment, Conference, Delegate, Delegation, ElectionBallot, Motion, PollVote
from .selectors import HOST_SALT, ROLE_ORDER, participants_of

Status = Conference.Status
Credential = Delegate.Credential
Role = Delegate.Role
# Delegations are elected after the call and until the session opens.
ELECTING = (Status.CALLED, Status.CREDENTIALING)
# Credentials are handled from the call until the conference closes.
CREDENTIALING = (Status.CALLED, Status.CREDENTIALING, Status.IN_SESSION)
# Presence is kept once credentialing has begun.
IN_THE_HALL = (Status.CREDENTIALING, Status.IN_SESSION)
# The credentials an alternate needs to take an absent delegate's seat.
MAY_STAND_IN = (Credential.VERIFIED, Credential.SEATED)
TEXT_LIMIT = 5000


def _audit(by, action: str, conference: Conference, unit: Unit, target, **changes) -> None:
    write_audit_record(
        by=by, action=action, target=target, organization=conference.organization, unit=unit, changes=changes
    )


def _refuse_unless(conference: Conference, statuses: Sequence[str], what: str) -> None:
    if conference.status not in statuses:
        allowed = " or ".join(Status(status).label for status in statuses)
        raise ActionRefused(
            f"status: conference {conference.pk} is {conference.get_status_display()}; "
            f"{what} only while it is {allowed}",
            field="status",
        )


def _name(person: Person) -> str:
    return person.name or f"person {person.pk}"


def _check_decision(conference: Conference, unit: Unit, decision: Decision) -> None:
    """A carried decision of a meeting of `unit` held on or after the day of the call."""
    meeting = decision.meeting
    if meeting.unit_id != unit.pk:
        raise ActionRefused(f"decision: decision {decision.pk} was not taken by {unit.name}", field="decision")
    if decision.outcome != Decision.Outcome.CARRIED:
        raise ActionRefused(f"decision: decision {decision.pk} was not carried ({decision.outcome})", field="decision")
    assert conference.called_at is not None
    called_on = timezone.localtime(conference.called_at, meeting.local_start.tzinfo).date()
    if meeting.on < called_on:
        raise ActionRefused(
            f"decision: decision {decision.pk} was taken on {meeting.on}, before the call on {called_on}",
            field="decision",
        )


def _check_people(
    conference: Conference, unit: Unit, decision: Decision, delegates: Sequence[Person], alternates: Sequence[Person]
) -> None:
    """Everyone elected once, a member of the unit (its subtree) in good standing on the day of the
    decision's meeting, and in no other delegation to the conference: two queries, and the
    standing rule's count per person when the constitution has one."""
    if not delegates:
        raise ActionRefused("delegates: elect at least one delegate", field="delegates")
    seen: set[int] = set()
    for field, people in (("delegates", delegates), ("alternates", alternates)):
        for person in people:
            if person.pk in seen:
                raise ActionRefused(f"{field}: {_name(person)} is elected twice", field=field)
            if person.organization_id != conference.organization_id:
                raise ActionRefused(f"{field}: {_name(person)} is not a member of {unit.name}", field=field)
            seen.add(person.pk)
    day = decision.meeting.on
    constitution = conference.organization.constitution
    members = set(
        Membership.objects.on(day)
        .filter(
            person_id__in=seen,
            unit__path__gte=unit.path,
            unit__path__lt=unit.path + PATH_END,
            status__in=constitution.member_statuses.counted,
        )
        .values_list("person_id", flat=True)
    )
    elsewhere = set(
        Delegate.objects.filter(conference=conference, person_id__in=seen)
        .exclude(delegation__unit=unit)
        .values_list("person_id", flat=True)
    )
    rule = constitution.meetings.standing
    for field, people in (("delegates", delegates), ("alternates", alternates)):
        for person in people:
            if person.pk not in members:
                raise ActionRefused(
                    f"{field}: {_name(person)} was not a member of {unit.name} in good standing on {day}", field=field
                )
            if rule is not None and not standing_of(person, on=day).in_good_standing:
                raise ActionRefused(
                    f"{field}: {_name(person)} was not in good standing on {day} (attended too few meetings)",
                    field=field,
                )
            if person.pk in elsewhere:
                raise ActionRefused(
                    f"{field}: {_name(person)} is already in another delegation to this conference", field=field
                )


def delegate_weights(conference: Conference, allocation: Allocation) -> tuple[int, ...]:
    """The votes of each of the delegation's seats, first seat first: 1 each, or, when the
    conference weights its delegates (`votes_per_delegate`), the unit's members counted at the
    cut-off shared out at most that many a delegate, the last one the remainder (47 members at
    most 10: 10, 10, 10, 10, 7), never more seats than the allocation's."""
    if conference.votes_per_delegate:
        return delegate_votes(allocation.members, conference.votes_per_delegate)[: allocation.seats]
    return (1,) * allocation.seats


def elect_delegation(
    *,
    conference: Conference,
    unit: Unit,
    decision: Decision,
    delegates: Sequence[Person],
    alternates: Sequence[Person] = (),
    chair: Person,
    by,
) -> Delegation:
    """Record the delegation `unit` elected by `decision` (a carried decision of one of its
    meetings held on or after the day of the call): `delegates` in rank order, at most the unit's
    seats (fewer are allowed: a unit may leave seats empty, and their votes are not cast), ranked
    `alternates`, and a `chair` among the delegates. Everyone is a member of the unit in good
    standing on the meeting's day. Credentials start submitted; weights per `delegate_weights`.
    Allowed to whoever manages the unit (its officers, or the convening committee's) while the
    conference is called or credentialing. Electing again replaces the delegation while none of
    its credentials was handled yet."""
    authorize(by, Right.MANAGE_UNITS, unit)
    _refuse_unless(conference, ELECTING, "delegations are elected")
    allocation = Allocation.objects.filter(conference=conference, unit=unit).first()
    if allocation is None or allocation.seats == 0:
        raise ActionRefused(f"unit: {unit.name} has no seats at {conference.name}", field="unit")
    _check_decision(conference, unit, decision)
    weights = delegate_weights(conference, allocation)
    if len(delegates) > len(weights):
        seats = f"{len(weights)} seat{'s' if len(weights) != 1 else ''}"
        raise ActionRefused(
            f"delegates: {len(delegates)} elected, but {unit.name} has {seats}",
            field="delegates",
        )
    _check_people(conference, unit, decision, delegates, alternates)
    if chair.pk not in {person.pk for person in delegates}:
        raise ActionRefused(f"chair: {_name(chair)} is not one of the delegates", field="chair")
    with transaction.atomic():
        # The allocation row is locked (it exists before any delegation does): of two elections
        # of one unit at once, the second waits here and then finds the first's delegation.
        Allocation.objects.select_for_update().filter(pk=allocation.pk).first()
        existing = Delegation.objects.select_for_update().filter(conference=conference, unit=unit).first()
        before = None
        if existing is not None:
            handled = existing.delegates.exclude(credential=Credential.SUBMITTED).count()
            if handled:
                raise ActionRefused(
                    f"delegates: the credentials of {unit.name}'s delegation are being handled "
                    f"({handled} no longer submitted); it can no longer be elected again",
                    field="delegates",
                )
            _refuse_if_acted(existing, unit)
            before = list(existing.delegates.order_by(ROLE_ORDER, "rank").values_list("person_id", flat=True))
            existing.delegates.all().delete()
            existing.decision, existing.chair, existing.elected_at = decision, chair, timezone.now()
            existing.save(update_fields=["decision", "chair", "elected_at"])
            delegation = existing
        else:
            delegation = Delegation.objects.create(
                conference=conference,
                allocation=allocation,
                unit=unit,
                decision=decision,
                chair=chair,
                elected_at=timezone.now(),
            )
        rows = [
            Delegate(delegation=delegation, conference=conference, person=person, role=Role.DELEGATE, rank=rank)
            for rank, person in enumerate(delegates, start=1)
        ]
        rows += [
            Delegate(delegation=delegation, conference=conference, person=person, role=Role.ALTERNATE, rank=rank)
            for rank, person in enumerate(alternates, start=1)
        ]
        for row, weight in zip(rows[: len(delegates)], weights, strict=False):
            row.weight = weight
        Delegate.objects.bulk_create(rows)
        _audit(
            by,
            "conferences.delegation",
            conference,
            unit,
            delegation,
            decision=[None, decision.pk],
            delegates=[None, [person.pk for person in delegates]],
            alternates=[None, [person.pk for person in alternates]],
            chair=[None, chair.pk],
            weights=[None, list(weights[: len(delegates)])],
            replaced=[before, None] if before is not None else [None, None],
        )
    return delegation


def _refuse_if_acted(delegation: Delegation, unit: Unit) -> None:
    """Refuse (field delegates) electing again a delegation one of whose delegates has already
    acted at the conference (submitted a motion or an amendment, voted in a poll or an election):
    the record keeps who did, so the delegation stands."""
    mine = Delegate.objects.filter(delegation=delegation)
    people = {row.pk: _name(row.person) for row in mine.select_related("person")}
    acts = [
        f"{people[delegate]} submitted motion {number}"
        for number, delegate in Motion.objects.filter(delegate__in=mine).values_list("number", "delegate_id")[:3]
    ]
    acts += [
        f"{people[delegate]} submitted amendment {number} of motion {motion}"
        for number, motion, delegate in Amendment.objects.filter(delegate__in=mine).values_list(
            "number", "motion__number", "delegate_id"
        )[:3]
    ]
    acts += [
        f"{people[delegate]} voted in poll {poll}"
        for poll, delegate in PollVote.objects.filter(delegate__in=mine).values_list("poll_id", "delegate_id")[:3]
    ]
    acts += [
        f"{people[delegate]} voted in election {election}"
        for election, delegate in ElectionBallot.objects.filter(delegate__in=mine).values_list(
            "election_id", "delegate_id"
        )[:3]
    ]
    if acts:
        raise ActionRefused(
            f"delegates: {'; '.join(acts[:3])}; {unit.name}'s delegation has acted at the conference "
            "and can no longer be elected again",
            field="delegates",
        )


def _locked(delegate: Delegate) -> Delegate:
    return Delegate.objects.select_for_update().select_related("delegation__unit", "person").get(pk=delegate.pk)


def _credential_step(delegate: Delegate, by, *, allowed: Sequence[str], to: str, action: str, **text: str) -> Delegate:
    conference = delegate.conference
    authorize(by, Right.MANAGE_UNITS, conference.unit)
    _refuse_unless(conference, CREDENTIALING, "credentials are handled")
    with transaction.atomic():
        locked = _locked(delegate)
        if locked.credential not in allowed:
            needed = " or ".join(allowed)
            raise ActionRefused(
                f"credential: {_name(locked.person)}'s credential is {locked.credential}; "
                f"it must be {needed} to become {to}",
                field="credential",
            )
        before = locked.credential
        locked.credential = to
        for field, value in text.items():
            setattr(locked, field, value)
        locked.save(update_fields=["credential", *text])
        _audit(
            by,
            action,
            conference,
            locked.delegation.unit,
            locked,
            credential=[before, to],
            **{field: [None, value] for field, value in text.items()},
        )
        # A seat changes hands when its delegate is seated or refused, or its alternate challenged.
        _reseat(locked.delegation)
    delegate.refresh_from_db()
    return delegate


def _text(field: str, value: str) -> str:
    value = value.strip()
    if not value:
        raise ActionRefused(f"{field}: required", field=field)
    refuse_overlong(field, value, TEXT_LIMIT)
    return value


def verify_credential(*, delegate: Delegate, by) -> Delegate:
    """The credentials committee finds a submitted credential in order: verified."""
    return _credential_step(
        delegate, by, allowed=(Credential.SUBMITTED,), to=Credential.VERIFIED, action="conferences.credential.verify"
    )


def challenge_credential(*, delegate: Delegate, grounds: str, by) -> Delegate:
    """A submitted or verified credential is challenged, on `grounds` (required)."""
    grounds = _text("grounds", grounds)
    return _credential_step(
        delegate,
        by,
        allowed=(Credential.SUBMITTED, Credential.VERIFIED),
        to=Credential.CHALLENGED,
        action="conferences.credential.challenge",
        grounds=grounds,
    )


def rule_on_challenge(*, delegate: Delegate, ruling: str, seat: bool, by) -> Delegate:
    """The credentials committee's decision on a challenged credential (`ruling`, required): the
    delegate is seated, or refused."""
    ruling = _text("ruling", ruling)
    return _credential_step(
        delegate,
        by,
        allowed=(Credential.CHALLENGED,),
        to=Credential.SEATED if seat else Credential.REFUSED,
        action="conferences.credential.rule",
        ruling=ruling,
    )


def seat_delegate(*, delegate: Delegate, by) -> Delegate:
    """Seat a verified credential: the delegate (or alternate) is entitled to sit and vote."""
    return _credential_step(
        delegate, by, allowed=(Credential.VERIFIED,), to=Credential.SEATED, action="conferences.credential.seat"
    )


def check_in(*, delegate: Delegate, by, present: bool = True) -> Delegate:
    """Mark a delegate or alternate present (checked in now) or absent, while the conference is
    credentialing or in session. Then the delegation's seats are settled (`_reseat`): a seated
    delegate who is absent has their seat taken by the first present alternate (by rank, credential
    verified or seated), who steps back when the delegate is present again."""
    conference = delegate.conference
    authorize(by, Right.MANAGE_UNITS, conference.unit)
    return _check_in(conference, delegate, by=by, present=present)


def host_check_in(*, conference: Conference, delegate: Delegate, present: bool = True) -> Delegate:
    """`check_in` from the hall's host link (the link is the authority: whoever holds it keeps the
    presence, recorded as the conference's host)."""
    return _check_in(conference, delegate, by=f"host of conference {conference.pk}", present=present)


def _check_in(conference: Conference, delegate: Delegate, *, by, present: bool) -> Delegate:
    _refuse_unless(conference, IN_THE_HALL, "presence is kept")
    with transaction.atomic():
        locked = _locked(delegate)
        before = locked.present
        locked.present = present
        if present:
            locked.checked_in_at = timezone.now()
        locked.save(update_fields=["present", "checked_in_at"])
        moves = _reseat(locked.delegation)
        _audit(
            by,
            "conferences.presence",
            conference,
            locked.delegation.unit,
            locked,
            present=[before, present],
            seats=[None, moves] if moves else [None, None],
        )
    delegate.refresh_from_db()
    return delegate


def issue_host_link(*, conference: Conference, by) -> str:
    """A new check-in link for the hall's host (its signed token), while the conference is called,
    credentialing or in session; a link issued before stops working. Whoever holds it checks the
    delegates in and out without signing in, so it is audited."""
    authorize(by, Right.MANAGE_UNITS, conference.unit)
    _refuse_unless(conference, CREDENTIALING, "a host link is issued")
    with transaction.atomic():
        key = secrets.token_urlsafe(18)
        Conference.objects.filter(pk=conference.pk).update(host_key=key)
        conference.host_key = key
        _audit(by, "conferences.host_link", conference, conference.unit, conference, host_link=[None, "issued"])
    return host_token(conference.pk, key, salt=HOST_SALT)


def _reseat(delegation: Delegation) -> list[str]:
    """Settle who holds each seated delegate's seat: an alternate steps back when they leave, lose
    their standing credential, or when the delegate they sat for is present again (or no longer
    seated); then each seated delegate absent, by rank, is replaced by the first free present
    alternate, by rank, whose credential is verified or seated. Returns the moves, in words."""
    rows = list(Delegate.objects.select_for_update().filter(delegation=delegation).order_by("role", "rank"))
    by_pk = {row.pk: row for row in rows}
    seated = [row for row in rows if row.role == Role.DELEGATE and row.credential == Credential.SEATED]
    alternates = [row for row in rows if row.role == Role.ALTERNATE]
    moves: list[str] = []
    changed: list[Delegate] = []
    for alternate in alternates:
        if alternate.seated_for_id is None:
            continue
        seat = by_pk.get(alternate.seated_for_id)
        if (
            not alternate.present
            or alternate.credential not in MAY_STAND_IN
            or seat is None
            or seat.present
            or seat.credential != Credential.SEATED
        ):
            moves.append(f"alternate {alternate.rank} steps back from delegate {seat.rank if seat else '?'}'s seat")
            alternate.seated_for_id = None
            changed.append(alternate)
    if changed:
        Delegate.objects.bulk_update(changed, ["seated_for"])
    held = {alternate.seated_for_id for alternate in alternates if alternate.seated_for_id}
    free = [
        alternate
        for alternate in alternates
        if alternate.seated_for_id is None and alternate.present and alternate.credential in MAY_STAND_IN
    ]
    taken: list[Delegate] = []
    for seat in seated:
        if seat.present or seat.pk in held or not free:
            continue
        alternate = free.pop(0)
        alternate.seated_for_id = seat.pk
        taken.append(alternate)
        moves.append(f"alternate {alternate.rank} takes delegate {seat.rank}'s seat")
    if taken:
        Delegate.objects.bulk_update(taken, ["seated_for"])
    return moves


def export_participants(*, conference: Conference, by) -> list[tuple[str, str, int, str, str]]:
    """The participants for an assembly tool (see `selectors.participants_of`), for who may see
    the people of the convening unit's subtree; the export is audited with its row count."""
    authorize(by, Right.VIEW_PEOPLE, conference.unit)
    rows = participants_of(conference)
    _audit(by, "conferences.participants.export", conference, conference.unit, conference, rows=[None, len(rows)])
    return rows
