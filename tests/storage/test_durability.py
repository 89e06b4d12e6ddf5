"""SQLite keeps what it said it saved: every connection commits in WAL mode with FULL sync
(only the rate counts' own connection does not wait for the disk: a lost count costs nothing).

Why a test: the crash test (tests/e2e/test_crash.py) kills planbot, not the machine, and a
killed process loses nothing with NORMAL sync either; only a power cut shows the difference,
and no test can pull the plug. So the setting itself is checked, on every new connection.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

import storage

NORMAL, FULL = 1, 2  # PRAGMA synchronous: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA


def test_every_sqlite_connection_waits_for_the_disk_before_a_commit_returns(
    tmp_path: Path,
) -> None:
    db = storage.open_database(f"sqlite:///{tmp_path / 'planbot.sqlite3'}")
    try:
        for _ in range(2):  # the pool's connection, then a new one
            with db.engine.connect() as conn:
                assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
                assert conn.execute(text("PRAGMA synchronous")).scalar() == FULL
            db.engine.dispose()
    finally:
        db.dispose()


def test_the_rate_counts_own_connection_does_not_wait_and_counts(tmp_path: Path) -> None:
    db = storage.open_database(f"sqlite:///{tmp_path / 'planbot.sqlite3'}")
    try:
        assert storage.count_hit(db, "a-key", storage.utcnow()).minute == 1
        assert storage.count_hit(db, "a-key", storage.utcnow()).minute == 2
        with db.connection() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA synchronous")).scalar() == NORMAL
        with db.transaction() as session:  # a message's transaction still waits
            shown = session.connection().execute(text("PRAGMA synchronous")).scalar()
            assert shown == FULL
    finally:
        db.dispose()
