"""The outbox's senders end to end: a local Twilio double and the fake Bot API on 127.0.0.1.

Nothing of planbot is patched: the senders are the real ones, pointed by
``PLANBOT_TWILIO_API_URL`` and ``PLANBOT_TELEGRAM_API_URL`` at servers the tests run. The
clock is the tests' own: they move it past a due time or a claim instead of sleeping.
"""

from __future__ import annotations

import asyncio
import io
import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

import storage
from bot._outbox import OutboxSender
from bot.cli import app as cli
from bot.sms.twilio_client import TwilioSender
from bot.terminal import TerminalChat
from dialogues import Choice, Reply
from planbot.settings import Settings
from tests.auxil.databases import TEST_KEY
from tests.auxil.fake_telegram import TOKEN, FakeBotApi, fake_bot_api
from tests.auxil.twilio import make_settings
from tests.auxil.twilio_server import TwilioDouble
from tests.conftest import Clock

NUMBER = "+447700900123"
SAM = "+447700900456"


def queue(
    db: storage.Database,
    clock: Clock,
    key: str,
    *,
    to: str = SAM,
    words: str = "Dev asks: can Sam help with the plan?",
    channel: str = "sms",
    later: timedelta = timedelta(),
    choices: tuple[Choice, ...] = (),
) -> None:
    reply = Reply(words, choices=choices).to_dict()
    with db.transaction() as session:
        storage.queue_message(
            session, channel=channel, address=to, reply=reply, due=clock() + later, key=key
        )


def sender(db: storage.Database, settings: Settings, clock: Clock) -> OutboxSender:
    return OutboxSender(db, [TwilioSender(settings, db)], clock=clock)


def statuses(db: storage.Database, *keys: str) -> dict[str, str]:
    with db.transaction() as session:
        return storage.outbox_status(session, list(keys))


def twin(db: storage.Database) -> storage.Database:
    """A second handle on the same database (another process or host after a restart)."""
    if db.is_sqlite:
        return storage.Database(db.url, keys=db.keys)
    with db.engine.connect() as conn:
        path = conn.execute(text("SHOW search_path")).scalar()
    return storage.Database(
        db.url, keys=db.keys, engine_options={"connect_args": {"options": f"-csearch_path={path}"}}
    )


async def test_a_text_goes_through_the_twilio_api_url_with_its_choices(
    db: storage.Database, sms: Settings, clock: Clock, double: TwilioDouble
) -> None:
    queue(db, clock, "k", choices=(Choice("Yes", "yes"), Choice("No", "no")))
    counts = await sender(db, sms, clock).send_due()
    assert counts.sent == 1
    assert double.sent[0]["To"] == SAM and double.sent[0]["From"] == "+447700900000"
    assert double.bodies() == ["Dev asks: can Sam help with the plan?\nReply 1 for Yes, 2 for No."]
    assert statuses(db, "k") == {"k": "sent"}
    assert (await sender(db, sms, clock).send_due()).tried == 0  # sent once


async def test_a_message_queued_before_a_restart_goes_when_planbot_is_back(
    db: storage.Database, sms: Settings, clock: Clock, double: TwilioDouble
) -> None:
    queue(db, clock, "k")  # the change and its message are saved; then the server dies
    assert double.sent == []
    back = twin(db)  # planbot starts again: a new process, a new pool, the same database
    try:
        assert (await sender(back, sms, clock).send_due()).sent == 1
    finally:
        back.dispose()
    assert double.bodies(SAM) == ["Dev asks: can Sam help with the plan?"]


async def test_a_message_due_later_goes_when_the_clock_reaches_it(
    db: storage.Database, sms: Settings, clock: Clock, double: TwilioDouble
) -> None:
    queue(db, clock, "reminder", later=timedelta(days=14))
    worker = sender(db, sms, clock)
    assert (await worker.send_due()).tried == 0
    clock.advance(days=14)
    assert (await worker.send_due()).sent == 1
    assert len(double.sent) == 1


async def test_a_message_due_while_planbot_was_down_goes_when_it_is_back(
    db: storage.Database, sms: Settings, clock: Clock, double: TwilioDouble
) -> None:
    queue(db, clock, "reminder", later=timedelta(hours=1))
    clock.advance(hours=5)  # nobody was sending when it fell due
    assert (await sender(db, sms, clock).send_due()).sent == 1
    assert (await sender(db, sms, clock).send_due()).tried == 0
    assert len(double.sent) == 1


