"""Test databases: a fresh SQLite file, or a fresh schema on the PostgreSQL test server.

Why a schema per test: tests on PostgreSQL must not see each other's rows, and dropping one
schema is quicker than rebuilding a database.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

import storage

POSTGRES_ENV = "PLANBOT_TEST_DATABASE_URL"
# The tests' key: every test database seals its personal values, as a deployment's does.
TEST_KEY = "test-key-0123456789-abcdefghijklmnopqrstuvwxyz"
TEST_KEYS = storage.Keyring(TEST_KEY)


def opened(cell: object) -> str:
    """A raw database cell as text, opened when it is sealed (to check what a row still
    holds, sealed or not: the seal itself is checked by tests/storage/test_at_rest.py)."""
    value = str(cell)
    if not value.startswith(TEST_KEYS.mark):
        return value
    return TEST_KEYS.unseal_bytes(value).decode("utf-8", "replace")  # photos and sounds too


def backends() -> list[str]:
    """SQLite always; PostgreSQL too where PLANBOT_TEST_DATABASE_URL is set (CI sets it)."""
    return ["sqlite", "postgres"] if os.environ.get(POSTGRES_ENV) else ["sqlite"]


def postgres_url() -> str:
    return os.environ[POSTGRES_ENV]


@contextmanager
def postgres_schema(server: str | None = None) -> Iterator[tuple[str, str]]:
    """A new empty schema on the test server (or at ``server``): yields (url, schema) and
    drops it afterwards."""
    url = server or postgres_url()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        admin.dispose()
        pytest.fail(f"{POSTGRES_ENV} is set but PostgreSQL cannot be reached: {exc}")
    try:
        yield url, schema
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


_MIGRATED_SQLITE: list[Path] = []  # one migrated, empty SQLite file, made once a run


def migrated_sqlite_copy(path: Path) -> None:
    """An empty SQLite database at ``path``, migrated: a copy of one the real migrations made
    once in this run (migrating anew for each of a thousand tests took a minute)."""
    if not _MIGRATED_SQLITE:
        template = Path(tempfile.mkdtemp(prefix="planbot-migrated-")) / "planbot.sqlite3"
        made = storage.Database(f"sqlite:///{template}", keys=TEST_KEYS)
        made.migrate()
        made.dispose()  # the last connection closed: the write-ahead log is in the file
        _MIGRATED_SQLITE.append(template)
    shutil.copyfile(_MIGRATED_SQLITE[0], path)


@contextmanager
def make_database(backend: str, folder: Path) -> Iterator[storage.Database]:
    """A migrated, empty database of the given backend."""
    if backend == "sqlite":
        migrated_sqlite_copy(folder / "planbot.sqlite3")
        db = storage.Database(f"sqlite:///{folder / 'planbot.sqlite3'}", keys=TEST_KEYS)
        db.migrate()  # at head already: only checks, as every start of planbot does
        try:
            yield db
        finally:
            db.dispose()
        return
    with postgres_schema() as (url, schema):
        options = {"connect_args": {"options": f"-csearch_path={schema}"}}
        db = storage.Database(url, keys=TEST_KEYS, engine_options=options)
        db.migrate()
        try:
            yield db
        finally:
            db.dispose()


@contextmanager
def bench_database(
    server: str | None, sqlite_path: Path, keys: storage.Keyring | None = None
) -> Iterator[storage.Database]:
    """A migrated database for a bench: the SQLite file at ``sqlite_path``, or a fresh schema
    on the PostgreSQL ``server`` (dropped afterwards)."""
    if server is None:
        db = storage.open_database(f"sqlite:///{sqlite_path}", keys)
        try:
            yield db
        finally:
            db.dispose()
        return
    with postgres_schema(server) as (url, schema):
        options = {"connect_args": {"options": f"-csearch_path={schema}"}}
        db = storage.Database(url, keys=keys, engine_options=options)
        try:
            db.migrate()
            yield db
        finally:
            db.dispose()
