"""Backups of a SQLite database, and restoring one, with SQLite's online backup API.

Why the backup API and not a file copy: ``planbot serve`` may be writing while the backup
runs, and a copied file (with its ``-wal`` beside it) can be caught halfway through a
transaction. The backup API copies a consistent snapshot page by page, whatever else is
writing. It copies the pages as they are, so sealed (encrypted) values stay sealed: a backup
is no easier to read than the database, and needs the same key to be read.

PostgreSQL has its own tools for this (``pg_dump``, ``pg_restore``); planbot does not wrap them.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlmodel import SQLModel, select

from planbot.errors import StorageError
from storage._db import Database
from storage._tables import Person

PRIVATE_FILE = 0o600  # a backup holds everything: only its owner may read it
PAGES_A_STEP = 1024  # copied a step at a time, so a busy server is never held up for long


@dataclass(frozen=True)
class Copied:
    """What a backup or a restore copied: where to, how many people, how many bytes."""

    path: Path
    people: int
    size: int


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for another database or an in-memory one."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).expanduser()


def _file_of(db: Database) -> Path:
    path = sqlite_path(db.url)
    if path is None:
        raise StorageError("backups by planbot are for a SQLite file; use pg_dump for PostgreSQL")
    return path


@contextlib.contextmanager
def _connected(path: Path, *, read_only: bool = False) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection (the backup API is not SQLAlchemy's), always closed."""
    target = f"file:{path}?mode=ro" if read_only else f"file:{path}"
    try:
        conn = sqlite3.connect(target, uri=True, timeout=30)
    except sqlite3.Error as exc:
        raise StorageError(f"cannot open {path}: {exc}") from exc
    try:
        yield conn
    finally:
        conn.close()


def _private_new_file(path: Path) -> None:
    """Make ``path`` empty with 0600 before SQLite writes a byte to it (no moment readable)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE))
    os.chmod(path, PRIVATE_FILE)  # O_CREAT's mode does nothing to a file that was there


def _sync(path: Path) -> None:
    """Flush ``path`` and its folder's entry to the disk, so a backup survives a power cut."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    with contextlib.suppress(OSError):  # some file systems cannot sync a folder
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def count_people(db: Database) -> int:
    """How many people the database holds."""
    with db.transaction() as session:
        return int(session.exec(select(func.count()).select_from(Person)).one())


def is_empty(db: Database) -> bool:
    """True when no table of planbot's holds a row (a fresh or never-used database)."""
    with db.transaction() as session:
        for table in SQLModel.metadata.sorted_tables:
            if session.connection().execute(table.select().limit(1)).first() is not None:
                return False
    return True


def _empty(db: Database, target: Path) -> bool:
    """No file, an empty file, or planbot's tables with no row in them. A file that cannot
    be read as planbot's is not called empty: it may hold something someone needs."""
    if not target.exists() or target.stat().st_size == 0:
        return True
    try:
        return is_empty(db)
    except StorageError:
        return False


def _holding(db: Database) -> str:
    """`` (it holds 2 people)``, or nothing when that cannot be counted."""
    try:
        held = count_people(db)
    except StorageError:
        return ""
    return f" (it holds {held} {'person' if held == 1 else 'people'})"


def backup_sqlite(db: Database, path: Path) -> Copied:
    """Copy the database to ``path`` (mode 0600), a consistent snapshot even while in use.

    The copy is made beside ``path`` and renamed into place when whole, so a backup that is
    stopped halfway never leaves a broken file where the last good one was.
    """
    source = _file_of(db)
    # Opening a database makes its file (empty, 0600) before SQLite writes to it.
    if not source.is_file() or source.stat().st_size == 0:
        raise StorageError(f"there is no database at {source} to back up")
    path = path.expanduser().resolve()
    if path == source.resolve():
        raise StorageError("a backup must go to another file than the database itself")
    if not path.parent.is_dir():
        raise StorageError(f"there is no folder {path.parent}")
    partial = path.with_name(f".{path.name}.partial")
    _private_new_file(partial)
    try:
        with _connected(source) as src, _connected(partial) as dst:
            src.backup(dst, pages=PAGES_A_STEP)
            # One file, whole on its own: no -wal beside it, whatever the source used.
            dst.execute("PRAGMA journal_mode=DELETE")
            ok = dst.execute("PRAGMA quick_check").fetchone()
        if ok != ("ok",):
            raise StorageError(f"the backup did not check out: {ok}")
        _sync(partial)
        os.replace(partial, path)
    except (sqlite3.Error, OSError) as exc:
        partial.unlink(missing_ok=True)
        raise StorageError(f"the backup failed: {exc}") from exc
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    _sync(path)
    return Copied(path, _people_in(path), path.stat().st_size)


def _people_in(path: Path) -> int:
    """How many people a backup file holds (checks that it is a planbot database, too)."""
    try:
        with _connected(path, read_only=True) as conn:
            conn.execute("PRAGMA quick_check")
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            if not {"alembic_version", Person.__tablename__} <= tables:
                raise StorageError(f"{path} is not a planbot database")
            return int(conn.execute(f"SELECT count(*) FROM {Person.__tablename__}").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"{path} is not a planbot backup: {exc}") from exc


def restore_sqlite(db: Database, path: Path, *, force: bool = False) -> Copied:
    """Put the backup at ``path`` in place of the database's contents, then migrate it.

    A database that holds anything is kept unless ``force``: a restore replaces everything,
    and a mistyped command must not wipe out a live service's answers. Stop ``planbot serve``
    first: a worker that is running keeps what it has open.
    """
    target = _file_of(db)
    path = path.expanduser().resolve()
    if not path.is_file():
        raise StorageError(f"there is no backup at {path}")
    if target.exists() and path == target.resolve():
        raise StorageError("a backup cannot be restored onto itself")
    people = _people_in(path)
    if not force and not _empty(db, target):
        raise StorageError(
            f"{target} is not empty{_holding(db)}: restoring would replace everything in it. "
            "Add --force to do that."
        )
    db.dispose()  # no pooled connection of ours may hold the old pages
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        _private_new_file(target)
    try:
        with _connected(path, read_only=True) as src, _connected(target) as dst:
            src.backup(dst, pages=PAGES_A_STEP)
            dst.execute("PRAGMA journal_mode=WAL")  # as planbot runs it (storage._db)
            dst.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except (sqlite3.Error, OSError) as exc:
        raise StorageError(f"the restore failed: {exc}") from exc
    os.chmod(target, PRIVATE_FILE)
    _sync(target)
    db.migrate()  # a backup from an older planbot is brought up to date
    return Copied(target, people, target.stat().st_size)
