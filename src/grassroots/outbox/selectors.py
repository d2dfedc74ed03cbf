"""Reads of the outbox: counts per status, failures with their reasons."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Min

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
    """When the earliest row of a running mailing that waits for a retry after `now` (a temporary
    failure's backoff) falls due; None when none waits. Paused mailings wait for their resume;
    rows already due (left by a spent daily limit) wait for the next run, as before."""
    waiting = Delivery.objects.filter(
        status=Delivery.Status.QUEUED,
        next_attempt_at__gt=now,
        mailing__paused=False,
        mailing__finished_at__isnull=True,
    )
    return waiting.aggregate(at=Min("next_attempt_at"))["at"]
