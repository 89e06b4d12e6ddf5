"""The terminal channel: one typed (or piped) line is one message; replies are printed.

Choices are shown as numbered lines, so "1" or the words both work. Each line gets a fresh
message id; nothing is printed that the person did not type or the engine did not say. At the
end of a plan the plain-text profile is printed.

A terminal address (``planbot chat --address sam``) is like a phone: it has its own place in
each plan it talks for, and joins someone's plan the way a phone does, with JOIN and a code
from the holder's INVITE, after the holder's yes. So:

- ``--person NAME`` goes with the session's first message only (it picks whose plan, or names
  a new one); the lines after it go wherever the conversation is, as a phone's texts do.
  Sent with every line, it would pull a supporter out of the join questions back to a plan
  of their own, and undo ``switch``. It never links the address to someone else's plan: the
  engine says how to ask to help instead (``Engine._for_named_person``).
- The outbox sender prints a message queued for a terminal address, headed with whom it is
  for. ``planbot chat`` prints what is due for its own address after each line (a holder
  sees "Is that OK?" at their next ``planbot chat``, never in the supporter's);
  ``planbot outbox --once`` prints what is due for every address.

A message with ``profile_of`` is followed by that person's plain-text profile, made when it
is printed (nothing more if the person was erased).
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TextIO

import storage
from bot._base import Channel
from bot._outbox import OutboxSender
from dialogues import MY_DATA, Incoming, Reply
from easyread import document_of, profile_of
from easyread.text import render_text
from planbot.settings import Settings

CHANNEL = "terminal"


def format_reply(reply: Reply) -> str:
    """A reply as terminal text: its words, then its choices as numbered lines."""
    lines = [reply.text]
    lines += [f"  {n}. {choice.label}" for n, choice in enumerate(reply.choices, start=1)]
    return "\n".join(lines)


class TerminalSender:
    """The outbox's sender for the terminal: prints each message, headed with whom it is for.

    ``db`` is read for a profile that goes with a message (``Reply.profile_of``).
    """

    channel = CHANNEL

    def __init__(self, out: TextIO | None = None, *, db: storage.Database) -> None:
        self.out = out or sys.stdout
        self.db = db

    async def deliver(self, address: str, reply: Reply) -> str:
        parts = [format_reply(reply)]
        if reply.profile_of is not None:  # read and written out in a thread: it blocks
            profile = await asyncio.to_thread(profile_text, self.db, reply.profile_of)
            parts += [profile] if profile else []
        text = "\n\n".join(parts)
        print(f"[for {address}]\n{text}\n", file=self.out, flush=True)
        return "sent"


def profile_text(db: storage.Database, person_id: int) -> str | None:
    """The person's plain-text profile, as the terminal shows it at the end of a plan (None
    if they were erased)."""
    profile = profile_of(db, person_id)
    return render_text(profile) if profile is not None else None


class TerminalChat(Channel):
    """A conversation over a text stream (stdin/stdout, or any pair of streams in tests)."""

    name = CHANNEL

    def __init__(
        self,
        db: storage.Database,
        settings: Settings,
        *,
        address: str,
        person: str | None = None,
        out: TextIO | None = None,
        prompt: str = "",
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(db, settings, clock=clock)
        self.address = address
        self.person = person
        self.out = out or sys.stdout
        self.prompt = prompt
        self.outbox = OutboxSender(
            db, [TerminalSender(self.out, db=db)], clock=self.clock, address=address
        )

    def profile_hook(self, person_id: int, flow: str) -> list[Reply]:
        """The plain-text one-page profile (or review sheet), shown when a flow is finished;
        after "send me my data", everything kept, on this screen (the person is here)."""
        if flow == MY_DATA:
            return self._my_data(person_id)
        profile = document_of(self.db, person_id, flow)
        return [Reply(text=render_text(profile), kind="profile")] if profile else []

    def _my_data(self, person_id: int) -> list[Reply]:
        with self.db.transaction() as session:
            person = storage.person_by_id(session, person_id)
            if person is None:
                return []
            data, name = storage.export_json(session, person), storage.person_name(person)
        tip = self.engine.script.message("my_data_here", name=name or "")
        return [Reply(text=data, kind="profile"), Reply(text=tip)]

    def _send(self, text: str, opening: bool = False) -> list[Reply]:
        incoming = Incoming(
            channel=CHANNEL,
            address=self.address,
            message_id=uuid.uuid4().hex,
            text=text,
            person=self.person,
            opening=opening,
        )
        self.person = None  # the first message only: then as a phone
        replies = self.engine.handle(incoming)
        for reply in replies:
            print(format_reply(reply), file=self.out)
        print(file=self.out, flush=True)
        asyncio.run(self.outbox.send_due())  # what is due for this address
        return replies

    def open(self) -> list[Reply]:
        """Let planbot speak first: a welcome, or "welcome back" and the current question."""
        return self._send("", opening=True)

    def say(self, line: str) -> list[Reply]:
        """Send one line as one message and print the replies."""
        return self._send(line.rstrip("\n"))

    def run(
        self, lines: Iterable[str], until: Callable[[list[Reply]], bool] | None = None
    ) -> list[Reply]:
        """Open the chat, then send each line until they run out (EOF or Ctrl-D), or until
        ``until`` says the replies end it (the demo stops once the profile is given).

        Returns the replies to the last line.
        """
        replies = self.open()
        for line in _prompted(lines, self.prompt, self.out):
            if self.prompt:
                print(file=self.out)
            replies = self.say(line)
            if until is not None and until(replies):
                break
        return replies


def _prompted(lines: Iterable[str], prompt: str, out: TextIO) -> Iterable[str]:
    iterator = iter(lines)
    while True:
        if prompt:
            print(prompt, end="", file=out, flush=True)
        try:
            yield next(iterator)
        except StopIteration:
            return
