"""No message text, number, chat id or token in any log, at any level, from any library.

Whole conversations run on every channel (the terminal, SMS through the web app with Twilio
answered at the HTTP layer, Telegram through its webhook and the real python-telegram-bot
against the fake Bot API), with planbot's logging set up as ``planbot serve`` sets it up and
then every logger turned to DEBUG, as an operator hunting a problem might. What the log
handler writes is searched for every word, number and secret the conversations carried.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import storage
from bot._logging import LOG_FORMAT, OnlyOurs, setup_logging
from bot.terminal import TerminalChat
from bot.web.app import create_app
from planbot.settings import Settings
from tests.auxil.fake_telegram import (
    TOKEN,
    FakeBotApi,
    fake_bot_api,
    make_button_update,
    make_text_update,
)
from tests.auxil.photos import jpeg
from tests.auxil.twilio import (
    AUTH_TOKEN,
    PUBLIC_URL,
    Texter,
    fake_twilio,
    make_settings,
    media_url,
)
from tests.bot.test_sms_conversation import consent, finish, link_in
from tests.conftest import Clock

NAME = "Quillon"
WORDS = ("zanzibarflute", "marmalistic", "plonkeroo")
NUMBER = "+12025550177"  # a US number, where photos come by MMS
CHAT = 987654321
SECRET = "webhook-secret-quillon-0451"


@pytest.fixture
def written_logs() -> Iterator[io.StringIO]:
    """What a log handler writes, with planbot's set-up, then every logger at DEBUG."""
    written = io.StringIO()
    handler = logging.StreamHandler(written)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger()
    loggers = [root, *(logging.getLogger(n) for n in list(logging.root.manager.loggerDict))]
    levels = {logger: logger.level for logger in loggers}
    root.addHandler(handler)
    setup_logging()
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    try:
        yield written
    finally:
        root.removeHandler(handler)
        for logger, level in levels.items():
            logger.setLevel(level)
        for other in root.handlers:  # pytest's own handlers live on after this test
            for found in [f for f in other.filters if isinstance(f, OnlyOurs)]:
                other.removeFilter(found)


def every_setting(tmp_path: Path, fake: FakeBotApi) -> Settings:
    return make_settings(
        tmp_path,
        PLANBOT_TTS="espeak",
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        PLANBOT_TELEGRAM_API_URL=fake.url,
    )


def terminal_plan(db: storage.Database, settings: Settings) -> None:
    chat = TerminalChat(db, settings, address="quillon-at-home", person=NAME, out=io.StringIO())
    chat.open()
    for line in ("yes", "1", ", ".join(WORDS), "delete last", "my answers", "done"):
        chat.say(line)


async def sms_plan(client: httpx.AsyncClient, app: Any) -> list[str]:
    """A whole plan by SMS, with a photo; the link tokens it was given."""
    texter = Texter(client, number=NUMBER, country="US")
    with fake_twilio() as twilio:
        twilio.add_media(media_url(77), jpeg(), "image/jpeg")
        await consent(texter, NAME)
        await texter.send("", media=[(media_url(77), "image/jpeg")])
        for word in WORDS:
            await texter.send(word)
        await texter.send("delete last")
        link = link_in(await texter.send("PROFILE"))
        for suffix in ("", ".pdf", ".mp3", ".txt"):
            assert (await client.get(link + suffix)).status_code == 200
        await texter.send("STOP LINK")
        await finish(texter)
        await app.state.outbox.send_due()
        await texter.send("STOP")
        await texter.send("START")
    sent = [m["Body"] for m in twilio.sent]
    tokens = [w.rsplit("/", 1)[-1] for b in sent for w in b.split() if f"{PUBLIC_URL}/p/" in w]
    return [link.removeprefix("/p/"), *tokens]


async def telegram_plan(client: httpx.AsyncClient, fake: FakeBotApi) -> None:
    """A whole plan through the Telegram webhook, with voice notes on."""
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}

    async def send(update: dict[str, Any]) -> None:
        assert (await client.post("/telegram", json=update, headers=headers)).status_code == 200

    def button(value: str) -> dict[str, Any]:
        for call in reversed(fake.sent()):
            markup = call.fields.get("reply_markup") or {}
            for row in markup.get("inline_keyboard", []):
                for key in row:
                    if key["callback_data"].rsplit("|", 1)[-1] == value:
                        return make_button_update(CHAT, key["callback_data"])
        raise AssertionError(f"no button for {value!r}")

    await send(make_text_update(CHAT, "/start"))
    await send(make_text_update(CHAT, "/voice"))
    await send(button("yes"))
    await send(button("person"))
    await send(make_text_update(CHAT, NAME))
    await send(button("no"))  # no photo
    await send(make_text_update(CHAT, ", ".join(WORDS)))
    await send(make_text_update(CHAT, "/delete_last"))
    for _ in range(9):
        await send(make_text_update(CHAT, "done"))
        if any("Do you want to change anything?" in t for t in fake.texts()):
            break
    await send(button("no"))
    assert any("Your profile is ready." in t for t in fake.texts())
    assert fake.sent("sendDocument") and fake.sent("sendVoice")


async def test_whole_conversations_on_every_channel_log_nothing_personal(
    tmp_path: Path, clock: Clock, written_logs: io.StringIO
) -> None:
    with fake_bot_api() as fake:
        settings = every_setting(tmp_path, fake)
        db = storage.open_database(settings.database_url)
        try:
            await asyncio.to_thread(terminal_plan, db, settings)  # it runs its own loop
            app = create_app(settings, db, clock=clock)
            async with app.router.lifespan_context(app):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
                    tokens = await sms_plan(client, app)
                    await telegram_plan(client, fake)
        finally:
            db.dispose()

    logged = written_logs.getvalue()
    assert "planbot." in logged  # the handler wrote planbot's own lines: it was listening
    secrets = {
        NAME,
        *WORDS,
        NUMBER,
        NUMBER.removeprefix("+1"),
        str(CHAT),
        TOKEN,
        TOKEN.split(":")[1],
        AUTH_TOKEN,
        SECRET,
        *tokens,
    }
    assert len(tokens) >= 2
    assert {s for s in secrets if s in logged} == set()
