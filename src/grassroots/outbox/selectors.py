"""Reads of the outbox: counts per status, failures with their reasons."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone

from .models import Delivery, Mailing


def delivery_counts(mailing: Mailing | None) -> dict[str, int]:
    """The number of rows of a mailing in each status (every status named, zero included), in one grouped query."""
    counts = dict.fromkeys(Delivery.Status.values, 0)
    if mailing is not None:
        grouped = Delivery.objects.filter(mailing=mailing).values_list("status").annotate(n=Count("pk")).order_by()
        counts.update(dict(grouped))
    return counts


def failures_of(mailing: Mailing | None, *, limit: int = 50) -> list[Delivery]:
    """The last rows that failed or bounced, with their reasons."""
    if mailing is None:
        return []
    rows = Delivery.objects.filter(mailing=mailing, status__in=[Delivery.Status.FAILED, Delivery.Status.BOUNCED])
    return list(rows.order_by("-pk")[:limit])


def sent_since(moment: dt.datetime) -> int:
    """Messages accepted by the mail server since `moment`, by every worker (the daily limit)."""
    return Delivery.objects.filter(sent_at__gte=moment).count()


def next_retry_at(now: dt.datetime) -> dt.datetime | None:
    """When the sending job should look again after `now`: the earliest of the rows of running
    mailings that wait for a retry (a temporary failure's backoff), and of the rows claimed by a
    worker that may have died (they are put back in the queue `GRASSROOTS_OUTBOX_STALE_SECONDS`
    after their claim); None when none waits. Paused mailings wait for their resume; rows already
    due (left by a spent daily limit) wait for the next run, as before. Two queries."""
    running = Delivery.objects.filter(mailing__paused=False, mailing__finished_at__isnull=True)
    retry = running.filter(status=Delivery.Status.QUEUED, next_attempt_at__gt=now).aggregate(at=Min("next_attempt_at"))
    claimed = running.filter(status=Delivery.Status.SENDING).aggregate(at=Min("claimed_at"))["at"]
    stale = claimed + dt.timedelta(seconds=settings.GRASSROOTS_OUTBOX_STALE_SECONDS) if claimed else None
    times = [at for at in (retry["at"], stale) if at is not None]
    return max(min(times), now) if times else None


def paused_among(mailing_ids: set[int]) -> set[int]:
    """Which of the mailings named are paused. One query."""
    return set(Mailing.objects.filter(pk__in=mailing_ids, paused=True).values_list("pk", flat=True))


def in_flight(mailing: Mailing | None) -> int:
    """How many rows of the mailing a worker holds now (`sending`): messages that may still go
    out after a pause, until the worker puts them back in the queue (within a second). One query."""
    if mailing is None:
        return 0
    return Delivery.objects.filter(mailing=mailing, status=Delivery.Status.SENDING).count()


def pause_state(mailing: Mailing | None) -> str:
    """A paused mailing's state in words that are true: 'paused' only when no message is in
    flight, else 'pausing: N in flight'. One query."""
    flying = in_flight(mailing)
    return f"pausing: {flying} in flight" if flying else "paused"


def mail_waiting() -> bool:
    """Whether any row of a running mailing is still to send (queued, or claimed by a worker that
    may have died): what a worker that starts picks up again. One query."""
    return Delivery.objects.filter(
        status__in=(Delivery.Status.QUEUED, Delivery.Status.SENDING),
        mailing__paused=False,
        mailing__finished_at__isnull=True,
    ).exists()


def variants_queued(mailing: Mailing) -> dict[int, int]:
    """The number of queued rows of each variant of the mailing, in one grouped query."""
    grouped = (
        Delivery.objects.filter(mailing=mailing, status=Delivery.Status.QUEUED)
        .values_list("variant")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return dict(grouped)


# A running mailing with rows due and nothing sent for this long is said to have no worker.
IDLE_AFTER = dt.timedelta(minutes=5)


def stall_reason(mailing: Mailing | None, *, now: dt.datetime | None = None) -> str:
    """Why an unfinished mailing is not moving, in words ('' when it is finished, or nothing seems
    wrong): paused; rows due that no worker sent for IDLE_AFTER; and the last failure any worker
    met (address and reason), with when. At most two indexed queries."""
    if mailing is None or mailing.finished_at is not None:
        return ""
    now = now or timezone.now()
    reasons = []
    if mailing.paused:
        state = pause_state(mailing)
        reasons.append(
            "paused: nothing is sent until it is resumed"
            if state == "paused"
            else f"{state} (each worker puts its rows back in the queue before its next message);"
            " then nothing is sent until it is resumed"
        )
    else:
        due = Delivery.objects.filter(mailing=mailing, status=Delivery.Status.QUEUED, next_attempt_at__lte=now)
        recent = Delivery.objects.filter(sent_at__gte=now - IDLE_AFTER, mailing=mailing)
        if due.exists() and not recent.exists() and mailing.created_at < now - IDLE_AFTER:
            reasons.append(
                "messages are due and none was sent in the last 5 minutes: is a worker running"
                " (`grassroots worker`, or `grassroots outbox send`)?"
            )
    if mailing.last_error:
        at = timezone.localtime(mailing.last_error_at).strftime("%Y-%m-%d %H:%M %Z") if mailing.last_error_at else ""
        reasons.append(f"last failure ({at}): {mailing.last_error}")
    return "; ".join(reasons)
