"""Hot statements on the driver itself: compiled once per database, run without
SQLAlchemy's per-statement machinery.

Why: every text runs the same few statements (lock and read the address, store the answer,
the audit event, the conversation and the handled message, count the sender). Through
SQLAlchemy's ``Connection.execute`` each cost about four times the statement itself (the
compiled-cache look-up, the execution context, events, the result's set-up), which was most
of a text's CPU (bench/list_answer.py). Here each statement is still written in SQLAlchemy
Core, compiled by SQLAlchemy for the database in use, with SQLAlchemy's own conversions of
values (dates on SQLite, for example); only running it is done directly: on SQLite on the
driver's cursor, on PostgreSQL on libpq (``storage/_pg_pipeline.py``). It runs in the
transaction of the session (or the plain connection) it is given, as before.

Errors come out as SQLAlchemy's own (``IntegrityError`` and so on: the callers already know
them), and a connection the server dropped is thrown away as SQLAlchemy would, so the
message is tried again on a fresh one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import Any, TypeVar, cast

from sqlalchemy import Table, event, inspect
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.orm import Mapper, Session
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from storage._pg_pipeline import (
    BatchFailed,
    Numbered,
    Sent,
    exchange,
    numbered,
    statement_gone,
)

_WAITING = "planbot_waiting"  # Connection.info: statements that go with the next one (PostgreSQL)
_PREPARED_HERE = "planbot_prepared"  # the pool's record of a connection: its prepared names
# A statement waiting to go (PostgreSQL): its SQL and values as libpq takes them, and, for
# ``execute_soon``, where its rows go.
Waiting = tuple[bytes, Sequence[Any] | None, "Later | None"]
_BEGIN: Waiting = (b"BEGIN", None, None)
_COMMIT: Waiting = (b"COMMIT", None, None)
M = TypeVar("M")


@dataclass(frozen=True)
class Rows:
    """What a statement gave back: its rows (values converted as SQLAlchemy would) and how
    many rows it changed."""

    rows: list[tuple[Any, ...]]
    rowcount: int

    def first(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None

    def one(self) -> tuple[Any, ...]:
        if len(self.rows) != 1:
            raise sa_exc.NoResultFound(f"expected one row, got {len(self.rows)}")
        return self.rows[0]

    def scalar_one(self) -> Any:
        return self.one()[0]


class Prepared:
    """One statement compiled for one database: its SQL, where each value goes and how it is
    converted, and how each column that comes back is converted."""

    def __init__(self, statement: ClauseElement, dialect: Dialect, keys: Sequence[str]) -> None:
        compiled = cast(SQLCompiler, statement.compile(dialect=dialect, column_keys=list(keys)))
        self.sql = compiled.string
        self.positional = bool(dialect.positional)
        names = list(compiled.positiontup or ()) if self.positional else list(compiled.binds)
        self.names = names
        # For each value: the key it is given under, or None for a value fixed in the
        # statement; then where a value is converted before the driver takes it.
        self.sources: list[tuple[str | None, Any]] = []
        self.conversions: list[tuple[int, Callable[[Any], Any]]] = []
        for n, name in enumerate(names):
            bind = compiled.binds[name]
            given = bind.key if bind.required or bind.key in keys else None
            self.sources.append((given, bind.effective_value))
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                self.conversions.append((n, _quicker(process)))
        # PostgreSQL's statements go on libpq's own terms (``$1``), and may wait to go with
        # the next one (``pipelined``).
        self.wire: Numbered | None = None
        self.order: list[int] = []
        if dialect.name == "postgresql":
            self.wire = numbered(self.sql)
            self.order = [names.index(name) for name in self.wire.names]
        # What comes back: a SELECT's columns, or what INSERT/UPDATE ... RETURNING names.
        returned = list(getattr(statement, "exported_columns", ()))
        self.returns_rows = bool(returned)
        types = [c.type.dialect_impl(dialect) for c in returned]
        processors = [t.result_processor(dialect, None) for t in types]
        self.results = [(n, p) for n, p in enumerate(processors) if p is not None]

    def _values(self, params: Mapping[str, Any]) -> list[Any]:
        values = [params[given] if given is not None else fixed for given, fixed in self.sources]
        for n, process in self.conversions:
            if values[n] is not None:
                values[n] = process(values[n])
        return values

    def arguments(self, params: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        """The values as the driver's cursor takes them."""
        values = self._values(params)
        return values if self.positional else dict(zip(self.names, values, strict=True))

    def waiting(self, params: Mapping[str, Any], later: Later | None = None) -> Waiting:
        """The statement as it goes to PostgreSQL (``storage/_pg_pipeline.py``)."""
        assert self.wire is not None, "only PostgreSQL's statements go on libpq's terms"
        values = self._values(params)
        return (self.wire.sql, [values[n] for n in self.order], later)

    def convert(self, raw: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        if not self.results:
            return [tuple(row) for row in raw]
        rows = []
        for row in raw:
            values = list(row)
            for n, process in self.results:
                values[n] = process(values[n])
            rows.append(tuple(values))
        return rows


def _iso_datetime(value: Any) -> Any:
    """A datetime as SQLite's DATETIME stores it ("2026-12-06 01:02:03.000004"): what
    SQLAlchemy's processor writes, from ``isoformat`` (its offset cut off, as SQLAlchemy
    leaves it out) in about a third less time: every text writes five or six."""
    return value.isoformat(" ", "microseconds")[:26]


def _quicker(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``process``, or a quicker function that gives the same for a datetime, when it is
    SQLAlchemy's DATETIME on SQLite in its default format (checked on samples, not assumed)."""
    samples = [datetime(2001, 2, 3, 4, 5, 6, 7), datetime(2026, 12, 6, 1, 2, 3, tzinfo=UTC)]
    try:
        same = all(process(d) == _iso_datetime(d) for d in samples)
    except (TypeError, ValueError, AttributeError):  # not a processor of datetimes
        return process
    if not same:
        return process

    def quicker(value: Any) -> Any:
        return _iso_datetime(value) if type(value) is datetime else process(value)

    return quicker


_PREPARED: dict[tuple[ClauseElement, str, tuple[str, ...]], Prepared] = {}


def prepared(statement: ClauseElement, dialect: Dialect, keys: tuple[str, ...]) -> Prepared:
    """The statement compiled for ``dialect`` (once: statements are built once, at import)."""
    key = (statement, dialect.name, keys)
    found = _PREPARED.get(key)
    if found is None:
        found = _PREPARED[key] = Prepared(statement, dialect, keys)
    return found


def execute(conn: Connection, statement: ClauseElement, params: Mapping[str, Any]) -> Rows:
    """Run ``statement`` with ``params`` in ``conn``'s transaction, on the driver's cursor; on
    PostgreSQL with whatever waits to go before it (``execute_later``), in one round trip."""
    return _execute(conn, prepared(statement, conn.dialect, tuple(params)), params)


def _execute(conn: Connection, plan: Prepared, params: Mapping[str, Any]) -> Rows:
    if plan.wire is not None:
        waiting = conn.info.get(_WAITING)
        got = _send(conn, [] if waiting is None else waiting, plan.waiting(params))
        assert got is not None
        return _rows(plan, got)
    arguments = plan.arguments(params)
    driver: Any = conn.connection.driver_connection
    cursor = driver.cursor()
    try:
        cursor.execute(plan.sql, arguments)
        rows = plan.convert(cursor.fetchall()) if plan.returns_rows else []
        return Rows(rows, cursor.rowcount)
    except conn.dialect.loaded_dbapi.Error as error:
        raise _failed(conn, error, plan.sql, arguments) from error
    finally:
        cursor.close()


class Later:
    """The rows of a statement sent with the next one (``execute_soon``), once sent."""

    def __init__(self, plan: Prepared) -> None:
        self.plan = plan
        self.got: Rows | None = None

    def rows(self) -> Rows:
        if self.got is None:
            raise sa_exc.InvalidRequestError("a statement's rows were read before it was sent")
        return self.got


def _waiting_in(conn: Connection, plan: Prepared) -> list[Waiting] | None:
    """Where ``plan`` waits to go with the next statement (PostgreSQL, in a transaction
    ``pipelined`` began), or None: it runs now."""
    return cast("list[Waiting] | None", conn.info.get(_WAITING)) if plan.wire is not None else None


def execute_soon(conn: Connection, statement: ClauseElement, params: Mapping[str, Any]) -> Later:
    """Run ``statement`` in ``conn``'s transaction; its rows are read after the next
    statement: on PostgreSQL it waits to go with that one, in one round trip (the rate count
    with the message's first read). Elsewhere it runs now."""
    plan = prepared(statement, conn.dialect, tuple(params))
    later = Later(plan)
    waiting = _waiting_in(conn, plan)
    if waiting is None:
        later.got = _execute(conn, plan, params)
    else:
        waiting.append(plan.waiting(params, later))
    return later


def execute_later(conn: Connection, statement: ClauseElement, params: Mapping[str, Any]) -> None:
    """Run ``statement``, whose rows nobody reads, in ``conn``'s transaction: on PostgreSQL
    it waits to go with the next statement, or with the COMMIT (``pipelined``); an error in
    it (a repeated message's unique key) comes out there. Elsewhere it runs now."""
    plan = prepared(statement, conn.dialect, tuple(params))
    waiting = _waiting_in(conn, plan)
    if waiting is None:
        _execute(conn, plan, params)
        return
    waiting.append(plan.waiting(params))


def pipelined(engine: Engine) -> None:
    """PostgreSQL: a transaction's statements go to the server in as few round trips as
    possible, in libpq's pipeline mode (``storage/_pg_pipeline.py``): its BEGIN with its
    first statement, what ``execute_later`` held back with the next statement (SQLAlchemy's
    own too), and the rest with its COMMIT. A plain answer costs two round trips where it
    cost eight.

    The engine's connections must be in autocommit mode (``isolation_level="AUTOCOMMIT"``):
    the transaction is this BEGIN and COMMIT, sent by us, not psycopg's own BEGIN, which
    would cost a round trip of its own.
    """

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.info[_WAITING] = [_BEGIN]

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Connection, *_statement: object) -> None:
        waiting = conn.info.get(_WAITING)
        if waiting:
            _send(conn, waiting, None)

    @event.listens_for(engine, "commit")
    def _commit(conn: Connection) -> None:
        waiting = conn.info.pop(_WAITING, None)
        if waiting is None or waiting == [_BEGIN]:
            return  # nothing was sent: nothing to commit
        _send(conn, waiting, _COMMIT)

    @event.listens_for(engine, "rollback")
    def _rollback(conn: Connection) -> None:
        conn.info.pop(_WAITING, None)  # never sent: nothing to undo; psycopg rolls back the rest

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_conn: object, record: Any) -> None:
        record.info.pop(_WAITING, None)


