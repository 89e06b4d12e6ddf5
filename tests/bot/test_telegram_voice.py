"""Telegram finished: the commands menu, "typing...", /voice, and voice notes kept as answers.

The real python-telegram-bot Application talks to the fake Bot API on 127.0.0.1; voice notes
are real OGG/Opus made by the offline speech engine (eSpeak NG) and measured, not made-up
bytes. Profile pages and their sound are fetched through the real web app.
"""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import soundfile as sf
from sqlmodel import select

import storage
from bot.telegram.channel import TelegramApp, TelegramChannel, menu_commands
from bot.web.app import create_app
from dialogues import load_script
from planbot.settings import Settings
from tests.auxil.fake_telegram import (
    FakeBotApi,
    fake_bot_api,
    make_button_update,
    make_text_update,
    make_voice_update,
    planbot_telegram,
)
from tests.auxil.twilio import PUBLIC_URL
from tests.bot.test_telegram import CHAT, SECRET, Bot, agree, joined, telegram_settings
from tests.bot.test_terminal import run_planbot
from tests.conftest import Clock

FIRST_TOPIC = "What do people like about you?"
SAVED = "Thank you. I have saved your voice note."
NOT_HERE = (
    "Thank you for the voice note. I cannot keep one for this question. "
    "Please write, or press a button."
)


@pytest.fixture
def fake() -> Iterator[FakeBotApi]:
    with fake_bot_api() as server:
        yield server


@pytest.fixture
def voice_settings(tmp_path: Path, fake: FakeBotApi) -> Settings:
    return telegram_settings(tmp_path, fake, PLANBOT_TTS="espeak")


async def started(channel: TelegramChannel, fake: FakeBotApi) -> tuple[TelegramApp, Bot]:
    app = channel.application(polling=False)
    await app.initialize()
    return app, Bot(app, fake)


@pytest.fixture
async def bot(
    voice_settings: Settings, fake: FakeBotApi, db: storage.Database, clock: Clock
) -> AsyncIterator[Bot]:
    app, driven = await started(TelegramChannel(db, voice_settings, clock=clock), fake)
    try:
        yield driven
    finally:
        await app.shutdown()


@pytest.fixture(scope="module")
def voice_note(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, float]:
    """A real OGG/Opus voice note, spoken by eSpeak NG, and its measured length."""
    from easyread.speech import speak_question

    folder = tmp_path_factory.mktemp("voice")
    settings = Settings.from_env({"PLANBOT_DATA_DIR": str(folder / "data")})
    result = speak_question(
        "She is kind.\nShe makes me laugh.", folder / "note.ogg", engine="espeak", settings=settings
    )
    data = result.path.read_bytes()
    seconds = float(sf.info(io.BytesIO(data)).duration)
    assert data.startswith(b"OggS") and 1.0 < seconds < 10.0
    return data, seconds


async def send_voice(bot: Bot, data: bytes, file_id: str = "voice-1") -> list[str]:
    bot.fake.add_file(file_id, data, folder="voice")
    # The app claims 99 seconds: planbot measures the sound itself.
    return await bot.send(make_voice_update(CHAT, file_id, len(data), duration=99))


def voice_rows(db: storage.Database) -> list[storage.VoiceNote]:
    from sqlmodel import select

    with db.transaction() as session:
        return list(session.exec(select(storage.VoiceNote)))


# --- the commands menu ---------------------------------------------------------------------


def test_the_menu_comes_from_messages_toml_in_its_order() -> None:
    commands = menu_commands(load_script().messages)
    names = [c.command for c in commands]
    assert names[:2] == ["start", "help"]
    assert {"voice", "my_answers", "delete_last", "restart", "skip", "back"} <= set(names)
    assert all(1 <= len(c.description) <= 256 for c in commands)
    by_name = {c.command: c.description for c in commands}
    assert by_name["voice"] == "Hear each question as a voice note, or stop"
    # Planning together: /remove needs a name after it, and its words say so.
    assert names.index("invite") < names.index("who_can_see") < names.index("remove")
    assert by_name["who_can_see"] == "See who can see your plan"
    assert "remove and their name, like remove Sam" in by_name["remove"]