async def test_nothing_goes_to_a_number_that_opted_out(
    db: storage.Database, sms: Settings, clock: Clock, double: TwilioDouble
) -> None:
    queue(db, clock, "before")
    with db.transaction() as session:
        storage.set_opted_out(session, "sms", SAM)  # STOP came after the message was queued
    queue(db, clock, "after")
    assert (await sender(db, sms, clock).send_due()).tried == 0
    assert double.sent == []
    assert statuses(db, "before", "after") == {"before": "opted_out", "after": "opted_out"}


async def test_twilios_21610_closes_the_message_and_remembers_the_opt_out(
    db: storage.Database, sms: Settings, clock: Clock, double: TwilioDouble
) -> None:
    double.opted_out.add(SAM)
    queue(db, clock, "k")
    assert (await sender(db, sms, clock).send_due()).opted_out == 1
    with db.transaction() as session:
        assert storage.is_opted_out(session, "sms", SAM)
    assert statuses(db, "k") == {"k": "opted_out"}


async def test_a_failing_twilio_is_tried_again_after_a_pause(
    db: storage.Database, sms: Settings, clock: Clock, double: TwilioDouble
) -> None:
    double.failures = 2
    queue(db, clock, "k")
    worker = sender(db, sms, clock)
    assert (await worker.send_due()).retrying == 1
    assert (await worker.send_due()).tried == 0  # not before its pause is over
    clock.advance(minutes=1)
    assert (await worker.send_due()).retrying == 1
    clock.advance(minutes=2)
    assert (await worker.send_due()).sent == 1
    assert len(double.sent) == 1
    with db.transaction() as session:
        summary = storage.outbox_summary(session)
    assert summary.waiting == [] and summary.sent == 1


