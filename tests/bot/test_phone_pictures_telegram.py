"""Telegram sends the profile's phone pictures: one photo each, after the PDF.

Nothing of planbot is patched: the outbox's real Telegram sender talks to the fake Bot API on
127.0.0.1, and the pictures are made by the real renderers in their child processes.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

import storage
from bot._outbox import OutboxSender
from bot._renders import Kept, kept_render
from bot.telegram.channel import PICTURES_KEPT, _pack, _unpack
from dialogues import Reply
from easyread.files import fingerprint
from easyread.phone import MAX_HEIGHT
from tests.auxil.fake_telegram import TOKEN, fake_bot_api
from tests.auxil.twilio import make_settings
from tests.conftest import Clock

TOPICS = ("important_to", "good_day", "bad_day", "best_support", "like_admire")


def make_person(db: storage.Database, things: int) -> int:
    """Dev, with ``things`` answers spread over 5 topics."""
    with db.transaction() as session:
        dev = storage.create_person(session, "Dev")
        for n in range(things):
            text = f"Thing {n} I want people to know, long enough to wrap"
            storage.add_answer(
                session,
                dev,
                None,
                TOPICS[n % len(TOPICS)],
                text,
                said_by="Dev",
                perspective="person",
            )
        assert dev.id is not None
        return dev.id


def queue_profile(db: storage.Database, clock: Clock, person_id: int, key: str) -> None:
    reply = Reply("Here is your profile.", profile_of=person_id).to_dict()
    with db.transaction() as session:
        storage.queue_message(
            session, channel="telegram", address="4242", reply=reply, due=clock(), key=key
        )


async def test_telegram_sends_each_phone_picture_after_the_pdf(
    db: storage.Database, tmp_path: Path, clock: Clock
) -> None:
    from bot.telegram.sender import TelegramSender, telegram_bot

    dev = make_person(db, 40)
    queue_profile(db, clock, dev, "first")
    with fake_bot_api() as fake:
        settings = make_settings(
            tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, PLANBOT_TELEGRAM_API_URL=fake.url
        )
        async with telegram_bot(settings) as bot:
            worker = OutboxSender(db, [TelegramSender(bot, settings, db)], clock=clock)
            assert (await worker.send_due()).sent == 1
            first = [call.files["photo"] for call in fake.sent("sendPhoto")]
            captions = [call.fields.get("caption") for call in fake.sent("sendPhoto")]
            # Sent again: the kept pictures go, the same ones.
            fake.clear()
            queue_profile(db, clock, dev, "again")
            assert (await worker.send_due()).sent == 1
            again = [call.files["photo"] for call in fake.sent("sendPhoto")]
    assert len(first) >= 2  # 40 things: more than one picture
    assert again == first
    for data in first:
        picture = Image.open(io.BytesIO(data))
        assert picture.format == "PNG"
        assert picture.width == 1080 and picture.height <= MAX_HEIGHT
    assert captions[0] == "Your profile as a picture."
    assert all(not caption for caption in captions[1:])  # each says "Picture 2 of 3" itself
    methods = [m for m in fake.methods() if m in ("sendDocument", "sendPhoto")]
    assert methods == ["sendDocument"] + ["sendPhoto"] * len(again)  # the PDF, then pictures
    with db.transaction() as session:
        person = storage.person_by_id(session, dev)
        assert person is not None
        from easyread import build_profile

        profile = build_profile(session, person)
    kept = kept_render(
        settings, Kept(dev, "profile", fingerprint(profile, settings=settings)), PICTURES_KEPT
    )
    assert kept is not None and _unpack(kept) == first


async def test_a_short_profile_is_one_picture(
    db: storage.Database, tmp_path: Path, clock: Clock
) -> None:
    from bot.telegram.sender import TelegramSender, telegram_bot

    dev = make_person(db, 3)
    queue_profile(db, clock, dev, "short")
    with fake_bot_api() as fake:
        settings = make_settings(
            tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, PLANBOT_TELEGRAM_API_URL=fake.url
        )
        async with telegram_bot(settings) as bot:
            worker = OutboxSender(db, [TelegramSender(bot, settings, db)], clock=clock)
            assert (await worker.send_due()).sent == 1
    [photo] = fake.sent("sendPhoto")
    assert Image.open(io.BytesIO(photo.files["photo"])).width == 1080


def test_kept_pictures_come_back_whole_or_not_at_all() -> None:
    pictures = [b"\x89PNG one", b"\x89PNG two, longer"]
    assert _unpack(_pack(pictures)) == pictures
    assert _unpack(_pack(pictures)[:-1]) == []  # cut short: made again
    assert _unpack(b"\x89PNG\r\n\x1a\n a single picture kept before") == []
    assert _unpack(b"") == []
