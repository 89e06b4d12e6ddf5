"""Group commit on SQLite: the wait for the disk that makes commits kept, once for many.

Why: "saved means kept". A message's answers must be on the disk before planbot says so,
and with SQLite's FULL sync every commit waited for the disk itself (an fsync of the
write-ahead log). That wait was a fifth of a text's server CPU and stopped the web app's
one thread for a fifth of a millisecond each time (bench/sms_load.py, FULL against NORMAL).

Here the message connections commit with NORMAL sync (the log is written, not yet flushed),
and the flush is ours: one fsync of the log covers every commit written before it, because
the log is appended in order and SQLite's recovery keeps every whole transaction in it. So:

- A caller outside ``later`` (the CLI, the terminal, Telegram, the outbox) flushes at once,
  before ``Database.transaction`` returns: what FULL did.
- The web app's texts run their transactions inside ``later`` and wait for a flush that
  runs in a thread (``bot/web/group_sync.py``) before they answer: texts that came while
  one flush ran share the next one.

Nothing is answered, sent or shown as saved before its commit is flushed. What a power cut
can take is only what nobody was told was saved, as with FULL.
"""

from __future__ import annotations

import os
import threading
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from storage._block import Setting


@dataclass
class Owed:
    """The commits made inside one ``later``: the last one's number (0: none wrote)."""

    ticket: int = 0


_LATER: ContextVar[Owed | None] = ContextVar("planbot_sync_later", default=None)


def later(owed: Owed | None = None) -> Setting[Owed]:
    """Commits made inside are not flushed: the caller waits for ``WalSync.sync`` (in a
    thread, shared with others) covering ``owed.ticket`` before it tells anyone."""
    return Setting(_LATER, owed if owed is not None else Owed())


class WalSync:
    """Counts the commits of one SQLite file's connections in this process, and flushes its
    write-ahead log for all of them at once."""

    def __init__(self, database: Path) -> None:
        self.wal = database.with_name(database.name + "-wal")
        self._made = 0  # commits written (numbered from 1)
        self._synced = 0  # every commit up to this number is on the disk
        # Counting never waits for a flush: a text commits while the last one's flush runs.
        self._counting, self._flushing = threading.Lock(), threading.Lock()
        self._folder_synced = False

    @property
    def synced(self) -> int:
        return self._synced

    def committed(self) -> None:
        """A commit was written: flushed now, or (inside ``later``) by a flush to come."""
        with self._counting:
            self._made += 1
            ticket = self._made
        owed = _LATER.get()
        if owed is None:
            self.sync()
        else:
            owed.ticket = ticket

    def sync(self) -> int:
        """Flush the log: every commit written so far is on the disk when this returns (the
        number of the last one). Blocking; safe from any thread."""
        with self._flushing:
            target = self._made  # commits made while the flush runs wait for the next one
            if self._synced >= target:
                return self._synced
            try:
                fd = os.open(self.wal, os.O_RDONLY)
            except FileNotFoundError:
                # The last connection closed: SQLite copied the log into the file and
                # flushed it (a checkpoint) before it removed the log.
                self._synced = target
                return target
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            if not self._folder_synced:  # the log's own name, made when the file was opened
                self._sync_folder()
            self._synced = target
            return target

    def _sync_folder(self) -> None:
        fd = os.open(self.wal.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        self._folder_synced = True
