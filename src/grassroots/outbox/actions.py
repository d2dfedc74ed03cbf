"""Writes of the outbox: queue a mailing to many people at once, pause and resume it, and the
workers' bookkeeping (claim a batch, mark each row, put dead workers' rows back in the queue).

The app that owns a mailing's source (the bulletin) authorizes the change and calls these inside
its own transaction; the workers' per-row marks are not audited one by one (the delivery rows are
their own record), but queueing, pausing, resuming and finishing are.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Expression, F, QuerySet, Value
from django.dispatch import Signal
from django.utils import timezone

from grassroots.audit.actions import write_audit_record
from grassroots.errors import ActionRefused

from .models import Bounce, Delivery, MailAddress, Mailing

Status = Delivery.Status
WAITING = (Status.QUEUED, Status.SENDING)
# A message the server accepted: what a bounce or complaint can be about.
SENT_ONCE = (Status.SENT, Status.BOUNCED, Status.COMPLAINED)
# Why a recipient's row is skipped when they have no address.
NO_ADDRESS = "no email address"
# Sent with the mailing when no row of it is queued or sending any more.
mailing_finished = Signal()
# Sent with the delivery a recipient complained about (marked as spam): its list unsubscribes them.
complaint_received = Signal()
SCORES: dict[str, Decimal] = {
    Bounce.Kind.HARD: Decimal("1"),
    Bounce.Kind.SOFT: Decimal("0.5"),
    Bounce.Kind.COMPLAINT: Decimal("0"),
}


def queue_mailing(
    *,
    organization,
    source: str,
    subject: str,
    text_body: str,
    html_body: str,
    recipients: QuerySet,
    list_id: str = "",
    list_key: str = "",
    variant: Expression | None = None,
    skip_reason: Expression | None = None,
    label: str = "",
    by,
) -> Mailing:
    """Write the mailing and one delivery row per recipient in one INSERT ... SELECT (set-based:
    a million rows without a Python loop); people without an address get a `skipped` row (its
    `last_error` says so).
    `recipients` is a queryset of people; a source is queued once.

    `variant` (an integer expression over the recipients) says which edition each one gets (see
    `add_editions`, 0 by default); `skip_reason` (a text expression, '' for none) marks a
    recipient `skipped` with that reason as their row's `last_error` (nothing they may read).
    `label` names the source in a refusal ("The Tenant no. 2"; the source itself by default): a
    source queued already, by an earlier send or one that raced this one, is refused."""
    already = ActionRefused(f"{label or source} was already queued for sending")
    if Mailing.objects.filter(source=source).exists():
        raise already
    now = timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                mailing = Mailing.objects.create(
                    organization=organization,
                    source=source,
                    subject=subject,
                    text_body=text_body,
                    html_body=html_body,
                    list_id=list_id,
                    list_key=list_key,
                    created_at=now,
                )
        except IntegrityError:  # a send of the same source committed between the check and here
            raise already from None
        rows = recipients.order_by().values(
            recipient_id=F("pk"),
            recipient_email=F("email"),
            recipient_variant=Value(0) if variant is None else variant,
            recipient_skip=Value("") if skip_reason is None else skip_reason,
        )
        select, params = rows.query.sql_with_params()
        table = Delivery._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (mailing_id, person_id, address, variant, status, attempts, message_id,"
                " last_error, next_attempt_at, claimed_by)"
                " SELECT %s, r.recipient_id, r.recipient_email, r.recipient_variant,"
                " CASE WHEN r.recipient_email = '' OR r.recipient_skip <> '' THEN 'skipped' ELSE 'queued' END,"
                " 0, '', CASE WHEN r.recipient_email = '' THEN %s ELSE r.recipient_skip END, %s, ''"
                f" FROM ({select}) r",
                [mailing.pk, NO_ADDRESS, now, *params],
            )
            count = cursor.rowcount
        write_audit_record(
            by=by,
            action="outbox.queue",
            target=mailing,
            organization=organization,
            changes={"recipients": [None, count]},
        )
    return mailing


def add_editions(*, mailing: Mailing, editions: dict[int, tuple[str, str]]) -> Mailing:
    """Give the mailing's recipients of each variant their edition (plain text, HTML), in the
    transaction that queued it, before any worker reads it."""
    mailing.editions = {str(key): {"text": text, "html": html} for key, (text, html) in editions.items()}
    mailing.save(update_fields=["editions"])
    return mailing


def pause_mailing(*, mailing: Mailing, by) -> Mailing:
    """Stop handing out rows of the mailing. A worker holding some of its rows looks at most once a
    second, between messages, and puts those it has not sent back in the queue: only the message
    being sent at that moment still goes (`pause_state` says 'pausing: N in flight' until then)."""
    return _set_paused(mailing, True, by)


def resume_mailing(*, mailing: Mailing, by) -> Mailing:
    """Hand out the mailing's rows again, from where it stopped: nothing is lost or sent twice."""
    return _set_paused(mailing, False, by)