def _send(conn: Connection, waiting: list[Waiting], last: Waiting | None) -> Sent | None:
    """Send what waits and then ``last`` in one round trip (``storage/_pg_pipeline.py``);
    what ``last`` gave back. Statements sent with ``execute_soon`` get their rows here."""
    batch = [*waiting, last] if last is not None else list(waiting)
    waiting.clear()
    driver: Any = conn.connection.driver_connection
    prepared_here = conn.connection.info.setdefault(_PREPARED_HERE, set())
    failing = len(batch) - 1  # which statement failed, when the connection itself did
    try:
        try:
            sent = exchange(driver, [(sql, values) for sql, values, _ in batch], prepared_here)
        except BatchFailed as failure:
            failing = failure.index
            raise failure.error from None
    except conn.dialect.loaded_dbapi.Error as error:
        sql, values, _later = batch[failing]
        failed = _failed(conn, error, sql.decode(), values)
        if not conn.invalidated:
            # The server's transaction is aborted, and after a failed COMMIT SQLAlchemy
            # rolls back nothing: end it here, or the connection's next use would fail.
            with contextlib.suppress(conn.dialect.loaded_dbapi.Error):
                driver.rollback()  # (if even that fails, the connection is not kept)
        raise failed from error
    for (_sql, _values, later), got in zip(batch, sent, strict=True):
        if later is not None:
            later.got = _rows(later.plan, got)
    return sent[-1] if last is not None else None


