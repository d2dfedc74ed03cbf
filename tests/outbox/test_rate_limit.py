"""The rate limit: messages per second per worker, and per day from all workers together."""

from __future__ import annotations

import time

import pytest

from grassroots.bulletin import actions as bulletin
from grassroots.outbox.jobs import deliver
from grassroots.outbox.selectors import delivery_counts
from tests.support.bulletin import newsroom

pytestmark = pytest.mark.django_db


def test_the_daily_limit_leaves_the_rest_queued_for_later(smtp, settings):
    settings.GRASSROOTS_MAIL_PER_DAY = 2
    room = newsroom()
    mailing = bulletin.send_issue(issue=room.issue, by="test", confirm=3)
    assert deliver() == 2
    assert deliver() == 0  # the day's two are spent, by whichever worker sent them
    counts = delivery_counts(mailing)
    assert (counts["sent"], counts["queued"], counts["sending"]) == (2, 1, 0)
    room.issue.refresh_from_db()
    assert room.issue.status == "sending"  # not sent while a row waits
    settings.GRASSROOTS_MAIL_PER_DAY = 3
    assert deliver() == 1
    room.issue.refresh_from_db()
    assert room.issue.status == "sent"


def test_messages_per_second_are_spaced(smtp, settings):
    settings.GRASSROOTS_MAIL_PER_SECOND = 5
    room = newsroom()
    bulletin.send_issue(issue=room.issue, by="test", confirm=3)
    started = time.monotonic()
    assert deliver() == 3
    assert time.monotonic() - started >= 0.4  # three messages at five a second: two gaps of 0.2 s
    assert len(smtp.received) == 3