def _set_paused(mailing: Mailing, paused: bool, by) -> Mailing:
    with transaction.atomic():
        # Read again, locked: a worker may have finished it since the caller loaded it.
        fresh = Mailing.objects.select_for_update().get(pk=mailing.pk)
        mailing.paused, mailing.finished_at = fresh.paused, fresh.finished_at
        waiting = Delivery.objects.filter(mailing=mailing, status__in=WAITING).exists()
        if mailing.finished_at is not None or (paused and not waiting):
            raise ActionRefused(f"{mailing} was sent completely: nothing is left to pause or resume")
        if mailing.paused == paused:
            raise ActionRefused(f"sending of {mailing} is already {'paused' if paused else 'running'}")
        mailing.paused = paused
        mailing.save(update_fields=["paused"])
        write_audit_record(
            by=by,
            action="outbox.pause" if paused else "outbox.resume",
            target=mailing,
            organization=mailing.organization,
            changes={"paused": [not paused, paused]},
        )
    return mailing


def requeue_stale(*, now: dt.datetime | None = None) -> int:
    """Put back in the queue the rows a worker claimed and never marked (it died, or was killed):
    a message in flight at that moment may go twice, nothing goes missing."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.GRASSROOTS_OUTBOX_STALE_SECONDS)
    return Delivery.objects.filter(status=Status.SENDING, claimed_at__lt=cutoff).update(
        status=Status.QUEUED, claimed_by="", next_attempt_at=now
    )


def claim_deliveries(*, worker: str, limit: int, now: dt.datetime | None = None) -> list[Delivery]:
    """Mark up to `limit` due rows of running mailings `sending` for `worker` and return them.
    On PostgreSQL the rows are picked with FOR UPDATE SKIP LOCKED, so workers never share a row;
    SQLite takes the write lock for the whole transaction (one worker at a time)."""
    now = now or timezone.now()
    mailings = list(
        Mailing.objects.filter(paused=False, finished_at__isnull=True).order_by("pk").values_list("pk", flat=True)
    )
    with transaction.atomic():
        ids: list[int] = []
        for mailing_id in mailings:
            due = Delivery.objects.filter(mailing_id=mailing_id, status=Status.QUEUED, next_attempt_at__lte=now)
            if connection.features.has_select_for_update_skip_locked:
                due = due.select_for_update(skip_locked=True)
            ids += list(due.order_by("pk").values_list("pk", flat=True)[: limit - len(ids)])
            if len(ids) >= limit:
                break
        if not ids:
            return []
        Delivery.objects.filter(pk__in=ids).update(
            status=Status.SENDING, claimed_at=now, claimed_by=worker, attempts=F("attempts") + 1
        )
    rows = list(Delivery.objects.filter(pk__in=ids, claimed_by=worker).order_by("pk"))
    # Each mailing (its subject and both parts) read once for the batch, not joined to every row.
    read_once = Mailing.objects.in_bulk({row.mailing_id for row in rows})
    for row in rows:
        row.mailing = read_once[row.mailing_id]
    return rows


def hold_claims(*, ids: list[int], worker: str, now: dt.datetime | None = None) -> set[int]:
    """The worker's heartbeat while it sends a batch: refresh the claim of the rows among `ids` it
    still holds (still `sending` under its claim token `worker`), so no other worker's
    `requeue_stale` takes them, and return their ids. A row missing from the answer was put back
    in the queue (and perhaps claimed by another worker): this worker must not send it. Two queries."""
    held = Delivery.objects.filter(pk__in=ids, status=Status.SENDING, claimed_by=worker)
    held.update(claimed_at=now or timezone.now())
    return set(held.values_list("pk", flat=True))


def release_claims(*, ids: list[int], worker: str) -> int:
    """Put back in the queue the rows among `ids` that `worker` claimed and did not send (their
    mailing was paused, or the worker was told to stop): queued as they were, the claim's attempt
    not counted. Returns how many."""
    return Delivery.objects.filter(pk__in=ids, status=Status.SENDING, claimed_by=worker).update(
        status=Status.QUEUED, claimed_by="", claimed_at=None, attempts=F("attempts") - 1
    )


def mark_sent(*, delivery: Delivery, message_id: str, worker: str) -> bool:
    """Record one accepted message at once, so a crash resends at most the one in flight: one
    UPDATE committed on its own (outside a transaction block: one round trip to the database),
    written as SQL so that no query is compiled per message."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Delivery._meta.db_table} SET status = %s, message_id = %s, sent_at = %s, last_error = ''"
            " WHERE id = %s AND status = %s AND claimed_by = %s",
            [Status.SENT, message_id, now, delivery.pk, Status.SENDING, worker],
        )
        return cursor.rowcount == 1