def _rows(plan: Prepared, sent: Sent) -> Rows:
    rows = plan.convert(sent.rows) if plan.returns_rows and sent.rows is not None else []
    return Rows(rows, sent.rowcount)


def _failed(conn: Connection, error: Any, sql: str, arguments: Any) -> sa_exc.StatementError:
    """The driver's error as SQLAlchemy's; a connection the server dropped is thrown away
    (the message is then tried again on a fresh one), as is one that lost the statements
    prepared on it."""
    dialect = conn.dialect
    driver = conn.connection.driver_connection
    dropped = dialect.is_disconnect(error, driver, None) or statement_gone(error)
    if dropped:
        conn.invalidate(error)
    return sa_exc.DBAPIError.instance(
        sql,
        arguments,
        error,
        dialect.loaded_dbapi.Error,
        connection_invalidated=dropped,
        dialect=dialect,
    )


@dataclass(frozen=True)
class _Mapped:
    """What ``loaded`` needs to know of a model, worked out once."""

    mapper: Mapper[Any]
    keys: tuple[str, ...]  # the table's columns, in the order a read gives them
    primary: tuple[int, ...]  # where the primary key's values are among them


_MAPPED: dict[Table, _Mapped] = {}  # one model per table


def _mapped(model: type[Any], table: Table) -> _Mapped:
    known = _MAPPED.get(table)
    if known is None:
        keys = tuple(table.columns.keys())
        primary = tuple(keys.index(c.key) for c in table.primary_key)
        known = _MAPPED[table] = _Mapped(inspect(model), keys, primary)
    return known


def loaded(session: Session, model: type[M], table: Table, values: Iterator[Any]) -> M | None:
    """The ORM object of ``model`` whose columns come next in ``values`` (a row read by
    ``execute``), in the session as if the ORM had read it: changes to it are saved at
    commit. None when the row has none (an outer join that found nothing).

    It is attached the way SQLAlchemy's own loader attaches a row it reads (a new instance,
    its identity key, the session's identity map), without the loader's set-up for each
    query. Why: the ORM's own read of the first row of every message cost twice as much as
    the statement and this together, and the public way in (``make_transient_to_detached``
    then ``Session.add``) was a tenth of a text's CPU (py-spy on bench/sms_load.py).
    """
    mapped = _mapped(model, table)
    row = tuple(islice(values, len(mapped.keys)))  # the rest is for others
    identity = tuple(row[n] for n in mapped.primary)
    if None in identity:
        return None
    key = mapped.mapper.identity_key_from_primary_key(identity)
    known = session.identity_map.get(key)
    if known is not None:  # already read in this transaction: the one the session holds
        return cast(M, known)
    found = mapped.mapper.class_manager.new_instance()
    vars(found).update(zip(mapped.keys, row, strict=True))
    state = instance_state(found)
    state.key, state.identity_token = key, None
    state.session_id = session.hash_key
    session.identity_map._add_unpresent(state, key)  # as the ORM's loader does
    return cast(M, found)