async def test_the_webhook_app_sets_the_menu_at_start(
    tmp_path: Path, fake: FakeBotApi, db: storage.Database, clock: Clock
) -> None:
    app = create_app(telegram_settings(tmp_path, fake), db, clock=clock)
    async with app.router.lifespan_context(app):
        calls = fake.sent("setMyCommands")
        assert len(calls) == 1
        menu = calls[0].fields["commands"]
        assert [c["command"] for c in menu] == [
            c.command for c in menu_commands(load_script().messages)
        ]
        assert {
            "command": "voice",
            "description": "Hear each question as a voice note, or stop",
        } in menu
        assert {"invite", "who_can_see", "remove"} <= {c["command"] for c in menu}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as web:
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            response = await web.post(
                "/telegram", json=make_text_update(CHAT, "/start"), headers=headers
            )
    assert response.status_code == 200
    assert len(fake.sent("setMyCommands")) == 1  # once at start, not for each update


async def test_the_planning_together_menu_commands_work_when_tapped(
    bot: Bot, db: storage.Database
) -> None:
    """A tap on a menu command sends it alone: /remove with no name shows who can see the
    plan and how to remove someone (never a thing saved)."""
    await agree(bot)
    await bot.press("no")  # no photo: now at the first topic
    invited = joined(await bot.say("/invite"))
    assert "Here is a code for your supporter" in invited and "send JOIN" in invited
    assert "Only you can see your plan." in joined(await bot.say("/who_can_see"))
    removing = joined(await bot.say("/remove"))
    assert "Only you can see your plan." in removing
    assert FIRST_TOPIC in removing  # then the question again
    with db.transaction() as session:
        assert list(session.exec(select(storage.Answer))) == []


def test_planbot_telegram_sets_the_menu_when_long_polling_starts(
    tmp_path: Path, fake: FakeBotApi
) -> None:
    with planbot_telegram(fake, tmp_path / "data"):
        fake.queue(make_text_update(CHAT, "/start"))
        fake.wait_for_text("Can I keep your answers safe")
    menu = fake.sent("setMyCommands")
    assert len(menu) == 1
    assert [c["command"] for c in menu[0].fields["commands"]][:2] == ["start", "help"]
    methods = fake.methods()
    assert methods.index("setMyCommands") < methods.index("sendMessage")


# --- "typing..." and "sending a file..." ------------------------------------------------------


async def test_typing_shows_before_each_reply(bot: Bot) -> None:
    await bot.say("/start")
    methods = [m for m in bot.fake.methods() if m != "getMe"]
    assert methods[0] == "sendChatAction"
    assert bot.fake.sent("sendChatAction")[0].fields == {"chat_id": CHAT, "action": "typing"}
    assert methods.index("sendChatAction") < methods.index("sendMessage")
    yes = bot.button("yes")
    bot.fake.clear()
    await bot.send(make_button_update(CHAT, yes))
    assert bot.fake.actions() == ["typing"]
    # The action went before the reply, never after it ("typing..." under an answer).
    assert bot.fake.methods()[-1] == "sendMessage"


async def test_making_the_profile_shows_sending_a_file(
    tmp_path: Path, fake: FakeBotApi, db: storage.Database, clock: Clock
) -> None:
    settings = telegram_settings(tmp_path, fake, PLANBOT_TTS="espeak")
    app, bot = await started(TelegramChannel(db, settings, clock=clock), fake)
    try:
        await agree(bot)
        await bot.press("no")
        await bot.say("kind")
        texts = await bot.say("done")
        while "Do you want to change anything?" not in joined(texts):
            texts = await bot.say("done")
        no = bot.button("no")
        fake.clear()
        await bot.send(make_button_update(CHAT, no))
    finally:
        await app.shutdown()
    actions = fake.actions()
    assert actions[0] == "typing"
    assert {"upload_document", "upload_photo", "record_voice"} <= set(actions)
    assert actions.index("upload_document") < actions.index("upload_photo")
    methods = fake.methods()
    assert methods.index("sendChatAction") < methods.index("sendDocument")
    assert fake.sent("sendVoice")[-1].files["voice"].startswith(b"OggS")


# --- /voice ----------------------------------------------------------------------------------