def is_permanent(error: Exception) -> bool:
    """A 5xx answer refuses the message for good; anything else (4xx, a dropped connection) may pass later."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    code = getattr(error, "smtp_code", None)
    return isinstance(code, int) and code >= 500


def failure_text(error: Exception) -> str:
    """What a failed send is recorded with, as text a person reads: the server's answer as it gave
    it ("451 4.3.0 Try again later"; one line per refused recipient), or else the error's kind and
    message ("ConnectionRefusedError: [Errno 111] Connection refused")."""

    def answer(code: int, text: bytes | str) -> str:
        words = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
        return f"{code} {' '.join(words.split())}"

    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "\n".join(answer(code, text) for code, text in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return answer(error.smtp_code, error.smtp_error)
    return f"{type(error).__name__}: {error}"


def mark_failed(*, delivery: Delivery, error: Exception, worker: str) -> str:
    """Record a refused or failed send: failed for good on a permanent refusal or after the last
    attempt, otherwise queued again after a backoff that doubles with each attempt."""
    reason = failure_text(error)[:2000]
    final = is_permanent(error) or delivery.attempts >= settings.GRASSROOTS_OUTBOX_MAX_ATTEMPTS
    backoff = settings.GRASSROOTS_OUTBOX_RETRY_SECONDS * 2 ** max(delivery.attempts - 1, 0)
    status = Status.FAILED if final else Status.QUEUED
    now = timezone.now()
    Delivery.objects.filter(pk=delivery.pk, status=Status.SENDING, claimed_by=worker).update(
        status=status,
        last_error=reason,
        claimed_by="",
        next_attempt_at=now + dt.timedelta(seconds=backoff),
    )
    # On the mailing too (failures are few: one more UPDATE each), so a stalled send says why.
    Mailing.objects.filter(pk=delivery.mailing_id).update(last_error=f"{delivery.address}: {reason}", last_error_at=now)
    return status


def finish_mailings(*, mailing_ids: list[int] | None = None) -> list[Mailing]:
    """Close the mailings (all running ones, or those named) that have no row queued or sending,
    and announce each (`mailing_finished`): only then is an issue sent."""
    open_mailings = Mailing.objects.filter(finished_at__isnull=True)
    if mailing_ids is not None:
        open_mailings = open_mailings.filter(pk__in=mailing_ids)
    finished = []
    for mailing in open_mailings.select_related("organization"):
        with transaction.atomic():
            if Delivery.objects.filter(mailing=mailing, status__in=WAITING).exists():
                continue
            done = Mailing.objects.filter(pk=mailing.pk, finished_at__isnull=True).update(finished_at=timezone.now())
            if not done:
                continue  # another worker closed it first
            mailing.refresh_from_db()
            write_audit_record(by="system", action="outbox.finish", target=mailing, organization=mailing.organization)
            mailing_finished.send(sender=Mailing, mailing=mailing)
            finished.append(mailing)
    return finished


def record_bounce(*, delivery: Delivery, kind: str, reason: str, source: str, at: dt.datetime | None = None) -> Bounce:
    """Record a bounce or complaint about a message we sent (`delivery`, matched by the intake in
    `bounces.py`: a report that names no message of ours changes nothing), keeping the raw reason.
    A hard bounce adds 1 to the address's score and a soft one 0.5, at most one bounce a day;
    above `GRASSROOTS_BOUNCE_THRESHOLD` the address is put on hold. The delivery is marked bounced
    (or complained); a complaint unsubscribes the person from that list at once."""
    if kind not in Bounce.Kind.values:
        raise ActionRefused(f"kind: '{kind}' is not one of {', '.join(Bounce.Kind.values)}", field="kind")
    if delivery.status not in SENT_ONCE:
        raise ActionRefused(
            f"delivery: {delivery} was never sent, so no bounce or complaint can be about it", field="delivery"
        )
    address = delivery.address.strip().lower()
    at = at or timezone.now()
    day = timezone.localdate(at)
    with transaction.atomic():
        known, _ = MailAddress.objects.select_for_update().get_or_create(address=address[:254])
        counted = kind != Bounce.Kind.COMPLAINT and known.last_counted_on != day
        bounce = Bounce.objects.create(
            address=known,
            delivery=delivery,
            kind=kind,
            reason=reason[:10000],
            source=source[:40],
            occurred_at=at,
            counted=counted,
        )
        before = (known.score, known.on_hold)
        if counted:
            known.score += SCORES[kind]
            known.last_counted_on = day
            known.on_hold = known.on_hold or known.score > Decimal(str(settings.GRASSROOTS_BOUNCE_THRESHOLD))
            known.save(update_fields=["score", "last_counted_on", "on_hold"])
        if delivery.status != Status.COMPLAINED:  # a later bounce does not hide a complaint
            delivery.status = Status.COMPLAINED if kind == Bounce.Kind.COMPLAINT else Status.BOUNCED
        delivery.last_error = reason[:2000]
        delivery.save(update_fields=["status", "last_error"])
        write_audit_record(
            by=source,
            action="outbox.complaint" if kind == Bounce.Kind.COMPLAINT else "outbox.bounce",
            target=known,
            organization=delivery.mailing.organization,
            changes={"score": [str(before[0]), str(known.score)], "on_hold": [before[1], known.on_hold]},
        )
        if kind == Bounce.Kind.COMPLAINT:
            complaint_received.send(sender=Delivery, delivery=delivery)
    return bounce
