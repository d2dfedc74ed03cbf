"""The database connection's upkeep: table statistics for the query planners.

`ENGINE = "grassroots.database"` is Django's SQLite backend with one addition (see `base.py`):
the planner's statistics kept fresh as SQLite recommends. `refresh_statistics()` is for the end
of a bulk load (an import, a benchmark's generator), after which the old statistics mislead.

Full statistics, not sampled ones (`PRAGMA analysis_limit`): a sample of a thousand rows per
index tells SQLite that an organization holds a thousand people, and it then walks a whole
organization of a million to find one district's. A full `ANALYZE` of a million people and
their memberships takes about a second.
"""

from __future__ import annotations

from django.db import connection


def refresh_statistics(*tables: str) -> None:
    """Gather the planner's statistics again after a bulk load: `ANALYZE` (of `tables`, or all)."""
    with connection.cursor() as cursor:
        if not tables:
            cursor.execute("ANALYZE")
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
