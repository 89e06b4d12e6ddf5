"""The audit log has every change to a plan, through the real channels: a photo added,
changed or taken off, a voice note, a private link made (PROFILE), the links turned off
(STOP LINK) and an invite code made, each by whoever is typing; read back by `planbot audit
NAME` and by the holder's "who looked at my plan". Never the words, numbers or codes."""

from __future__ import annotations

import re

import httpx
import pytest
from typer.testing import CliRunner

import storage
from bot.cli import app as cli
from tests.auxil.fake_telegram import FakeBotApi
from tests.auxil.twilio import PNG_BYTES, Texter, fake_twilio, media_url
from tests.bot.test_access_cli import engine, runner  # noqa: F401
from tests.bot.test_audit import _events
from tests.bot.test_my_data import sam_lets_in
from tests.bot.test_sms_conversation import consent
from tests.bot.test_sms_photo import PHOTO_QUESTION
from tests.bot.test_telegram import agree
from tests.bot.test_telegram_voice import (  # noqa: F401
    SAVED,
    bot,
    fake,
    send_voice,
    voice_note,
    voice_settings,
)
from tests.bot.test_telegram_voice import Bot as TelegramBot

US_NUMBER = "+12025550123"


@pytest.fixture
def us_texter(client: httpx.AsyncClient) -> Texter:
    """Someone texting a US Twilio number, where MMS works (the photo question is asked)."""
    return Texter(client, number=US_NUMBER, country="US")


async def send_photo(texter: Texter, n: int) -> list[str]:
    with fake_twilio() as twilio:
        twilio.add_media(media_url(n), PNG_BYTES, "image/png")
        return await texter.send("", media=[(media_url(n), "image/png")])


async def test_photo_links_and_invite_codes_are_logged_by_sms(
    us_texter: Texter,
    client: httpx.AsyncClient,
    db: storage.Database,
    runner: CliRunner,  # noqa: F811
) -> None:
    assert PHOTO_QUESTION in "\n".join(await consent(us_texter))
    assert (await send_photo(us_texter, 21))[0].startswith("Thank you. I have saved your photo.")
    await us_texter.send("change photo")
    assert (await send_photo(us_texter, 22))[0].startswith("Thank you. I have saved your photo.")
    await us_texter.send("change photo")
    assert "Your profile will have no photo." in "\n".join(await us_texter.send("no"))
    await us_texter.send("no")  # no photo to take off: nothing more is logged
    link = re.search(r"/p/\S+", "\n".join(await us_texter.send("PROFILE")))
    invite = "\n".join(await us_texter.send("invite"))
    code = invite.split("JOIN ", 1)[1][:6]
    await us_texter.send("STOP LINK")
    assert link is not None and (await client.get(link.group(0))).status_code == 404

    events = _events(db)
    for action, what in (
        ("added", "photo"),
        ("changed", "photo"),
        ("deleted", "photo"),
        ("shared", "profile"),
        ("shared", "invite"),
        ("removed", "links"),
    ):
        assert events.count(("Dev", "person", action, what, 1)) == 1, (action, what, events)

    shown = runner.invoke(cli, ["audit", "Dev"])
    assert shown.exit_code == 0, shown.output
    lines = [line.split("  ", 1)[1] for line in shown.output.splitlines()]
    assert lines[-6:] == [
        "Dev  person  added  photo  sms",
        "Dev  person  changed  photo  sms",
        "Dev  person  deleted  photo  sms",
        "Dev  person  shared  profile  sms",
        "Dev  person  shared  invite  sms",
        "Dev  person  removed  links  sms",
    ]
    for secret in (code, US_NUMBER, US_NUMBER[2:], link.group(0)):
        assert secret not in shown.output


async def test_the_holder_hears_that_a_supporter_made_a_link(
    texter: Texter, client: httpx.AsyncClient, db: storage.Database
) -> None:
    await consent(texter)
    sam = await sam_lets_in(texter, client)
    assert "/p/" in "\n".join(await sam.send("PROFILE"))  # a link to Dev's profile
    said = "\n".join(await texter.send("who looked at my plan"))
    assert "23 November 2026: Sam made a private link to your profile." in said
    assert "code to join" not in said  # Dev's own invite is left out: Dev knows it
    assert ("Dev", "person", "shared", "invite", 1) in _events(db)


async def test_a_voice_note_is_logged_as_a_thing_added(
    bot: TelegramBot,  # noqa: F811
    fake: FakeBotApi,  # noqa: F811
    db: storage.Database,
    voice_note: tuple[bytes, float],  # noqa: F811
) -> None:
    await agree(bot)
    await bot.press("no")  # no photo: at the first topic
    assert (await send_voice(bot, voice_note[0], "voice-audit"))[0] == SAVED
    assert _events(db) == [("Dev", "person", "added", "like_admire", 1)]
