"""Addresses that never said yes to keeping anything are forgotten by the hourly tidy a day
after they last wrote: the address, its conversation and its handled messages.

On SQLite and PostgreSQL (the ``db`` fixture runs both where PostgreSQL is set up).
"""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import func
from sqlmodel import select

import storage
from bot._tidy import forget_old_replies
from dialogues import Engine, Incoming
from planbot.settings import Settings
from tests.auxil.leftovers import where_found
from tests.conftest import Clock

SILENT = "+447700900111"  # got the welcome, never answered
LATE = "+447700900222"  # the same, but wrote again this morning
AGREED = "+447700900333"  # said yes
STOPPED = "+447700900444"  # said STOP: kept only to honour it


def say(engine: Engine, number: str, text: str) -> None:
    engine.handle(Incoming("sms", number, uuid.uuid4().hex, text))


def rows(db: storage.Database) -> dict[str, int]:
    with db.transaction() as session:
        return {
            table.__name__: int(session.exec(select(func.count()).select_from(table)).one())
            for table in (storage.Address, storage.Conversation, storage.ProcessedMessage)
        }


def stored_lookups(db: storage.Database, numbers: tuple[str, ...]) -> dict[str, str]:
    """Each number's look-up value as the database holds it (a keyed hash of the number)."""
    with db.transaction() as session:
        found = {n: storage.find_address(session, "sms", n) for n in numbers}
        return {n: a.lookup for n, a in found.items() if a is not None}


def known(db: storage.Database, number: str) -> bool:
    with db.transaction() as session:
        return storage.find_address(session, "sms", number) is not None


def test_an_address_that_never_said_yes_is_forgotten_after_a_day(
    engine: Engine, db: storage.Database, settings: Settings, clock: Clock, tmp_path: Path
) -> None:
    say(engine, SILENT, "hello")
    say(engine, SILENT, "what is this")
    say(engine, LATE, "hello")
    say(engine, AGREED, "hello")
    say(engine, AGREED, "yes")
    say(engine, STOPPED, "hello")
    with db.transaction() as session:
        storage.set_opted_out(session, "sms", STOPPED)
    before = rows(db)
    lookups = stored_lookups(db, (SILENT, LATE, AGREED))

    clock.advance(hours=23)
    say(engine, LATE, "hmm")
    forget_old_replies(db, settings, clock.now)
    assert all(known(db, n) for n in (SILENT, LATE, AGREED, STOPPED))  # not a day yet

    clock.advance(hours=2)  # SILENT last wrote 25 hours ago, LATE 2 hours ago
    forget_old_replies(db, settings, clock.now)
    assert not known(db, SILENT)
    assert all(known(db, n) for n in (LATE, AGREED, STOPPED))
    after = rows(db)
    assert after["Address"] == before["Address"] - 1
    assert after["Conversation"] == before["Conversation"] - 1
    # SILENT's 2 handled messages went; LATE's "hmm" was new
    assert after["ProcessedMessage"] == before["ProcessedMessage"] - 2 + 1
    if db.is_sqlite:  # and the number is in no byte of the database, its WAL or any file:
        # stored sealed, it is found by its keyed look-up value, which only it has
        found = where_found(tmp_path, [lookups[SILENT], lookups[LATE], lookups[AGREED]])
        assert set(found) == {lookups[LATE], lookups[AGREED]}

    clock.advance(days=2)
    forget_old_replies(db, settings, clock.now)
    assert not known(db, LATE)
    assert all(known(db, n) for n in (AGREED, STOPPED))  # a yes is kept, and so is a STOP


def test_a_forgotten_address_that_writes_again_starts_afresh(
    engine: Engine, db: storage.Database, settings: Settings, clock: Clock
) -> None:
    say(engine, SILENT, "hello")
    clock.advance(days=2)
    forget_old_replies(db, settings, clock.now)
    assert not known(db, SILENT)
    replies = engine.handle(Incoming("sms", SILENT, uuid.uuid4().hex, "hello"))
    assert any("Can I keep your answers safe" in r.text for r in replies)
