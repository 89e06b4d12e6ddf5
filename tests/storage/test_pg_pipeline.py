"""PostgreSQL's hot statements go straight on libpq (``storage/_pg_pipeline.py``): values
and rows convert as psycopg's cursors convert them, a failed statement fails its batch and
leaves the connection usable (statements the server forgot: test_dropped_connection.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
import pytest

import storage
from dialogues import Engine, Incoming
from planbot.settings import Settings
from storage._pg_pipeline import BatchFailed, exchange, numbered
from tests.auxil.databases import POSTGRES_ENV, make_database, postgres_url
from tests.conftest import Clock

needs_postgres = pytest.mark.skipif(
    not os.environ.get(POSTGRES_ENV), reason=f"{POSTGRES_ENV} is not set"
)


def test_placeholders_are_numbered_once_each_and_a_doubled_percent_is_one() -> None:
    wire = numbered("SELECT %(a)s, %(b)s, %(a)s WHERE x LIKE 'a%%'")
    assert wire.sql == b"SELECT $1, $2, $1 WHERE x LIKE 'a%'"
    assert wire.names == ("a", "b")


@pytest.fixture
def driver() -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    url = postgres_url().replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True, prepare_threshold=None) as conn:
        conn.execute("CREATE TEMP TABLE kept (id int PRIMARY KEY, said text, sealed bytea)")
        yield conn


@needs_postgres
def test_values_and_rows_come_back_as_psycopgs_own_cursor_gives_them(
    driver: psycopg.Connection[tuple[object, ...]],
) -> None:
    values = [7, "<b>tea</b> ☕", b"\x00\xff", datetime(2026, 12, 6, 1, 2, 3, 4, UTC), None]
    values += [True, date(2026, 1, 2), 2.5]
    sql = "SELECT %s, %s, %s, %s, %s::text, %s, %s, %s"
    expected = driver.execute(sql, values).fetchall()
    wire = numbered(sql.replace("%s", "%(v{})s").format(*range(len(values))))
    prepared: set[bytes] = set()
    for _ in range(2):  # prepared the first time, run by name the second
        (got,) = exchange(driver, [(wire.sql, values)], prepared)
        assert got.rows == expected


@needs_postgres
def test_a_failed_statement_fails_its_batch_and_the_connection_goes_on(
    driver: psycopg.Connection[tuple[object, ...]],
) -> None:
    insert = numbered("INSERT INTO kept (id, said) VALUES (%(id)s, %(said)s)").sql
    count = numbered("SELECT count(*) FROM kept WHERE id > %(floor)s").sql
    prepared: set[bytes] = set()
    exchange(driver, [(b"BEGIN", None), (insert, [1, "one"]), (b"COMMIT", None)], prepared)
    batch = [(b"BEGIN", None), (count, [0]), (insert, [1, "again"]), (count, [0])]
    with pytest.raises(BatchFailed) as failed:
        exchange(driver, [*batch, (b"COMMIT", None)], prepared)
    assert isinstance(failed.value.error, psycopg.errors.UniqueViolation)
    driver.rollback()
    # The statements prepared before the failure are run by name; the rest are prepared now.
    got = exchange(driver, [(b"BEGIN", None), (count, [0]), (b"COMMIT", None)], prepared)
    assert got[1].rows == [(1,)]
    assert driver.execute("SELECT said FROM kept").fetchall() == [("one",)]


@needs_postgres
def test_a_statement_whose_first_run_fails_is_kept_prepared_and_runs_next_time(
    driver: psycopg.Connection[tuple[object, ...]],
) -> None:
    driver.execute("INSERT INTO kept (id, said) VALUES (1, 'one')")
    insert = numbered("INSERT INTO kept (id, said) VALUES (%(id)s, %(said)s)").sql
    prepared: set[bytes] = set()
    with pytest.raises(BatchFailed) as failed:  # prepared, then its run fails
        exchange(driver, [(b"BEGIN", None), (insert, [1, "again"]), (b"COMMIT", None)], prepared)
    assert failed.value.index == 1
    assert isinstance(failed.value.error, psycopg.errors.UniqueViolation)
    driver.rollback()
    exchange(driver, [(b"BEGIN", None), (insert, [2, "two"]), (b"COMMIT", None)], prepared)
    assert driver.execute("SELECT said FROM kept ORDER BY id").fetchall() == [("one",), ("two",)]


@needs_postgres
def test_a_value_psycopg_cannot_send_fails_before_anything_is_sent(
    driver: psycopg.Connection[tuple[object, ...]],
) -> None:
    insert = numbered("INSERT INTO kept (id, said) VALUES (%(id)s, %(said)s)").sql
    with pytest.raises(psycopg.ProgrammingError):
        exchange(driver, [(b"BEGIN", None), (insert, [1, object()])], set())
    assert not driver.closed
    assert driver.execute("SELECT count(*) FROM kept").fetchall() == [(0,)]


@needs_postgres
def test_a_repeat_delivery_on_a_fresh_connection_leaves_it_answering(
    tmp_path: Path, settings: Settings, clock: Clock
) -> None:
    """The repeat's insert is the first use of that statement on the connection: it fails
    on the message's unique key after it was prepared, and the next texts still go in."""
    with make_database("postgres", tmp_path) as db:
        engine = Engine(db, settings, clock=clock)
        for n, words in enumerate(("hello", "yes", "1", "Dev", "swimming")):
            engine.handle(Incoming("sms", "+447700900321", f"m{n}", words))
        db.let_go()
        db.engine.dispose()  # every connection from here on is new
        again = engine.handle(Incoming("sms", "+447700900321", "m4", "swimming"))
        assert "swimming" in "\n".join(r.text for r in again)
        for n, words in ((5, "reading"), (6, "walking")):
            replies = engine.handle(Incoming("sms", "+447700900321", f"m{n}", words))
            assert words in "\n".join(r.text for r in replies)
        with db.transaction() as session:
            (dev,) = storage.find_people(session, "Dev")
            saved = [a.text for a in storage.answers_for(session, dev)]
            assert saved == ["swimming", "reading", "walking"]
