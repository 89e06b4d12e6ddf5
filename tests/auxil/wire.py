"""What goes to the database, as the database sees it: the statements SQLite runs, and the
round trips to PostgreSQL.

Why at the driver, not SQLAlchemy's events: the hot statements run on the driver itself
(``storage/_lean.py``), which SQLAlchemy's events never see. SQLite tells each statement it
runs (``set_trace_callback``); libpq writes every protocol message of a connection to a file
(``PQtrace``), from which the round trips are counted: each time the client sends after the
server has answered.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import event

import storage


@dataclass
class Wire:
    """Filled in as the block runs (statements) and when it ends (round trips)."""

    statements: list[str] = field(default_factory=list)  # SQLite: each, first words only
    sql: list[str] = field(default_factory=list)  # SQLite: each, whole
    round_trips: int = 0  # PostgreSQL

    def saw(self, sql: str) -> None:
        self.statements.append(_first_words(sql))
        self.sql.append(sql)


@contextmanager
def watching(db: storage.Database) -> Iterator[Wire]:
    """Watch every connection the database takes from its pools during the block (the ones
    it kept between uses are let go first)."""
    db.let_go()
    engines = db.engines()
    wire = Wire()
    traces: dict[Any, tuple[Path, int]] = {}  # libpq's connection: a file of its own
    sqlite: list[Any] = []

    with tempfile.TemporaryDirectory(prefix="planbot-wire-") as folder:

        def checkout(dbapi_conn: Any, _record: object, _proxy: object) -> None:
            driver = getattr(dbapi_conn, "driver_connection", dbapi_conn)
            if hasattr(driver, "pgconn"):
                if driver.pgconn not in traces:
                    from psycopg import pq

                    path = Path(folder) / f"{len(traces)}.trace"
                    traces[driver.pgconn] = path, os.open(path, os.O_WRONLY | os.O_CREAT)
                    driver.pgconn.trace(traces[driver.pgconn][1])
                    driver.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
            else:
                driver.set_trace_callback(wire.saw)
                sqlite.append(driver)

        for engine in engines:
            event.listen(engine, "checkout", checkout)
        try:
            yield wire
        finally:
            for engine in engines:
                event.remove(engine, "checkout", checkout)
            for driver in sqlite:
                driver.set_trace_callback(None)
            for pgconn, (path, fd) in traces.items():
                pgconn.untrace()  # writes out what libpq kept back
                os.close(fd)
                wire.round_trips += _round_trips(path.read_text("utf-8", "replace"))


def _first_words(sql: str) -> str:
    return " ".join(sql.split()[:3])


def _round_trips(trace: str) -> int:
    """libpq's trace: a line per message, "F" from the client, "B" from the server."""
    trips, last = 0, "B"
    for line in trace.splitlines():
        if line[:1] in ("F", "B"):
            if line[0] == "F" and last == "B":
                trips += 1
            last = line[0]
    return trips
