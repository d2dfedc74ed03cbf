"""Writes of conferences: add one, apportion its delegates, call it, and step it through
credentialing, session and close. Each checks the actor's right to manage the convening unit,
writes in one transaction with its audit record, and the call queues its notices in the outbox
(the one way Grassroots sends mail).

The apportionment parameters are checked by the engine's own checks, so a refusal names the
field as the engine does (seats, method, minimum, maximum, per, rounding, brackets).
"""

from __future__ import annotations

import datetime as dt
import secrets
from fractions import Fraction

from django.db import transaction
from django.db.models import IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from grassroots.access import Right, authorize
from grassroots.audit.actions import write_audit_record
from grassroots.errors import ActionRefused, refuse_multiline, refuse_overlong, refuse_unknown_day
from grassroots.meetings.feeds import site_url
from grassroots.organizations.models import OfficerPost, Unit
from grassroots.outbox.actions import add_editions, queue_mailing
from grassroots.people.models import Person

from . import apportionment
from .apportionment import METHODS, Apportionment, ApportionmentError
from .apportionment.result import MOST_MEMBERS, check_whole
from .models import Allocation, Conference, Election, Poll
from .selectors import delegation_units, members_at_cutoff

Status = Conference.Status
RULES = (*METHODS, Conference.PER, Conference.BRACKETS)
# The parameters an engine error may name; any other name is a unit of the input.
PARAMETERS = ("seats", "method", "minimum", "maximum", "per", "rounding", "brackets", "members")
# Each status after the call, and the one it follows.
NEXT = {
    Status.CALLED: Status.CREDENTIALING,
    Status.CREDENTIALING: Status.IN_SESSION,
    Status.IN_SESSION: Status.CLOSED,
}
DATED = {
    Status.CALLED: "called_at",
    Status.CREDENTIALING: "credentialing_at",
    Status.IN_SESSION: "in_session_at",
    Status.CLOSED: "closed_at",
}
# The longest membership a conference may require by its cut-off (about 274 years), as the API's.
MOST_TENURE_DAYS = 100_000


def _audit(by, action: str, conference: Conference, **changes) -> None:
    write_audit_record(
        by=by,
        action=action,
        target=conference,
        organization=conference.organization,
        unit=conference.unit,
        changes=changes,
    )


def _refusal(error: ApportionmentError) -> ActionRefused:
    """The engine's error as a refusal naming its field (a unit's own error: the members)."""
    return ActionRefused(str(error), field=error.field if error.field in PARAMETERS else "members")


def _one_line(field: str, value: str, limit: int, *, required: bool = False) -> str:
    value = value.strip()
    if required and not value:
        raise ActionRefused(f"{field}: required", field=field)
    refuse_multiline(field, value)
    refuse_overlong(field, value, limit)
    return value


def checked_rule(
    *,
    method: str,
    seats: int | None = None,
    minimum: int = 0,
    maximum: int | None = None,
    per: int | None = None,
    rounding: str = "",
    brackets: str = "",
) -> dict[str, object]:
    """The apportionment rule's fields as a conference stores them, checked: a house-size method
    (`hamilton`, `dhondt`, `sainte-lague`, `huntington-hill`) takes `seats`; `per` takes `per`
    and a `rounding` (default floor); `brackets` takes the brackets' text. `minimum` and
    `maximum` seats per unit go with any of them. Refusals name the field."""
    if method not in RULES:
        raise ActionRefused(f"method: unknown method {method!r}; use one of {', '.join(RULES)}", field="method")
    given = {"seats": seats is not None, "per": per is not None, "rounding": bool(rounding), "brackets": bool(brackets)}
    wanted = {"seats"} if method in METHODS else {"per", "rounding"} if method == Conference.PER else {"brackets"}
    for name, present in given.items():
        if present and name not in wanted:
            raise ActionRefused(f"{name}: does not apply to the method {method}", field=name)
    try:
        if method in METHODS:
            if seats is None:
                raise ActionRefused(f"seats: required with the method {method}", field="seats")
            check_whole(seats, "seats", at_least=1)
        elif method == Conference.PER:
            if per is None:
                raise ActionRefused("per: required with the method per (one delegate per N members)", field="per")
            check_whole(per, "per", at_least=1, at_most=MOST_MEMBERS)
            rounding = rounding or "floor"
            apportionment.round_quota(Fraction(0), rounding)
        else:
            if not brackets.strip():
                raise ActionRefused("brackets: give at least one bracket line, e.g. '1-14: 1'", field="brackets")
            refuse_overlong("brackets", brackets, 10_000)
            apportionment.parse_brackets(brackets)
        check_whole(minimum, "minimum")
        if maximum is not None and check_whole(maximum, "maximum", at_least=1) < minimum:
            raise ActionRefused(f"minimum: {minimum} is more than the maximum {maximum}", field="minimum")
    except ApportionmentError as error:
        raise _refusal(error) from None
    return {
        "method": method,
        "seats": seats,
        "minimum_seats": minimum,
        "maximum_seats": maximum,
        "per": per,
        "rounding": rounding,
        "brackets": brackets,
    }