def test_two_senders_at_once_send_each_message_once(
    db: storage.Database, sms: Settings, clock: Clock, double: TwilioDouble
) -> None:
    for n in range(30):
        queue(db, clock, f"k{n}", to=f"+4477009{n:05}", words=f"message {n}")
    other = twin(db)  # a second worker (or host): its own pool on the same database
    start = threading.Barrier(2)
    counts = []

    def run(database: storage.Database) -> None:
        worker = OutboxSender(database, [TwilioSender(sms, database)], clock=clock, batch=3)
        start.wait()
        counts.append(asyncio.run(worker.send_due()).sent)

    try:
        threads = [threading.Thread(target=run, args=(d,)) for d in (db, other)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        other.dispose()
    assert sum(counts) == 30
    assert sorted(double.bodies()) == sorted(f"message {n}" for n in range(30))


def _database_url(db: storage.Database) -> str:
    """The URL another process opens the same database (and PostgreSQL schema) with."""
    if db.is_sqlite:
        return db.url
    with db.engine.connect() as conn:
        path = conn.execute(text("SHOW search_path")).scalar()
    return f"{db.url}?options=-csearch_path%3D{path}"


def test_a_sender_killed_between_sending_and_recording_sends_at_most_twice(
    db: storage.Database, sms: Settings, clock: Clock, double: TwilioDouble, tmp_path: Path
) -> None:
    """The worst case of at least once: Twilio took the text, the record of it never came."""
    clock.now = storage.utcnow()  # the sender in the other process keeps the real time
    queue(db, clock, "k")
    double.hold = threading.Event()  # the double takes the text, then keeps its answer
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLANBOT_", "TWILIO_"))}
    env |= {
        "PLANBOT_DATABASE_URL": _database_url(db),
        "PLANBOT_SECRET_KEY": TEST_KEY,
        "PLANBOT_DATA_DIR": str(tmp_path / "data"),
        "PLANBOT_TWILIO_API_URL": double.url,
        "TWILIO_ACCOUNT_SID": sms.twilio_account_sid or "",
        "TWILIO_AUTH_TOKEN": sms.twilio_auth_token or "",
        "TWILIO_FROM_NUMBER": sms.twilio_from_number or "",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "outbox", "--once"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        double.wait_for(1)  # sent...
    finally:
        process.send_signal(signal.SIGKILL)  # ...and killed before it could record it
        process.wait(timeout=10)
    double.hold.set()
    double.hold = None
    assert statuses(db, "k") == {"k": "waiting"}
    worker = sender(db, sms, clock)
    # the claim of the killed sender holds other senders off until it runs out...
    assert asyncio.run(worker.send_due()).tried == 0
    clock.advance(seconds=storage.LEASE.total_seconds() + 60)
    assert asyncio.run(worker.send_due()).sent == 1
    assert double.bodies() == ["Dev asks: can Sam help with the plan?"] * 2  # twice, no more
    assert asyncio.run(worker.send_due()).tried == 0


async def test_telegram_messages_go_through_the_bot_api(
    db: storage.Database, tmp_path: Path, clock: Clock
) -> None:
    from bot.telegram.sender import TelegramSender, telegram_bot

    with fake_bot_api() as fake:
        settings = make_settings(
            tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, PLANBOT_TELEGRAM_API_URL=fake.url
        )
        queue(db, clock, "t", channel="telegram", to="4242", choices=(Choice("Yes", "yes"),))
        queue(db, clock, "later", channel="telegram", to="4243", later=timedelta(days=1))
        async with telegram_bot(settings) as bot:
            worker = OutboxSender(db, [TelegramSender(bot, settings, db)], clock=clock)
            assert (await worker.send_due()).sent == 1
            [call] = fake.sent()
            assert call.fields["chat_id"] == 4242
            assert call.fields["text"] == "Dev asks: can Sam help with the plan?"
            assert call.fields["reply_markup"]["inline_keyboard"][0][0]["text"] == "Yes"
            clock.advance(days=1)
            assert (await worker.send_due()).sent == 1
            fake.fail_once("sendMessage")  # "Bad Request": it never mends, so no retry
            queue(db, clock, "bad", channel="telegram", to="4244")
            assert (await worker.send_due()).failed == 1
    assert statuses(db, "bad") == {"bad": "failed"}


def _fake_telegram_env(fake: FakeBotApi) -> dict[str, str]:
    return {"TELEGRAM_BOT_TOKEN": TOKEN, "PLANBOT_TELEGRAM_API_URL": fake.url}


def test_planbot_outbox_lists_without_words_or_numbers_and_sends_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, double: TwilioDouble
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    db = storage.open_database(url)
    clock = Clock()
    clock.now = storage.utcnow()
    queue(db, clock, "a")
    queue(db, clock, "b", to=NUMBER)
    queue(db, clock, "c", to=NUMBER, later=timedelta(days=7))
    settings = make_settings(tmp_path, PLANBOT_TWILIO_API_URL=double.url)
    env = {
        "PLANBOT_DATABASE_URL": url,
        "PLANBOT_DATA_DIR": str(settings.data_dir),
        "PLANBOT_TWILIO_API_URL": double.url,
        "TWILIO_ACCOUNT_SID": settings.twilio_account_sid or "",
        "TWILIO_AUTH_TOKEN": settings.twilio_auth_token or "",
        "TWILIO_FROM_NUMBER": settings.twilio_from_number or "",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for name in ("TELEGRAM_BOT_TOKEN", "TWILIO_MESSAGING_SERVICE_SID", "PLANBOT_PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()
    listed = runner.invoke(cli, ["outbox", "--list"])
    assert listed.exit_code == 0, listed.output
    assert "Waiting: 3 messages for 2 persons." in listed.output
    assert "sms" in listed.output and "1 message for 1 person" in listed.output
    assert "Sam" not in listed.output and "7700" not in listed.output
    once = runner.invoke(cli, ["outbox", "--once"])
    assert once.exit_code == 0, once.output
    assert once.output.startswith("Sent 2 messages;")
    assert len(double.sent) == 2
    after = runner.invoke(cli, ["outbox", "--list"])
    assert "Waiting: 1 message for 1 person." in after.output
    assert runner.invoke(cli, ["outbox"]).exit_code == 2
    db.dispose()


def test_a_terminal_chat_prints_what_is_due_for_its_own_address_only(
    db: storage.Database, settings: Settings, clock: Clock
) -> None:
    """Like a phone: Sam's message waits for Sam's own ``planbot chat --address Sam``."""
    queue(db, clock, "t", channel="terminal", to="Sam", words="Kim asks: can you help?")
    queue(db, clock, "k", channel="terminal", to="terminal", words="A message for Kim.")
    out = io.StringIO()
    TerminalChat(db, settings, address="terminal", person="Kim", out=out, clock=clock).run([])
    assert "[for terminal]\nA message for Kim." in out.getvalue()
    assert "Kim asks" not in out.getvalue()
    assert statuses(db, "t", "k") == {"t": "waiting", "k": "sent"}
    at_sams = io.StringIO()
    TerminalChat(db, settings, address="Sam", out=at_sams, clock=clock).run([])
    assert "[for Sam]\nKim asks: can you help?" in at_sams.getvalue()
    assert statuses(db, "t") == {"t": "sent"}
