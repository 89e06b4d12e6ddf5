"""The person's right to a copy of everything kept ("send me my data"), on each channel: by
SMS a private link to /d/<token> (a day; it opens the data and nothing else, and no profile
link opens the data); on Telegram a JSON file through the fake Bot API; in the terminal on
the screen. Only the plan's holder can ask."""

from __future__ import annotations

import io
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import httpx

import storage
from bot.telegram.channel import TelegramChannel
from bot.terminal import TerminalChat
from planbot.settings import Settings
from tests.auxil.fake_telegram import FakeBotApi, fake_bot_api, make_text_update
from tests.auxil.twilio import PUBLIC_URL, Texter, new_sid
from tests.bot.test_replays import rows
from tests.bot.test_sms_conversation import consent, counts
from tests.bot.test_telegram import CHAT, agree, joined, telegram_settings
from tests.bot.test_telegram import Bot as TelegramBot
from tests.conftest import Clock

LINK = re.compile(re.escape(PUBLIC_URL) + r"/d/([A-Za-z0-9_-]+)")


def _link(bodies: list[str]) -> str:
    found = LINK.search("\n".join(bodies))
    assert found, bodies
    return found.group(1)


async def test_by_sms_a_private_link_opens_everything_kept_for_a_day(
    texter: Texter, client: httpx.AsyncClient, db: storage.Database, clock: Clock
) -> None:
    await consent(texter)
    await texter.send("kind, funny")
    sid = new_sid()
    bodies = await texter.send("send me my data", sid=sid)
    joined = "\n".join(bodies)
    assert joined.index("Here is everything I keep about you.") < joined.index("/d/")
    assert "It works for 1 day. Do not share it." in joined
    assert joined.rstrip().endswith("Say done when you have finished.")  # then the question
    token = _link(bodies)

    page = await client.get(f"/d/{token}")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("application/json")
    assert "attachment" in page.headers["content-disposition"]
    assert page.headers["cache-control"].startswith("no-store")
    data = json.loads(page.text)
    assert data["person"]["name"] == "Dev"
    assert [a["text"] for a in data["answers"]] == ["kind", "funny"]
    assert (await client.get(f"/p/{token}")).status_code == 404  # a data link opens no page

    again = await texter.send("send me my data", sid=sid)  # Twilio retries the text
    assert again == bodies  # the same answer, with the same link
    assert (await client.get(f"/d/{token}")).status_code == 200  # which still works
    with db.transaction() as session:
        (dev,) = storage.find_people(session, "Dev")
        assert [a.text for a in storage.answers_for(session, dev)] == ["kind", "funny"]
        profile_token = storage.new_link(session, dev, days=30, now=clock())
    assert (await client.get(f"/d/{profile_token}")).status_code == 404  # nor a profile link

    clock.advance(days=1, minutes=1)
    assert (await client.get(f"/d/{token}")).status_code == 404


async def sam_lets_in(texter: Texter, client: httpx.AsyncClient) -> Texter:
    """Dev (agreed, at a topic) invites Sam, Sam joins by SMS and Dev says yes: Sam's phone."""
    invite = "\n".join(await texter.send("invite"))
    code = invite.split("JOIN ", 1)[1][:6]
    sam = Texter(client, number="+447700900456")
    for text in (f"join {code}", "yes", "Sam", "friend"):
        await sam.send(text)
    await texter.send("done")
    await texter.send("yes")  # Dev says yes to Sam
    await sam.send("hello")
    return sam


async def test_only_the_holder_gets_the_data(texter: Texter, client: httpx.AsyncClient) -> None:
    await consent(texter)
    sam = await sam_lets_in(texter, client)
    bodies = await sam.send("send me my data")
    assert "Only Dev can ask for everything in this plan." in "\n".join(bodies)
    assert "/d/" not in "\n".join(bodies)


def test_in_the_terminal_the_data_is_shown(
    db: storage.Database, settings: Settings, clock: Clock
) -> None:
    out = io.StringIO()
    chat = TerminalChat(db, settings, address="me", out=out, clock=clock)
    chat.run(["yes", "1", "Dev", "swimming", "send me my data"])
    shown = out.getvalue()
    start = shown.index("Here is everything I keep about you.")
    data = json.loads(shown[shown.index("{", start) : shown.index("\n}", start) + 2])
    assert [a["text"] for a in data["answers"]] == ["swimming"]
    assert "planbot export Dev" in shown[start:]


@asynccontextmanager
async def swimmer_on_telegram(
    tmp_path: Path, db: storage.Database, clock: Clock
) -> AsyncIterator[tuple[TelegramBot, FakeBotApi, Settings]]:
    """A Telegram chat through the real Application and the fake Bot API, agreed and with
    one thing said ("swimming")."""
    with fake_bot_api() as fake:
        settings = telegram_settings(tmp_path, fake)
        app = TelegramChannel(db, settings, clock=clock).application(polling=False)
        await app.initialize()
        try:
            bot = TelegramBot(app, fake)
            await agree(bot)
            await bot.say("no")  # no photo
            await bot.say("swimming")
            yield bot, fake, settings
        finally:
            await app.shutdown()


def test_a_day_is_how_long_a_data_link_works() -> None:
    assert timedelta(days=storage.DATA_LINK_DAYS) == timedelta(days=1)


async def test_on_telegram_the_data_comes_as_a_file(
    tmp_path: Path, db: storage.Database, clock: Clock
) -> None:
    async with swimmer_on_telegram(tmp_path, db, clock) as (bot, fake, settings):
        texts = await bot.say("/my_data")
    assert "Here is everything I keep about you." in joined(texts)
    (sent,) = fake.sent("sendDocument")
    assert sent.fields["caption"] == "Everything I keep about you, in one file."
    data = json.loads(sent.files["document"])
    assert [a["text"] for a in data["answers"]] == ["swimming"]
    assert not (settings.data_dir / "telegram-outbox").exists()  # sent from memory


async def test_on_telegram_a_repeated_update_stores_nothing_new(
    tmp_path: Path, db: storage.Database, clock: Clock
) -> None:
    """Telegram sends an update again when it did not hear that the first arrived: the same
    words and the same file go to the person's own chat (never to whoever sent the update),
    and nothing new is kept: no event, no message, no file left in the outbox."""
    async with swimmer_on_telegram(tmp_path, db, clock) as (bot, fake, settings):
        update = make_text_update(CHAT, "/my_data")
        first = await bot.send(update)
        before = counts(db), rows(db, storage.AuditEvent)
        again = await bot.send(update)
    assert again == first
    assert (counts(db), rows(db, storage.AuditEvent)) == before
    files = fake.sent("sendDocument")
    assert len(files) == 2 and {str(f.fields["chat_id"]) for f in files} == {str(CHAT)}
    assert files[0].files["document"] == files[1].files["document"]
    assert not (settings.data_dir / "telegram-outbox").exists()  # sent from memory
