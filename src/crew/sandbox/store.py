"""The sandbox's state in SQLite: one table per kind of record, rows as JSON.

Each table holds ``(id, position, data)``: ``position`` keeps insertion order and
``data`` the record as JSON. Queries filter in Python; the workspace is small
enough (a few hundred rows) that this is faster than it sounds and keeps every
record's shape in one place, the seed and the handlers. The database lives in
memory unless a file is given, in which case it is kept between runs.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["TABLES", "NotFound", "Record", "Store"]

Record = dict[str, Any]

TABLES = (
    "workspace",
    "members",
    "companies",
    "contacts",
    "notes",
    "contact_files",
    "tags",
    "pipeline_templates",
    "projects",
    "stages",
    "pipeline_entries",
    "project_files",
    "connected_accounts",
    "locations",
    "linkedin_profiles",
    "enrichments",
    "sequences",
    "enrollments",
    "conversations",
    "messages",
    "deal_pipelines",
    "deal_stages",
    "deals",
)


class NotFound(LookupError):
    """No record with this id in this table."""

    def __init__(self, table: str, record_id: str) -> None:
        super().__init__(f"{table}: no record {record_id!r}")
        self.table = table
        self.record_id = record_id


class Store:
    """Records in SQLite, in memory or in a file.

    Args:
        path: a database file kept between runs; None keeps everything in memory.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._db = sqlite3.connect(
            ":memory:" if path is None else str(path),
            check_same_thread=False,
            isolation_level=None,
        )
        self._lock = threading.RLock()
        with self._lock:
            for table in TABLES:
                self._db.execute(
                    f"CREATE TABLE IF NOT EXISTS {table} (id TEXT PRIMARY KEY,"
                    " position INTEGER NOT NULL, data TEXT NOT NULL)"
                )

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the writes inside as one transaction."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def is_empty(self) -> bool:
        """True when no table holds a row."""
        return all(self.count(table) == 0 for table in TABLES)

    def load(self, tables: dict[str, list[Record]]) -> None:
        """Replace every table's rows with the given records."""
        with self.transaction():
            for table in TABLES:
                self._db.execute(f"DELETE FROM {_check(table)}")
                self._db.executemany(
                    f"INSERT INTO {table} (id, position, data) VALUES (?, ?, ?)",
                    [
                        (row["id"], position, json.dumps(row))
                        for position, row in enumerate(tables.get(table, []))
                    ],
                )

    def insert(self, table: str, record: Record) -> Record:
        """Add a record (it must carry an id) at the end of its table."""
        with self._lock:
            self._db.execute(
                f"INSERT INTO {_check(table)} (id, position, data) VALUES (?,"
                f" (SELECT COALESCE(MAX(position), -1) + 1 FROM {table}), ?)",
                (record["id"], json.dumps(record)),
            )
        return record

    def get(self, table: str, record_id: str) -> Record:
        """The record with this id; NotFound otherwise."""
        found = self.find(table, record_id)
        if found is None:
            raise NotFound(table, record_id)
        return found

    def find(self, table: str, record_id: str) -> Record | None:
        """The record with this id, or None."""
        with self._lock:
            row = self._db.execute(
                f"SELECT data FROM {_check(table)} WHERE id = ?", (record_id,)
            ).fetchone()
        return None if row is None else json.loads(row[0])

    def update(self, table: str, record: Record) -> Record:
        """Replace the stored record having record's id."""
        with self._lock:
            cursor = self._db.execute(
                f"UPDATE {_check(table)} SET data = ? WHERE id = ?",
                (json.dumps(record), record["id"]),
            )
        if cursor.rowcount == 0:
            raise NotFound(table, record["id"])
        return record

    def delete(self, table: str, record_id: str) -> None:
        """Remove a record; NotFound if it is not there."""
        with self._lock:
            cursor = self._db.execute(
                f"DELETE FROM {_check(table)} WHERE id = ?", (record_id,)
            )
        if cursor.rowcount == 0:
            raise NotFound(table, record_id)

    def all(self, table: str) -> list[Record]:
        """Every record of a table, in insertion order."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT data FROM {_check(table)} ORDER BY position"
            ).fetchall()
        return [json.loads(row[0]) for row in rows]

    def where(self, table: str, test: Callable[[Record], bool]) -> list[Record]:
        """The records of a table passing test, in insertion order."""
        return [record for record in self.all(table) if test(record)]

    def count(self, table: str) -> int:
        """How many rows a table holds."""
        with self._lock:
            (count,) = self._db.execute(
                f"SELECT COUNT(*) FROM {_check(table)}"
            ).fetchone()
        return int(count)

    def counts(self) -> dict[str, int]:
        """Rows per table."""
        return {table: self.count(table) for table in TABLES}


def _check(table: str) -> str:
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}; tables: {', '.join(TABLES)}")
    return table


def ids(records: Iterable[Record]) -> list[str]:
    """The ids of records, in order."""
    return [record["id"] for record in records]
