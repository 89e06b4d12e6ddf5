"""PostgreSQL without a ping on every checkout: a pooled connection the server dropped (a
restart, a firewall), or one that lost the statements prepared on it, costs one try of the
message, never a lost or doubled answer."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

import storage
from dialogues import Engine, Incoming
from planbot.settings import Settings
from tests.auxil.databases import POSTGRES_ENV, make_database, postgres_url
from tests.conftest import Clock


def _drop(db: storage.Database) -> None:
    """The server drops the connection kept for the next message (a restart, a firewall)."""
    with db.transaction() as session:
        pid = session.connection().execute(text("SELECT pg_backend_pid()")).scalar()
    admin = create_engine(postgres_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    admin.dispose()


def _forget_statements(db: storage.Database) -> None:
    """The connection kept for the next message loses the statements planbot prepared on it
    (storage/_pg_pipeline.py)."""
    with db.transaction() as session:
        session.connection().execute(text("DEALLOCATE ALL"))


@pytest.mark.skipif(not os.environ.get(POSTGRES_ENV), reason=f"{POSTGRES_ENV} is not set")
@pytest.mark.parametrize("breaking", [_drop, _forget_statements], ids=["dropped", "forgot"])
def test_a_message_on_a_broken_connection_is_answered_and_kept_once(
    tmp_path: Path,
    settings: Settings,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
    breaking: Callable[[storage.Database], None],
) -> None:
    with make_database("postgres", tmp_path) as db:
        engine = Engine(db, settings, clock=clock)
        for n, words in enumerate(("hello", "yes", "1", "Dev")):
            engine.handle(Incoming("sms", "+447700900321", f"m{n}", words))
        breaking(db)
        with caplog.at_level(logging.INFO, logger="planbot"):
            replies = engine.handle(Incoming("sms", "+447700900321", "m9", "swimming"))
        assert "trying a message again" in caplog.text  # it met the broken connection
        assert "swimming" in "\n".join(r.text for r in replies)
        replies = engine.handle(Incoming("sms", "+447700900321", "m10", "reading"))
        assert "reading" in "\n".join(r.text for r in replies)
        with db.transaction() as session:
            (dev,) = storage.find_people(session, "Dev")
            saved = [a.text for a in storage.answers_for(session, dev)]
            assert saved == ["swimming", "reading"]


@pytest.mark.skipif(not os.environ.get(POSTGRES_ENV), reason=f"{POSTGRES_ENV} is not set")
def test_only_the_rate_counts_commit_without_waiting_for_the_disk(tmp_path: Path) -> None:
    """A count is one statement on a pool of its own whose commits do not wait for the disk;
    a message's transaction (an answer someone was told is saved) always waits."""
    with make_database("postgres", tmp_path) as db:
        hits = storage.count_hit(db, "a-key", storage.utcnow())
        assert (hits.minute, hits.day) == (1, 1)
        assert storage.count_hit(db, "a-key", storage.utcnow()).minute == 2
        with db.connection() as conn:
            assert conn.execute(text("SHOW synchronous_commit")).scalar() == "off"
        with db.transaction() as session:
            shown = session.connection().execute(text("SHOW synchronous_commit")).scalar()
            assert shown == "on"
