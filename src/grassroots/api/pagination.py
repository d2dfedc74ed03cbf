"""Pages of the API's lists: `limit` (default 100, at most 500) and `offset`, answered as
`{"items": [...], "count": n}`."""

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination, paginate

MAX_PAGE = 500


class Pagination(LimitOffsetPagination):
    """limit/offset pages; the offset is bounded so the database never sees an overflowing number."""

    class Input(Schema):
        limit: int = Field(100, ge=1, description=f"Rows per page, at most {MAX_PAGE}.")
        offset: int = Field(0, ge=0, le=2**53, description="Rows to skip.")


paginated = paginate(Pagination, max_limit=MAX_PAGE)
