"""Telegram's files go from memory: the profile's PDF, pictures and voice note, the data file
and each spoken question reach Telegram with no plain copy of them on the disk.

What someone with the server's disk would notice: at the moment Telegram receives a file, no
file in the data folder holds it (the kept renders and the sound cache are sealed with the
key), and the folder where an earlier planbot left files waiting to be sent is emptied when
``planbot telegram`` starts, at the hourly tidy and at every erase.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import storage
from bot._tidy import forget_old_replies
from bot.telegram.channel import TelegramChannel
from tests.auxil.fake_telegram import (
    FakeBotApi,
    fake_bot_api,
    make_text_update,
    planbot_telegram,
)
from tests.bot.test_telegram import CHAT, Bot, agree, joined, telegram_settings
from tests.conftest import Clock

OLD_OUTBOX = "telegram-outbox"


@pytest.fixture
def fake() -> Iterator[FakeBotApi]:
    with fake_bot_api() as server:
        yield server


def leave_old_files(data_dir: Path) -> Path:
    """What an earlier planbot stopped mid-send left: a profile waiting in its outbox."""
    folder = data_dir / OLD_OUTBOX / "profile-x1y2z3"
    folder.mkdir(parents=True)
    (folder / "profile.pdf").write_bytes(b"%PDF zanzibarflute")
    return data_dir / OLD_OUTBOX


@pytest.mark.slow
async def test_no_file_sent_to_telegram_has_a_plain_copy_on_disk(
    tmp_path: Path, fake: FakeBotApi, db: storage.Database, clock: Clock
) -> None:
    settings = telegram_settings(
        tmp_path, fake, PLANBOT_TTS="espeak", PLANBOT_SECRET_KEY=storage.new_secret()
    )
    fake.watch = settings.data_dir
    app = TelegramChannel(db, settings, clock=clock).application(polling=False)
    await app.initialize()
    bot = Bot(app, fake)
    try:
        await bot.say("/voice")  # each question comes as a voice note too
        await agree(bot)
        await bot.say("no")  # no photo
        texts = await bot.say("zanzibarflute, the pub")
        while "Do you want to change anything?" not in joined(texts):
            texts = await bot.say("done")
        texts = await bot.press("no")
        assert "Your profile is ready." in joined(texts)
        await bot.say("/my_data")
    finally:
        await app.shutdown()
    uploads = [call for call in fake.calls if call.files]
    kinds = {call.method for call in uploads}
    assert kinds == {"sendDocument", "sendPhoto", "sendVoice"}
    assert len(fake.sent("sendDocument")) == 2  # the profile's PDF and the data file
    assert [call.copies for call in uploads] == [[] for _ in uploads]
    assert not (settings.data_dir / OLD_OUTBOX).exists()


def test_files_an_earlier_planbot_left_go_when_planbot_telegram_starts(
    tmp_path: Path, fake: FakeBotApi
) -> None:
    old = leave_old_files(tmp_path / "data")
    with planbot_telegram(fake, tmp_path / "data"):
        fake.queue(make_text_update(CHAT, "/start"))
        fake.wait_for_text("Can I keep your answers safe")
    assert not old.exists()


async def test_files_an_earlier_planbot_left_go_at_the_tidy_and_at_an_erase(
    tmp_path: Path, fake: FakeBotApi, db: storage.Database, clock: Clock
) -> None:
    settings = telegram_settings(tmp_path, fake)
    old = leave_old_files(settings.data_dir)
    forget_old_replies(db, settings, clock())  # the hourly tidy (and the one at start)
    assert not old.exists()

    app = TelegramChannel(db, settings, clock=clock).application(polling=False)
    await app.initialize()
    bot = Bot(app, fake)
    try:
        await agree(bot)
        await bot.say("no")  # no photo
        await bot.say("zanzibarflute")
        leave_old_files(settings.data_dir)
        assert "deleted" in joined(await bot.say("delete last"))
    finally:
        await app.shutdown()
    assert not old.exists()
