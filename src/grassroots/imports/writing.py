"""Writing an import in bulk: one statement per table and batch (executemany on SQLite, binary
COPY on PostgreSQL), and the one look-up per batch of the people its rows may match.

`BulkStatements(scope)` holds the statements for the connection's vendor; `scope` is the
condition that keeps the people the actor may match (`access.indirect.scope_condition`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence

from django.db import connection
from django.utils import timezone

from grassroots.people.counts import count_changes, count_status_changes
from grassroots.people.models import Membership, Person, StatusChange
from grassroots.people.normalize import search_key

from .deciding import EMAIL, NAME, NUMBER, PHONE, RECRUITER, SEARCH_KEY, BatchMatches, BatchWrites, KnownPerson
from .validation import ValidRow


class BulkStatements:
    """The set-based statements of an import, for the connection's vendor: the look-up of the people a
    batch may match, and the writes of a decided batch."""

    PERSON_COLUMNS = (
        "id",
        "organization_id",
        "name",
        "email",
        "phone",
        "address",
        "search_key",
        "family_key",
        "unit_path",
        "recruiter_id",
        "created_at",
    )
    MEMBERSHIP_COLUMNS = ("person_id", "unit_id", "status", "start", "end")
    SQLITE_PRAGMAS = {
        # The default 2 MB page cache makes every insert into the email, name and phone indexes of
        # a large table read pages again; 64 MB keeps them.
        "cache_size": -65536,
        # A checkpoint each 40 MB of log rather than each 4 MB: every checkpoint copies again the
        # index pages each batch touches; at a million rows they took a quarter of the import.
        "wal_autocheckpoint": 10_000,
    }

    def __init__(self, scope: tuple[str, list] | None = None):
        """`scope`: the condition (on the person table's columns) that keeps the people the actor
        may match (see `access.indirect.scope_condition`); None for the whole organization."""
        self.postgres = connection.vendor == "postgresql"
        # Adapted once for the whole import: the statements take it as it is.
        self.created_at = connection.ops.adapt_datetimefield_value(timezone.now())
        quote = connection.ops.quote_name
        self.person_table = person = Person._meta.db_table
        self.membership_table = membership = Membership._meta.db_table
        current = f"{quote('end')} IS NULL"
        # The organization's people in scope whose email (or phone) is one of a list; see
        # `select_in`, given `people_params` first.
        condition, scope_params = scope or ("", [])
        self.people_params = scope_params
        self.people_by = {
            column: f"SELECT id, name, email, phone, address, unit_path, recruiter_id FROM {person} "
            f"WHERE organization_id = %s AND erased_at IS NULL AND {condition + ' AND ' if condition else ''}{column}"
            for column in ("email", "phone")
        }
        # The people a row names by their number (an export's id column).
        self.people_by["id"] = self.people_by["email"].removesuffix("email") + "id"
        # People with neither email nor phone, by their name's search key.
        self.people_by["search_key"] = self.people_by["email"].removesuffix("email") + (
            "email = '' AND phone = '' AND search_key"
        )
        self.current_memberships = f"SELECT person_id, unit_id, status FROM {membership} WHERE {current} AND person_id"
        current = f"person_id = %s AND {current}"  # a person's one current membership
        self.update_person = (
            f"UPDATE {person} SET name = %s, email = %s, phone = %s, address = %s, search_key = %s, family_key = %s, "
            "unit_path = %s, recruiter_id = %s WHERE id = %s"
        )
        self.record_status = (
            f"INSERT INTO {StatusChange._meta.db_table} (membership_id, {quote('on')}, old, new) "
            f"SELECT id, %s, %s, %s FROM {membership} WHERE {current}"
        )
        self.update_status = f"UPDATE {membership} SET status = %s WHERE {current}"
        self.link_recruiter = f"UPDATE {person} SET recruiter_id = %s WHERE id = %s"
        self.types: dict[str, dict[str, int]] = {}  # PostgreSQL: table -> column -> type
        self.pragmas: dict[str, int] = {}  # SQLite: the connection's own settings while tuned
        self.sequence: str | None = None  # PostgreSQL: the person table's id sequence, once looked up

    def look_up(self, rows: Sequence[ValidRow], organization_id: int, *, reserve_ids: bool) -> BatchMatches:
        """What deciding the batch needs from the database: the people of the organization
        matching its emails and phones (and recruiters), and those with neither whose name is that
        of a row with neither, and those whose number a row gives, with their current memberships,
        in at most five queries; and, with
        `reserve_ids`, ids for the people it may create."""
        if not rows:
            return BatchMatches({}, {}, {}, {}, [], {})
        recruiters = {row[RECRUITER] for row in rows}
        emails = {row[EMAIL] for row in rows} | {key for key in recruiters if "@" in key}
        phones = {row[PHONE] for row in rows} | {key for key in recruiters if key[:1] == "+"}
        by_id: dict[int, KnownPerson] = {}
        for column, values in (("email", emails), ("phone", phones)):
            values.discard("")
            params = [organization_id, *self.people_params]
            # In the order of the people's numbers, whatever order the database returns them in.
            for row in sorted(self.select_in(self.people_by[column], params, list(values))):
                by_id.setdefault(row[0], KnownPerson(*row))
        by_number: dict[int, KnownPerson] = {}
        if numbers := [number for row in rows if (number := row[NUMBER])]:
            params = [organization_id, *self.people_params]
            for row in self.select_in(self.people_by["id"], params, numbers):
                by_number[row[0]] = by_id.setdefault(row[0], KnownPerson(*row))
        names = {row[SEARCH_KEY] or search_key(row[NAME]) for row in rows if not row[EMAIL] and not row[PHONE]}
        by_name: dict[tuple[str, str], list[KnownPerson]] = {}
        if names:
            params = [organization_id, *self.people_params]
            for row in sorted(self.select_in(self.people_by["search_key"], params, list(names))):
                person = by_id.setdefault(row[0], KnownPerson(*row))
                by_name.setdefault((search_key(person.name), person.unit_path), []).append(person)
        for person_id, unit_id, status in self.select_in(self.current_memberships, [], list(by_id)):
            by_id[person_id].membership = (unit_id, status)
        by_email = {person.email: person for person in by_id.values() if person.email}
        sharing: dict[str, list[KnownPerson]] = {}
        for person in by_id.values():
            for key in (person.email, person.phone):
                if key:
                    sharing.setdefault(key, []).append(person)
        by_phone: dict[str, KnownPerson] = {}
        for person in sorted(by_id.values(), key=lambda person: person.id):
            if person.phone:
                by_phone.setdefault(person.phone, person)
        ids = self.reserve_person_ids(len(rows)) if reserve_ids else []
        return BatchMatches(by_email, by_phone, sharing, by_name, ids, by_number)

    def write(self, writes: BatchWrites, today: dt.date) -> None:
        """Write a decided batch: inserts first, so that the updates of the same batch find the
        people and memberships they change."""
        self.insert_people(writes.people)
        self.insert_memberships(writes.memberships)
        # Counts are of current memberships: an ended one (a past member, from an export) counts nowhere.
        current = Counter((unit, status) for _person, unit, status, _start, end in writes.memberships if end is None)
        count_changes((unit_id, status, members) for (unit_id, status), members in current.items())
        self.execute_many(self.update_person, writes.person_updates)
        self.execute_many(self.record_status, [(today, old, new, person) for person, old, new in writes.statuses])
        count_status_changes(writes.statuses)
        self.execute_many(self.update_status, [(new, person) for person, _old, new in writes.statuses])
        self.execute_many(self.link_recruiter, writes.links)

    def tune(self) -> None:
        """SQLite: set the connection up for the import (`SQLITE_PRAGMAS`) until `restore`."""
        if self.postgres:
            return
        with connection.cursor() as cursor:
            for pragma, value in self.SQLITE_PRAGMAS.items():
                cursor.execute(f"PRAGMA {pragma}")
                self.pragmas.setdefault(pragma, cursor.fetchone()[0])
                cursor.execute(f"PRAGMA {pragma} = {value}")

    def restore(self) -> None:
        """Give the connection back its own settings (a worker goes on using it)."""
        with connection.cursor() as cursor:
            for pragma, value in self.pragmas.items():
                cursor.execute(f"PRAGMA {pragma} = {value}")
        self.pragmas.clear()

    def reserve_person_ids(self, count: int) -> list[int]:
        """`count` new person ids from the table's own counter: no other writer gets them, whether
        or not the import uses them all (the unused ones are gaps, as a rolled-back insert leaves)."""
        table = self.person_table
        with connection.cursor() as cursor:
            if self.postgres:
                if self.sequence is None:
                    # Looked up once: called in the series, the look-up ran once per id (ten times
                    # the cost of the ids themselves).
                    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
                    self.sequence = cursor.fetchone()[0]
                # One array rather than a row per id: half the time.
                cursor.execute(
                    "SELECT array_agg(nextval(%s::regclass)) FROM generate_series(1, %s)", [self.sequence, count]
                )
                return cursor.fetchone()[0] or []  # NULL for none
            # SQLite: the AUTOINCREMENT counter, moved past the ids handed out. The transaction
            # holds the write lock (transaction_mode IMMEDIATE) until the move commits.
            cursor.execute(
                "INSERT INTO sqlite_sequence (name, seq) SELECT %s, 0 "
                "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = %s)",
                [table, table],
            )
            cursor.execute(
                f"UPDATE sqlite_sequence SET seq = MAX(seq, (SELECT COALESCE(MAX(id), 0) FROM {table})) + %s "
                "WHERE name = %s",
                [count, table],
            )
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            last = cursor.fetchone()[0]
            return list(range(last - count + 1, last + 1))

    def insert_people(self, rows: list[tuple]) -> None:
        """Insert people given as `PERSON_COLUMNS` (`created_at` is this import's `created_at`)."""
        self.insert(self.person_table, self.PERSON_COLUMNS, rows)

    def insert_memberships(self, rows: list[tuple]) -> None:
        """Insert memberships given as (person_id, unit_id, status, start, end): end None while current."""
        self.insert(self.membership_table, self.MEMBERSHIP_COLUMNS, rows)

    def insert(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        names = ", ".join(map(connection.ops.quote_name, columns))
        with connection.cursor() as cursor:
            if self.postgres:
                types = self.column_types(table, columns)
                # Binary: a third less work than text to format here and to parse in the server.
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
                    copy.set_types(types)
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)

    def column_types(self, table: str, columns: tuple[str, ...]) -> list[int]:
        """PostgreSQL: the type of each column (as the catalogue says), for a binary COPY."""
        if table not in self.types:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0", [table]
                )
                self.types[table] = dict(cursor.fetchall())
        return [self.types[table][column] for column in columns]

    def select_in(self, sql: str, params: list, values: list) -> list[tuple]:
        """Rows of `sql` (ending with a column) whose column is one of `values`: one array
        parameter on PostgreSQL, chunks of IN lists on SQLite. No ORDER BY, so the index probes."""
        if not values:
            return []
        rows: list[tuple] = []
        with connection.cursor() as cursor:
            if self.postgres:
                if isinstance(values[0], str) and not any("\n" in value for value in values):
                    # Text (emails, phones, search keys: one line each) as one string the server
                    # splits: a list of strings costs the client a regular expression per value.
                    cursor.execute(sql + " = ANY(string_to_array(%s, E'\\n'))", [*params, "\n".join(values)])
                else:
                    cursor.execute(sql + " = ANY(%b)", [*params, values])  # a binary array: quicker to send
                return cursor.fetchall()
            for start in range(0, len(values), 5000):
                chunk = values[start : start + 5000]
                cursor.execute(f"{sql} IN ({', '.join(['%s'] * len(chunk))})", [*params, *chunk])
                rows.extend(cursor.fetchall())
        return rows

    def execute_many(self, sql: str, rows: list[tuple]) -> None:
        if rows:
            with connection.cursor() as cursor:
                cursor.executemany(sql, rows)
