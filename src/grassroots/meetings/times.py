"""Local times of meetings: a wall-clock time in an IANA zone made aware, refusing the times a
clock change skips or repeats. Plain Python, no database."""

from __future__ import annotations

import datetime as dt
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from grassroots.errors import ActionRefused


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones()) | {"UTC"}


def zone_named(name: str, *, field: str = "time_zone") -> ZoneInfo:
    """The IANA zone `name` (e.g. Europe/Berlin), or a refusal naming the field."""
    if not name or name != name.strip() or name.startswith("/") or ".." in name:
        raise ActionRefused(f"{field}: '{name}' is not an IANA time zone such as Europe/Berlin", field=field)
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ActionRefused(f"{field}: '{name}' is not an IANA time zone such as Europe/Berlin", field=field) from None
    if name not in _zone_names():
        raise ActionRefused(f"{field}: '{name}' is not an IANA time zone such as Europe/Berlin", field=field)
    return zone


def exists_locally(local: dt.datetime, zone: ZoneInfo) -> bool:
    """Whether the wall-clock time `local` (naive) happens in `zone`: false inside the hour a
    clock change skips (02:30 on the night clocks go forward)."""
    aware = local.replace(tzinfo=zone)
    return aware.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) == local


def is_ambiguous(local: dt.datetime, zone: ZoneInfo) -> bool:
    """Whether the wall-clock time `local` (naive, existing) happens twice in `zone`: inside the
    hour that repeats on the night clocks go back."""
    return local.replace(tzinfo=zone, fold=0).utcoffset() != local.replace(tzinfo=zone, fold=1).utcoffset()


def aware_start(local: dt.datetime, zone: ZoneInfo, *, field: str = "start") -> dt.datetime:
    """The aware start of a meeting at wall-clock time `local` in `zone`. A time the clock change
    skips, and one that happens twice (the hour that repeats when clocks go back), are refused
    with a message naming the field: nobody should have to guess which of the two was meant."""
    if local.tzinfo is not None:
        local = local.astimezone(zone).replace(tzinfo=None)
    if not exists_locally(local, zone):
        raise ActionRefused(
            f"{field}: {local:%Y-%m-%d %H:%M} does not exist in {zone.key} (the clocks change that night); "
            "choose another time",
            field=field,
        )
    if is_ambiguous(local, zone):
        raise ActionRefused(
            f"{field}: {local:%Y-%m-%d %H:%M} happens twice in {zone.key} (the clocks go back that night); "
            "choose another time",
            field=field,
        )
    return local.replace(tzinfo=zone, fold=0)


def parse_local(text: str, *, field: str = "start") -> dt.datetime:
    """'YYYY-MM-DD HH:MM' as a naive wall-clock time, or a refusal naming the field."""
    try:
        value = dt.datetime.strptime(text.strip(), "%Y-%m-%d %H:%M")
    except ValueError:
        raise ActionRefused(f"{field}: '{text}' is not a date and time (YYYY-MM-DD HH:MM)", field=field) from None
    return value


def day_bounds(day: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The first instant of `day` in `zone` and the first of the next day, as aware times."""
    return (
        dt.datetime.combine(day, dt.time.min, tzinfo=zone),
        dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone),
    )
