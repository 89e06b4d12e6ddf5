"""The database: engine creation, SQLite tuning, migrations and one transaction per message.

Why: every message's state change and answers are written in ONE transaction before replies go
out. On SQLite the transaction starts with ``BEGIN IMMEDIATE`` so two workers never interleave;
on PostgreSQL the repository takes a row lock on the address (``SELECT ... FOR UPDATE``).

Erased means erased: a repository function that erases words (``delete last``, ``restart``,
``planbot forget``...) marks its session with ``mark_erased``. After that transaction commits,
SQLite's WAL is checkpointed and emptied (``secure_delete`` already zeroed the rows and free
pages in the file), and the hooks that drop files made from people's words are run.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from importlib import resources
from pathlib import Path
from typing import Any, cast

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.sql import ClauseElement
from sqlmodel import Session, create_engine

from planbot.errors import StorageError
from planbot.private import new_private_folder, private_file, touch_private
from storage._crypto import Keyring
from storage._lean import Later, Rows, execute, execute_later, execute_soon, pipelined
from storage._personal import using
from storage._wal_sync import WalSync

log = logging.getLogger("planbot.storage")

BUSY_TIMEOUT_MS = 30_000  # how long a transaction waits for another process's
RECYCLE_SECONDS = 1800  # a pooled PostgreSQL connection older than this is opened afresh
CHECKPOINT_WAIT_MS = 3_000  # how long emptying the WAL after an erase waits for others
# Pages in the WAL before a commit copies them into the file (SQLite's default: 1,000). Each
# text changes about ten pages, mostly the same index pages as the texts before it; a page is
# copied once per checkpoint however often it changed, so checkpoints ten times rarer copy far
# less (bench/sms_load.py: about 5% of the server's CPU a text). The WAL may grow to about
# 40 MB; an erase still empties it at once (``scrub``).
CHECKPOINT_PAGES = 10_000
ERASED = "planbot_erased"  # session.info: this transaction erased personal data
KEPT_CONNECTIONS = 2  # connections kept between uses (per engine): one for the web app's
# loop, one for the outbox's sender
_SESSION = "planbot_session"  # Connection.info: the session kept for it (``_session_for``)
_KEPT_SINCE = "planbot_kept_since"  # Connection.info: when a kept connection was made
DROP_FILES = "planbot_drop_files"  # session.info: ... and files made from it must go too
READ_AHEAD = "planbot_read_ahead"  # session.info: values read ahead, true until a write
CONNECTION = "planbot_connection"  # session.info: the transaction's connection


def mark_erased(session: Session, *, files: bool = True) -> None:
    """Note that this transaction erased personal data: once it commits, the database leaves
    no copy readable on disk, and (``files``) the files made from people's words are dropped."""
    session.info[ERASED] = True
    if files:
        session.info[DROP_FILES] = True


def run(session: Session, statement: ClauseElement, params: Mapping[str, Any]) -> Rows:
    """Run one Core statement (built once, with bound parameters) in the session's
    transaction, on the driver itself (``storage/_lean.py``).

    Why not ``session.execute``: the ORM's path flushes the session first and costs more
    than the statement itself, on every message; the hot statements read and write plain
    rows, and whatever they depend on was flushed where it was made.
    """
    if getattr(statement, "is_dml", False):
        session.info.pop(READ_AHEAD, None)
    return execute(_connection(session), statement, params)


def run_later(session: Session, statement: ClauseElement, params: Mapping[str, Any]) -> None:
    """``run`` for a statement whose rows nobody reads: on PostgreSQL it goes with the next
    statement, or the COMMIT, in one round trip (``storage/_lean.py``: ``pipelined``)."""
    if getattr(statement, "is_dml", False):
        session.info.pop(READ_AHEAD, None)
    execute_later(_connection(session), statement, params)


def dialect_name(session: Session) -> str:
    """The database the session's transaction runs on ("sqlite", "postgresql")."""
    return _connection(session).dialect.name


def _connection(session: Session) -> Connection:
    conn = session.info.get(CONNECTION)
    if conn is None:  # asking the session for it each time costs as much as a statement
        conn = session.info[CONNECTION] = session.connection()
    return cast(Connection, conn)


def run_soon(session: Session, statement: ClauseElement, params: Mapping[str, Any]) -> Later:
    """``run`` for a statement whose rows are read after the next statement: on PostgreSQL
    it goes with that one, in one round trip (``storage/_lean.py``: ``execute_soon``)."""
    if getattr(statement, "is_dml", False):
        session.info.pop(READ_AHEAD, None)
    return execute_soon(_connection(session), statement, params)


