"""The rate limit per chat on Telegram, by the webhook (``/telegram`` through the real app) and
by long polling (``planbot telegram`` as a real process): a flood from one chat is not read or
kept and gets one warning; another chat is answered as usual.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

import storage
from bot.web.app import create_app
from dialogues import load_script
from tests.auxil.fake_telegram import (
    FakeBotApi,
    fake_bot_api,
    make_button_update,
    make_text_update,
    planbot_telegram,
)
from tests.auxil.twilio import PUBLIC_URL
from tests.bot.test_telegram import SECRET, telegram_settings
from tests.conftest import Clock

FLOODER, OTHER = 6666, 4242
TOO_FAST = load_script().message("too_fast")
TOO_MANY_TODAY = load_script().message("too_many_today")
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}


@pytest.fixture
def fake() -> Iterator[FakeBotApi]:
    with fake_bot_api() as server:
        yield server


@pytest.fixture
async def web(
    tmp_path: Path, fake: FakeBotApi, db: storage.Database, clock: Clock
) -> AsyncIterator[httpx.AsyncClient]:
    """The web app with Telegram on and the limits a deployment has (its defaults)."""
    settings = telegram_settings(
        tmp_path, fake, PLANBOT_MESSAGES_PER_MINUTE="", PLANBOT_MESSAGES_PER_DAY=""
    )
    app = create_app(settings, db, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
            yield client


def texts_to(fake: FakeBotApi, chat: int) -> list[str]:
    return [str(c.fields["text"]) for c in fake.sent() if int(c.fields["chat_id"]) == chat]


def processed(db: storage.Database, prefix: str) -> int:
    """How many messages whose id starts with ``prefix`` were handled and kept."""
    with db.transaction() as session:
        ids = session.exec(select(storage.ProcessedMessage.message_id)).all()
    return sum(1 for i in ids if i.startswith(prefix))


def button(fake: FakeBotApi, chat: int, value: str) -> str:
    """The data of the newest button sent to ``chat`` for ``value`` (what a tap sends)."""
    for call in reversed(fake.sent()):
        rows = (call.fields.get("reply_markup") or {}).get("inline_keyboard", [])
        for data in (b["callback_data"] for row in rows for b in row):
            if int(call.fields["chat_id"]) == chat and data.rsplit("|", 1)[-1] == value:
                return str(data)
    raise AssertionError(f"no button for {value!r}")


async def test_a_flood_to_the_webhook_from_one_chat_gets_one_warning(
    web: httpx.AsyncClient, fake: FakeBotApi, db: storage.Database
) -> None:
    async def say(chat: int, text: str) -> None:
        update = make_text_update(chat, text)
        assert (await web.post("/telegram", json=update, headers=HEADERS)).status_code == 200

    async def press(chat: int, value: str) -> None:
        update = make_button_update(chat, button(fake, chat, value))
        assert (await web.post("/telegram", json=update, headers=HEADERS)).status_code == 200

    await say(OTHER, "/start")
    await say(FLOODER, "/start")
    await press(FLOODER, "yes")
    await press(FLOODER, "person")
    await say(FLOODER, "Flo")
    await say(FLOODER, "no")  # no photo: the first topic
    for n in range(15):  # 20 messages in this minute
        await say(FLOODER, f"thing {n}")
    read = len(texts_to(fake, FLOODER))
    for n in range(40):  # over the limit: messages and button presses alike
        if n % 3 == 0:
            await web.post(
                "/telegram", json=make_button_update(FLOODER, "consent|yes"), headers=HEADERS
            )
        else:
            await say(FLOODER, f"flood {n}")
    assert texts_to(fake, FLOODER)[read:] == [TOO_FAST]  # one warning, and nothing else
    with db.transaction() as session:
        kept = [a.text for a in storage.answers_for(session, storage.get_person(session, "Flo"))]
    assert kept == [f"thing {n}" for n in range(15)]
    assert processed(db, "button:") == 2  # the two presses before the limit
    await press(OTHER, "yes")  # the other chat goes on as usual
    assert "Who is typing?" in "\n".join(texts_to(fake, OTHER))


def wait_until(check: Callable[[], object], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


@pytest.mark.slow
def test_long_polling_keeps_the_limit_and_logs_no_transitions(
    tmp_path: Path, fake: FakeBotApi
) -> None:
    """``planbot telegram``: the day's limit is 3 here (a day does not end in a test)."""
    with planbot_telegram(
        fake, tmp_path / "data", PLANBOT_MESSAGES_PER_DAY="3", PLANBOT_MESSAGES_PER_MINUTE="50"
    ) as output:
        for n in range(8):
            fake.queue(make_text_update(FLOODER, "/start" if n == 0 else f"hello {n}"))
        fake.queue(make_text_update(OTHER, "/start"))
        fake.wait_for_text(TOO_MANY_TODAY)
        fake.wait_for_text("Can I keep your answers safe")
        fake.queue(make_button_update(OTHER, "consent|yes"))  # a change of state
        wait_until(lambda: "Who is typing?" in "\n".join(texts_to(fake, OTHER)))
        time.sleep(0.5)  # anything more for the flooder would have come by now
    flooder = texts_to(fake, FLOODER)
    assert flooder.count(TOO_MANY_TODAY) == 1 and flooder[-1] == TOO_MANY_TODAY
    assert "Can I keep your answers safe" in "\n".join(texts_to(fake, OTHER))
    with sqlite3.connect(tmp_path / "data" / "planbot.sqlite3") as conn:
        kept = conn.execute("SELECT count(*) FROM processed_message").fetchone()[0]
    # Message ids are keyed hashes (they hold the chat id): count them all. The flooder's
    # first 3, and the other chat's /start and button press.
    assert kept == 3 + 2
    # Every state change used to log two lines of the transitions library at INFO.
    assert "transitions" not in output.text, output.text
    assert "over the rate limit, warned" in output.text  # planbot's own warning stays


async def test_past_the_limit_a_repeated_update_gets_its_same_answer(
    web: httpx.AsyncClient, fake: FakeBotApi, db: storage.Database
) -> None:
    """Telegram sends an update again when it did not hear back: one that was answered before
    the flood is answered the same after it (not held back as flood), and nothing new is
    kept."""

    async def send(update: dict[str, object]) -> list[str]:
        before = len(texts_to(fake, FLOODER))
        assert (await web.post("/telegram", json=update, headers=HEADERS)).status_code == 200
        return texts_to(fake, FLOODER)[before:]

    await send(make_text_update(FLOODER, "/start"))
    await send(make_button_update(FLOODER, button(fake, FLOODER, "yes")))
    await send(make_button_update(FLOODER, button(fake, FLOODER, "person")))
    await send(make_text_update(FLOODER, "Flo"))
    no_photo = make_button_update(FLOODER, button(fake, FLOODER, "no"))
    first_press = await send(no_photo)
    earlier = make_text_update(FLOODER, "thing 0")
    first = await send(earlier)
    assert first[0].startswith("Thank you. I have saved:")
    flood = [await send(make_text_update(FLOODER, f"flood {n}")) for n in range(30)]
    read = flood.index([TOO_FAST])  # then the limit: one warning, and nothing read
    assert read > 0 and not any(flood[read + 1 :])
    kept = processed(db, ""), answers(db)
    assert kept[1] == 1 + read
    assert await send(earlier) == first  # the same answer, not held back
    assert await send(no_photo) == first_press
    assert (processed(db, ""), answers(db)) == kept  # nothing new kept


def answers(db: storage.Database) -> int:
    with db.transaction() as session:
        return len(storage.answers_for(session, storage.get_person(session, "Flo")))
