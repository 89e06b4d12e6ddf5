"""The database: engine creation, SQLite tuning, migrations and one transaction per message.

Why: every message's state change and answers are written in ONE transaction before replies go
out. On SQLite the transaction starts with ``BEGIN IMMEDIATE`` so two workers never interleave;
on PostgreSQL the repository takes a row lock on the address (``SELECT ... FOR UPDATE``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, create_engine

from planbot.errors import StorageError


def _sqlite_engine(url: str) -> Engine:
    path = make_url(url).database
    if path and path != ":memory:":
        Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's BEGIN below be the only transaction control (pysqlite's own is off).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class Database:
    """One database (SQLite file or PostgreSQL server) and how to open transactions on it."""

    def __init__(self, url: str, *, engine_options: dict[str, Any] | None = None) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self._writers: AbstractContextManager[object] = (
            threading.RLock() if self.is_sqlite else nullcontext()
        )
        try:
            if self.is_sqlite:
                self.engine = _sqlite_engine(url)
            else:
                self.engine = create_engine(url, pool_pre_ping=True, **(engine_options or {}))
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise StorageError(f"cannot open the database: {exc}") from exc

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed together at the end, or not at all."""
        # SQLite lets one writer in at a time, and its busy handler waits by sleeping (up to
        # 100 ms a try), so threads of one process could starve each other for seconds. They
        # queue on this lock instead; other processes still meet SQLite's own lock.
        with self._writers:
            session = Session(self.engine, expire_on_commit=False)
            try:
                with session.begin():
                    yield session
            except SQLAlchemyError as exc:
                raise StorageError(
                    f"the database could not save this: {type(exc).__name__}"
                ) from exc
            finally:
                session.close()

    def migrate(self) -> None:
        """Bring the schema up to date with Alembic (safe to call at every start)."""
        config = alembic_config()
        try:
            with self.engine.connect() as conn:
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
                conn.commit()
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot update the database tables: {exc}") from exc

    def checkpoint(self) -> None:
        """After erasing: on SQLite, copy the write-ahead log into the database file and empty
        it, so the erased rows' old pages do not linger in the -wal file (PostgreSQL has no
        such file of ours: its VACUUM reclaims dead rows)."""
        if not self.is_sqlite:
            return
        # The driver's own connection: through SQLAlchemy, the statement would run inside
        # the BEGIN IMMEDIATE every transaction starts with, where SQLite refuses it.
        with self._writers:
            raw = self.engine.raw_connection()
            try:
                raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                raw.close()

    def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError:
            return False

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config() -> Config:
    """Alembic's configuration, pointing at the migrations shipped inside the package."""
    folder = resources.files("storage").joinpath("migrations")
    config = Config()
    config.set_main_option("script_location", str(folder))
    return config


def open_database(url: str) -> Database:
    """Open the database at ``url`` and bring its tables up to date."""
    db = Database(url)
    db.migrate()
    return db
