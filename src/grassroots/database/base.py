"""Django's SQLite backend, with the statistics upkeep SQLite recommends for short-lived
connections: `PRAGMA optimize` just before a connection closes (it runs `ANALYZE` on the tables
the connection's queries used whose statistics are missing or stale: grown tenfold since).
Without statistics, the planner walks a whole organization through the wrong index."""

from __future__ import annotations

import contextlib

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    def close(self) -> None:
        # Not for an in-memory database (the tests'): its connections share one cache, where the
        # ANALYZE that optimize may run locks tables under another thread without waiting.
        if self.connection is not None and not self.in_atomic_block and not self.is_in_memory_db():
            # A busy or read-only database: the next connection to close will try again.
            with contextlib.suppress(base.Database.Error):
                self.connection.execute("PRAGMA optimize")
        super().close()
