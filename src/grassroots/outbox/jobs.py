"""The outbox's workers: claim a batch of rows, send each through Django's email backend (SMTP by
configuration), mark each row as it goes, until nothing is due.

Run by `grassroots worker` (the `deliver_mail` job, queued when a mailing starts or resumes) or in
the foreground by `grassroots outbox send`. Any number of workers share one mailing on PostgreSQL;
a killed worker's rows are queued again after `GRASSROOTS_OUTBOX_STALE_SECONDS`.
"""

from __future__ import annotations

import collections
import datetime as dt
import os
import socket
import threading
import time
import uuid
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.utils import timezone
from django.utils.html import escape
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from grassroots.database import commits_without_waiting

from .actions import (
    claim_deliveries,
    finish_mailings,
    hold_claims,
    mark_failed,
    mark_sent,
    release_claims,
    requeue_stale,
)
from .models import UNSUBSCRIBE_MARK, Delivery, Mailing
from .selectors import mail_waiting, next_retry_at, paused_among, sent_since
from .tokens import mail_domain, unsubscribe_links, unsubscribe_url

SEND_ERRORS = (OSError, ValueError)  # smtplib's errors are OSErrors; ValueError: an address Python refuses


class RateLimit:
    """At most `per_second` messages a second from this worker (0: no limit) and `per_day` from all
    workers together over the last 24 hours (0: no limit)."""

    def __init__(self, per_second: float, per_day: int):
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.per_day = per_day
        self.next_at = time.monotonic()

    def wait(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        if self.next_at > now:
            time.sleep(self.next_at - now)
        self.next_at = max(self.next_at, now) + self.interval

    def day_left(self) -> int | None:
        if not self.per_day:
            return None
        return max(self.per_day - sent_since(timezone.now() - dt.timedelta(days=1)), 0)


def message_for(delivery: Delivery, connection) -> EmailMultiAlternatives:
    """The recipient's own copy: both parts with their unsubscribe address, and the list headers
    (RFC 2369, 2919, 8058). No tracking pixel, no rewritten links."""
    mailing = delivery.mailing
    headers = {"Message-ID": make_msgid(domain=mail_domain())}
    text, html = mailing.parts_for(delivery.variant)
    if mailing.list_key:
        url, mailto = unsubscribe_links(person_id=delivery.person_id, list_key=mailing.list_key)
        headers["List-Unsubscribe"] = f"<{url}>, <{mailto}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        text, html = text.replace(UNSUBSCRIBE_MARK, url), html.replace(UNSUBSCRIBE_MARK, escape(url))
    if mailing.list_id:
        headers["List-Id"] = mailing.list_id
    message = EmailMultiAlternatives(
        subject=mailing.subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.address],
        headers=headers,
        connection=connection,
    )
    if html:
        message.attach_alternative(html, "text/html")
    return message


class Prepared:
    """A mailing's message built once by a worker, for Django's SMTP backend: the bytes after the
    per-recipient headers, with the unsubscribe mark still in both parts. Each recipient's copy is
    then their headers (To, Message-ID, List-Unsubscribe) before those bytes, with their own
    address filled in: the same message `message_for` builds, without building it again.
    None of it applies (and `message_for` is used) for an address or sender that is not ASCII,
    or when the parts were encoded (quoted-printable or base64) so that the mark cannot be found."""

    def __init__(self, mailing: Mailing, variant: int = 0):
        self.mailing = mailing
        self.body: bytes | None = None
        message = message_for(
            Delivery(mailing=mailing, person_id=0, address="recipient@invalid", variant=variant), None
        )
        message.extra_headers.pop("List-Unsubscribe", None)
        message.extra_headers.pop("List-Unsubscribe-Post", None)
        built = message.message()
        del built["To"]
        del built["Message-ID"]
        data = built.as_bytes(linesep="\r\n")
        marks = "".join(mailing.parts_for(variant)).count(UNSUBSCRIBE_MARK) if mailing.list_key else 0
        mark = UNSUBSCRIBE_MARK.encode()
        # The URL that replaced the mark in the probe message: put the mark back.
        probe = unsubscribe_url(person_id=0, list_key=mailing.list_key).encode() if mailing.list_key else b""
        if probe:
            data = data.replace(probe, mark)
        if (
            data.count(mark) == marks
            and max(map(len, data.split(b"\r\n"))) < 800
            and _ascii(settings.DEFAULT_FROM_EMAIL)
        ):
            self.body = data

    def copy_for(self, delivery: Delivery) -> tuple[str, bytes] | None:
        """The recipient's message as bytes, and its Message-ID; None when it must be built in full."""
        if self.body is None or not _ascii(delivery.address) or "\n" in delivery.address or "\r" in delivery.address:
            return None
        message_id = make_msgid(domain=mail_domain())
        headers = [f"To: {delivery.address}", f"Message-ID: {message_id}"]
        body = self.body
        if self.mailing.list_key:
            url, mailto = unsubscribe_links(person_id=delivery.person_id, list_key=self.mailing.list_key)
            headers += [f"List-Unsubscribe: <{url}>, <{mailto}>", "List-Unsubscribe-Post: List-Unsubscribe=One-Click"]
            body = body.replace(UNSUBSCRIBE_MARK.encode(), url.encode())
        return message_id, ("\r\n".join(headers) + "\r\n").encode() + body


