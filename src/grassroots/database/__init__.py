"""The database connection's upkeep: table statistics for the query planners; and rows as the
driver returns them (`plain_rows`).

`ENGINE = "grassroots.database"` is Django's SQLite backend with one addition (see `base.py`):
the planner's statistics kept fresh as SQLite recommends. `refresh_statistics()` is for the end
of a bulk load (an import, a benchmark's generator), after which the old statistics mislead.

Full statistics, not sampled ones (`PRAGMA analysis_limit`): a sample of a thousand rows per
index tells SQLite that an organization holds a thousand people, and it then walks a whole
organization of a million to find one district's. A full `ANALYZE` of a million people and
their memberships takes about a second.
"""

from __future__ import annotations

import contextlib

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet


def refresh_statistics(*tables: str) -> None:
    """Gather the planner's statistics again after a bulk load: `ANALYZE` (of `tables`, or all)."""
    with connection.cursor() as cursor:
        if not tables:
            cursor.execute("ANALYZE")
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def vacuum_rewritten(*tables: str) -> None:
    """After a bulk load that rewrote the same rows many times (the import adds each batch to the
    per-unit member counts: a million members in batches of 10,000 leave every count row a hundred
    versions), on PostgreSQL: `VACUUM (ANALYZE)` of `tables`. Until a vacuum, each dead version
    keeps its entry in every index and a range of the index visits them all (a subtree's counts
    read 25 times the rows they hold), and no index-only scan skips the table. Autovacuum would
    get there in its own time, and not at all where it is off; SQLite updates rows in place.
    Skipped inside a transaction, where `VACUUM` cannot run (the caller's, or a test's)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(table)}")


@contextlib.contextmanager
def commits_without_waiting():
    """For a run of many small commits (an outbox worker's marks, an import's batches): on
    PostgreSQL they do not wait for the disk (`synchronous_commit` off for the connection, as it
    was before afterwards; SQLite's WAL with `synchronous = NORMAL` already does the same). A
    killed process loses nothing (the server has each commit), and the database stays consistent
    whatever happens; only a crash of the database server itself could forget the last fraction
    of a second of commits (an outbox would send those messages again; an import's run record is
    forgotten with its batches). Waiting for the disk at every commit halves an outbox worker's
    rate and costs an import a sixth of its time."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        (before,) = cursor.fetchone()
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        if connection.connection is not None and not connection.needs_rollback:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('synchronous_commit', %s, false)", [before])


def plain_rows(rows: QuerySet) -> list[tuple]:
    """The rows of a `values_list` query (a list of tuples) as the database driver returns them,
    in one fetch: without Django's per-row converters, for columns (texts, integers, sums) that
    need none. Django gives an expression with an integer output a converter on every row
    (`int(value)`): a third of the time of reading ten thousand rows of whole numbers. A query
    whose condition no row can meet (`IN` an empty list) answers [] without asking the database,
    as Django does."""
    try:
        sql, params = rows.query.sql_with_params()
    except EmptyResultSet:
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
