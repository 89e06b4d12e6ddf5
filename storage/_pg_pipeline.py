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
_GONE = "26000"  # invalid_sql_statement_name: a prepared statement the server no longer has


@dataclass(frozen=True)
class Numbered:
    """A statement written for psycopg (``%(name)s``), as libpq takes it (``$1``): its SQL
    and the name of each value, in order."""

    sql: bytes
    names: tuple[str, ...]


def numbered(sql: str) -> Numbered:
    """``sql`` with ``%(name)s`` as ``$n`` (a name used twice keeps its number) and ``%%``
    as ``%``: what the server itself takes."""
    names: list[str] = []

    def place(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return "%"
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    return Numbered(_PLACEHOLDER.sub(place, sql).encode(), tuple(names))


@dataclass(frozen=True)
class Sent:
    """What one statement gave back: rows (``None`` when it returns none) and the count the
    server gave of the rows it read or changed (-1 for a command that counts nothing)."""

    rows: list[tuple[Any, ...]] | None
    rowcount: int


def exchange(
    driver: Connection[Any],
    statements: Sequence[tuple[bytes, Sequence[Any] | None]],
    prepared: set[bytes],
) -> list[Sent]:
    """Send ``statements`` (SQL with ``$n``, and values; ``None`` for a command without
    any) in one round trip, in order; what each gave back. ``prepared``: the names this
    connection has prepared (kept with the connection, added to here). The first statement
    that fails raises its psycopg error, once the server has answered the whole batch (it
    skipped the rest)."""
    pgconn = driver.pgconn
    dumper: abc.Transformer = Transformer(driver)
    # For each statement: the name it is being prepared under in this batch, or None.
    preparing: list[bytes | None] = []
    pgconn.enter_pipeline_mode()
    try:
        for sql, values in statements:
            preparing.append(_send(pgconn, dumper, prepared, preparing, sql, values))
        pgconn.pipeline_sync()
        results = _results(pgconn)
    finally:
        if pgconn.pipeline_status != pq.PipelineStatus.OFF:
            _leave_pipeline(pgconn)
    return _read(driver, dumper, prepared, preparing, results)


def _send(
    pgconn: pq.abc.PGconn,
    dumper: abc.Transformer,
    prepared: set[bytes],
    batch: list[bytes | None],
    sql: bytes,
    values: Sequence[Any] | None,
) -> bytes | None:
    """Send one statement; the name it is prepared under now, if it is (``batch``: the
    names prepared by the statements before it in this batch)."""
    if values is None:
        pgconn.send_query_params(sql, None)
        return None
    dumped = dumper.dump_sequence(values, [PyFormat.AUTO] * len(values))
    types = tuple(dumper.types or ())
    key = (sql, types)
    name = _NAMES.get(key)
    if name is None:
        name = _NAMES[key] = f"planbot_{next(_NUMBERS)}".encode()
    now_preparing = None
    if name not in prepared and name not in batch:
        pgconn.send_prepare(name, sql, types)
        now_preparing = name
    pgconn.send_query_prepared(name, dumped, dumper.formats)
    return now_preparing


def _results(pgconn: pq.abc.PGconn) -> list[pq.abc.PGresult]:
    """Every result up to the batch's end (its sync), waiting for the socket as needed."""
    while pgconn.flush():
        _wait(pgconn.socket, select.POLLOUT)
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


def _wait(socket: int, event: int) -> None:
    poller = select.poll()  # not select(): a busy server's sockets may be numbered past 1024
    poller.register(socket, event)
    poller.poll()


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
    """The results, statement by statement: a prepare's result and then its run's."""
    given = iter(results)
    sent: list[Sent] = []
    failure: errors.Error | None = None
    for name in preparing:
        for result in ([next(given)] if name is not None else []) + [next(given)]:
            if failure is None and result.status == pq.ExecStatus.FATAL_ERROR:
                failure = errors.error_from_result(result, driver.info.encoding)
        if failure is not None:
            continue
        if name is not None:
            prepared.add(name)
        sent.append(_sent(dumper, result))
    if failure is not None:
        raise failure
    return sent


def _sent(dumper: abc.Transformer, result: pq.abc.PGresult) -> Sent:
    counted = result.command_tuples
    rowcount = counted if counted is not None else -1
    if result.status != pq.ExecStatus.TUPLES_OK:
        return Sent(None, rowcount)
    dumper.set_pgresult(result)
    return Sent(dumper.load_rows(0, result.ntuples, tuple), rowcount)


def statement_gone(error: BaseException) -> bool:
    """Whether ``error`` says a statement prepared here is gone from the server (something
    deallocated it): the connection is then thrown away, and the work tried again."""
    return getattr(error, "sqlstate", None) == _GONE