def add_conference(
    *,
    unit: Unit,
    name: str,
    cutoff: dt.date,
    by,
    method: str | None = None,
    seats: int | None = None,
    minimum: int | None = None,
    maximum: int | None = None,
    per: int | None = None,
    rounding: str = "",
    brackets: str = "",
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    place: str = "",
    statuses: list[str] | None = None,
    minimum_tenure_days: int = 0,
    standing: bool = False,
    delegation_kind: str = "",
    seed: str | None = None,
    votes_per_delegate: int | None = None,
) -> Conference:
    """Plan a conference convened by `unit` (a committee or the top unit; who may manage it) over
    its subtree, its members counted on `cutoff`. `statuses` are those counted in good standing
    (default: the constitution's counted statuses); a membership counts after `minimum_tenure_days`;
    with `standing`, only members in good standing on the cut-off by the constitution's meetings
    rule (`meetings.standing`: attended at least N meetings in the months before) count.
    Delegations are sent by the basic units, or by the units of `delegation_kind` below `unit`.
    Without a `method`, the rule is the constitution's (`conferences.apportionment`), and none of
    its parameters may be given (a rule is taken whole or chosen whole); the conference records
    which (`rule_from_constitution`). The lot that breaks ties is drawn from `seed` (default: a
    random one, stored). Refusals name the field: unit, name, cutoff, starts_on, ends_on, place,
    statuses, minimum_tenure_days, standing, delegation_kind (a kind below `unit`),
    votes_per_delegate (weighted delegates: each carries at most that many member votes, see
    `delegations.delegate_weights`), and the rule's fields (see `checked_rule`)."""
    authorize(by, Right.MANAGE_UNITS, unit)
    constitution = unit.organization.constitution
    if constitution.kind(unit.kind).basic:
        raise ActionRefused(
            f"unit: {unit.name} is a basic unit; a conference is convened by a committee or the top unit", field="unit"
        )
    name = _one_line("name", name, 200, required=True)
    place = _one_line("place", place, 200)
    # Members are counted as they stood on the cut-off: a day not yet come (or before any record)
    # would count today's members and call them that day's.
    refuse_unknown_day("cutoff", cutoff, time_zone=unit.organization.time_zone)
    if starts_on and ends_on and ends_on < starts_on:
        raise ActionRefused(f"ends_on: {ends_on} is before the start, {starts_on}", field="ends_on")
    if starts_on and cutoff > starts_on:
        raise ActionRefused(f"cutoff: {cutoff} is after the conference starts ({starts_on})", field="cutoff")
    statuses = list(dict.fromkeys(statuses or []))
    unknown = [status for status in statuses if status not in constitution.statuses]
    if unknown:
        raise ActionRefused(
            f"statuses: '{unknown[0]}' is not a member status ({', '.join(constitution.statuses)})", field="statuses"
        )
    if isinstance(minimum_tenure_days, bool) or not isinstance(minimum_tenure_days, int) or minimum_tenure_days < 0:
        raise ActionRefused(
            f"minimum_tenure_days: {minimum_tenure_days!r} is not a whole number of days", field="minimum_tenure_days"
        )
    if minimum_tenure_days > MOST_TENURE_DAYS:
        raise ActionRefused(
            f"minimum_tenure_days: must be at most {MOST_TENURE_DAYS:,} days, not {minimum_tenure_days:,}",
            field="minimum_tenure_days",
        )
    if standing and constitution.meetings.standing is None:
        raise ActionRefused(
            "standing: the constitution has no standing rule (meetings: standing) to count members by",
            field="standing",
        )
    rounding = rounding or ""
    if delegation_kind:
        kind, below = constitution.kind_key(delegation_kind), constitution.kinds_below(unit.kind)
        if kind is None or kind not in below:
            kinds = ", ".join(below)
            raise ActionRefused(
                f"delegation_kind: '{delegation_kind}' is not a kind of unit below {unit.name} ({kinds})",
                field="delegation_kind",
            )
        delegation_kind = kind
    from_constitution = method is None
    if method is None:
        given = {"seats": seats, "per": per, "maximum": maximum, "rounding": rounding or None}
        given |= {"brackets": brackets or None, "minimum": minimum}
        written = constitution.conferences.apportionment
        if written is None:
            raise ActionRefused(
                "method: required; the constitution names no apportionment rule (conferences: apportionment)",
                field="method",
            )
        for field, value in given.items():
            if value is not None:
                raise ActionRefused(
                    f"{field}: give the method too, or leave the whole rule to the constitution "
                    f"({apportionment.constitution_rule(constitution)})",
                    field=field,
                )
        method, seats, minimum, maximum = written.method, written.seats, written.minimum, written.maximum
        per, rounding, brackets = written.per, written.rounding or "", written.brackets or ""
    try:
        rule = checked_rule(
            method=method,
            seats=seats,
            minimum=minimum or 0,
            maximum=maximum,
            per=per,
            rounding=rounding,
            brackets=brackets,
        )
    except ActionRefused as refusal:
        if from_constitution:  # a bound the engine keeps and the constitution's schema does not
            raise ActionRefused(
                f"the constitution's conferences.apportionment.{refusal.message}", field=refusal.field
            ) from None
        raise
    seed = _one_line("seed", seed, 64) if seed is not None else secrets.token_hex(16)
    if votes_per_delegate is not None:
        try:
            check_whole(votes_per_delegate, "votes_per_delegate", at_least=1)
        except ApportionmentError as error:
            raise ActionRefused(str(error), field="votes_per_delegate") from None
    with transaction.atomic():
        conference = Conference.objects.create(
            organization=unit.organization,
            unit=unit,
            name=name,
            cutoff=cutoff,
            starts_on=starts_on,
            ends_on=ends_on,
            place=place,
            statuses=statuses,
            minimum_tenure_days=minimum_tenure_days,
            standing=bool(standing),
            delegation_kind=delegation_kind,
            seed=seed or secrets.token_hex(16),
            votes_per_delegate=votes_per_delegate,
            rule_from_constitution=from_constitution,
            created_at=timezone.now(),
            **rule,
        )
        source = " (the constitution's)" if from_constitution else ""
        _audit(
            by,
            "conferences.add",
            conference,
            name=[None, name],
            cutoff=[None, cutoff.isoformat()],
            rule=[None, conference.rule_summary + source],
        )
    return conference


