"""The web app's wait for the disk: texts answered while one flush runs share the next.

Why: a text's database work runs on the event loop (``bot/web/app.py``: ``_Runner``), and
on SQLite its commit is kept only once the write-ahead log is flushed (storage/_wal_sync.py).
Flushing on the loop stopped every other text for the length of an fsync. Here the flush
runs in a thread: meanwhile the loop answers the next texts, whose commits the following
flush covers. Each text still waits for its own commit's flush before it is answered.

No waiting on purpose for more texts to join a flush: under full load they join anyway
(1.11 ms of server CPU a text with a flush in a thread, 1.13 with none at all; waiting 3 ms
first gave 1.18, and paced texts 8 ms more at p99: bench/sms_load.py).

The thread is one of its own (``_Flusher``), not anyio's: handing a flush to anyio's worker
threads and back cost about 350,000 instructions, to this thread about 100,000 (callgrind,
one flush after another). anyio's way takes a capacity limiter, a checkpoint on the loop, a
task and the context copied into the thread, none of which a flush needs; here a flush is a
queue entry and a call back to the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable

import storage

Done = Callable[[int, BaseException | None], None]


class _Flusher:
    """One thread for the process that runs flushes one after another, and gives each
    outcome back to the loop that asked for it. Started when first needed (and again in a
    process forked from this one, where it is gone)."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[tuple[Callable[[], int], asyncio.AbstractEventLoop, Done]]
        self._jobs = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._starting = threading.Lock()

    def run(self, work: Callable[[], int], loop: asyncio.AbstractEventLoop, done: Done) -> None:
        """Run ``work`` in the thread; ``done(result, error)`` is then called on ``loop``."""
        if self._thread is None or not self._thread.is_alive():
            with self._starting:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(
                        target=self._serve, name="planbot-flush", daemon=True
                    )
                    self._thread.start()
        self._jobs.put((work, loop, done))

    def _serve(self) -> None:
        while True:
            work, loop, done = self._jobs.get()
            result, error = 0, None
            try:
                result = work()
            except BaseException as exc:  # the texts waiting for it get it, as before
                error = exc
            # A loop closed meanwhile (RuntimeError) has nobody waiting for this flush.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(done, result, error)


_FLUSHER = _Flusher()


class GroupSync:
    """One per web app and database. ``wait(ticket)`` returns once every commit up to
    ``ticket`` is on the disk; at most one flush runs at a time."""

    def __init__(self, db: storage.Database) -> None:
        self.db = db
        self._flush: asyncio.Future[int] | None = None

    async def wait(self, ticket: int) -> None:
        while self.db.synced() < ticket:
            if self._flush is None:
                self._flush = self._start()
            # Shielded: a text whose client went away does not cancel the others' flush.
            await asyncio.shield(self._flush)

    def _start(self) -> asyncio.Future[int]:
        """A flush, in the flusher's thread; its future is done (on this loop) when it is."""
        loop = asyncio.get_running_loop()
        flush: asyncio.Future[int] = loop.create_future()

        def done(result: int, error: BaseException | None) -> None:
            self._flush = None  # the next wait starts a new flush
            if flush.cancelled():
                return
            if error is not None:
                flush.set_exception(error)
            else:
                flush.set_result(result)

        _FLUSHER.run(self.db.sync, loop, done)
        return flush