async def test_voice_on_sends_each_question_as_a_voice_note_and_off_stops(
    bot: Bot, db: storage.Database
) -> None:
    await bot.say("/start")
    assert not bot.fake.sent("sendVoice")
    texts = await bot.say("/voice")
    assert (
        texts[0] == "OK. I will send each question as a voice note too. Say /voice again to stop."
    )
    assert "Can I keep your answers safe" in texts[-1]  # the question again, spoken too
    voice = bot.fake.sent("sendVoice")
    assert len(voice) == 1
    audio = voice[0].files["voice"]
    assert audio.startswith(b"OggS") and sf.info(io.BytesIO(audio)).duration > 2.0
    assert "record_voice" in bot.fake.actions()
    with db.transaction() as session:
        address = storage.find_address(session, "telegram", str(CHAT))
        assert address is not None and storage.wants_voice(address)
    # Each question now comes as a voice note too; what is only said does not.
    await bot.press("yes")
    assert len(bot.fake.sent("sendVoice")) == 2
    texts = await bot.say("/voice")
    assert texts[0] == "OK. I will stop sending voice notes."
    assert "Who is typing?" in texts[-1]
    await bot.press("person")
    assert len(bot.fake.sent("sendVoice")) == 2
    with db.transaction() as session:
        address = storage.find_address(session, "telegram", str(CHAT))
        assert address is not None and not storage.wants_voice(address)


async def test_voice_on_survives_a_restart(
    voice_settings: Settings, fake: FakeBotApi, db: storage.Database, clock: Clock
) -> None:
    app, bot = await started(TelegramChannel(db, voice_settings, clock=clock), fake)
    try:
        await bot.say("/start")
        await bot.say("/voice")
    finally:
        await app.shutdown()
    yes = bot.button("yes")
    fake.clear()
    again, bot = await started(TelegramChannel(db, voice_settings, clock=clock), fake)
    try:
        texts = await bot.send(make_button_update(CHAT, yes))
    finally:
        await again.shutdown()
    assert "Who is typing?" in joined(texts)
    assert len(fake.sent("sendVoice")) == 1


async def test_voice_repeated_delivery_does_not_switch_it_back(
    bot: Bot, db: storage.Database
) -> None:
    await bot.say("/start")
    update = make_text_update(CHAT, "/voice")
    first = await bot.send(update)
    second = await bot.send(update)
    assert (
        first[0]
        == second[0]
        == ("OK. I will send each question as a voice note too. Say /voice again to stop.")
    )
    with db.transaction() as session:
        address = storage.find_address(session, "telegram", str(CHAT))
        assert address is not None and storage.wants_voice(address)


async def test_voice_without_speech_says_so_and_stores_nothing(
    tmp_path: Path, fake: FakeBotApi, db: storage.Database, clock: Clock
) -> None:
    settings = telegram_settings(tmp_path, fake)  # PLANBOT_TTS=off
    app, bot = await started(TelegramChannel(db, settings, clock=clock), fake)
    try:
        await bot.say("/start")
        texts = await bot.say("/voice")
    finally:
        await app.shutdown()
    assert texts[0] == "Sorry. I cannot send voice notes just now."
    assert not fake.sent("sendVoice")
    with db.transaction() as session:
        address = storage.find_address(session, "telegram", str(CHAT))
        assert address is not None and not storage.wants_voice(address)


# --- a voice note as an answer -----------------------------------------------------------------


