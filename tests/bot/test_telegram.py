"""Telegram: the real python-telegram-bot Application against a fake Bot API on 127.0.0.1.

Updates are real Update JSON; what the bot sends is read from the fake server's records.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram import Update

import storage
from bot.telegram.channel import TelegramApp, TelegramChannel, split_text
from bot.web.app import check_settings, create_app
from planbot.settings import Settings
from tests.auxil.fake_telegram import (
    TOKEN,
    FakeBotApi,
    fake_bot_api,
    make_button_update,
    make_message_update,
    make_photo_update,
    make_text_update,
    planbot_telegram,
)
from tests.auxil.photos import CAMERA, gps_of, jpeg
from tests.auxil.twilio import PNG_BYTES, PUBLIC_URL, make_settings
from tests.conftest import Clock

CHAT = 4242
SECRET = "webhook-secret-for-tests"
PHOTO_QUESTION = "Would you like a photo of you on your profile?"
FIRST_TOPIC = "What do people like about you?"


@pytest.fixture
def fake() -> Iterator[FakeBotApi]:
    with fake_bot_api() as server:
        yield server


def telegram_settings(folder: Path, fake: FakeBotApi, **extra: str) -> Settings:
    return make_settings(
        folder,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        PLANBOT_TELEGRAM_API_URL=fake.url,
        **extra,
    )


class Bot:
    """The channel's real Application, fed updates as Telegram would."""

    def __init__(self, app: TelegramApp, fake: FakeBotApi) -> None:
        self.app, self.fake = app, fake

    async def send(self, update: dict[str, Any]) -> list[str]:
        """Process one update; return the texts the bot sent for it."""
        before = len(self.fake.texts())
        await self.app.process_update(Update.de_json(update, self.app.bot))
        return self.fake.texts()[before:]

    async def say(self, text: str, chat: int = CHAT) -> list[str]:
        return await self.send(make_text_update(chat, text))

    def button(self, value: str) -> str:
        """The data of the newest button the bot sent for ``value`` (what a tap sends back)."""
        for call in reversed(self.fake.sent()):
            for _label, data in buttons(call.fields):
                if data.rsplit("|", 1)[-1] == value:
                    return data
        raise AssertionError(f"no button for {value!r} was sent")

    async def press(self, value: str, chat: int = CHAT) -> list[str]:
        """Tap the newest button for ``value``."""
        return await self.send(make_button_update(chat, self.button(value)))


@pytest.fixture
async def bot(
    tmp_path: Path, fake: FakeBotApi, db: storage.Database, clock: Clock
) -> AsyncIterator[Bot]:
    channel = TelegramChannel(db, telegram_settings(tmp_path, fake), clock=clock)
    app = channel.application(polling=False)
    await app.initialize()
    try:
        yield Bot(app, fake)
    finally:
        await app.shutdown()


def joined(texts: list[str]) -> str:
    return "\n".join(texts)


def buttons(call_fields: dict[str, Any]) -> list[tuple[str, str]]:
    markup = call_fields.get("reply_markup") or {}
    return [
        (b["text"], b["callback_data"]) for row in markup.get("inline_keyboard", []) for b in row
    ]


async def agree(bot: Bot, name: str = "Dev") -> list[str]:
    """/start, Yes, "Me", a name: the photo question."""
    await bot.say("/start")
    await bot.press("yes")
    await bot.press("person")
    return await bot.say(name)


async def test_start_welcomes_and_asks_for_consent_with_buttons(bot: Bot) -> None:
    texts = await bot.say("/start")
    assert "Hello. I am planbot." in joined(texts)
    assert "Can I keep your answers safe" in texts[-1]
    last = bot.fake.sent()[-1].fields
    assert buttons(last) == [("Yes", "consent|yes"), ("No", "consent|no")]
    assert "parse_mode" not in last  # plain text: nothing typed is read as markup


async def test_a_button_press_answers_and_takes_the_buttons_away(bot: Bot) -> None:
    await bot.say("/start")
    texts = await bot.press("yes")
    assert "Who is typing?" in joined(texts)
    assert bot.fake.sent("answerCallbackQuery")
    assert bot.fake.sent("editMessageReplyMarkup")
    assert ("Family", "who|family") in buttons(bot.fake.sent()[-1].fields)


