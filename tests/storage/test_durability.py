"""SQLite keeps what planbot said it saved: nobody is told a commit was saved before its
write-ahead log is flushed to the disk (storage/_wal_sync.py).

Why a test: the crash test (tests/e2e/test_crash.py) kills planbot, not the machine, and a
killed process loses nothing even without a flush; only a power cut shows the difference,
and no test can pull the plug. So the order is checked instead: every fsync this process
makes is seen (``os.fsync`` is wrapped, and still flushes), beside every commit and every
answer the web app sends.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, text

import storage
from bot.web.app import create_app
from bot.web.group_sync import GroupSync
from tests.auxil.twilio import PUBLIC_URL, make_settings, sign, sms_form

NORMAL = 1  # PRAGMA synchronous: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA
WAL = "planbot.sqlite3-wal"
Events = list[tuple[str, str]]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[storage.Database]:
    database = storage.open_database(f"sqlite:///{tmp_path / 'planbot.sqlite3'}")
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def events(db: storage.Database, monkeypatch: pytest.MonkeyPatch) -> Events:
    """What happens, in order: ("committed", ""), ("flushing", file) then ("flushed", file)
    around each fsync, ("answered", status) when the web app starts an answer."""
    seen: Events = []
    flush = os.fsync

    def watched_fsync(fd: int) -> None:
        name = Path(os.readlink(f"/proc/self/fd/{fd}")).name
        seen.append(("flushing", name))
        flush(fd)
        seen.append(("flushed", name))

    monkeypatch.setattr(os, "fsync", watched_fsync)
    event.listen(db.engine, "commit", lambda _conn: seen.append(("committed", "")))
    return seen


def of_the_log(events: Events) -> Events:
    return [e for e in events if e[0] == "committed" or e[1] in (WAL, "200")]


def new_person(db: storage.Database, name: str) -> None:
    with db.transaction() as session:
        storage.create_person(session, name)


def test_a_transaction_returns_once_its_commit_is_on_the_disk(
    db: storage.Database, events: Events
) -> None:
    new_person(db, "Gemma")
    assert of_the_log(events) == [("committed", ""), ("flushing", WAL), ("flushed", WAL)]


def test_a_transaction_that_changed_nothing_waits_for_nothing(
    db: storage.Database, events: Events
) -> None:
    with db.transaction() as session:
        assert storage.find_people(session, "Nobody") == []
    assert [e for e in events if e[0] != "committed"] == []


def test_inside_sync_later_commits_wait_for_one_flush_of_them_all(
    db: storage.Database, events: Events
) -> None:
    with storage.sync_later() as owed:
        for name in ("Ann", "Bo", "Cy"):
            new_person(db, name)
    assert [e for e in events if e[0] != "committed"] == []  # nothing flushed yet
    assert db.synced() < owed.ticket
    assert db.sync() >= owed.ticket
    assert of_the_log(events)[-2:] == [("flushing", WAL), ("flushed", WAL)]
    assert [e[0] for e in of_the_log(events)].count("flushing") == 1


async def test_texts_waiting_at_once_share_one_flush(db: storage.Database, events: Events) -> None:
    tickets = []
    for name in ("Ann", "Bo", "Cy", "Dee"):
        with storage.sync_later() as owed:
            new_person(db, name)
        tickets.append(owed.ticket)
    group = GroupSync(db)
    await asyncio.gather(*(group.wait(t) for t in tickets))
    assert db.synced() >= max(tickets)
    assert [e for e in of_the_log(events) if e[0] == "flushing"] == [("flushing", WAL)]


def test_the_connections_leave_the_flush_to_planbot_and_counts_are_never_flushed(
    db: storage.Database, events: Events
) -> None:
    for _ in range(2):  # the pool's connection, then a new one
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA synchronous")).scalar() == NORMAL
            # checkpoints ten times rarer than SQLite's default (storage/_db.py)
            assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 10_000
        db.engine.dispose()
    assert storage.count_hit(db, "a-key", storage.utcnow()).minute == 1
    assert storage.count_hit(db, "a-key", storage.utcnow()).minute == 2
    with db.connection() as conn:
        assert conn.execute(text("PRAGMA synchronous")).scalar() == NORMAL
    assert [e for e in events if e[0] != "committed"] == []  # a lost count costs nothing


def answers_seen(app: FastAPI, events: Events) -> Any:
    """``app``, noting when each answer starts."""

    async def watched(scope: Any, receive: Any, send: Any) -> None:
        async def noted(message: Any) -> None:
            if message["type"] == "http.response.start":
                events.append(("answered", str(message["status"])))
            await send(message)

        await app(scope, receive, noted)

    return watched


async def test_no_text_is_answered_before_its_answer_is_on_the_disk(
    db: storage.Database, events: Events, tmp_path: Path
) -> None:
    app = create_app(make_settings(tmp_path), db)
    transport = httpx.ASGITransport(app=answers_seen(app, events))
    numbers = [f"+4477009001{n:02d}" for n in range(12)]

    async def text(http: httpx.AsyncClient, number: str, said: str) -> str:
        form = sms_form(number, said)
        signed = {"X-Twilio-Signature": sign(PUBLIC_URL + "/sms", form)}
        answer = await http.post("/sms", data=form, headers=signed)
        assert answer.status_code == 200
        return answer.text

    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as http:
        for said in ("hello", "yes"):  # every number at once, twice
            del events[:]
            await asyncio.gather(*(text(http, number, said) for number in numbers))
            log = of_the_log(events)
            answered = [n for n, e in enumerate(log) if e[0] == "answered"]
            assert len(answered) == len(numbers)
            for k, at in enumerate(answered, start=1):
                # Each text commits once: when the k-th answer starts, a flush that began
                # after k commits or more has ended.
                before = log[:at]
                ended = [n for n, e in enumerate(before) if e[0] == "flushed"]
                assert ended, f"answer {k} went before any flush"
                began = max(n for n, e in enumerate(before[: ended[-1]]) if e[0] == "flushing")
                assert [e[0] for e in before[:began]].count("committed") >= k
    with db.transaction() as session:  # and every text was kept
        kept = [storage.read_address(session, "sms", number) for number in numbers]
    assert all(found is not None for found in kept)
