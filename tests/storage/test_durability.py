"""SQLite keeps what it said it saved: every connection commits in WAL mode with FULL sync.

Why a test: the crash test (tests/e2e/test_crash.py) kills planbot, not the machine, and a
killed process loses nothing with NORMAL sync either; only a power cut shows the difference,
and no test can pull the plug. So the setting itself is checked, on every new connection.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

import storage

FULL = 2  # PRAGMA synchronous: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA


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