async def test_a_button_left_from_an_earlier_question_is_no_answer(
    bot: Bot, db: storage.Database
) -> None:
    await bot.say("/start")
    await bot.say("yes")  # typed, so the Yes/No buttons stay on screen
    family = bot.button("family")
    await bot.say("1")  # typed again: now at "What should I call you?"
    texts = await bot.send(make_button_update(CHAT, family))  # the old Family button
    assert texts[0] == "That button was for an earlier question. Here is the question now."
    assert "What should I call you?" in joined(texts)
    await bot.say("Dev")
    no_photo = bot.button("no")
    await bot.send(make_button_update(CHAT, no_photo))
    texts = await bot.send(make_button_update(CHAT, no_photo))  # a double tap
    assert texts[0].startswith("That button was for an earlier question.")
    assert FIRST_TOPIC in joined(texts)
    with db.transaction() as session:
        dev = storage.get_person(session, "Dev")
        assert storage.answers_for(session, dev) == []  # topic 1 was not skipped


async def test_groups_channels_and_service_messages_are_not_talked_to(
    bot: Bot, db: storage.Database
) -> None:
    group = make_text_update(-100123, "/start")
    group["message"]["chat"] = {"id": -100123, "type": "group", "title": "Friends"}
    assert await bot.send(group) == []
    post = {
        "update_id": 987654,
        "channel_post": {
            "message_id": 1,
            "date": 0,
            "text": "hi",
            "chat": {"id": -100777, "type": "channel"},
        },
    }
    assert await bot.send(post) == []
    joined_chat = make_message_update(
        CHAT, new_chat_members=[{"id": 9, "is_bot": False, "first_name": "Sam"}]
    )
    assert await bot.send(joined_chat) == []
    with db.transaction() as session:
        assert storage.find_address(session, "telegram", "-100123") is None
        assert storage.find_address(session, "telegram", str(CHAT)) is None


async def test_an_edited_message_says_how_to_change_an_answer(bot: Bot) -> None:
    await agree(bot)
    update = make_text_update(CHAT, "kind")
    update["edited_message"] = update.pop("message")
    update["edited_message"]["edit_date"] = update["edited_message"]["date"]
    texts = await bot.send(update)
    assert texts == [
        "I cannot see changes to a message. Please send it again. "
        "Say delete last to take away the old one."
    ]


async def test_typed_numbers_and_words_work_as_well_as_buttons(bot: Bot) -> None:
    await bot.say("/start")
    assert "Who is typing?" in joined(await bot.say("yes"))
    assert "What should I call you?" in joined(await bot.say("1"))


async def test_a_whole_conversation_ends_with_the_profile_files(
    tmp_path: Path, fake: FakeBotApi, db: storage.Database, clock: Clock
) -> None:
    settings = telegram_settings(tmp_path, fake, PLANBOT_TTS="espeak")
    app = TelegramChannel(db, settings, clock=clock).application(polling=False)
    await app.initialize()
    bot = Bot(app, fake)
    try:
        assert PHOTO_QUESTION in joined(await agree(bot))
        fake.add_file("photo-1", PNG_BYTES)
        texts = await bot.send(make_photo_update(CHAT, "photo-1", len(PNG_BYTES)))
        assert texts[0].startswith("Thank you. I have saved your photo.")
        assert "Is there anything else?" in joined(await bot.say("swimming, the pub"))
        texts = await bot.say("done")
        while "Do you want to change anything?" not in joined(texts):
            texts = await bot.say("done")
        assert "- swimming\n- the pub" in joined(texts)
        texts = await bot.press("no")
    finally:
        await app.shutdown()
    assert "Your profile is ready." in joined(texts)
    assert "All about Dev" in joined(texts)
    pdf = fake.sent("sendDocument")[-1]
    assert pdf.files["document"].startswith(b"%PDF")
    assert pdf.fields["caption"] == "Your profile, to print."
    assert fake.sent("sendPhoto")[-1].files["photo"].startswith(b"\x89PNG")
    voice = fake.sent("sendVoice")[-1]
    assert voice.files["voice"].startswith(b"OggS") and len(voice.files["voice"]) > 2000
    assert not (settings.data_dir / "telegram-outbox").exists()  # sent from memory
    with db.transaction() as session:
        dev = storage.get_person(session, "Dev")
        photo = storage.person_photo(session, dev)
        assert photo is not None and photo.data == PNG_BYTES
        assert [
            a.text for a in storage.answers_for(session, dev) if a.status == storage.ANSWER
        ] == [
            "swimming",
            "the pub",
        ]


