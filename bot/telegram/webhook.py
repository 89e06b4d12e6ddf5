"""``POST /telegram``: updates Telegram pushes to the web app, checked, then handled.

Why apart from ``bot/web/app.py``: python-telegram-bot is an optional extra, loaded only when
TELEGRAM_BOT_TOKEN is set. Every update must carry the secret set with ``setWebhook``
(``X-Telegram-Bot-Api-Secret-Token``); anything else gets 403 and changes nothing. A body
that is not an update (not JSON, nested too deep, a shape python-telegram-bot cannot read)
gets 400, without a traceback.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Callable
from datetime import datetime

from fastapi import Request
from fastapi.responses import Response
from telegram import Update
from telegram.error import TelegramError

import storage
from bot.telegram.channel import TelegramChannel
from bot.web.body import read_body
from planbot.settings import Settings

log = logging.getLogger("planbot.telegram")

MAX_UPDATE_BYTES = 1024 * 1024  # an update is a few kilobytes
SECRET_HEADER = "x-telegram-bot-api-secret-token"


class TelegramWebhook(TelegramChannel):
    """The channel's ``Application`` without an updater: the web app hands it each update."""

    def __init__(
        self,
        db: storage.Database,
        settings: Settings,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(db, settings, clock=clock)
        self.app = self.application(polling=False)
        self.ready = False
        self._starting = asyncio.Lock()  # updates arriving together start it once

    async def start(self) -> None:
        """Start the ``Application`` (it asks Telegram who the bot is) and set the commands
        menu; until it has started, updates get 503 and Telegram sends them again later."""
        async with self._starting:
            if self.ready:
                return
            try:
                await self.app.initialize()
                await self.app.start()
                self.ready = True
                await self.set_menu(self.app.bot)
            except (TelegramError, OSError) as exc:
                log.error("telegram not started: %s", type(exc).__name__)

    async def stop(self) -> None:
        if self.ready:
            await self.app.stop()
            await self.app.shutdown()
            self.ready = False

    def _signed(self, request: Request) -> bool:
        secret = self.settings.telegram_webhook_secret or ""
        given = request.headers.get(SECRET_HEADER, "")
        return bool(secret) and hmac.compare_digest(given.encode(), secret.encode())

    async def handle(self, request: Request) -> Response:
        if not self._signed(request):
            log.warning("/telegram refused: missing or wrong secret token")
            return Response("Forbidden\n", status_code=403, media_type="text/plain")
        if not self.ready:
            await self.start()
            if not self.ready:
                return Response("Not ready, send again later.\n", status_code=503)
        body = await read_body(request, MAX_UPDATE_BYTES)
        if body is None:
            return Response("Too big.\n", status_code=413)
        try:
            data = json.loads(body)
            update = Update.de_json(data, self.app.bot) if isinstance(data, dict) else None
        except Exception:  # not JSON, nested too deep (RecursionError), a date no clock can
            # hold (OverflowError, OSError), wrong types: not an update
            update = None
        if update is None or not _ids_are_numbers(update):
            return Response("Send an update from Telegram.\n", status_code=400)
        await self.app.process_update(update)
        return Response(status_code=200)


def _ids_are_numbers(update: Update) -> bool:
    """Whether the chat and user ids are whole numbers, as Telegram's always are.

    python-telegram-bot takes the JSON's types as they come, and a list for an id stops it
    with a TypeError (it keeps the ids in a set): such an update is refused, not processed.
    """
    ids = [update.update_id]
    if update.effective_chat is not None:
        ids.append(update.effective_chat.id)
    if update.effective_user is not None:
        ids.append(update.effective_user.id)
    return all(type(i) is int for i in ids)
