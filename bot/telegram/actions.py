"""Telegram's "typing..." (and "sending a file...") while planbot works on a reply.

Why a task: Telegram shows a chat action for 5 seconds, or until the bot's next message.
Making a PDF or a voice note takes longer, so the action is sent again every few seconds
until the work is done. The engine runs in a worker thread; it changes the action (to
``upload_document`` while the PDF is made) through ``current()``, which the thread sees
because ``asyncio.to_thread`` carries context variables over.

The last action is always waited for before the replies go: an action that reached
Telegram after the reply would show "typing..." under an answer already given.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from contextvars import ContextVar
from types import TracebackType

from telegram import Bot
from telegram.constants import ChatAction
from telegram.error import TelegramError

log = logging.getLogger("planbot.telegram")

AGAIN_AFTER = 4.0  # seconds: Telegram shows an action for 5
_CURRENT: ContextVar[ChatActions | None] = ContextVar("planbot_chat_actions", default=None)


class ChatActions:
    """Shows one chat action in a chat, again and again, until the block ends."""

    def __init__(self, bot: Bot, chat_id: int, action: str = ChatAction.TYPING) -> None:
        self.bot, self.chat_id, self.action = bot, chat_id, action
        self._changed = asyncio.Event()
        self._done = False
        self._loop = asyncio.get_running_loop()
        self._task: asyncio.Task[None] | None = None

    def show(self, action: str) -> None:
        """Show ``action`` now instead (safe to call from the engine's worker thread)."""
        if action == self.action:
            return
        self.action = action
        self._loop.call_soon_threadsafe(self._changed.set)

    async def _run(self) -> None:
        while not self._done:
            self._changed.clear()
            try:
                await self.bot.send_chat_action(self.chat_id, self.action)
            except TelegramError as exc:  # only a nicety: never stop the reply for it
                log.info("chat action not sent: %s", type(exc).__name__)
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), AGAIN_AFTER)

    async def __aenter__(self) -> ChatActions:
        self._token = _CURRENT.set(self)
        self._task = asyncio.create_task(self._run())
        await asyncio.sleep(0)  # let the first action go before the work starts
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        _CURRENT.reset(self._token)
        self.stop()
        if self._task is not None:
            await self._task  # an action on its way arrives before the reply does

    def stop(self) -> None:
        self._done = True
        self._loop.call_soon_threadsafe(self._changed.set)


def current() -> ChatActions | None:
    """The chat actions of the reply being worked on, if any (from the engine's thread too)."""
    return _CURRENT.get()
