"""What a plain answer costs the database: the fewest statements on SQLite, and at most three
round trips to PostgreSQL with its rate count (the wait a text spends on the network, and
much of its CPU, grow with each).

Why a test and not only the bench: the lean path (``storage/_lean.py``) and PostgreSQL's
pipelining are easy to undo without noticing; an extra statement or round trip on every text
costs everyone, and only shows here.
"""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import event

import storage
from dialogues import Engine, Incoming
from planbot.settings import Settings
from tests.auxil.wire import watching
from tests.conftest import Clock

NUMBER = "+447700900321"
PLAIN_ANSWER = [  # SQLite: one read, the answer, its audit event, the message (the
    # conversation is at the same topic, and its time was written less than a minute ago)
    "BEGIN IMMEDIATE",
    "SELECT address.id, address.channel,",
    "INSERT INTO answer",
    "INSERT INTO audit_event",
    "INSERT INTO processed_message",
    "COMMIT",
]


def _at_the_first_topic(db: storage.Database, settings: Settings, clock: Clock) -> Engine:
    engine = Engine(db, settings, clock=clock)
    for n, words in enumerate(("hello", "yes", "1", "Dev", "swimming")):
        engine.handle(Incoming("sms", NUMBER, f"m{n}", words))
    return engine


def test_a_plain_answer_costs_one_read_and_its_writes_and_at_most_three_round_trips(
    db: storage.Database, settings: Settings, clock: Clock
) -> None:
    engine = _at_the_first_topic(db, settings, clock)
    with watching(db) as wire:
        storage.count_hit(db, storage.rate_key("sms", NUMBER, "secret"), clock.now)
        replies = engine.handle(Incoming("sms", NUMBER, "m9", "cooking"))
    assert "cooking" in "\n".join(r.text for r in replies)
    if db.is_sqlite:
        count, *message = wire.statements
        assert count.startswith("INSERT INTO rate_count")
        assert message == PLAIN_ANSWER
    else:
        assert wire.round_trips <= 3  # the count 1, the message 2: BEGIN+read, writes+COMMIT
    with db.transaction() as session:
        (dev,) = storage.find_people(session, "Dev")
        assert [a.text for a in storage.answers_for(session, dev)] == ["swimming", "cooking"]


def test_the_conversation_is_written_with_what_changed_and_its_time_once_a_minute(
    db: storage.Database, settings: Settings, clock: Clock
) -> None:
    """The conversation's columns that changed, alone (every column, with the index on
    address and person, cost SQLite twice), and its time when it is a minute old or more
    (what reads it counts hours and days)."""
    engine = _at_the_first_topic(db, settings, clock)
    ids = iter(range(100, 200))

    def written(words: str, seconds: float) -> list[list[str]]:
        """The columns each UPDATE of the conversation sets, for a message ``seconds`` on."""
        clock.advance(seconds=seconds)
        with watching(db) as wire:
            engine.handle(Incoming("sms", NUMBER, f"m{next(ids)}", words))
        updates = [sql for sql in wire.sql if sql.startswith("UPDATE conversation")]
        sets = [u.split(" SET ", 1)[1].split(" WHERE ")[0] for u in updates]
        return [[column.split("=")[0] for column in each.split(", ")] for each in sets]

    def stored_time() -> object:
        with db.transaction() as session:
            _address, _person, conv = storage.open_address(session, "sms", NUMBER)
            assert conv is not None
            return storage.as_utc(conv.updated_at)

    start = stored_time()
    same_topic_soon = written("cooking", 30)
    assert stored_time() == start
    same_topic_later = written("reading", 45)
    assert stored_time() == clock.now
    other_topic = written("next", 5)
    assert stored_time() == clock.now
    if db.is_sqlite:  # (PostgreSQL's statements go by in its pipeline, unseen here)
        assert same_topic_soon == []
        assert same_topic_later == [["updated_at"]]
        assert other_topic == [["state", "updated_at"]]


def test_a_repeated_message_is_still_found_when_its_insert_went_with_the_commit(
    db: storage.Database, settings: Settings, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    """On PostgreSQL the handled message's INSERT waits for the COMMIT: a repeat delivery
    fails there, on the unique key, and is answered again with nothing stored twice. The
    failed COMMIT leaves the kept connection as good as new: the look-up for the repeat, and
    the next message, go through at once (an aborted transaction left on it failed them)."""
    engine = _at_the_first_topic(db, settings, clock)
    first = engine.handle(Incoming("sms", NUMBER, "m9", "cooking"))
    with caplog.at_level(logging.INFO, logger="planbot"):
        again = engine.handle(Incoming("sms", NUMBER, "m9", "cooking"))
        assert caplog.text.count("trying a message again") == 1
        caplog.clear()
        engine.handle(Incoming("sms", NUMBER, "m10", "reading"))
        assert "trying a message again" not in caplog.text
    assert [r.text for r in again] == [r.text for r in first]
    with db.transaction() as session:
        (dev,) = storage.find_people(session, "Dev")
        assert [a.text for a in storage.answers_for(session, dev)] == [
            "swimming",
            "cooking",
            "reading",
        ]


def test_messages_and_counts_reuse_the_connections_kept_between_them(
    db: storage.Database, settings: Settings, clock: Clock
) -> None:
    """Each message and each count took a connection from the pool and gave it back (a tenth
    of a message's CPU); now a few are kept between uses, and only a dropped one is made
    afresh."""
    engine = _at_the_first_topic(db, settings, clock)
    storage.count_hit(db, storage.rate_key("sms", NUMBER, "secret"), clock.now)  # its first
    checkouts: list[object] = []

    def count(*_args: object) -> None:
        checkouts.append(_args)

    for pool_of in db.engines():
        event.listen(pool_of, "checkout", count)
    try:
        for n in range(5):
            storage.count_hit(db, storage.rate_key("sms", NUMBER, "secret"), clock.now)
            engine.handle(Incoming("sms", NUMBER, f"again{n}", f"thing {n}"))
    finally:
        for pool_of in db.engines():
            event.remove(pool_of, "checkout", count)
    assert checkouts == []
    with db.transaction() as session:
        (dev,) = storage.find_people(session, "Dev")
        assert len(storage.answers_for(session, dev)) == 6