def _ascii(text: str) -> bool:
    return text.isascii()


def send_one(delivery: Delivery, connection, prepared: dict[tuple[int, int], Prepared]) -> str:
    """Send one delivery over an open connection; returns its Message-ID (raises what the server answered).
    `prepared` keeps each edition's message built once (by mailing and variant)."""
    if isinstance(connection, SMTPBackend) and connection.connection is not None:
        edition = (delivery.mailing_id, delivery.variant)
        if edition not in prepared:
            prepared[edition] = Prepared(delivery.mailing, delivery.variant)
        copy = prepared[edition].copy_for(delivery)
        if copy is not None:
            message_id, data = copy
            connection.connection.sendmail(settings.DEFAULT_FROM_EMAIL, [delivery.address], data)
            return message_id
    message = message_for(delivery, None)
    connection.send_messages([message])
    return message.extra_headers["Message-ID"]


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:100]


def claim_token() -> str:
    """Who holds a claimed batch (`Delivery.claimed_by`): the worker's name and a part new for each
    batch, so a row put back in the queue and claimed again (by any worker, this one included) is
    never taken for one still held by the old claim."""
    return f"{worker_name()[:87]}:{uuid.uuid4().hex[:12]}"


def batch_size(*, left: int | None = None, day_left: int | None = None) -> int:
    """How many rows a worker claims at once: `GRASSROOTS_OUTBOX_BATCH`, but no more than it can
    send in a third of `GRASSROOTS_OUTBOX_STALE_SECONDS` at `GRASSROOTS_MAIL_PER_SECOND` (so a claim
    never outlives the timeout after which other workers take its rows back), nor more than the
    `left` messages a caller's limit and the `day_left` of the daily quota allow. At least 1."""
    size = settings.GRASSROOTS_OUTBOX_BATCH
    if settings.GRASSROOTS_MAIL_PER_SECOND > 0:
        size = min(size, int(settings.GRASSROOTS_MAIL_PER_SECOND * settings.GRASSROOTS_OUTBOX_STALE_SECONDS / 3))
    for bound in (left, day_left):
        if bound is not None:
            size = min(size, bound)
    return max(size, 1)


# How often (seconds) a worker looks whether a mailing of its batch was paused.
PAUSE_CHECK_SECONDS = 1.0


class Batch:
    """The rows one claim handed to this worker, given out one at a time only while they are still
    its own. Every third of `GRASSROOTS_OUTBOX_STALE_SECONDS` (by the clock, not per message) it
    refreshes the claim of the rows it still holds and drops those another worker put back in the
    queue; at most once a second it looks whether one of their mailings was paused and puts that
    mailing's rows back in the queue. A row is handed out at most a third of the timeout after the
    claim was last refreshed, so no other worker can have taken it when it is sent."""

    def __init__(self, rows: list[Delivery], token: str, claimed_at: float):
        self.rows = collections.deque(rows)
        self.token = token
        self.heartbeat = settings.GRASSROOTS_OUTBOX_STALE_SECONDS / 3
        self.next_heartbeat = claimed_at + self.heartbeat
        self.next_pause_check = claimed_at + PAUSE_CHECK_SECONDS
        self.mailing_ids = sorted({row.mailing_id for row in rows})

    def next(self) -> Delivery | None:
        now = time.monotonic()
        if self.rows and now >= self.next_heartbeat:
            held = hold_claims(ids=[row.pk for row in self.rows], worker=self.token)
            self.rows = collections.deque(row for row in self.rows if row.pk in held)
            self.next_heartbeat = now + self.heartbeat
        if self.rows and now >= self.next_pause_check:
            paused = paused_among({row.mailing_id for row in self.rows})
            if paused:
                release_claims(ids=[row.pk for row in self.rows if row.mailing_id in paused], worker=self.token)
                self.rows = collections.deque(row for row in self.rows if row.mailing_id not in paused)
            self.next_pause_check = now + PAUSE_CHECK_SECONDS
        return self.rows.popleft() if self.rows else None

    def release(self) -> None:
        """Put the rows not handed out back in the queue (the worker stops), as they were: only
        those this claim (`token`) still holds, their claim's attempt not counted."""
        if self.rows:
            release_claims(ids=[row.pk for row in self.rows], worker=self.token)
            self.rows.clear()