def compute_apportionment(conference: Conference) -> tuple[Apportionment, dict[str, Unit]]:
    """The apportionment of the conference from its members counted on the cut-off date, and its
    units by slug (the engine's unit names): two queries, the units and one grouped count.
    Refused (field units) when no basic unit of the subtree was founded on the cut-off date, and
    (field cutoff) while the cut-off date is still to come in the organization's zone."""
    refuse_unknown_day("cutoff", conference.cutoff, time_zone=conference.organization.time_zone)
    units = {unit.slug: unit for unit in delegation_units(conference).only("pk", "slug", "name", "path")}
    if not units:
        what = "basic unit" if not conference.delegation_kind else conference.delegation_kind.replace("_", " ")
        raise ActionRefused(
            f"units: no {what} under {conference.unit.name} was founded on {conference.cutoff}", field="units"
        )
    basic = (
        not conference.delegation_kind
        or conference.unit.organization.constitution.kind(conference.delegation_kind).basic
    )
    counts = members_at_cutoff(conference, delegations=() if basic else list(units.values()))
    members = {slug: counts.get(unit.pk, 0) for slug, unit in units.items()}
    low, high = conference.minimum_seats, conference.maximum_seats
    try:
        if conference.method in METHODS:
            assert conference.seats is not None
            result = apportionment.apportion(
                members,
                seats=conference.seats,
                method=conference.method,
                seed=conference.seed,
                minimum=low,
                maximum=high,
            )
        elif conference.method == Conference.PER:
            assert conference.per is not None
            result = apportionment.apportion_per(
                members, per=conference.per, rounding=conference.rounding or "floor", minimum=low, maximum=high
            )
        else:
            result = apportionment.apportion_brackets(members, brackets=conference.brackets, minimum=low, maximum=high)
    except ApportionmentError as error:
        refusal = _refusal(error)
        if conference.rule_from_constitution and refusal.field in PARAMETERS and refusal.field != "members":
            # Nobody typed this rule: the constitution's key is named, not a flag or a field.
            message = f"the constitution's conferences.apportionment.{refusal.message}"
            refusal = ActionRefused(message, field=refusal.field)
        raise refusal from None
    return result, units


