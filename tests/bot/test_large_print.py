"""Bigger writing through a channel: the stored choice changes the files the channel sends.

"bigger writing" in the chat (DOMAIN.md 9b, scenario 15) is kept on the person; the profile's
PDF that Telegram sends at the end of the plan is then in large print (24pt body text), and
"normal writing" afterwards sends it again at the usual size. The files are made by the
channel's own render path (child processes, kept by fingerprint), not by the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import storage
from bot.telegram.channel import TelegramChannel
from easyread.html import LARGE_PT
from tests.auxil.fake_telegram import FakeBotApi, fake_bot_api
from tests.bot.test_telegram import Bot, agree, joined, telegram_settings
from tests.conftest import Clock
from tests.easyread.test_long_and_large import size_of

pytestmark = pytest.mark.slow


@pytest.fixture
def fake() -> Iterator[FakeBotApi]:
    with fake_bot_api() as server:
        yield server


def sent_pdf(fake: FakeBotApi, folder: Path, name: str) -> Path:
    path = folder / name
    path.write_bytes(fake.sent("sendDocument")[-1].files["document"])
    return path


async def test_bigger_writing_in_chat_makes_the_sent_profile_large_print(
    tmp_path: Path, fake: FakeBotApi, db: storage.Database, clock: Clock
) -> None:
    app = TelegramChannel(db, telegram_settings(tmp_path, fake), clock=clock).application(
        polling=False
    )
    await app.initialize()
    bot = Bot(app, fake)
    try:
        await agree(bot, "Alison")
        await bot.say("no")  # no photo
        assert "bigger writing from now on" in joined(await bot.say("bigger writing"))
        assert "Is there anything else?" in joined(await bot.say("swimming, the pub"))
        texts = await bot.say("done")
        while "Do you want to change anything?" not in joined(texts):
            texts = await bot.say("done")
        assert "Your profile is ready." in joined(await bot.press("no"))
        large = sent_pdf(fake, tmp_path, "large.pdf")
        with db.transaction() as session:
            assert storage.get_person(session, "Alison").large_print is True
        texts = await bot.say("normal writing")
        normal = sent_pdf(fake, tmp_path, "normal.pdf")
    finally:
        await app.shutdown()
    assert "normal writing from now on" in joined(texts) and "Here it is again." in joined(texts)
    assert size_of(large, "swimming") == LARGE_PT
    assert size_of(normal, "swimming") < LARGE_PT
    with db.transaction() as session:
        assert storage.get_person(session, "Alison").large_print is False
