"""Retention (storage limitation), on every backend: a plan nobody used for
PLANBOT_RETENTION_DAYS gets one question on its holder's channel, through the outbox ("Do you
want me to keep it?"), sent by the real outbox sender to a Twilio double; any message keeps
it; with no answer in the 30 days after the question was SENT it is erased. A question that
could not be sent (the number opted out, every try failed) erases nothing and is asked again
30 days later. The hourly tidy does it all, once, however often it runs."""

from __future__ import annotations

import uuid
from datetime import timedelta

import storage
from bot._outbox import OutboxSender
from bot._retention import keep_or_forget_idle_plans
from bot._tidy import forget_old_replies
from bot.sms.channel import SmsChannel
from bot.sms.inbound import InboundSms
from bot.sms.twilio_client import TwilioSender
from dialogues import Engine, Incoming
from planbot.settings import Settings
from tests.auxil.replies import shown
from tests.auxil.twilio_server import TwilioDouble
from tests.conftest import Clock

DEV, KIM = "07700 900123", "07700 900456"


def _say(engine: Engine, address: str, text: str) -> str:
    incoming = Incoming("sms", address, uuid.uuid4().hex, text, opening=not text)
    return shown(engine.handle(incoming))


def _plan(engine: Engine, address: str, name: str) -> None:
    for text in ("", "yes", "1", name, "kind"):
        _say(engine, address, text)


async def _send(db: storage.Database, sms: Settings, clock: Clock) -> None:
    """What the outbox holds that is due, sent as ``planbot serve`` sends it."""
    await OutboxSender(db, [TwilioSender(sms, db)], clock=clock).send_due()


def _asked(double: TwilioDouble, address: str) -> int:
    """How many times the double took the question for ``address``."""
    return sum("Do you want me to keep it?" in body for body in double.bodies(address))


def _people(db: storage.Database) -> list[str]:
    with db.transaction() as session:
        return sorted(
            storage.person_name(p) or "" for p in storage.find_people(session, "Dev")
        ) + sorted(storage.person_name(p) or "" for p in storage.find_people(session, "Kim"))


async def test_an_unused_plan_is_asked_about_once_then_erased_without_an_answer(
    db: storage.Database, sms: Settings, clock: Clock, double: TwilioDouble
) -> None:
    engine = Engine(db, sms, clock=clock)
    _plan(engine, DEV, "Dev")
    _plan(engine, KIM, "Kim")
    clock.advance(days=729)
    assert keep_or_forget_idle_plans(db, sms, clock()) == (0, 0)
    clock.advance(days=2)
    assert keep_or_forget_idle_plans(db, sms, clock()) == (2, 0)
    await _send(db, sms, clock)
    asked = [b for b in double.bodies() if "Do you want me to keep it?" in b]
    assert sorted(m["To"] for m in double.sent) == [DEV, KIM]
    assert all("Send keep to keep it." in b for b in asked)
    assert all("If I hear nothing in 30 days, I will delete it." in b for b in asked)
    clock.advance(hours=1)
    assert keep_or_forget_idle_plans(db, sms, clock()) == (0, 0)  # asked once

    clock.advance(days=3)
    said = _say(engine, KIM, "keep")
    assert "Thank you. I will keep your plan safe." in said

    clock.advance(days=26)  # 29 days and a bit after the question
    assert keep_or_forget_idle_plans(db, sms, clock()) == (0, 0)
    assert _people(db) == ["Dev", "Kim"]
    clock.advance(days=1)
    assert keep_or_forget_idle_plans(db, sms, clock()) == (0, 1)
    assert _people(db) == ["Kim"]  # Dev said nothing: erased; Kim kept hers
    with db.transaction() as session:
        assert storage.find_address(session, "sms", DEV) is None

    clock.advance(days=700)  # Kim is asked again only 730 days after her "keep"
    assert keep_or_forget_idle_plans(db, sms, clock()) == (0, 0)
    clock.advance(days=5)
    assert keep_or_forget_idle_plans(db, sms, clock()) == (1, 0)


async def test_a_question_that_could_not_be_sent_erases_nothing(
    db: storage.Database, sms: Settings, clock: Clock, double: TwilioDouble
) -> None:
    """Dev texted STOP; every try to text Kim failed. Neither plan is erased; both are asked
    again 30 days later; Kim's question then goes, and her plan is erased 30 days after
    that, not before. Dev's, never asked, goes 90 days after the 730."""
    engine = Engine(db, sms, clock=clock)
    _plan(engine, DEV, "Dev")
    _plan(engine, KIM, "Kim")
    clock.advance(days=731)
    stop = InboundSms(DEV, uuid.uuid4().hex, "STOP", (), "GB")
    stopped = SmsChannel(db, sms, clock=clock).handle(stop)
    assert "I will not send you any more texts." in shown(stopped)
    double.failures = 100
    assert keep_or_forget_idle_plans(db, sms, clock()) == (2, 0)
    for _ in range(storage.MAX_ATTEMPTS):  # about four hours of tries, then given up
        await _send(db, sms, clock)
        clock.advance(hours=1, minutes=1)
    assert _asked(double, DEV) == _asked(double, KIM) == 0
    with db.transaction() as session:
        outbox = storage.outbox_summary(session)
    assert (outbox.opted_out, outbox.failed, outbox.sent, outbox.waiting) == (1, 1, 0, [])

    clock.advance(days=30)  # the hourly tidy, 30 days after asking: nothing erased
    double.failures = 0
    forget_old_replies(db, sms, clock())
    assert _people(db) == ["Dev", "Kim"]
    await _send(db, sms, clock)  # asked again: Kim's goes now; Dev's number is still off
    assert (_asked(double, DEV), _asked(double, KIM)) == (0, 1)

    clock.advance(days=29, hours=23)
    forget_old_replies(db, sms, clock())
    assert _people(db) == ["Dev", "Kim"]
    clock.advance(hours=2)  # 30 days after Kim's question went
    forget_old_replies(db, sms, clock())
    assert _people(db) == ["Dev"]  # Dev was never asked: kept, and asked again
    await _send(db, sms, clock)
    assert _asked(double, DEV) == 0

    # A plan nobody can be asked about is not kept for ever: unused for the 730 days and
    # 90 more, it goes, though its question never went.
    clock.advance(days=storage.UNSENT_DAYS - 61 - 2)
    forget_old_replies(db, sms, clock())
    assert _people(db) == ["Dev"]
    clock.advance(days=3)
    forget_old_replies(db, sms, clock())
    assert _people(db) == []


async def test_the_30_days_count_from_when_the_question_went(
    db: storage.Database, sms: Settings, clock: Clock, double: TwilioDouble
) -> None:
    """The outbox's sender was down for 10 days: the question went late, and the plan gets
    its whole 30 days from then."""
    engine = Engine(db, sms, clock=clock)
    _plan(engine, DEV, "Dev")
    clock.advance(days=731)
    forget_old_replies(db, sms, clock())
    clock.advance(days=10)
    await _send(db, sms, clock)
    assert _asked(double, DEV) == 1
    clock.advance(days=25)  # 35 days after asking, 25 after sending
    forget_old_replies(db, sms, clock())
    assert _people(db) == ["Dev"]
    clock.advance(days=5, hours=1)
    forget_old_replies(db, sms, clock())
    assert _people(db) == []


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
