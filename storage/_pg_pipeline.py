"""PostgreSQL: a batch of statements in one round trip, on psycopg's libpq wrapper (``pq``).

Why not psycopg's cursors in pipeline mode, as before: their Python machinery (a cursor
each, query conversion, generators for each wait and result) cost about 25 µs of CPU a
statement, where libpq itself takes a few; a text sends seven or eight statements in two
round trips, and this was most of what PostgreSQL cost over SQLite (bench/list_answer.py,
``--database-url``). Here the values are dumped and the rows loaded by psycopg's own
``Transformer`` (the same conversions as its cursors make, both ways), and only the
sending and the waiting are done directly.

Each statement with values is prepared on the server once per connection, under a name of
its own (``planbot_N``): the server parses and plans it once, as psycopg's cursors did
after a statement's fifth run. psycopg's own preparing is off on these connections
(``storage/_db.py``), since after a failed transaction it deallocates every prepared
statement of the connection, ours too; should ours go missing anyway, the server's error
says so and the connection is thrown away (``statement_gone``).
"""

from __future__ import annotations

import re
import select
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import count
from typing import Any

from psycopg import Connection, abc, errors, pq
from psycopg.adapt import PyFormat, Transformer

_NAMES: dict[tuple[bytes, tuple[int, ...]], bytes] = {}  # (SQL, value types): its name
_NUMBERS = count()
_PLACEHOLDER = re.compile(r"%(?:\((\w+)\)s|%)")
# invalid_sql_statement_name (a statement the server no longer has) and
# duplicate_prepared_statement (one it has that we did not know of)
_NOT_AS_KNOWN = ("26000", "42P05")


@dataclass(frozen=True)
class Numbered:
    """A statement written for psycopg (``%(name)s``), as libpq takes it (``$1``): its SQL
    and the name of each value, in order."""

    sql: bytes
    names: tuple[str, ...]


