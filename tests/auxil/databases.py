"""Test databases: a fresh SQLite file, or a fresh schema on the PostgreSQL test server.

Why a schema per test: tests on PostgreSQL must not see each other's rows, and dropping one
schema is quicker than rebuilding a database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

import storage

POSTGRES_ENV = "PLANBOT_TEST_DATABASE_URL"


def backends() -> list[str]:
    """SQLite always; PostgreSQL too where PLANBOT_TEST_DATABASE_URL is set (CI sets it)."""
    return ["sqlite", "postgres"] if os.environ.get(POSTGRES_ENV) else ["sqlite"]


def postgres_url() -> str:
    return os.environ[POSTGRES_ENV]


@contextmanager
def postgres_schema() -> Iterator[tuple[str, str]]:
    """A new empty schema on the test server: yields (url, schema) and drops it afterwards."""
    url = postgres_url()
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


@contextmanager
def make_database(backend: str, folder: Path) -> Iterator[storage.Database]:
    """A migrated, empty database of the given backend."""
    if backend == "sqlite":
        db = storage.Database(f"sqlite:///{folder / 'planbot.sqlite3'}")
        db.migrate()
        try:
            yield db
        finally:
            db.dispose()
        return
    with postgres_schema() as (url, schema):
        options = {"connect_args": {"options": f"-csearch_path={schema}"}}
        db = storage.Database(url, engine_options=options)
        db.migrate()
        try:
            yield db
        finally:
            db.dispose()
