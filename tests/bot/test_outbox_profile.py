"""Outbox messages that carry a person's profile (``Reply.profile_of``), made when they go.

Nothing of planbot is patched: the senders are the real ones, Telegram's talking to the fake
Bot API on 127.0.0.1, Twilio's REST calls answered at the HTTP layer (``responses``), and the
SMS link opened through the real web app.
"""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pytest

import storage
from bot._outbox import OutboxSender
from bot._outbox_cli import send_once
from bot.sms.twilio_client import TwilioSender
from bot.terminal import TerminalSender
from bot.web.app import create_app
from dialogues import Attachment, Choice, Reply
from planbot.settings import Settings
from tests.auxil.fake_telegram import TOKEN, fake_bot_api
from tests.auxil.twilio import PUBLIC_URL, fake_twilio, make_settings
from tests.conftest import Clock

WORDS = "The session has ended. Thank you for coming."
NUMBER = "+447700900123"


def make_dev(db: storage.Database) -> int:
    """Dev, with a few answers of their own."""
    with db.transaction() as session:
        dev = storage.create_person(session, "Dev")
        for section, text in (
            ("important_to", "my dog Tango"),
            ("good_day", "swimming in the morning"),
        ):
            storage.add_answer(
                session, dev, None, section, text, said_by="Dev", perspective="person"
            )
        assert dev.id is not None
        return dev.id


def add(db: storage.Database, person_id: int, section: str, text: str) -> None:
    with db.transaction() as session:
        person = storage.person_by_id(session, person_id)
        assert person is not None
        storage.add_answer(
            session, person, None, section, text, said_by="Dev", perspective="person"
        )


def erase(db: storage.Database, person_id: int) -> None:
    with db.transaction() as session:
        person = storage.person_by_id(session, person_id)
        assert person is not None
        storage.erase_person(session, person)


def queue_profile(
    db: storage.Database, when: Clock | None, person_id: int, channel: str, to: str
) -> None:
    """Queue the words with the person's profile, due now (by the tests' clock, or the real
    one for senders that keep it: the web app's, ``planbot outbox --once``)."""
    reply = Reply(WORDS, profile_of=person_id).to_dict()
    due = when() if when is not None else storage.utcnow()
    with db.transaction() as session:
        storage.queue_message(session, channel=channel, address=to, reply=reply, due=due, key="k")


def status(db: storage.Database) -> str:
    with db.transaction() as session:
        return storage.outbox_status(session, ["k"])["k"]


# --- the stored form ----------------------------------------------------------------------


def test_a_reply_keeps_whose_profile_it_carries_through_its_stored_form() -> None:
    reply = Reply(
        WORDS,
        choices=(Choice("Yes", "yes"),),
        attachments=(Attachment("profile.pdf", "pdf", "Your profile"),),
        kind="profile",
        question="q",
        profile_of=7,
    )
    assert reply.to_dict()["profile_of"] == 7
    assert Reply.from_dict(reply.to_dict()) == reply
    plain = Reply(WORDS)
    assert "profile_of" not in plain.to_dict()  # stored forms without it stay as they were
    assert Reply.from_dict(plain.to_dict()) == plain


def test_a_stored_reply_never_holds_a_files_bytes() -> None:
    """A file goes with its reply from memory; the reply kept for a repeat delivery keeps its
    name and caption only (a repeat does not send it again)."""
    pdf = Attachment("profile.pdf", "pdf", "Your profile", b"%PDF zanzibarflute")
    stored = Reply(WORDS, attachments=(pdf,), kind="profile").to_dict()
    assert "zanzibarflute" not in repr(stored)
    kept = Reply.from_dict(stored).attachments
    assert kept == (Attachment("profile.pdf", "pdf", "Your profile"),)


def test_a_reply_stored_before_profile_of_existed_still_loads() -> None:
    old = {"text": WORDS, "kind": "say", "choices": [], "attachments": [], "question": ""}
    assert Reply.from_dict(old) == Reply(WORDS)
    assert Reply.from_dict({**old, "profile_of": None}).profile_of is None


# --- Telegram -----------------------------------------------------------------------------


async def test_telegram_sends_the_words_then_the_profile_as_it_is_when_sent(
    db: storage.Database, tmp_path: Path, clock: Clock
) -> None:
    from bot.telegram.sender import TelegramSender, telegram_bot

    dev = make_dev(db)
    queue_profile(db, clock, dev, "telegram", "4242")
    add(db, dev, "good_day", "tea with my nan")  # after it was queued: it is shown too
    with fake_bot_api() as fake:
        settings = make_settings(
            tmp_path,
            TELEGRAM_BOT_TOKEN=TOKEN,
            PLANBOT_TELEGRAM_API_URL=fake.url,
            PLANBOT_TTS="espeak",
        )
        async with telegram_bot(settings) as bot:
            worker = OutboxSender(db, [TelegramSender(bot, settings, db)], clock=clock)
            assert (await worker.send_due()).sent == 1
    texts = fake.texts()
    assert texts[0] == WORDS
    profile = "\n".join(texts[1:])
    assert "All about Dev" in profile
    assert "my dog Tango" in profile and "tea with my nan" in profile
    [pdf] = fake.sent("sendDocument")
    assert pdf.fields["chat_id"] == 4242
    assert pdf.files["document"].startswith(b"%PDF")
    assert pdf.fields["caption"] == "Your profile, to print."
    [photo] = fake.sent("sendPhoto")
    assert photo.files["photo"].startswith(b"\x89PNG")
    [voice] = fake.sent("sendVoice")
    assert voice.files["voice"].startswith(b"OggS") and len(voice.files["voice"]) > 2000
    assert not (settings.data_dir / "telegram-outbox").exists()  # sent from memory
    assert status(db) == "sent"