def deliver(*, stop: threading.Event | None = None, limit: int | None = None) -> int:
    """Send what is due until nothing is left (or `stop` is set, or exactly `limit` messages went).
    `stop` is looked at before each message: the one in flight is sent and recorded, the rest of
    the claimed batch is put back in the queue (`Batch.release`) for any worker.
    Returns how many messages the server accepted from this worker."""
    rate = RateLimit(settings.GRASSROOTS_MAIL_PER_SECOND, settings.GRASSROOTS_MAIL_PER_DAY)
    connection = None
    prepared: dict[tuple[int, int], Prepared] = {}
    accepted = 0
    try:
        with commits_without_waiting():
            while not (stop and stop.is_set()) and (limit is None or accepted < limit):
                requeue_stale()
                day_left = rate.day_left()
                if day_left == 0:
                    break  # the day's quota is spent: the rows wait for the next run
                # The first message's turn comes before the claim: a slow rate (one message in more
                # than the stale timeout) must not let its claim go stale while it waits.
                rate.wait()
                token = claim_token()
                claimed_at = time.monotonic()
                size = batch_size(left=None if limit is None else limit - accepted, day_left=day_left)
                batch = Batch(claim_deliveries(worker=token, limit=size), token, claimed_at)
                if not batch.rows:
                    break
                first = True
                while batch.rows:
                    if not first:
                        rate.wait()
                    first = False
                    if stop is not None and stop.is_set():  # within one message's time, not a batch's
                        batch.release()
                        break
                    delivery = batch.next()
                    if delivery is None:
                        break
                    try:
                        if connection is None:
                            # Opened here, so that Django's backend keeps it open across messages (one
                            # connection for many messages, not one per message).
                            connection = get_connection()
                            connection.open()
                        message_id = send_one(delivery, connection, prepared)
                    except SEND_ERRORS as error:  # a refusal, or a server that cannot be reached
                        mark_failed(delivery=delivery, error=error, worker=token)
                        if connection is not None:
                            connection.close()
                        connection = None
                        continue
                    mark_sent(delivery=delivery, message_id=message_id, worker=token)
                    accepted += 1
                finish_mailings(mailing_ids=batch.mailing_ids)
    finally:
        if connection is not None:
            connection.close()
    finish_mailings()
    return accepted


@task()
def deliver_mail() -> int:
    """The background job: send what is due, then stop (queued again by each send and resume).
    Rows left waiting for a retry (a server that could not be reached, a temporary refusal) queue
    the job again for when the first of them falls due, so a send finishes without anyone running
    `grassroots outbox send`."""
    sent = deliver()
    retry = next_retry_at(timezone.now())
    if retry is not None:
        deliver_mail.using(run_after=retry).enqueue()
    return sent


def queue_waiting_mail() -> bool:
    """Queue the sending job when mail waits and no job is queued to send it: called by each worker
    when it starts, so a send whose worker was killed goes on when a worker runs again (its rows
    claimed by the dead worker are put back after `GRASSROOTS_OUTBOX_STALE_SECONDS`)."""
    if not mail_waiting():
        return False
    if DBTaskResult.objects.filter(task_path=deliver_mail.module_path, status="READY").exists():
        return False
    deliver_mail.enqueue()
    return True


def start_delivery(workers: int | None = None) -> None:
    """Queue the sending jobs: one per worker that should share the send (`GRASSROOTS_OUTBOX_WORKERS`)."""
    for _ in range(workers or settings.GRASSROOTS_OUTBOX_WORKERS):
        deliver_mail.enqueue()
