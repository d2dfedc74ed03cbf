"""Keyset (cursor) pages of a list in a stable order, by name then id.

A page is the rows after the last one shown, found through the (organization, name) index: a
page deep in a list of a million people costs what the first one does, where an offset makes
the database walk past every row before it. The cursor is the last row's (name, id), opaque to
whoever pages.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db.models import Model, Q, QuerySet

M = TypeVar("M", bound=Model)

# A list by name may annotate the name under this alias, as the plan it wants reads it (see
# `people.selectors.search_people`): its pages order and continue by the alias, in the same order.
SORTED_NAME = "sorted_name"


def name_key(rows: QuerySet, name: str = "name") -> str:
    """The field a list orders and pages by for `name`: `SORTED_NAME` when the list annotated it."""
    return SORTED_NAME if name == "name" and SORTED_NAME in rows.query.annotations else name


def encode_cursor(name: str, pk: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([name, pk]).encode()).decode().rstrip("=")


class InvalidCursor(ValueError):
    """An `after` that no page of a list gave: the interfaces say so (the API: 422 naming it)."""

    message = "after: not a cursor this list gave as its next page; start again from the first page"

    def __init__(self) -> None:
        super().__init__(self.message)


def decode_cursor(cursor: str) -> tuple[str, int] | None:
    """The (name, id) a cursor holds, or None for one that is not a cursor."""
    try:
        name, pk = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError):
        return None
    if not isinstance(name, str) or "\x00" in name or type(pk) is not int or not 0 < pk < 2**63:
        return None
    return name, pk


@dataclass
class KeysetPage(Generic[M]):
    rows: list[M]
    next_cursor: str | None  # None on the last page
    first: bool  # whether this is the first page


def keyset_page(
    rows: QuerySet[M],
    *,
    after: str | None,
    size: int,
    name: str = "name",
    pk: str = "pk",
    ordered: bool = False,
) -> KeysetPage[M]:
    """The `size` rows of `rows` after the cursor (from the first without one), by `name` then `pk`.

    `ordered`: `rows` are already in that order and sliced (an offset page); the cursor still
    leads to the rows after its last one. Raises `InvalidCursor` for an `after` that is not one."""
    key = decode_cursor(after) if after else None
    if after and key is None:
        raise InvalidCursor
    name = name_key(rows, name)
    if key is not None:
        # `name >= n` first, as a range the name index answers, then the tie-break within it.
        rows = rows.filter(**{f"{name}__gte": key[0]}).filter(Q(**{f"{name}__gt": key[0]}) | Q(**{f"{pk}__gt": key[1]}))
    found = list((rows if ordered else rows.order_by(name, pk))[: size + 1])
    more, found = len(found) > size, found[:size]
    cursor = None
    if more:
        last = found[-1]
        cursor = encode_cursor(_value(last, name), _value(last, pk))
    return KeysetPage(rows=found, next_cursor=cursor, first=key is None)


def _value(row: Model, path: str):
    for part in path.split("__"):
        row = getattr(row, part)
    return row