def read_ahead(session: Session, key: tuple[object, ...], value: object) -> None:
    """Keep a value read with the message's first statement (a topic's count), for as long
    as nothing is written: one statement, and on PostgreSQL one round trip, fewer."""
    session.info.setdefault(READ_AHEAD, {})[key] = value


def read_before(session: Session, key: tuple[object, ...]) -> object | None:
    """A value kept by ``read_ahead``, or None when it was not read or anything was
    written since (through ``run``, the ORM's flush, or any statement that changes rows)."""
    kept = session.info.get(READ_AHEAD)
    return kept.get(key) if kept else None


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: Any) -> None:
    session.info.pop(READ_AHEAD, None)


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info.pop(READ_AHEAD, None)


def _private_sqlite(path: Path) -> None:
    """The database file and its -wal and -shm are 0600 (SQLite gives the -wal and -shm the
    file's own mode); a folder made for it is 0700."""
    new_private_folder(path.parent)
    touch_private(path)
    for suffix in ("-wal", "-shm", "-journal"):
        private_file(path.with_name(path.name + suffix))


def _sqlite_file(url: str) -> Path | None:
    """The SQLite database's file, or None when it is in memory."""
    path = make_url(url).database
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    return Path(path).expanduser()


def _sqlite_engine(url: str, path: Path | None) -> Engine:
    """The engine of the SQLite database at ``url``, whose file is ``path`` (None: in
    memory)."""
    if path is not None:
        _private_sqlite(path)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's BEGIN below be the only transaction control (pysqlite's own is off).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # NORMAL: a commit survives planbot being killed (the crash test shows it), but only
        # a flush of the write-ahead log keeps it through a power cut or a kernel crash. The
        # promise is "saved means kept": the message connections' commits are flushed by
        # ``WalSync`` before anyone is told (storage/_wal_sync.py), once for many texts.
        # The rate counts' commits are never flushed: a lost count costs nothing.
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA wal_autocheckpoint={CHECKPOINT_PAGES}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # Deleted rows and freed pages are overwritten with zeros, whatever SQLite's build says.
        cur.execute("PRAGMA secure_delete=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # On the driver's cursor: through SQLAlchemy it cost as much as a message's INSERT.
        try:
            conn.connection.driver_connection.execute("BEGIN IMMEDIATE").close()
        except sqlite3.Error as error:  # busy for too long: an error of SQLAlchemy's, as ever
            raise DBAPIError.instance("BEGIN IMMEDIATE", (), error, sqlite3.Error) from error

    return engine


def _counts_engine(url: str, options: dict[str, Any]) -> Engine:
    """PostgreSQL's pool for the rate counts: each statement is its own transaction, whose
    commit does not wait for the disk (a count lost in a crash costs nothing). One round trip
    a count, where a transaction of its own took four (BEGIN, the setting, the count,
    COMMIT). A pool of its own, so no message's transaction ever runs without waiting."""
    engine = create_engine(url, **{**options, "isolation_level": "AUTOCOMMIT"})

    @event.listens_for(engine, "connect")
    def _no_wait(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("SET synchronous_commit TO OFF")
        cur.close()
        dbapi_conn.commit()

    return engine


class KeptConnections:
    """A few connections kept from one use to the next, for whichever thread comes.

    Why: taking a connection from the pool and making SQLAlchemy's ``Connection`` around it
    cost about a tenth of a message's CPU, twice a text (the message, and the rate count).
    One use at a time each; when more are in use at once than are kept, the rest come from
    the pool and go back to it. A connection that failed, or is older than
    ``RECYCLE_SECONDS`` (a firewall may have cut it meanwhile), is closed and made afresh.
    """

    def __init__(self, most: int = KEPT_CONNECTIONS) -> None:
        self._most = most
        self._idle: list[Connection] = []
        self._lock = threading.Lock()

    def take(self, engine: Engine) -> Connection:
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is not None:
            if not conn.closed and not conn.invalidated and not _too_old(conn):
                return conn
            conn.close()
        conn = engine.connect()
        conn.info[_KEPT_SINCE] = time.monotonic()
        return conn

    def give_back(self, conn: Connection) -> None:
        usable = not conn.closed and not conn.invalidated and not conn.in_transaction()
        if usable and not _left_open(conn):
            with self._lock:
                if len(self._idle) < self._most:
                    self._idle.append(conn)
                    return
        conn.close()  # a failed one, or one too many: back to the pool

    def close_all(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


def _too_old(conn: Connection) -> bool:
    return time.monotonic() - conn.info.get(_KEPT_SINCE, 0.0) >= RECYCLE_SECONDS


def _left_open(conn: Connection) -> bool:
    """The driver still holds a transaction that SQLAlchemy no longer knows of."""
    driver: Any = conn.connection.driver_connection
    status = getattr(getattr(driver, "info", None), "transaction_status", None)
    if status is not None:  # psycopg: 0 is IDLE
        return int(status) != 0
    return bool(getattr(driver, "in_transaction", False))  # sqlite3


def _session_for(conn: Connection) -> Session:
    """The ORM session for a transaction on ``conn``: the one made for this connection
    before (closed since: as good as new), else a new one.

    Why kept: making a session cost about 4% of a text's instructions (callgrind on
    bench/list_answer.py), on every text. A session is kept in the DBAPI connection's info,
    which outlives this ``Connection``: it serves only the ``Connection`` it was made for.
    The lean statements run on the connection as it is: asking the session for it would
    set up the session's own transaction first.
    """
    session = conn.info.get(_SESSION)
    if not isinstance(session, Session) or session.bind is not conn:
        session = conn.info[_SESSION] = Session(bind=conn, expire_on_commit=False)
    session.info.clear()
    session.info[CONNECTION] = conn
    return session


class Database:
    """One database (SQLite file or PostgreSQL server) and how to open transactions on it."""

    def __init__(
        self,
        url: str,
        *,
        keys: Keyring | None = None,
        engine_options: dict[str, Any] | None = None,
    ) -> None:
        self.url = url
        self.keys = keys  # None: personal values are stored plainly (--insecure-no-encryption)
        self.is_sqlite = url.startswith("sqlite")
        self._writers: AbstractContextManager[object] = (
            threading.RLock() if self.is_sqlite else nullcontext()
        )
        self._erase_hooks: dict[str, Callable[[], object]] = {}
        self._kept, self._kept_counts = KeptConnections(), KeptConnections()
        self._wal: WalSync | None = None  # SQLite in a file: its commits' flush
        try:
            if self.is_sqlite:
                file = _sqlite_file(url)
                self._wal = WalSync(file) if file is not None else None
                self.engine = _sqlite_engine(url, file)
                # The rate counts run on the messages' own connections: a count needs no
                # flush, and they commit no flush. A connection of their own cost each text
                # more than the count: each connection's write made the other throw its
                # cache of the file's pages away and read them again (bench/sms_load.py).
                self._counts, self._kept_counts = self.engine, self._kept
            else:
                # No ping on every checkout (a round trip per message): a connection the
                # server dropped fails its first statement, SQLAlchemy drops it from the pool,
                # and the message is tried again on a fresh one (``Engine.handle``);
                # ``pool_recycle`` replaces connections a firewall may have cut meanwhile.
                options = {"pool_recycle": RECYCLE_SECONDS, **(engine_options or {})}
                # psycopg prepares nothing itself: after a failed transaction it would
                # deallocate every statement of the connection, and the hot ones are
                # prepared by us (``storage/_pg_pipeline.py``).
                given = options.get("connect_args", {})
                options["connect_args"] = {"prepare_threshold": None, **given}
                # Autocommit at the driver: a transaction is the BEGIN and COMMIT that
                # ``pipelined`` sends along with its statements.
                self.engine = create_engine(url, **{**options, "isolation_level": "AUTOCOMMIT"})
                pipelined(self.engine)
                self._counts = _counts_engine(url, options)
        except (SQLAlchemyError, ImportError, ValueError, OSError) as exc:
            raise StorageError(f"cannot open the database: {exc}") from exc

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed together at the end, or not at all."""
        # SQLite lets one writer in at a time, and its busy handler waits by sleeping (up to
        # 100 ms a try), so threads of one process could starve each other for seconds. They
        # queue on this lock instead; other processes still meet SQLite's own lock.
        with self._writers, using(self.keys):
            conn, wrote = None, False
            try:
                conn = self._kept.take(self.engine)
                driver = self._driver(conn)
                changes = driver.total_changes if driver is not None else 0
                with conn.begin():
                    session = _session_for(conn)
                    try:
                        yield session
                        session.flush()
                        erased = dict(session.info)
                    finally:
                        session.close()
                wrote = driver is not None and driver.total_changes != changes
            except SQLAlchemyError as exc:
                raise StorageError(
                    f"the database could not save this: {type(exc).__name__}"
                ) from exc
            finally:
                if conn is not None:
                    self._kept.give_back(conn)
            if wrote and self._wal is not None:
                self._wal.committed()  # flushed now, or before the web app answers
            if erased.get(ERASED):
                self.scrub(drop_files=bool(erased.get(DROP_FILES)))

    def _driver(self, conn: Connection) -> sqlite3.Connection | None:
        """SQLite in a file: the driver's connection, whose ``total_changes`` (the rows it
        has changed since it opened) tells whether a transaction wrote anything to flush.
        Elsewhere None. Found once a transaction, for its count before and after."""
        if self._wal is None:
            return None
        return cast(sqlite3.Connection, conn.connection.driver_connection)

    def sync(self) -> int:
        """Flush what this process committed with its flush owed (``storage.sync_later``):
        blocking, for a thread. The number of the last commit now on the disk."""
        return self._wal.sync() if self._wal is not None else 0

    def synced(self) -> int:
        """The number of the last commit known to be on the disk."""
        return self._wal.synced if self._wal is not None else 0

    def when_erased(self, name: str, hook: Callable[[], object]) -> None:
        """Run ``hook`` after every transaction that erased people's words (``name`` keeps
        one hook of each kind: several channels on one database drop the same cache once)."""
        self._erase_hooks[name] = hook

    def scrub(self, *, drop_files: bool = True) -> None:
        """After an erase: no copy of what went stays readable on disk.

        SQLite: the rows and free pages are zeros already (``secure_delete``), but the WAL
        still holds the pages as they were; a TRUNCATE checkpoint copies the new pages into the
        file and empties the WAL. PostgreSQL keeps dead rows until VACUUM reuses their space
        (see the README): nothing to do here. Then the hooks drop files made from the words.
        """
        if self.is_sqlite:
            raw = self.engine.raw_connection()
            cursor = raw.cursor()
            try:
                # Wait for other processes' transactions for a while, not for a reply's worth.
                cursor.execute(f"PRAGMA busy_timeout={CHECKPOINT_WAIT_MS}")
                busy = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            except sqlite3.Error as exc:  # the erase is committed: say so, and go on
                log.warning("the database's WAL was not emptied: %s", type(exc).__name__)
            else:
                if busy:
                    log.warning("the database's WAL was not emptied: another process held it")
            finally:
                cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
                raw.close()
        if drop_files:
            for name, hook in self._erase_hooks.items():
                try:
                    hook()
                except OSError as exc:
                    log.warning("%s not dropped after an erase: %s", name, type(exc).__name__)

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A plain connection without an ORM session or a transaction, for one hot, tiny
        statement (the rate limit's count) that commits by itself, where a session's and a
        transaction's set-up would cost more than the work itself. Its commit is never
        flushed (on PostgreSQL: from the counts' own pool, whose commits do not wait for the
        disk; on SQLite: a kept message connection, whose commits planbot flushes)."""
        with self._writers:
            conn = None
            try:
                conn = self._kept_counts.take(self._counts)
                yield conn
            except SQLAlchemyError as exc:
                raise StorageError(
                    f"the database could not save this: {type(exc).__name__}"
                ) from exc
            finally:
                if conn is not None:
                    self._kept_counts.give_back(conn)

    def migrate(self) -> None:
        """Bring the schema up to date with Alembic (safe to call at every start)."""
        config = alembic_config()
        try:
            with self.engine.connect() as conn:
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
                conn.commit()
            if self._wal is not None:
                self._wal.committed()  # the new tables are flushed too
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot update the database tables: {exc}") from exc

    def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError:
            return False

    def engines(self) -> tuple[Engine, ...]:
        """Every engine this database uses: the messages' and the rate counts' own."""
        return (self.engine,) if self._counts is self.engine else (self.engine, self._counts)

    def let_go(self) -> None:
        """Close the connections kept between uses, while nobody uses them (tests, and
        before the engines go): they are made afresh when next needed."""
        self._kept.close_all()
        self._kept_counts.close_all()

    def dispose(self) -> None:
        self.let_go()
        for engine in self.engines():
            engine.dispose()


def alembic_config() -> Config:
    """Alembic's configuration, pointing at the migrations shipped inside the package."""
    folder = resources.files("storage").joinpath("migrations")
    config = Config()
    config.set_main_option("script_location", str(folder))
    return config


def open_database(url: str, keys: Keyring | None = None) -> Database:
    """Open the database at ``url`` and bring its tables up to date. ``keys`` seal its
    personal values (None: stored plainly)."""
    db = Database(url, keys=keys)
    db.migrate()
    return db
