"""The host link's token and window: signed with the site's secret, naming the meeting and the
key it was issued with (a regenerated or revoked link no longer matches). No database."""

from __future__ import annotations

import datetime as dt

from django.core import signing

HOST_SALT = "grassroots.meetings.host-link"
# The host link works from two hours before the start to twelve hours after the end.
OPENS_BEFORE = dt.timedelta(hours=2)
CLOSES_AFTER = dt.timedelta(hours=12)


def host_window(meeting) -> tuple[dt.datetime, dt.datetime]:
    return meeting.start - OPENS_BEFORE, meeting.end + CLOSES_AFTER


def host_token(meeting_id: int, key: str, *, salt: str = HOST_SALT) -> str:
    """The signed token of a host link: the record's id and key (a conference's with its own `salt`)."""
    return signing.dumps({"m": meeting_id, "k": key}, salt=salt)


def read_host_token(token: str, *, salt: str = HOST_SALT) -> tuple[int, str] | None:
    try:
        data = signing.loads(token, salt=salt)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("m"), int) or not isinstance(data.get("k"), str):
        return None
    return data["m"], data["k"]


def short_name(name: str) -> str:
    """'Ann B.': first name and initial, all a host sees of a person."""
    parts = name.split()
    if len(parts) < 2:
        return name
    return f"{parts[0]} {parts[-1][0]}."
