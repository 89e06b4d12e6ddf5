"""SQLite overwrites what planbot deletes, on every connection, whatever its build says.

Why ask each connection: ``secure_delete`` is off in SQLite's own default build (some Linux
distributions turn it on), and a connection that deletes without it leaves the rows' bytes in
the file's free space. The first test shows that happening, so the second one means something.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import uuid
from pathlib import Path

import pytest

import storage
from dialogues import Engine, Incoming
from planbot.errors import StorageError
from planbot.settings import Settings
from tests.auxil.leftovers import where_found

WORD = "zanzibarflute"


def test_without_secure_delete_a_deleted_row_stays_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "plain.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA secure_delete=OFF")
    conn.execute("CREATE TABLE t (words TEXT)")
    conn.execute("INSERT INTO t VALUES (?)", (WORD * 10,))
    conn.commit()
    conn.execute("DELETE FROM t")
    conn.commit()
    conn.close()
    assert where_found(tmp_path, [WORD]) == {WORD: ["plain.sqlite3"]}


def test_every_connection_planbot_opens_deletes_securely(tmp_path: Path) -> None:
    db = storage.open_database(f"sqlite:///{tmp_path / 'planbot.sqlite3'}")
    try:
        connections = [db.engine.raw_connection() for _ in range(3)]  # the pool opens new ones
        for raw in connections:
            assert raw.cursor().execute("PRAGMA secure_delete").fetchone()[0] == 1
        raw = connections[0]
        raw.cursor().execute("CREATE TABLE t (words TEXT)")
        raw.cursor().execute("INSERT INTO t VALUES (?)", (WORD * 10,))
        raw.cursor().execute("DELETE FROM t")
        raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for opened in connections:
            opened.close()
    finally:
        db.dispose()
    assert where_found(tmp_path, [WORD]) == {}


def plan_with(db: storage.Database, tmp_path: Path, *lines: str) -> None:
    settings = Settings.from_env({"PLANBOT_DATA_DIR": str(tmp_path / "data"), "PLANBOT_TTS": "off"})
    engine = Engine(db, settings)
    for line in lines:
        engine.handle(
            Incoming("terminal", "t", uuid.uuid4().hex, line, person="Dev", opening=not line)
        )


def test_an_erase_waits_for_a_short_read_in_another_process_then_empties_the_wal(
    tmp_path: Path,
) -> None:
    db = storage.open_database(f"sqlite:///{tmp_path / 'planbot.sqlite3'}")
    try:
        plan_with(db, tmp_path, "", "yes", "1", "kept words", WORD)
        reader = sqlite3.connect(tmp_path / "planbot.sqlite3", check_same_thread=False)
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM answer").fetchone()[0] == 2
        ends = threading.Timer(0.5, reader.rollback)  # its read ends half a second later
        ends.start()
        plan_with(db, tmp_path, "delete last")
        ends.join()
        reader.close()
        assert where_found(tmp_path, [WORD]) == {}
        assert (tmp_path / "planbot.sqlite3-wal").stat().st_size == 0
    finally:
        db.dispose()


def test_a_read_that_goes_on_too_long_is_warned_of_and_the_tidy_empties_the_wal_later(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = storage.open_database(f"sqlite:///{tmp_path / 'planbot.sqlite3'}")
    try:
        plan_with(db, tmp_path, "", "yes", "1", "kept words", WORD)
        reader = sqlite3.connect(tmp_path / "planbot.sqlite3")
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM answer").fetchone()
        with caplog.at_level(logging.WARNING, logger="planbot.storage"):
            plan_with(db, tmp_path, "delete last")
        assert "the database's WAL was not emptied: another process held it" in caplog.text
        assert where_found(tmp_path, [WORD]) != {}  # the WAL still holds it
        reader.rollback()
        reader.close()
        db.scrub(drop_files=False)  # what the hourly tidy does
        assert where_found(tmp_path, [WORD]) == {}
    finally:
        db.dispose()


def test_a_database_file_that_cannot_be_made_is_a_clear_storage_error() -> None:
    with pytest.raises(StorageError, match="cannot open the database"):
        storage.Database("sqlite:////proc/planbot-cannot-be-here/planbot.sqlite3")