def numbered(sql: str) -> Numbered:
    """``sql`` with ``%(name)s`` as ``$n`` (a name used twice keeps its number) and ``%%``
    as ``%``: what the server itself takes. Table and column names only: ASCII, the same
    bytes in every client encoding."""
    names: list[str] = []

    def place(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return "%"
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    return Numbered(_PLACEHOLDER.sub(place, sql).encode("ascii"), tuple(names))


@dataclass(frozen=True)
class Sent:
    """What one statement gave back: rows (``None`` when it returns none) and the count the
    server gave of the rows it read or changed (-1 for a command that counts nothing)."""

    rows: list[tuple[Any, ...]] | None
    rowcount: int


class BatchFailed(Exception):
    """A statement of a batch failed: its place in the batch, and psycopg's error (the
    server skipped the statements after it)."""

    def __init__(self, index: int, error: errors.Error) -> None:
        super().__init__(str(error))
        self.index, self.error = index, error


@dataclass(frozen=True)
class _Ready:
    """A statement with its values dumped, ready to send."""

    sql: bytes
    name: bytes | None  # what it is prepared under; None: a command without values
    values: Sequence[abc.Buffer | None] | None = None
    types: tuple[int, ...] = ()
    formats: Sequence[pq.Format] | None = None


def exchange(
    driver: Connection[Any],
    statements: Sequence[tuple[bytes, Sequence[Any] | None]],
    prepared: set[bytes],
) -> list[Sent]:
    """Send ``statements`` (SQL with ``$n``, and values; ``None`` for a command without
    any) in one round trip, in order; what each gave back. ``prepared``: the names this
    connection has prepared (kept with the connection, added to here). A statement that
    fails raises ``BatchFailed``, once the server has answered the whole batch."""
    pgconn = driver.pgconn
    dumper: abc.Transformer = Transformer(driver)
    # Every value is dumped first: a value psycopg cannot send fails before anything is sent.
    ready = [_dumped(dumper, sql, values) for sql, values in statements]
    preparing: list[bytes | None] = []  # for each statement, the name it is prepared under now
    pgconn.enter_pipeline_mode()
    try:
        for statement in ready:
            name = statement.name
            now = name is not None and name not in prepared and name not in preparing
            preparing.append(name if now else None)
            if name is None:
                pgconn.send_query_params(statement.sql, None)
                continue
            if now:
                pgconn.send_prepare(name, statement.sql, statement.types)
            pgconn.send_query_prepared(name, statement.values, statement.formats)
        pgconn.pipeline_sync()
        results = _results(pgconn)
    finally:
        if pgconn.pipeline_status != pq.PipelineStatus.OFF:
            _leave_pipeline(pgconn)
    return _read(driver, dumper, prepared, preparing, results)


def _dumped(dumper: abc.Transformer, sql: bytes, values: Sequence[Any] | None) -> _Ready:
    if values is None:
        return _Ready(sql, None)
    dumped = dumper.dump_sequence(values, [PyFormat.AUTO] * len(values))
    types = tuple(dumper.types or ())
    # Prepared by SQL and the types of its values: a value of another type (None, a bigger
    # int) runs a statement of its own, as psycopg's own preparing does.
    name = _NAMES.get((sql, types))
    if name is None:
        name = _NAMES[(sql, types)] = f"planbot_{next(_NUMBERS)}".encode()
    return _Ready(sql, name, dumped, types, dumper.formats)


def _results(pgconn: pq.abc.PGconn) -> list[pq.abc.PGresult]:
    """Every result up to the batch's end (its sync), waiting for the socket as needed."""
    while pgconn.flush():  # while sending, read too, or a big batch could block both sides
        if _wait(pgconn.socket, select.POLLIN | select.POLLOUT) & select.POLLIN:
            pgconn.consume_input()
    results: list[pq.abc.PGresult] = []
    while True:
        while pgconn.is_busy():
            _wait(pgconn.socket, select.POLLIN)
            pgconn.consume_input()
        result = pgconn.get_result()
        if result is None:  # the end of one statement's results
            continue
        if result.status == pq.ExecStatus.PIPELINE_SYNC:
            return results
        results.append(result)


def _wait(socket: int, events: int) -> int:
    """Wait until the socket is ready for ``events``; which it is ready for."""
    poller = select.poll()  # not select(): a busy server's sockets may be numbered past 1024
    poller.register(socket, events)
    return sum(ready for _fd, ready in poller.poll())


def _leave_pipeline(pgconn: pq.abc.PGconn) -> None:
    """Out of pipeline mode; if results are left unread (the wait was interrupted), the
    connection cannot be used again, so it is closed (SQLAlchemy then replaces it)."""
    try:
        pgconn.exit_pipeline_mode()
    except errors.OperationalError:
        pgconn.finish()


def _read(
    driver: Connection[Any],
    dumper: abc.Transformer,
    prepared: set[bytes],
    preparing: list[bytes | None],
    results: list[pq.abc.PGresult],
) -> list[Sent]:
    """The results, statement by statement: a prepare's result (if it was prepared now)
    and then its run's. A prepare that worked is kept even if its run failed: the server
    keeps it, whatever happens to the transaction."""
    given = iter(results)
    sent: list[Sent] = []
    failed: tuple[int, pq.abc.PGresult] | None = None
    for index, name in enumerate(preparing):
        if name is not None:
            made = next(given)
            if made.status == pq.ExecStatus.COMMAND_OK:
                prepared.add(name)
            elif failed is None and made.status == pq.ExecStatus.FATAL_ERROR:
                failed = index, made
        result = next(given)
        if failed is None and result.status == pq.ExecStatus.FATAL_ERROR:
            failed = index, result
        if failed is None:
            sent.append(_sent(dumper, result))
    if failed is not None:
        index, result = failed
        raise BatchFailed(index, errors.error_from_result(result, driver.info.encoding))
    return sent


def _sent(dumper: abc.Transformer, result: pq.abc.PGresult) -> Sent:
    if result.status == pq.ExecStatus.TUPLES_OK:
        dumper.set_pgresult(result)
        return Sent(dumper.load_rows(0, result.ntuples, tuple), result.ntuples)
    counted = result.command_tuples
    return Sent(None, counted if counted is not None else -1)


def statement_gone(error: BaseException) -> bool:
    """Whether ``error`` says the statements prepared here are not what the server has
    (something deallocated them, or prepared one we did not know of): the connection is
    then thrown away, and the work tried again."""
    return getattr(error, "sqlstate", None) in _NOT_AS_KNOWN
