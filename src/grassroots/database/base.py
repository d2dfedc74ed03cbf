"""Django's SQLite backend, with the statistics upkeep SQLite recommends for short-lived
connections: `PRAGMA optimize` just before a connection closes (it runs `ANALYZE`, with a
sampling limit, on the tables whose statistics the connection's queries found missing or stale).
Without statistics, the planner walks a whole organization through the wrong index."""

from __future__ import annotations

from django.db.backends.sqlite3 import base

from . import ANALYSIS_LIMIT


class DatabaseWrapper(base.DatabaseWrapper):
    def close(self) -> None:
        if self.connection is not None and not self.in_atomic_block:
            try:
                self.connection.execute(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
                self.connection.execute("PRAGMA optimize")
            except base.Database.Error:
                pass  # a busy or read-only database: the next connection will try again
        super().close()
