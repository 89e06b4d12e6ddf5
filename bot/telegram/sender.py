"""The outbox's sender for Telegram: a queued reply as Bot API messages, buttons and all.

Why these outcomes: Telegram's "Forbidden" means the person blocked the bot, planbot's
opt-out on Telegram: it is stored (a new message from them opts them back in, as any
message on Telegram does) and nothing more goes. "Bad Request" (no such chat) never mends:
given up at once. Flood control, time-outs and a network gone are tried again later.
"""

from __future__ import annotations

import asyncio

from telegram import Bot
from telegram.error import BadRequest, Forbidden, TelegramError

import storage
from bot._outbox import Undeliverable
from bot.telegram.channel import CHANNEL, send_replies
from dialogues import Reply
from planbot.errors import ChannelError
from planbot.settings import Settings


def telegram_bot(settings: Settings) -> Bot:
    """A Bot API client for sending only (``planbot outbox --once``), at its API URL."""
    api = settings.telegram_api_url
    return Bot(
        settings.telegram_bot_token or "",
        base_url=f"{api}/bot",
        base_file_url=f"{api}/file/bot",
    )


class TelegramSender:
    """Delivers outbox messages through ``bot`` (the webhook's, or one of its own)."""

    channel = CHANNEL

    def __init__(self, bot: Bot, settings: Settings, db: storage.Database) -> None:
        self.bot = bot
        self.settings = settings
        self.db = db

    async def deliver(self, address: str, reply: Reply) -> str:
        try:
            chat_id = int(address)
        except ValueError as exc:
            raise Undeliverable("not a Telegram chat id") from exc
        try:
            await send_replies(self.bot, chat_id, [reply], self.settings)
        except Forbidden:
            await asyncio.to_thread(self._opted_out, address)
            return "opted_out"
        except BadRequest as exc:
            raise Undeliverable(f"Telegram refused the message ({type(exc).__name__})") from exc
        except TelegramError as exc:
            raise ChannelError(f"Telegram did not take the message ({type(exc).__name__})") from exc
        return "sent"

    def _opted_out(self, address: str) -> None:
        with self.db.transaction() as session:
            storage.set_opted_out(session, CHANNEL, address, True)