async def test_a_repeated_update_stores_nothing_new(bot: Bot, db: storage.Database) -> None:
    await agree(bot)
    await bot.press("no")  # no photo
    update = make_text_update(CHAT, "kind, funny")
    first = await bot.send(update)
    second = await bot.send(update)
    assert first == second
    with db.transaction() as session:
        dev = storage.get_person(session, "Dev")
        assert [a.text for a in storage.answers_for(session, dev)] == ["kind", "funny"]


async def test_markup_and_html_are_stored_and_sent_back_as_plain_text(
    bot: Bot, db: storage.Database
) -> None:
    await agree(bot)
    await bot.press("no")
    texts = await bot.say("<b>bold</b> *stars* _under_ [link](http://x)")
    assert "- <b>bold</b> *stars* _under_ [link](http://x)" in joined(texts)
    assert all("parse_mode" not in c.fields for c in bot.fake.sent())
    with db.transaction() as session:
        dev = storage.get_person(session, "Dev")
        assert [a.text for a in storage.answers_for(session, dev)] == [
            "<b>bold</b> *stars* _under_ [link](http://x)"
        ]


async def test_commands_with_a_slash_work(bot: Bot) -> None:
    await agree(bot)
    await bot.press("no")
    await bot.say("kind")
    assert "I have deleted: kind" in joined(await bot.say("/delete_last"))
    assert PHOTO_QUESTION in joined(await bot.say("/back"))


async def test_a_sticker_or_music_file_where_words_were_needed(
    bot: Bot, db: storage.Database
) -> None:
    await agree(bot)
    await bot.press("no")
    sticker = {
        "file_id": "st1",
        "file_unique_id": "st1",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "type": "regular",
    }
    texts = await bot.send(make_message_update(CHAT, sticker=sticker))
    assert texts[0] == "Thank you for the picture. For this question, I need words."
    music = {"file_id": "au1", "file_unique_id": "au1", "duration": 3}
    texts = await bot.send(make_message_update(CHAT, audio=music))
    assert texts[0] == (
        "Thank you. I can only read words. Please write your answer, or ask someone to help."
    )
    assert FIRST_TOPIC in joined(texts)
    assert not bot.fake.sent("getFile")  # nothing was downloaded
    with db.transaction() as session:
        assert storage.answers_for(session, storage.get_person(session, "Dev")) == []


async def test_a_photo_on_telegram_is_kept_without_where_it_was_taken(
    bot: Bot, db: storage.Database
) -> None:
    sent = jpeg()  # with the camera's EXIF in it (Telegram passes on a photo sent as a file)
    assert gps_of(sent)
    assert PHOTO_QUESTION in joined(await agree(bot))
    bot.fake.add_file("photo-gps", sent)
    texts = await bot.send(make_photo_update(CHAT, "photo-gps", len(sent)))
    assert texts[0].startswith("Thank you. I have saved your photo.")
    with db.transaction() as session:
        photo = storage.person_photo(session, storage.get_person(session, "Dev"))
    assert photo is not None and photo.content_type == "image/jpeg"
    assert gps_of(photo.data) == {} and CAMERA.encode() not in photo.data


async def test_a_photo_is_only_downloaded_at_the_photo_question(bot: Bot) -> None:
    await agree(bot)
    await bot.press("no")
    bot.fake.add_file("photo-2", PNG_BYTES)
    texts = await bot.send(make_photo_update(CHAT, "photo-2", len(PNG_BYTES), caption="me"))
    assert texts[0].startswith("Thank you for the picture. To put a photo on your profile")
    assert "- me" in joined(texts)
    assert not bot.fake.sent("getFile")


async def test_a_photo_too_big_or_not_a_photo_gets_a_kind_answer(bot: Bot) -> None:
    assert PHOTO_QUESTION in joined(await agree(bot))
    texts = await bot.send(make_photo_update(CHAT, "huge", 6 * 1024 * 1024))
    assert texts[0] == "Sorry. That photo is too big for me. Please send a smaller photo."
    bot.fake.add_file("fake-jpeg", b"<html>not a picture</html>")
    texts = await bot.send(make_photo_update(CHAT, "fake-jpeg", 30))
    assert texts[0].startswith("Sorry. I can only keep a photo.")
    document = {"file_id": "doc1", "file_unique_id": "doc1", "mime_type": "application/pdf"}
    texts = await bot.send(make_message_update(CHAT, document=document))
    assert texts[0].startswith("Sorry. I can only keep a photo.")
    assert PHOTO_QUESTION in joined(texts)


