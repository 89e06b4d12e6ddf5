"""Retention (storage limitation), on every backend: a plan nobody used for
PLANBOT_RETENTION_DAYS gets one question on its holder's channel, through the outbox ("Do you
want me to keep it?"); any message keeps it; with no answer in 30 days it is erased. The
hourly tidy does both, once, however often it runs."""

from __future__ import annotations

import uuid
from datetime import timedelta

import storage
from bot._retention import keep_or_forget_idle_plans
from dialogues import Engine, Incoming
from planbot.settings import Settings
from tests.auxil.replies import shown
from tests.conftest import Clock

DEV, KIM = "07700 900123", "07700 900456"


def _say(engine: Engine, address: str, text: str) -> str:
    incoming = Incoming("sms", address, uuid.uuid4().hex, text, opening=not text)
    return shown(engine.handle(incoming))


def _plan(engine: Engine, address: str, name: str) -> None:
    for text in ("", "yes", "1", name, "kind"):
        _say(engine, address, text)


def _queued(db: storage.Database, clock: Clock) -> list[tuple[str, str]]:
    with db.transaction() as session:
        items = storage.claim_due(session, now=clock(), channels=["sms"], limit=100)
    return [(i.address, str(i.reply["text"])) for i in items]


def _people(db: storage.Database) -> list[str]:
    with db.transaction() as session:
        return sorted(
            storage.person_name(p) or "" for p in storage.find_people(session, "Dev")
        ) + sorted(storage.person_name(p) or "" for p in storage.find_people(session, "Kim"))


def test_an_unused_plan_is_asked_about_once_then_erased_without_an_answer(
    db: storage.Database, settings: Settings, clock: Clock
) -> None:
    engine = Engine(db, settings, clock=clock)
    _plan(engine, DEV, "Dev")
    _plan(engine, KIM, "Kim")
    clock.advance(days=729)
    assert keep_or_forget_idle_plans(db, settings, clock()) == (0, 0)
    clock.advance(days=2)
    assert keep_or_forget_idle_plans(db, settings, clock()) == (2, 0)
    asked = _queued(db, clock)
    assert sorted(a for a, _ in asked) == [DEV, KIM]
    assert all("Do you want me to keep it? Send keep to keep it." in t for _, t in asked)
    assert all("If I hear nothing in 30 days, I will delete it." in t for _, t in asked)
    clock.advance(hours=1)
    assert keep_or_forget_idle_plans(db, settings, clock()) == (0, 0)  # asked once

    clock.advance(days=3)
    said = _say(engine, KIM, "keep")
    assert "Thank you. I will keep your plan safe." in said

    clock.advance(days=26)  # 29 days and a bit after the question
    assert keep_or_forget_idle_plans(db, settings, clock()) == (0, 0)
    assert _people(db) == ["Dev", "Kim"]
    clock.advance(days=1)
    assert keep_or_forget_idle_plans(db, settings, clock()) == (0, 1)
    assert _people(db) == ["Kim"]  # Dev said nothing: erased; Kim kept hers
    with db.transaction() as session:
        assert storage.find_address(session, "sms", DEV) is None

    clock.advance(days=700)  # Kim is asked again only 730 days after her "keep"
    assert keep_or_forget_idle_plans(db, settings, clock()) == (0, 0)
    clock.advance(days=5)
    assert keep_or_forget_idle_plans(db, settings, clock()) == (1, 0)


def test_the_setting_says_how_long_an_unused_plan_is_kept(
    db: storage.Database, settings: Settings, clock: Clock
) -> None:
    engine = Engine(db, settings, clock=clock)
    _plan(engine, DEV, "Dev")
    short = Settings.from_env(
        {"PLANBOT_DATA_DIR": str(settings.data_dir), "PLANBOT_RETENTION_DAYS": "10"}
    )
    assert short.retention_days == 10 and settings.retention_days == 730
    clock.advance(days=11)
    assert keep_or_forget_idle_plans(db, settings, clock()) == (0, 0)
    assert keep_or_forget_idle_plans(db, short, clock()) == (1, 0)
    assert timedelta(days=storage.ANSWER_DAYS) == timedelta(days=30)
