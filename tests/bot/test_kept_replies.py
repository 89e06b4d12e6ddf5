"""Kept replies echo a person's words: they are forgotten when the words are deleted, and
after PLANBOT_REPLY_HOURS; a late repeat still stores nothing new."""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import select

import storage
from bot.web.app import create_app
from tests.auxil.twilio import Texter, make_settings, new_sid
from tests.bot.test_sms_conversation import consent, counts
from tests.conftest import Clock


def kept_words(db: storage.Database) -> str:
    """Everything the kept replies still say, as one text."""
    with db.transaction() as session:
        rows = session.exec(select(storage.ProcessedMessage)).all()
        return json.dumps([storage.processed_replies(r) for r in rows], ensure_ascii=False)


async def test_delete_last_forgets_the_replies_that_echoed_it(
    texter: Texter, db: storage.Database
) -> None:
    await consent(texter)
    sid = new_sid()
    assert "- my brother Carl" in "\n".join(await texter.send("my brother Carl", sid=sid))
    assert "my brother Carl" in kept_words(db)
    deleted = await texter.send("delete last")
    assert "I have deleted: my brother Carl" in "\n".join(deleted)
    kept = kept_words(db)
    # Not even the answer to "delete last": it is kept as "I have deleted it." for a repeat.
    assert "my brother Carl" not in kept and "I have deleted it." in kept
    before = counts(db)
    assert await texter.send("my brother Carl", sid=sid) == []  # a late repeat of the first
    assert counts(db) == before


async def test_restart_forgets_the_replies_that_echoed_the_answers(
    texter: Texter, db: storage.Database
) -> None:
    await consent(texter)
    await texter.send("swimming, my cat Bob")
    await texter.send("restart")
    await texter.send("yes")
    assert "my cat Bob" not in kept_words(db)


async def test_the_web_app_forgets_old_replies_when_it_starts(
    tmp_path: Path, db: storage.Database, clock: Clock
) -> None:
    app = create_app(make_settings(tmp_path, PLANBOT_REPLY_HOURS="24"), db, clock=clock)
    with db.transaction() as session:
        address = storage.get_or_create_address(session, "sms", "+447700900555")
        person = storage.create_person(session, "Dev")
        storage.link_person(session, person, address)  # it said yes (else it would go, too)
        kept = [{"text": "Thank you. I have saved:\n- my cat Bob"}]
        storage.record_processed(session, "sms", "SMold", address, person, kept, clock())
    clock.advance(hours=23)
    async with app.router.lifespan_context(app):  # starting the app tidies
        pass
    assert "my cat Bob" in kept_words(db)  # not 24 hours yet
    clock.advance(hours=2)
    async with app.router.lifespan_context(app):
        pass
    assert "my cat Bob" not in kept_words(db)
    with db.transaction() as session:  # the message id stays: a late repeat stores nothing
        assert storage.find_processed(session, "sms", "SMold") is not None