async def test_a_voice_note_is_kept_and_plays_on_the_profile_page(
    bot: Bot,
    db: storage.Database,
    voice_settings: Settings,
    clock: Clock,
    voice_note: tuple[bytes, float],
) -> None:
    data, seconds = voice_note
    await agree(bot)
    assert FIRST_TOPIC in joined(await bot.press("no"))
    texts = await send_voice(bot, data)
    assert texts == [SAVED, "Is there anything else? Say done when you have finished."]
    assert bot.fake.sent("getFile")[-1].fields["file_id"] == "voice-1"
    assert bot.fake.downloads == ["voice/voice-1"]
    texts = await bot.say("/my_answers")
    assert "- A voice note from 23 November 2026" in joined(texts)

    with db.transaction() as session:
        dev = storage.get_person(session, "Dev")
        [answer] = storage.answers_for(session, dev)
        assert (answer.section, answer.kind, answer.text) == ("like_admire", "voice", "")
        clip = storage.voice_note(session, dev, answer.id)
        assert clip is not None and clip.data == data
        assert clip.seconds == pytest.approx(seconds, abs=0.05)  # measured, not the 99 claimed
        token = storage.new_link(session, dev, days=30, now=clock())

    web = create_app(voice_settings, db, clock=clock)
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
        page = await client.get(f"/p/{token}")
        sound = await client.get(f"/p/{token}/voice/{answer.id}.ogg")
        text = await client.get(f"/p/{token}.txt")
        wrong = await client.get(f"/p/{'x' * 43}/voice/{answer.id}.ogg")
        other = await client.get(f"/p/{token}/voice/{answer.id + 1}.ogg")
    assert page.status_code == 200
    assert (
        f'<audio class="voice-note" controls preload="none" src="{token}/voice/{answer.id}.ogg"'
        in page.text
    )
    assert "A voice note from 23 November 2026" in page.text
    assert sound.status_code == 200 and sound.content == data
    assert sound.headers["content-type"] == "audio/ogg"
    assert sound.headers["cache-control"].startswith("no-store")
    assert "- A voice note from 23 November 2026" in text.text
    assert wrong.status_code == 404 and other.status_code == 404


async def test_the_pdf_and_the_spoken_profile_name_the_voice_note(
    tmp_path: Path,
    fake: FakeBotApi,
    db: storage.Database,
    clock: Clock,
    voice_note: tuple[bytes, float],
) -> None:
    from easyread import profile_of
    from easyread.pdf import render_pdf
    from easyread.speech import profile_speech

    settings = telegram_settings(tmp_path, fake, PLANBOT_TTS="espeak")
    app, bot = await started(TelegramChannel(db, settings, clock=clock), fake)
    try:
        await agree(bot)
        await bot.press("no")
        await send_voice(bot, voice_note[0])
        await bot.say("kind")
    finally:
        await app.shutdown()
    with db.transaction() as session:
        person_id = storage.get_person(session, "Dev").id
    assert person_id is not None
    profile = profile_of(db, person_id)
    assert profile is not None
    section = profile.section("like_admire")
    assert section is not None
    assert [i.text for i in section.items] == ["A voice note from 23 November 2026", "kind"]
    spoken = " ".join(profile_speech(profile))
    assert "A voice note from 23 November 2026." in spoken
    pdf = render_pdf(profile, tmp_path / "p.pdf")
    import pypdfium2

    document = pypdfium2.PdfDocument(str(pdf))
    words = "".join(page.get_textpage().get_text_range() for page in document)
    assert "A voice note from 23 November 2026" in " ".join(words.split())


async def test_a_voice_note_repeated_stores_nothing_new(
    bot: Bot, db: storage.Database, voice_note: tuple[bytes, float]
) -> None:
    await agree(bot)
    await bot.press("no")
    bot.fake.add_file("voice-2", voice_note[0], folder="voice")
    update = make_voice_update(CHAT, "voice-2", len(voice_note[0]), duration=3)
    first = await bot.send(update)
    second = await bot.send(update)
    assert first == second and first[0] == SAVED
    assert len(voice_rows(db)) == 1
    with db.transaction() as session:
        assert len(storage.answers_for(session, storage.get_person(session, "Dev"))) == 1


async def test_delete_last_and_restart_take_the_voice_note_away(
    bot: Bot, db: storage.Database, voice_note: tuple[bytes, float]
) -> None:
    await agree(bot)
    await bot.press("no")
    await send_voice(bot, voice_note[0], "voice-3")
    texts = await bot.say("delete last")
    assert texts[0] == "I have deleted: A voice note from 23 November 2026"
    assert voice_rows(db) == []
    await send_voice(bot, voice_note[0], "voice-4")
    assert len(voice_rows(db)) == 1
    await bot.say("restart")
    texts = await bot.press("yes")
    assert "OK. I deleted your answers." in joined(texts)
    assert voice_rows(db) == []
    with db.transaction() as session:
        assert storage.answers_for(session, storage.get_person(session, "Dev")) == []