async def test_telegram_sends_only_the_words_for_a_person_erased_meanwhile(
    db: storage.Database, tmp_path: Path, clock: Clock
) -> None:
    from bot.telegram.sender import TelegramSender, telegram_bot

    dev = make_dev(db)
    queue_profile(db, clock, dev, "telegram", "4242")
    erase(db, dev)
    with fake_bot_api() as fake:
        settings = make_settings(
            tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, PLANBOT_TELEGRAM_API_URL=fake.url
        )
        async with telegram_bot(settings) as bot:
            worker = OutboxSender(db, [TelegramSender(bot, settings, db)], clock=clock)
            assert (await worker.send_due()).sent == 1
    assert fake.texts() == [WORDS]
    assert fake.sent("sendDocument") == fake.sent("sendPhoto") == fake.sent("sendVoice") == []
    assert status(db) == "sent"


async def test_a_chat_telegram_refuses_gives_a_profile_message_up(
    db: storage.Database, tmp_path: Path, clock: Clock
) -> None:
    """The sender's outcomes stay as they were: "Bad Request" never mends."""
    from bot.telegram.sender import TelegramSender, telegram_bot

    dev = make_dev(db)
    queue_profile(db, clock, dev, "telegram", "4242")
    with fake_bot_api() as fake:
        settings = make_settings(
            tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, PLANBOT_TELEGRAM_API_URL=fake.url
        )
        fake.fail_once("sendMessage")  # "Bad Request": never mends
        async with telegram_bot(settings) as bot:
            worker = OutboxSender(db, [TelegramSender(bot, settings, db)], clock=clock)
            assert (await worker.send_due()).failed == 1
    assert fake.sent("sendDocument") == []
    assert status(db) == "failed"


# --- SMS ----------------------------------------------------------------------------------


async def test_sms_sends_the_words_and_a_private_link_that_opens_the_profile(
    db: storage.Database, tmp_path: Path, clock: Clock
) -> None:
    """Sent by the web app's own outbox sender, and opened through the web app."""
    settings = make_settings(tmp_path)
    dev = make_dev(db)
    queue_profile(db, None, dev, "sms", NUMBER)
    app = create_app(settings, db)  # the real clock: the link is made at the real time
    with fake_twilio() as twilio:
        assert (await app.state.outbox.send_due()).sent == 1
    body = "\n".join(m["Body"] for m in twilio.sent)
    assert all(m["To"] == NUMBER for m in twilio.sent)
    assert body.startswith(WORDS)
    assert "Here is your profile. It is private." in body
    assert f"The link works for {settings.link_days} days." in body
    assert f"{PUBLIC_URL}/p/" in body
    token = body.rsplit("/p/", 1)[1].strip()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL
    ) as client:
        page = await client.get(f"/p/{token}")
    assert page.status_code == 200
    assert "All about Dev" in page.text and "my dog Tango" in page.text
    assert status(db) == "sent"


async def test_sms_sends_only_the_words_for_a_person_erased_meanwhile(
    db: storage.Database, tmp_path: Path, clock: Clock
) -> None:
    settings = make_settings(tmp_path)
    dev = make_dev(db)
    queue_profile(db, clock, dev, "sms", NUMBER)
    erase(db, dev)
    with fake_twilio() as twilio:
        worker = OutboxSender(db, [TwilioSender(settings, db)], clock=clock)
        assert (await worker.send_due()).sent == 1
    assert [m["Body"] for m in twilio.sent] == [WORDS]
    assert status(db) == "sent"


async def test_sms_opted_out_by_twilio_stays_opted_out_with_a_profile(
    db: storage.Database, tmp_path: Path, clock: Clock
) -> None:
    settings = make_settings(tmp_path)
    dev = make_dev(db)
    queue_profile(db, clock, dev, "sms", NUMBER)
    with fake_twilio() as twilio:
        twilio.opted_out.add(NUMBER)
        worker = OutboxSender(db, [TwilioSender(settings, db)], clock=clock)
        assert (await worker.send_due()).opted_out == 1
    assert twilio.sent == []
    assert status(db) == "opted_out"


# --- the terminal -------------------------------------------------------------------------


async def test_the_terminal_prints_the_words_then_the_profile(
    db: storage.Database, clock: Clock
) -> None:
    dev = make_dev(db)
    queue_profile(db, clock, dev, "terminal", "Dev")
    out = io.StringIO()
    worker = OutboxSender(db, [TerminalSender(out, db=db)], clock=clock)
    assert (await worker.send_due()).sent == 1
    printed = out.getvalue()
    assert printed.startswith(f"[for Dev]\n{WORDS}\n")
    assert "All about Dev" in printed
    assert "my dog Tango" in printed and "swimming in the morning" in printed


async def test_the_terminal_prints_only_the_words_for_a_person_erased_meanwhile(
    db: storage.Database, clock: Clock
) -> None:
    dev = make_dev(db)
    queue_profile(db, clock, dev, "terminal", "Dev")
    erase(db, dev)
    out = io.StringIO()
    worker = OutboxSender(db, [TerminalSender(out, db=db)], clock=clock)
    assert (await worker.send_due()).sent == 1
    assert out.getvalue() == f"[for Dev]\n{WORDS}\n\n"
    assert status(db) == "sent"


async def test_planbot_outbox_once_prints_a_profile_for_the_terminal(
    db: storage.Database, settings: Settings, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    """``planbot outbox --once`` builds its senders so that they can carry a profile."""
    dev = make_dev(db)
    queue_profile(db, None, dev, "terminal", "Dev")
    counts, _missing = await send_once(settings, db, ("terminal",))
    assert counts.sent == 1
    printed = capsys.readouterr().out
    assert WORDS in printed and "my dog Tango" in printed
