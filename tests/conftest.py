"""Shared fixtures: databases on every backend, settings in a temporary folder, an engine."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import storage
from dialogues import Engine
from planbot.settings import Settings
from tests.auxil.databases import backends, make_database
from tests.auxil.fake_telegram import FakeBotApi, fake_bot_api
from tests.auxil.hostile import TALLY
from tests.auxil.twilio_server import TwilioDouble, twilio_double


@pytest.fixture(params=backends())
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[storage.Database]:
    """A fresh migrated database: SQLite, and PostgreSQL where PLANBOT_TEST_DATABASE_URL is set."""
    with make_database(request.param, tmp_path) as database:
        yield database


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env(
        {"PLANBOT_DATA_DIR": str(tmp_path / "data"), "PLANBOT_HELP_CONTACT": "Call Sam on 0123"}
    )


@pytest.fixture
def twilio() -> Iterator[TwilioDouble]:
    """A Twilio double on 127.0.0.1 (texts sent by planbot land in it)."""
    with twilio_double() as server:
        yield server


@pytest.fixture
def telegram() -> Iterator[FakeBotApi]:
    """A fake Telegram Bot API on 127.0.0.1 (what planbot sends lands in it)."""
    with fake_bot_api() as server:
        yield server


class Clock:
    """A clock the tests move by hand (to come back "a week later" without waiting)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def engine(db: storage.Database, settings: Settings, clock: Clock) -> Engine:
    return Engine(db, settings, clock=clock)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The fuzz tests' figures: cases sent and server errors met (tests/auxil/hostile.py)."""
    if TALLY.cases:
        terminalreporter.section("fuzzing")
        for line in TALLY.lines():
            terminalreporter.write_line(line)
