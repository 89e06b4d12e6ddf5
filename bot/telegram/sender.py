"""The outbox's sender for Telegram: a queued reply as Bot API messages, buttons and all.

Why these outcomes: Telegram's "Forbidden" means the person blocked the bot, planbot's
opt-out on Telegram: it is stored (a new message from them opts them back in, as any
message on Telegram does) and nothing more goes. "Bad Request" (no such chat) never mends:
given up at once. Flood control, time-outs and a network gone are tried again later.

A reply with ``profile_of`` brings that person's profile after its words, as the end of a
plan does (text, PDF, picture, voice note: ``document_files``), made now, in a thread, so it
shows the answers as they are when it goes. A person erased meanwhile gets no profile: the
words alone go.
"""

from __future__ import annotations

import asyncio

from telegram import Bot
from telegram.constants import ChatAction
from telegram.error import BadRequest, Forbidden, TelegramError

import storage
from bot._outbox import Undeliverable
from bot.telegram.actions import ChatActions
from bot.telegram.channel import (
    CHANNEL,
    PROFILE_FILES,
    document_files,
    send_replies,
)
from dialogues import Reply, load_script
from easyread import profile_of
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
        profile: list[Reply] = []
        try:
            if reply.profile_of is not None:  # "sending a file..." while it is made
                async with ChatActions(self.bot, chat_id, ChatAction.UPLOAD_DOCUMENT):
                    profile = await asyncio.to_thread(self._profile, reply.profile_of)
            await send_replies(self.bot, chat_id, [reply, *profile], self.settings)
        except Forbidden:
            await asyncio.to_thread(self._opted_out, address)
            return "opted_out"
        except BadRequest as exc:
            raise Undeliverable(f"Telegram refused the message ({type(exc).__name__})") from exc
        except TelegramError as exc:
            raise ChannelError(f"Telegram did not take the message ({type(exc).__name__})") from exc
        return "sent"

    def _profile(self, person_id: int) -> list[Reply]:
        """The person's profile with its files, as the end of a plan gives it; none when the
        person was erased. Blocks (the database, renders): run in a thread."""
        profile = profile_of(self.db, person_id)
        if profile is None:
            return []
        caption = load_script().message  # the profile flow's "profile_pdf" and so on
        made = document_files(
            self.db, self.settings, profile, person_id, "profile", PROFILE_FILES, caption
        )
        return [made]

    def _opted_out(self, address: str) -> None:
        with self.db.transaction() as session:
            storage.set_opted_out(session, CHANNEL, address, True)