async def test_a_voice_note_where_one_cannot_be_kept(
    bot: Bot, db: storage.Database, voice_note: tuple[bytes, float]
) -> None:
    data = voice_note[0]
    bot.fake.add_file("early", data, folder="voice")
    await bot.say("/start")
    texts = await bot.send(make_voice_update(CHAT, "early", len(data), 2))  # at consent
    assert texts[0] == NOT_HERE
    assert "Can I keep your answers safe" in texts[-1]
    await bot.press("yes")
    texts = await bot.send(make_voice_update(CHAT, "early", len(data), 2))  # who is typing
    assert texts[0] == NOT_HERE and "Who is typing?" in texts[-1]
    await bot.press("person")
    texts = await bot.send(make_voice_update(CHAT, "early", len(data), 2))  # the name
    assert texts[0] == NOT_HERE and "What should I call you?" in texts[-1]
    await bot.say("Dev")
    texts = await bot.send(make_voice_update(CHAT, "early", len(data), 2))  # the photo question
    assert texts[0] == NOT_HERE and "photo" in texts[-1]
    assert not bot.fake.sent("getFile")  # nothing was downloaded
    assert voice_rows(db) == []
    with db.transaction() as session:
        dev = storage.get_person(session, "Dev")
        assert storage.answers_for(session, dev) == []


async def test_a_voice_note_that_is_not_audio_or_too_big_gets_a_kind_answer(
    bot: Bot, db: storage.Database
) -> None:
    await agree(bot)
    await bot.press("no")
    bot.fake.add_file("fake-ogg", b"OggS" + b"\x00" * 200, folder="voice")
    texts = await bot.send(make_voice_update(CHAT, "fake-ogg", 204, 2))
    assert texts[0] == "Sorry. I can only keep a voice note from the microphone button."
    assert FIRST_TOPIC in texts[-1]
    texts = await bot.send(make_voice_update(CHAT, "huge", 11 * 1024 * 1024, 2))
    assert texts[0] == "Sorry. That voice note is too long for me. Please send a shorter one."
    texts = await bot.send(make_voice_update(CHAT, "missing", 300, 2))  # the download fails
    assert texts[0] == "Sorry. I could not get your voice note. Please send it again."
    assert voice_rows(db) == []


# --- export and forget, as a person would run them ---------------------------------------------


async def test_export_shows_the_voice_note_and_forget_removes_it(
    tmp_path: Path, fake: FakeBotApi, clock: Clock, voice_note: tuple[bytes, float]
) -> None:
    data, seconds = voice_note
    settings = telegram_settings(tmp_path, fake, PLANBOT_TTS="espeak")
    db = storage.open_database(settings.database_url)  # the data folder planbot's CLI reads
    try:
        app, bot = await started(TelegramChannel(db, settings, clock=clock), fake)
        try:
            await agree(bot)
            await bot.press("no")
            await send_voice(bot, data)
        finally:
            await app.shutdown()
    finally:
        db.dispose()
    exported = json.loads(run_planbot(settings.data_dir, "export", "Dev").stdout)
    [answer] = exported["answers"]
    assert answer["kind"] == "voice" and answer["section"] == "like_admire"
    assert answer["seconds"] == pytest.approx(seconds, abs=0.1)
    assert answer["audio"]["content_type"] == "audio/ogg"
    done = run_planbot(settings.data_dir, "forget", "Dev", "--yes")
    assert "1 voice notes" in done.stdout or "1 voice note" in done.stdout
    db = storage.Database(settings.database_url)
    try:
        assert voice_rows(db) == []
    finally:
        db.dispose()


async def test_buttons_still_work_with_voice_on(bot: Bot) -> None:
    await bot.say("/start")
    await bot.say("/voice")
    texts = await bot.send(make_button_update(CHAT, bot.button("yes")))
    assert "Who is typing?" in joined(texts)


def test_every_menu_command_does_what_its_words_do() -> None:
    """A tap on /my_data or /delete_everything is the command those words are."""
    from bot.telegram.channel import command_text
    from dialogues._flows import Flows

    words = Flows().default.vocabulary
    for command in menu_commands(load_script().messages):
        if command.command in ("start", "voice"):  # the channel's own (open, voice on/off)
            continue
        said, _opening = command_text(f"/{command.command}")
        assert words.command(said) is not None, command.command
    assert words.command(command_text("/delete_everything")[0]) == ("erase_all", "")
    assert words.command(command_text("/my_data")[0]) == ("my_data", "")
