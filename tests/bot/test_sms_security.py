"""Forged, unsigned and hostile webhooks: refused or answered kindly, with nothing lost."""

from __future__ import annotations

import logging

import httpx
import pytest

import storage
from bot.sms.bodies import MAX_SEGMENTS
from easyread.sms_text import sms_segments
from tests.auxil import hostile
from tests.auxil.twilio import (
    PUBLIC_URL,
    Texter,
    post_signed,
    read_twiml,
    sign,
    sms_form,
)
from tests.bot.test_sms_conversation import consent, counts

NUMBER = "+447700900123"


async def test_an_unsigned_request_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, db: storage.Database
) -> None:
    before = counts(db)
    response = await client.post("/sms", data=sms_form(NUMBER, "hello"))
    assert response.status_code == 403
    assert counts(db) == before


@pytest.mark.parametrize(
    "forgery",
    ["wrong token", "wrong url", "changed field", "added field", "empty", "http not https"],
)
async def test_a_forged_signature_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, db: storage.Database, forgery: str
) -> None:
    form = sms_form(NUMBER, "hello")
    signature = {
        "wrong token": sign(PUBLIC_URL + "/sms", form, token="not-the-token"),
        "wrong url": sign("https://evil.example.org/sms", form),
        "changed field": sign(PUBLIC_URL + "/sms", {**form, "Body": "something else"}),
        "added field": sign(PUBLIC_URL + "/sms", form),
        "empty": "",
        "http not https": sign("http://planbot.example.org/sms", form),
    }[forgery]
    if forgery == "added field":
        form = {**form, "Extra": "1"}
    before = counts(db)
    response = await client.post("/sms", data=form, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403
    assert counts(db) == before


async def test_a_signed_request_with_a_query_string_is_checked_with_it(
    client: httpx.AsyncClient,
) -> None:
    form = sms_form(NUMBER, "hello")
    good = sign(PUBLIC_URL + "/sms?source=backup", form)
    ok = await client.post("/sms?source=backup", data=form, headers={"X-Twilio-Signature": good})
    assert ok.status_code == 200
    bad = sign(PUBLIC_URL + "/sms", form)
    refused = await client.post(
        "/sms?source=backup", data=form, headers={"X-Twilio-Signature": bad}
    )
    assert refused.status_code == 403


async def test_requests_that_are_not_twilio_forms_are_refused(client: httpx.AsyncClient) -> None:
    form = sms_form(NUMBER, "hi")
    as_json = await client.post("/sms", json=form, headers={"X-Twilio-Signature": "x"})
    assert as_json.status_code == 400
    huge = await post_signed(client, "/sms", {**form, "Body": "x" * 2_000_000})
    assert huge.status_code == 413
    no_sid = {k: v for k, v in form.items() if k not in ("MessageSid", "SmsMessageSid")}
    assert (await post_signed(client, "/sms", no_sid)).status_code == 400


@pytest.mark.parametrize("count", ["²", "٣", "1" * 5000, "-1", " 2 ", "lots"])
async def test_an_odd_media_count_is_a_text_without_pictures(
    client: httpx.AsyncClient, count: str
) -> None:
    """NumMedia is Twilio's to fill; anything but plain digits means no pictures, not a 500."""
    form = {**sms_form(NUMBER, "hello"), "NumMedia": count}
    response = await post_signed(client, "/sms", form)
    assert response.status_code == 200
    assert "Something went wrong" not in " ".join(read_twiml(response.text))


HOSTILE = {
    **hostile.HOSTILE,  # the table every output is tested with
    "20,000 characters": "a" * 20_000,
    "20,000 characters with spaces": "word " * 4_000,
    "emoji only": "🏊‍♀️🐶",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
async def test_hostile_input_is_answered_kindly_with_nothing_lost(
    texter: Texter, db: storage.Database, name: str
) -> None:
    await consent(texter)
    await texter.send("kind")
    bodies = await texter.send(HOSTILE[name])  # read_twiml fails on broken TwiML
    assert bodies, name
    assert all(0 < sms_segments(b) <= MAX_SEGMENTS for b in bodies)
    assert "Something went wrong" not in " ".join(bodies)
    with db.transaction() as session:
        dev = storage.get_person(session, "Dev")
        texts = [a.text for a in storage.answers_for(session, dev)]
    assert texts[0] == "kind"  # what was stored before is still there
    assert all("\x00" not in t and "\u202e" not in t for t in texts)
    # And the conversation goes on.
    assert "- music" in (await texter.send("music"))[0]


async def test_twiml_in_a_message_stays_text(texter: Texter) -> None:
    await consent(texter)
    bodies = await texter.send(HOSTILE["twiml"])
    assert texter.last is not None
    assert "<Redirect>" not in texter.last.text
    assert "&lt;Redirect&gt;" in texter.last.text
    assert any("<Redirect>http://evil.example.org</Redirect>" in b for b in bodies)


async def test_status_callbacks_must_be_signed(
    client: httpx.AsyncClient, db: storage.Database
) -> None:
    form = {
        "MessageSid": "SM1",
        "MessageStatus": "undelivered",
        "ErrorCode": "21610",
        "To": NUMBER,
        "From": "+447700900000",
        "AccountSid": "AC1",
    }
    assert (await client.post("/sms/status", data=form)).status_code == 403
    with db.transaction() as session:
        assert not storage.is_opted_out(session, "sms", NUMBER)
    assert (await post_signed(client, "/sms/status", form)).status_code == 204
    with db.transaction() as session:
        assert storage.is_opted_out(session, "sms", NUMBER)


def test_read_twiml_rejects_broken_xml() -> None:
    with pytest.raises(Exception):  # noqa: B017 - any parse error will do
        read_twiml("<Response><Message>a</Response>")


async def test_logs_hold_no_phone_number_and_no_words(
    texter: Texter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await consent(texter)
    for said in ("my secret words", "PROFILE", "STOP LINK", "HELP", "STOP", "hello", "START"):
        await texter.send(said)
    await texter.client.post("/sms", data=sms_form(NUMBER, "forged words"))
    assert caplog.records  # something was logged
    assert NUMBER not in caplog.text and NUMBER[1:] not in caplog.text
    assert "secret words" not in caplog.text and "forged words" not in caplog.text
    assert "/p/" not in caplog.text
