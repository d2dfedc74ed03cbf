"""The database connection's upkeep: table statistics for the query planners.

`ENGINE = "grassroots.database"` is Django's SQLite backend with one addition (see `base.py`):
the planner's statistics kept fresh as SQLite recommends. `refresh_statistics()` is for the end
of a bulk load (an import, a benchmark's generator), after which the old statistics mislead.
"""

from __future__ import annotations

from django.db import connection

# Rows SQLite's ANALYZE samples per index: approximate statistics in milliseconds rather than a
# full scan of a ten-million-row table, which is what SQLite advises for `PRAGMA optimize`.
ANALYSIS_LIMIT = 1000


def refresh_statistics(*tables: str) -> None:
    """Gather the planner's statistics again after a bulk load: `ANALYZE` (of `tables`, or all)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
        if not tables:
            cursor.execute("ANALYZE")
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