async def test_a_reply_that_fails_to_send_never_asks_for_the_answer_again(
    bot: Bot, db: storage.Database
) -> None:
    await agree(bot)
    await bot.press("no")
    bot.fake.fail_once("sendMessage")
    texts = await bot.say("kind")
    assert not any("Sorry" in t for t in texts)  # the answer is stored: nothing to try again
    assert "- funny" in joined(await bot.say("funny"))
    with db.transaction() as session:
        dev = storage.get_person(session, "Dev")
        assert [a.text for a in storage.answers_for(session, dev)] == ["kind", "funny"]


async def test_an_error_gets_a_kind_answer(tmp_path: Path, fake: FakeBotApi) -> None:
    """The database is away: the person is told kindly, and the error is not lost."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    away = storage.Database(f"postgresql+psycopg://postgres@127.0.0.1:{port}/x?connect_timeout=2")
    app = TelegramChannel(away, telegram_settings(tmp_path, fake)).application(polling=False)
    await app.initialize()
    try:
        texts = await Bot(app, fake).say("/start")
    finally:
        await app.shutdown()
    assert texts == ["Sorry. Something went wrong. Please try again."]


def test_long_texts_are_cut_at_line_ends() -> None:
    text = "\n".join(f"line {n} " + "x" * 90 for n in range(100))
    parts = split_text(text)
    assert all(len(p) <= 4096 for p in parts) and len(parts) > 1
    assert "\n".join(parts) == text
    assert split_text("y" * 9000) == ["y" * 4096, "y" * 4096, "y" * 808]


# --- the webhook ------------------------------------------------------------------------


@pytest.fixture
async def web(
    tmp_path: Path, fake: FakeBotApi, db: storage.Database, clock: Clock
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(telegram_settings(tmp_path, fake), db, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
            yield client


async def test_the_webhook_answers_updates_with_the_secret(
    web: httpx.AsyncClient, fake: FakeBotApi
) -> None:
    update = make_text_update(CHAT, "/start")
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    response = await web.post("/telegram", json=update, headers=headers)
    assert response.status_code == 200
    assert "Can I keep your answers safe" in joined(fake.texts())


@pytest.mark.parametrize("secret", [None, "", "wrong-secret"])
async def test_the_webhook_refuses_a_missing_or_wrong_secret(
    web: httpx.AsyncClient, fake: FakeBotApi, db: storage.Database, secret: str | None
) -> None:
    headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
    response = await web.post("/telegram", json=make_text_update(CHAT, "/start"), headers=headers)
    assert response.status_code == 403
    assert fake.texts() == []
    with db.transaction() as session:
        assert storage.find_address(session, "telegram", str(CHAT)) is None


async def test_the_webhook_refuses_what_is_not_an_update(web: httpx.AsyncClient) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    for body in ("not json", "[1, 2]", json.dumps({"no": "update"})):
        response = await web.post("/telegram", content=body, headers=headers)
        assert response.status_code == 400, body


def test_a_token_without_a_webhook_secret_is_a_settings_problem(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN)
    assert any(p.startswith("TELEGRAM_WEBHOOK_SECRET is not set") for p in check_settings(settings))


# --- long polling: `planbot telegram` as a real process ------------------------------------


def test_planbot_telegram_answers_by_long_polling(tmp_path: Path, fake: FakeBotApi) -> None:
    with planbot_telegram(fake, tmp_path / "data") as output:
        fake.queue(make_text_update(CHAT, "/start"))
        fake.wait_for_text("Can I keep your answers safe")
        fake.queue(make_button_update(CHAT, "yes"))
        fake.wait_for_text("Who is typing?")
    assert TOKEN not in output.text  # the token is in every request URL: never in the log
    assert "listening on Telegram" in output.text


def test_planbot_telegram_without_a_token_says_what_to_do(tmp_path: Path) -> None:
    env = {**os.environ, "PLANBOT_DATA_DIR": str(tmp_path)}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    planbot = Path(sys.executable).with_name("planbot")
    done = subprocess.run([str(planbot), "telegram"], env=env, capture_output=True, text=True)
    assert done.returncode == 1
    assert "TELEGRAM_BOT_TOKEN is not set" in done.stderr