def _store(conference: Conference, result: Apportionment, units: dict[str, Unit]) -> None:
    """Replace the conference's allocations with the result's lines and keep its explanation."""
    Allocation.objects.filter(conference=conference).delete()
    lines = []
    for line in result.units:
        shown = line.as_json()
        unit = units[line.unit]
        lines.append(
            Allocation(
                conference=conference,
                unit=unit,
                unit_path=unit.path,
                members=line.members,
                quota=str(shown["quota"] or ""),
                quota_exact=str(shown["quota_exact"] or ""),
                seats=line.seats,
                lower_quota=line.lower_quota,
                upper_quota=line.upper_quota,
            )
        )
    Allocation.objects.bulk_create(lines, batch_size=2000)
    conference.input_sha256, conference.rule = result.input_sha256, result.rule
    conference.ties = [tie.as_json() for tie in result.ties]
    conference.warnings = list(result.warnings)
    conference.apportioned_at = timezone.now()
    conference.save(update_fields=["input_sha256", "rule", "ties", "warnings", "apportioned_at"])


def _authorize(by, conference: Conference) -> None:
    authorize(by, Right.MANAGE_UNITS, conference.unit)


def _refuse_unless_planned(conference: Conference, what: str) -> None:
    if conference.status != Status.PLANNED:
        raise ActionRefused(
            f"status: conference {conference.pk} is {conference.get_status_display()}; only a planned one is {what}",
            field="status",
        )


def apportion_conference(*, conference: Conference, by) -> Apportionment:
    """Apportion the conference's delegates from its members on the cut-off date and store each
    unit's line (replacing an earlier apportionment), with the input's SHA-256, the rule in words,
    the ties and the warnings. Allowed while the conference is planned; the call freezes it."""
    _authorize(by, conference)
    _refuse_unless_planned(conference, "apportioned")
    result, units = compute_apportionment(conference)
    with transaction.atomic():
        # Locked and read again: a call (or another apportionment) may have committed meanwhile.
        locked = Conference.objects.select_for_update().get(pk=conference.pk)
        _refuse_unless_planned(locked, "apportioned")
        before = locked.input_sha256 or None
        _store(conference, result, units)
        _audit(
            by,
            "conferences.apportion",
            conference,
            seats=[None, result.seats],
            units=[None, len(result.units)],
            input_sha256=[before, result.input_sha256],
        )
    return result


