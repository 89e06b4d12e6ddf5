"""Planning Live's follow-up reminders are outbox messages due later: sent once even by two
workers at the same time, sent when planbot comes back after being down when they fell due,
never to someone who texted STOP, and listed by ``planbot outbox --list`` (no words)."""

from __future__ import annotations

import asyncio
import re
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

import storage
from bot._outbox import OutboxSender
from bot.cli import app as cli
from bot.sms.twilio_client import TwilioSender
from dialogues import Engine, Incoming
from planbot.settings import Settings
from tests.auxil.replies import shown
from tests.auxil.twilio_server import TwilioDouble
from tests.bot.test_outbox import twin
from tests.conftest import Clock

LEAD, DEV, AMY = "+447700900500", "+447700900501", "+447700900502"


def run_a_session(engine: Engine) -> None:
    """LIVE, two participants, one topic, FINISH (14 days to the follow-up)."""
    n = 0

    def say(number: str, text: str) -> str:
        nonlocal n
        n += 1
        return shown(engine.handle(Incoming("sms", number, f"SM{n}", text)))

    say(LEAD, "LIVE")
    code = re.search(r"JOIN (\d{6})", say(LEAD, "Redcar"))
    assert code is not None
    for number, name in ((DEV, "Dev"), (AMY, "Amy")):
        for text in (f"JOIN {code.group(1)}", "my own plan", "yes", "me", name):
            say(number, text)
    say(LEAD, "next")
    assert "The next session is on" in say(LEAD, "finish")


def test_reminders_go_once_with_two_workers_and_never_after_stop(
    db: storage.Database, sms: Settings, clock: Clock, double: TwilioDouble
) -> None:
    engine = Engine(db, sms, clock=clock)
    run_a_session(engine)
    with db.transaction() as session:
        storage.set_opted_out(session, "sms", AMY, True)  # Amy texted STOP after the session
    asyncio.run(OutboxSender(db, [TwilioSender(sms, db)], clock=clock).send_due())
    # Not yet: the profile links went, the reminder waits.
    assert not [b for b in double.bodies() if "meets again" in b]
    clock.advance(days=13, hours=1)  # the day before the follow-up (planbot was down till now)
    other = twin(db)  # a second worker on the same database
    start = threading.Barrier(2)

    def run(database: storage.Database) -> None:
        worker = OutboxSender(database, [TwilioSender(sms, database)], clock=clock, batch=1)
        start.wait()
        asyncio.run(worker.send_due())

    try:
        threads = [threading.Thread(target=run, args=(d,)) for d in (db, other)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        other.dispose()
    sent = [m["To"] for m in double.sent if "meets again" in m["Body"]]
    assert sent == [DEV]


def test_planbot_outbox_list_shows_the_reminders_without_words(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    db = storage.open_database(url)
    clock = Clock()
    clock.now = storage.utcnow()
    settings = Settings(data_dir=tmp_path / "data", database_url=url)
    run_a_session(Engine(db, settings, clock=clock))
    monkeypatch.setenv("PLANBOT_DATABASE_URL", url)
    monkeypatch.setenv("PLANBOT_DATA_DIR", str(settings.data_dir))
    listed = CliRunner().invoke(cli, ["outbox", "--list"])
    assert listed.exit_code == 0, listed.output
    due = clock() + timedelta(days=13)
    assert f"{due:%Y-%m-%d}" in listed.output  # the reminders, the day before
    assert "Redcar" not in listed.output and "Dev" not in listed.output
    assert "7700" not in listed.output
    db.dispose()
