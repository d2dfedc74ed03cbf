"""Pages of the API's lists: `limit` (default 100, at most 500) and `offset`, answered as
`{"items": [...], "count": n}`; lists by name also page by cursor (`after`, answered `next`)
and count only up to COUNTED rows (`count` is null beyond: counting a million people, or
every match of a common name, would cost many times the page)."""

from typing import Any

from django.http import HttpRequest
from ninja import Field, Schema
from ninja.errors import ValidationError
from ninja.pagination import LimitOffsetPagination, paginate

from grassroots.api.schemas import NO_NUL
from grassroots.keyset import InvalidCursor, keyset_page, name_key

MAX_PAGE = 500
COUNTED = 1000  # a list by name counts at most this many rows; beyond, its `count` is null


class Pagination(LimitOffsetPagination):
    """limit/offset pages; the offset is bounded so the database never sees an overflowing number."""

    class Input(Schema):
        limit: int = Field(100, ge=1, description=f"Rows per page, at most {MAX_PAGE}.")
        offset: int = Field(0, ge=0, le=2**53, description="Rows to skip.")


paginated = paginate(Pagination, max_limit=MAX_PAGE)


class CursorPagination(Pagination):
    """A list by name, paged by `limit` and `offset` or, to go deep, `after` the cursor that the
    previous page answered as `next`: a page after a cursor costs what the first one does."""

    class Input(Pagination.Input):
        after: str | None = Field(None, max_length=1000, pattern=NO_NUL, description="The `next` of the previous page.")

    class Output(Schema):
        items: list[Any]
        count: int | None = Field(
            description=f"How many there are in all, up to {COUNTED:,}; null beyond that and on a page after a cursor."
        )
        next: str | None = Field(None, description="Pass as `after` for the following page; null on the last.")

    def paginate_queryset(self, queryset, pagination: Input, request: HttpRequest, **params):
        limit = min(pagination.limit, self.max_limit)
        if pagination.after:
            # Counting a million people would cost more than the page: a cursor page does not.
            try:
                page = keyset_page(queryset, after=pagination.after, size=limit)
            except InvalidCursor:
                reason = InvalidCursor.message.partition(": ")[2]
                raise ValidationError([{"loc": ["query", "after"], "msg": reason, "type": "value_error"}]) from None
            return {"items": page.rows, "count": None, "next": page.next_cursor}
        rows = queryset.order_by(name_key(queryset), "pk")[pagination.offset :]
        page = keyset_page(rows, after=None, size=limit, ordered=True)
        return {"items": page.rows, "count": counted(queryset), "next": page.next_cursor}


def counted(queryset) -> int | None:
    """How many rows `queryset` has, or None when more than COUNTED: one query that stops after
    COUNTED + 1 rows, whatever the list's length."""
    found = queryset.order_by().values("pk")[: COUNTED + 1].count()
    return found if found <= COUNTED else None


paginated_by_name = paginate(CursorPagination, max_limit=MAX_PAGE)