def call_conference(*, conference: Conference, by) -> Conference:
    """Call a planned conference: its apportionment (computed now when there is none) is frozen,
    and each unit's seats are told to the officers of that unit (holding a post today) in one
    mailing through the outbox, one edition per unit. Refused when the members counted on the
    cut-off date no longer give the stored apportionment's input (apportion it again first)."""
    _authorize(by, conference)
    _refuse_unless_planned(conference, "called")
    result, units = compute_apportionment(conference)
    if not result.seats:
        raise ActionRefused(
            f"seats: the apportionment gives no seats at all ({len(result.units)} units, "
            f"{sum(result.members.values())} members on {conference.cutoff}); change the rule before the call",
            field="seats",
        )
    with transaction.atomic():
        locked = Conference.objects.select_for_update().get(pk=conference.pk)
        _refuse_unless_planned(locked, "called")
        if locked.apportioned_at is None:
            _store(conference, result, units)
        elif locked.input_sha256 != result.input_sha256:
            raise ActionRefused(
                f"apportionment: the members counted on {conference.cutoff} changed since it was apportioned "
                f"(input SHA-256 {result.input_sha256[:12]}…, stored {locked.input_sha256[:12]}…); apportion it again",
                field="apportionment",
            )
        conference.status, conference.called_at = Status.CALLED, timezone.now()
        conference.save(update_fields=["status", "called_at"])
        told = _publish(conference, by=by)
        _audit(
            by,
            "conferences.call",
            conference,
            status=[Status.PLANNED, Status.CALLED],
            seats=[None, result.seats],
            input_sha256=[None, result.input_sha256],
            officers_told=[None, told],
        )
    return conference


def _publish(conference: Conference, *, by) -> int:
    """Queue the call's notice to the officers of every allocated unit: one mailing, whose edition
    for each unit (the variant is the unit's id) gives that unit's seats and members counted. An
    officer of several allocated units gets the edition of one of them. Returns the recipients."""
    allocations = list(Allocation.objects.filter(conference=conference).select_related("unit").order_by("unit_path"))
    today = timezone.localdate()
    posts = OfficerPost.objects.filter(
        unit_id__in=[allocation.unit_id for allocation in allocations], start__lte=today
    ).exclude(end__lte=today)
    first_unit = posts.filter(person_id=OuterRef("pk")).order_by("unit_id").values("unit_id")[:1]
    recipients = Person.objects.filter(pk__in=posts.values("person_id"), erased_at__isnull=True)
    convening = conference.unit.name
    heading = f"{conference.name}: conference called by {convening}"
    when = _when(conference)
    text = f"{heading}\n{when}\n\nMembers were counted as they stood on {conference.cutoff}.\n"
    editions = {}
    for allocation in allocations:
        seats = f"{allocation.seats} delegate{'s' if allocation.seats != 1 else ''}"
        line = (
            f"{allocation.unit.name} elects {seats} to it ({allocation.members} members counted on "
            f"{conference.cutoff}), at a meeting of the unit after the call."
        )
        page = site_url() + reverse(
            "unit_delegation", args=[conference.organization.slug, allocation.unit.slug, conference.pk]
        )
        editions[allocation.unit_id] = (
            f"{text}\n{line}\nRecord the delegation it elects: {page}\n",
            f"<h1>{escape(heading)}</h1><p>{escape(when)}</p><p>{escape(line)}</p>"
            f'<p><a href="{escape(page)}">Record the delegation it elects</a></p>',
        )
    mailing = queue_mailing(
        organization=conference.organization,
        source=f"conferences.call:{conference.pk}",
        subject=heading[:300],
        text_body=text,
        html_body=f"<h1>{escape(heading)}</h1><p>{escape(when)}</p>",
        recipients=recipients,
        variant=Coalesce(Subquery(first_unit), Value(0), output_field=IntegerField()),
        by=by,
    )
    add_editions(mailing=mailing, editions=editions)
    return mailing.deliveries.count()


def _when(conference: Conference) -> str:
    days = " to ".join(str(day) for day in (conference.starts_on, conference.ends_on) if day) or "dates to be set"
    return f"{days}{', ' + conference.place if conference.place else ''}"


