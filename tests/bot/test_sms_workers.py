"""Two workers on one database: interleaved texts, nothing lost or doubled, order kept.

Each "worker" is its own app with its own ``Database`` (its own connection pool) and its own
event loop in a thread of its own, as two uvicorn processes or two hosts would have. On
PostgreSQL each runs 8 threads at once, so the address row lock is what keeps one message per
conversation at a time; on SQLite it is ``BEGIN IMMEDIATE`` across the two.

Why a loop each: on SQLite an app does its database work in its event loop's thread. Two apps
on the test's one loop would take turns, a message each, and nothing could overlap: the
tests would pass whatever the locking did.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx
from sqlalchemy import text
from sqlmodel import col, select

import storage
from bot.web.app import create_app
from dialogues import load_script
from planbot.settings import Settings
from tests.auxil.twilio import PUBLIC_URL, Texter, new_sid
from tests.conftest import Clock


def twin(db: storage.Database) -> storage.Database:
    """A second handle on the same database, with a pool of its own (another worker)."""
    if db.is_sqlite:
        return storage.Database(db.url, keys=db.keys)
    with db.engine.connect() as conn:
        path = conn.execute(text("SHOW search_path")).scalar()
    return storage.Database(
        db.url, keys=db.keys, engine_options={"connect_args": {"options": f"-csearch_path={path}"}}
    )


T = TypeVar("T")


class Worker:
    """One planbot worker: its app, answered on an event loop in a thread of its own."""

    def __init__(self, db: storage.Database, settings: Settings, clock: Clock) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.client = asyncio.run_coroutine_threadsafe(
            self._open(db, settings, clock), self.loop
        ).result()

    @staticmethod
    async def _open(db: storage.Database, settings: Settings, clock: Clock) -> httpx.AsyncClient:
        app = create_app(settings, db, clock=clock)
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL)

    async def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run ``work`` on this worker's loop; the caller's loop waits without blocking."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, self.loop))

    def texter(self, number: str) -> WorkerTexter:
        return WorkerTexter(self, Texter(self.client, number))

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.client.aclose(), self.loop).result()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


class WorkerTexter:
    """A phone whose texts go to one worker."""

    def __init__(self, worker: Worker, texter: Texter) -> None:
        self.worker, self.texter = worker, texter

    async def send(self, body: str, sid: str | None = None) -> list[str]:
        return await self.worker.run(self.texter.send(body, sid))


@asynccontextmanager
async def two_workers(
    db: storage.Database, settings: Settings, clock: Clock
) -> AsyncIterator[tuple[Worker, Worker]]:
    other = twin(db)
    a = Worker(db, settings, clock)
    b = Worker(other, settings, clock)
    try:
        yield a, b
    finally:
        a.close()
        b.close()
        other.dispose()


async def agree(a: WorkerTexter, b: WorkerTexter, name: str) -> None:
    """Start a plan, each text going to the other worker than the one before."""
    for i, said in enumerate(["hello", "yes", "1", name]):
        await (a if i % 2 == 0 else b).send(said)


def answers(db: storage.Database, name: str) -> list[str]:
    with db.transaction() as session:
        return [a.text for a in storage.answers_for(session, storage.get_person(session, name))]


async def test_texters_alternating_between_workers_keep_every_answer_in_order(
    db: storage.Database, sms_settings: Settings, clock: Clock
) -> None:
    async with two_workers(db, sms_settings, clock) as (a, b):

        async def texter(n: int) -> None:
            number = f"+4477009001{n:02d}"
            one, two = a.texter(number), b.texter(number)
            await agree(one, two, f"Person{n}")
            for k in range(12):
                bodies = await (one if k % 2 == 0 else two).send(f"item {k}")
                assert f"- item {k}" in bodies[0]

        await asyncio.gather(*(texter(n) for n in range(6)))
    for n in range(6):
        assert answers(db, f"Person{n}") == [f"item {k}" for k in range(12)]


# Things to save, one a topic, each told apart from the others by its number.
THINGS = [f"thing {k}" for k in range(8)]


async def test_a_burst_from_one_number_on_two_workers_is_taken_one_at_a_time(
    db: storage.Database, sms_settings: Settings, clock: Clock
) -> None:
    number = "+447700900555"
    topics = [s.id for s in load_script().list_steps][:8]
    async with two_workers(db, sms_settings, clock) as (a, b):
        one, two = a.texter(number), b.texter(number)
        await agree(one, two, "Dev")
        sids = [new_sid() for _ in topics]
        # Each text saves a thing and moves to the next topic, so two texts taken at once
        # would both land on the same topic. Every text goes to both workers at once too
        # (a retry racing the first delivery).
        sends = [w.send(f"{THINGS[k]}, done", sid=sids[k]) for k in range(8) for w in (one, two)]
        results = await asyncio.gather(*sends)
    for k in range(8):
        assert results[2 * k] == results[2 * k + 1]  # the same answer to both deliveries
        assert f"- {THINGS[k]}" in results[2 * k][0]
    with db.transaction() as session:
        dev = storage.get_person(session, "Dev")
        stored = storage.answers_for(session, dev)
        rows = session.exec(
            select(storage.ProcessedMessage)
            .where(col(storage.ProcessedMessage.message_id).in_(sids))
            .order_by(col(storage.ProcessedMessage.id))
        ).all()
        taken = [str(storage.processed_replies(r)[0]["text"]).split("- ", 1)[1] for r in rows]
    # One thing in each topic, in topic order: no text was taken while another was running.
    assert [a.section for a in stored] == topics
    assert sorted(a.text for a in stored) == sorted(THINGS)
    assert [a.text for a in stored] == taken  # stored in the order they were taken
