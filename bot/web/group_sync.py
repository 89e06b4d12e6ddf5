"""The web app's wait for the disk: texts answered while one flush runs share the next.

Why: a text's database work runs on the event loop (``bot/web/app.py``: ``_Runner``), and
on SQLite its commit is kept only once the write-ahead log is flushed (storage/_wal_sync.py).
Flushing on the loop stopped every other text for the length of an fsync. Here the flush
runs in a thread: meanwhile the loop answers the next texts, whose commits the following
flush covers. Each text still waits for its own commit's flush before it is answered.

No waiting on purpose for more texts to join a flush: under full load they join anyway
(1.11 ms of server CPU a text with a flush in a thread, 1.13 with none at all; waiting 3 ms
first gave 1.18, and paced texts 8 ms more at p99: bench/sms_load.py).
"""

from __future__ import annotations

import asyncio

import anyio.to_thread

import storage


class GroupSync:
    """One per web app and database. ``wait(ticket)`` returns once every commit up to
    ``ticket`` is on the disk; at most one flush runs at a time."""

    def __init__(self, db: storage.Database) -> None:
        self.db = db
        self._flush: asyncio.Future[int] | None = None

    async def wait(self, ticket: int) -> None:
        while self.db.synced() < ticket:
            if self._flush is None:
                self._flush = asyncio.ensure_future(self._flushed())
            # Shielded: a text whose client went away does not cancel the others' flush.
            await asyncio.shield(self._flush)

    async def _flushed(self) -> int:
        try:
            return await anyio.to_thread.run_sync(self.db.sync)
        finally:
            self._flush = None
