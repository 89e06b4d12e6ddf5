"""Texts planbot sends itself, through Twilio's REST API (answered by the fake at HTTP level)."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
import responses

import storage
from bot.sms.twilio_client import TwilioSender, check_sender_settings
from planbot.errors import ChannelError, SettingsError
from planbot.settings import Settings
from tests.auxil.twilio import API, FROM_NUMBER, PUBLIC_URL, fake_twilio, make_settings

NUMBER = "+447700900123"


def opted_out(db: storage.Database, number: str = NUMBER) -> bool:
    with db.transaction() as session:
        return storage.is_opted_out(session, "sms", number)


def test_a_text_goes_from_our_number_with_a_status_callback(
    db: storage.Database, sms_settings: Settings
) -> None:
    with fake_twilio() as twilio:
        sids = TwilioSender(sms_settings, db).send(NUMBER, "Here is your link: “x”")
    assert len(sids) == 1 and sids[0].startswith("SM")
    assert twilio.sent == [
        {
            "To": NUMBER,
            "Body": 'Here is your link: "x"',
            "From": FROM_NUMBER,
            "StatusCallback": f"{PUBLIC_URL}/sms/status",
        }
    ]


def test_a_messaging_service_is_used_when_set(db: storage.Database, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, TWILIO_MESSAGING_SERVICE_SID="MG" + "1" * 32)
    with fake_twilio() as twilio:
        TwilioSender(settings, db).send(NUMBER, "hello")
    assert twilio.sent[0]["MessagingServiceSid"] == "MG" + "1" * 32
    assert "From" not in twilio.sent[0]


def test_a_long_text_goes_as_several_texts_of_two_segments(
    db: storage.Database, sms_settings: Settings
) -> None:
    with fake_twilio() as twilio:
        sids = TwilioSender(sms_settings, db).send(NUMBER, "word " * 200)
    assert len(sids) == len(twilio.sent) == 4
    assert all(len(m["Body"]) <= 306 for m in twilio.sent)


def test_error_21610_marks_the_number_opted_out_and_nothing_more_is_sent(
    db: storage.Database, sms_settings: Settings
) -> None:
    sender = TwilioSender(sms_settings, db)
    with fake_twilio() as twilio:
        twilio.opted_out.add(NUMBER)
        assert sender.send(NUMBER, "hello") == []
        assert opted_out(db)
        calls = len(twilio.mock.calls)
        assert sender.send(NUMBER, "hello again") == []
        assert len(twilio.mock.calls) == calls  # not even asked: we know already


def test_other_twilio_errors_become_channel_errors(
    db: storage.Database, sms_settings: Settings
) -> None:
    with responses.RequestsMock() as mock:
        mock.add(
            responses.POST,
            f"{API}/Messages.json",
            json={"code": 21211, "message": "Invalid 'To' Phone Number", "status": 400},
            status=400,
        )
        with pytest.raises(ChannelError, match="21211"):
            TwilioSender(sms_settings, db).send(NUMBER, "hello")
    with responses.RequestsMock() as mock, pytest.raises(ChannelError, match="reached"):
        mock.add(responses.POST, f"{API}/Messages.json", body=requests.ConnectionError("down"))
        TwilioSender(sms_settings, db).send(NUMBER, "hello")


def test_sending_needs_its_settings(db: storage.Database, tmp_path: Path) -> None:
    bare = Settings.from_env({"PLANBOT_DATA_DIR": str(tmp_path)})
    problems = check_sender_settings(bare)
    assert [p.split(" ")[0] for p in problems] == [
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_FROM_NUMBER",
    ]
    with pytest.raises(SettingsError, match="TWILIO_FROM_NUMBER is not set"):
        TwilioSender(bare, db)