def stored_apportionment(conference: Conference) -> dict[str, object]:
    """The apportionment the conference stored (at the call, or its last `apportion_conference`)
    as the engine's JSON (`Apportionment.as_json`), read back, not computed again: each unit's
    line, the rule in words, the ties, the warnings and the input's SHA-256. The parameters are
    the conference's rule; the lot's seed is the conference's. Refused (field apportionment) when
    it was never apportioned."""
    if conference.apportioned_at is None:
        raise ActionRefused(
            f"apportionment: conference {conference.pk} has not been apportioned yet", field="apportionment"
        )
    lines = Allocation.objects.filter(conference=conference).select_related("unit").order_by("unit_path")
    units = []
    for line in lines:
        unit: dict[str, object] = {
            "unit": line.unit.slug,
            "members": line.members,
            "quota": line.quota or None,
            "quota_exact": line.quota_exact or None,
            "lower_quota": line.lower_quota,
            "upper_quota": line.upper_quota,
            "seats": line.seats,
        }
        units.append(unit)
    if conference.method in METHODS:
        parameters: dict[str, object] = {
            "seats": conference.seats,
            "minimum": conference.minimum_seats,
            "maximum": conference.maximum_seats,
            "seed": conference.seed,
        }
    else:
        rule: dict[str, object] = {"per": conference.per, "rounding": conference.rounding or "floor"}
        if conference.method == Conference.BRACKETS:
            rule = {"brackets": [str(b) for b in apportionment.parse_brackets(conference.brackets)]}
        parameters = {**rule, "at_large": 0, "minimum": conference.minimum_seats, "maximum": conference.maximum_seats}
    return {
        "method": conference.method,
        "seats": sum(line["seats"] for line in units),  # type: ignore[misc]
        "units": units,
        "ties": conference.ties,
        "rule": conference.rule,
        "parameters": parameters,
        "warnings": conference.warnings,
        "input_sha256": conference.input_sha256,
    }


def set_conference_status(*, conference: Conference, status: str, by) -> Conference:
    """Step a called conference on: called -> credentialing -> in session -> closed, one step at
    a time, each dated. Refused (field status) for any other move, and closing while a poll or
    an election of the conference is still open (the organizers close them first)."""
    _authorize(by, conference)
    if status not in Status.values:
        raise ActionRefused(f"status: '{status}' is not one of {', '.join(Status.values)}", field="status")
    allowed = NEXT.get(Status(conference.status))
    if status != allowed:
        after = f"only {allowed.label} follows" if allowed else "nothing follows"
        raise ActionRefused(
            f"status: conference {conference.pk} is {conference.get_status_display()}; {after}", field="status"
        )
    with transaction.atomic():
        # Locked, so a poll opened meanwhile is seen (opening one reads the conference's status).
        Conference.objects.select_for_update().filter(pk=conference.pk).first()
        if status == Status.CLOSED:
            _refuse_open_votes(conference)
        before = conference.status
        conference.status = status
        setattr(conference, DATED[Status(status)], timezone.now())
        conference.save(update_fields=["status", DATED[Status(status)]])
        _audit(by, "conferences.status", conference, status=[before, status])
    return conference


def _refuse_open_votes(conference: Conference) -> None:
    """Refuse (field status) closing while polls or elections are open, naming them."""
    open_polls = list(Poll.objects.filter(conference=conference, state=Poll.State.OPEN).values_list("pk", "subject"))
    open_elections = list(Election.objects.filter(conference=conference, state="open").values_list("pk", "title"))
    if open_polls or open_elections:
        named = [f"poll {pk} ({subject})" for pk, subject in open_polls]
        named += [f"election {pk} ({title})" for pk, title in open_elections]
        shown = ", ".join(named[:5]) + (f" and {len(named) - 5} more" if len(named) > 5 else "")
        raise ActionRefused(
            f"status: conference {conference.pk} still has open votes: {shown}; close them before the conference",
            field="status",
        )
