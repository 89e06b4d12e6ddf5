"""The outbox's sender: delivers what storage's outbox says is due, through each channel.

Why it looks like this:

- At least once. A row is claimed (a lease, in storage), sent, then marked sent. A sender
  killed before it claims leaves the row waiting; killed after sending but before marking,
  the lease runs out and the row goes again: at worst one message twice. Twilio and
  Telegram take no idempotency key for sending, so that is the best any sender can do.
- Several workers and hosts can run one each: claims never overlap (``FOR UPDATE SKIP
  LOCKED`` on PostgreSQL, one writer at a time on SQLite).
- Database work runs in threads, off the event loop; sending is each channel's own
  (``ChannelSender``). A channel error is tried again after storage's back-off; a channel
  that says the address opted out (Twilio's 21610, a bot the person blocked) closes the
  row unsent; ``Undeliverable`` gives up at once.
- The clock is injected: tests move it forward and call ``send_due``, never sleeping.
- Logs name the channel, the row id and the kind of error: never the words or the address.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import storage
from dialogues import Reply
from planbot.errors import ChannelError, PlanbotError

log = logging.getLogger("planbot.outbox")

SENT, OPTED_OUT = "sent", "opted_out"
EVERY = 5.0  # seconds between looks at the outbox when nothing wakes the sender sooner
BATCH = 20


class Undeliverable(ChannelError):
    """The channel will never take this message (no such chat, a number that cannot be)."""


class ChannelSender(Protocol):
    """Delivers one message on one channel: returns "sent", or "opted_out" when the channel
    says the address wants no more; raises ``ChannelError`` to try again later."""

    channel: str

    async def deliver(self, address: str, reply: Reply) -> str: ...


@dataclass
class SendCounts:
    """What one pass did (no words, no addresses)."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    opted_out: int = 0

    @property
    def tried(self) -> int:
        return self.sent + self.retrying + self.failed + self.opted_out


class OutboxSender:
    """Sends due messages for the channels it has a sender for."""

    def __init__(
        self,
        db: storage.Database,
        senders: Sequence[ChannelSender],
        *,
        clock: Callable[[], datetime] | None = None,
        every: float = EVERY,
        batch: int = BATCH,
        address: str | None = None,
    ) -> None:
        """``address``: send only what is for this one address (a terminal chat shows its own
        messages, as a phone does); everyone's when None."""
        self.db = db
        self.address = address
        self.senders = {s.channel: s for s in senders}
        self.clock = clock or storage.utcnow
        self.every = every
        self.batch = batch
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def channels(self) -> list[str]:
        return sorted(self.senders)

    async def send_due(self) -> SendCounts:
        """Send everything due now, a batch at a time, until nothing due is left."""
        counts = SendCounts()
        while True:
            items = await asyncio.to_thread(self._claim)
            for item in items:
                await self._send(item, counts)
            if len(items) < self.batch:
                return counts

    def _claim(self) -> list[storage.OutboxItem]:
        with self.db.transaction() as session:
            return storage.claim_due(
                session,
                now=self.clock(),
                channels=self.channels,
                limit=self.batch,
                address=self.address,
            )

    async def _send(self, item: storage.OutboxItem, counts: SendCounts) -> None:
        sender = self.senders[item.channel]
        try:
            outcome = await sender.deliver(item.address, Reply.from_dict(item.reply))
        except Undeliverable as exc:
            await asyncio.to_thread(self._failed, item, str(exc), False)
            log.warning("outbox %s #%d: given up (%s)", item.channel, item.id, exc)
            counts.failed += 1
            return
        except ChannelError as exc:
            status = await asyncio.to_thread(self._failed, item, str(exc), True)
            log.warning("outbox %s #%d: not sent, %s (%s)", item.channel, item.id, status, exc)
            if status == "failed":
                counts.failed += 1
            else:
                counts.retrying += 1
            return
        except Exception as exc:  # a library error a sender did not expect: try again later
            status = await asyncio.to_thread(self._failed, item, type(exc).__name__, True)
            log.error("outbox %s #%d: %s (%s)", item.channel, item.id, status, type(exc).__name__)
            counts.retrying += status != "failed"
            counts.failed += status == "failed"
            return
        if outcome == OPTED_OUT:
            await asyncio.to_thread(self._record, storage.mark_opted_out, item)
            log.info("outbox %s #%d: not sent, opted out", item.channel, item.id)
            counts.opted_out += 1
            return
        await asyncio.to_thread(self._record, storage.mark_sent, item)
        log.info("outbox %s #%d: sent", item.channel, item.id)
        counts.sent += 1

    def _failed(self, item: storage.OutboxItem, error: str, retry: bool) -> str:
        with self.db.transaction() as session:
            return storage.mark_failed(session, item, now=self.clock(), error=error, retry=retry)

    def _record(self, mark: Callable[..., None], item: storage.OutboxItem) -> None:
        with self.db.transaction() as session:
            mark(session, item, now=self.clock())

    # --- running beside the web app ------------------------------------------------------

    def wake(self) -> None:
        """Look at the outbox now (something was queued). Safe to call from any thread."""
        loop, event = self._loop, self._wake
        if loop is None or event is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop has closed: nothing to wake
            loop.call_soon_threadsafe(event.set)

    async def run(self) -> None:
        """Send what is due, then wait until woken or ``every`` seconds; until cancelled."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        log.info("outbox sender running for %s", ", ".join(self.channels) or "no channel")
        while True:
            try:
                await self.send_due()
            except PlanbotError as exc:  # the database is away: try again next time
                log.error("outbox pass failed: %s", type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.every)
            self._wake.clear()
