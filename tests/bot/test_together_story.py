"""Planning together over the real apps: a person on SMS, a supporter on Telegram.

One web app (``bot/web``) serves both channels, as ``planbot serve`` does: ``/sms`` takes
webhooks signed with Twilio's algorithm, ``/telegram`` takes real Update JSON with the
webhook secret. What planbot sends through the outbox goes by its real sender to the Twilio
double (``PLANBOT_TWILIO_API_URL``) and to the fake Bot API (``PLANBOT_TELEGRAM_API_URL``),
whose records are what the tests read. Nothing of planbot is patched.

The supporter must see nothing of the plan before the person's yes and after the removal:
every call the fake Bot API received for the supporter's chat in those times is checked
for every answer's words.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

import storage
from bot.web.app import create_app
from tests.auxil.fake_telegram import TOKEN, Call, FakeBotApi, make_text_update
from tests.auxil.twilio import PUBLIC_URL, Texter, make_settings
from tests.auxil.twilio_server import TwilioDouble
from tests.conftest import Clock

DEV = "+447700900123"  # the person, on SMS
SAM_CHAT = 5555  # the supporter, on Telegram
SECRET = "webhook-secret-for-tests"
ANSWERS = ("kind", "funny", "always on time")  # everything said on Dev's plan


@dataclass
class Story:
    """The one web app with both channels, and the servers standing in for Twilio and
    Telegram."""

    app: FastAPI
    client: httpx.AsyncClient
    twilio: TwilioDouble
    telegram: FakeBotApi
    db: storage.Database

    async def sms(self, body: str, number: str = DEV) -> str:
        """Text planbot from ``number``; its answer, all texts joined."""
        return "\n".join(await Texter(self.client, number).send(body))

    async def tg(self, text: str, chat: int = SAM_CHAT) -> str:
        """Send ``text`` on Telegram through the webhook; what the bot sent that chat for it."""
        before = len(self.telegram.calls)
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        response = await self.client.post(
            "/telegram", json=make_text_update(chat, text), headers=headers
        )
        assert response.status_code == 200, response.text
        return "\n".join(texts(calls_for(self.telegram.calls[before:], chat)))

    async def deliver(self) -> None:
        """Run the app's outbox sender until nothing due is left waiting (the sender beside
        the app may be sending too: a row is claimed by one sender only)."""
        deadline = time.monotonic() + 20
        while True:
            await self.app.state.outbox.send_due()
            with self.db.transaction() as session:
                if not storage.outbox_summary(session).waiting:
                    return
            assert time.monotonic() < deadline, "the outbox did not empty"
            await asyncio.sleep(0.02)

    def texted(self, number: str = DEV) -> list[str]:
        return self.twilio.bodies(number)


def calls_for(calls: list[Call], chat: int) -> list[Call]:
    return [c for c in calls if str(c.fields.get("chat_id", "")) == str(chat)]


def texts(calls: list[Call]) -> list[str]:
    return [str(c.fields.get("text", "")) for c in calls if c.method == "sendMessage"]


def everything_in(calls: list[Call]) -> str:
    """All a chat was sent: texts, captions, button labels and any file's bytes."""
    parts: list[str] = []
    for call in calls:
        parts += [str(v) for v in call.fields.values()]
        parts += [data.decode("latin-1") for data in call.files.values()]
    return "\n".join(parts)


def assert_nothing_of_the_plan(calls: list[Call]) -> None:
    sent = everything_in(calls).casefold()
    for answer in ANSWERS:
        assert answer not in sent, f"{answer!r} reached the supporter: {sent}"
    assert f"{PUBLIC_URL}/p/" not in sent and f"{PUBLIC_URL}/r/" not in sent
    assert not [c for c in calls if c.method in ("sendDocument", "sendPhoto", "sendVoice")]


def code_in(text: str) -> str:
    found = re.findall(r"JOIN (\d{6})", text)
    assert found, text
    return str(found[0])


@pytest.fixture
async def story(
    tmp_path: Path, db: storage.Database, clock: Clock, twilio: TwilioDouble, telegram: FakeBotApi
) -> AsyncIterator[Story]:
    settings = make_settings(
        tmp_path,
        PLANBOT_SECRET_KEY="story-secret-key-0123456789-abcdefghij",
        PLANBOT_TWILIO_API_URL=twilio.url,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        PLANBOT_TELEGRAM_API_URL=telegram.url,
    )
    app = create_app(settings, db, clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
            yield Story(app, client, twilio, telegram, db)


async def start_plan(story: Story, number: str = DEV, name: str = "Dev") -> None:
    """Hello, yes, "Me", a name: the first topic's question."""
    assert "Can I keep your answers safe" in await story.sms("hello", number)
    assert "Who is typing?" in await story.sms("yes", number)
    assert "What should I call you?" in await story.sms("1", number)
    assert "What do people like about you?" in await story.sms(name, number)


async def sam_joins(story: Story, code: str, command: str = "JOIN") -> str:
    """The join questions on Telegram; the holder is asked through the outbox."""
    hello = await story.tg(f"{command} {code}")
    assert "Dev gave you a code" in hello
    assert "Can I keep your name and number, so you can help Dev?" in hello
    assert "What is your name?" in await story.tg("yes")
    assert "How do you know Dev?" in await story.tg("Sam")
    return await story.tg("im his mate")


async def test_a_person_on_sms_and_a_supporter_on_telegram_plan_together(
    story: Story, db: storage.Database
) -> None:
    await start_plan(story)
    assert "- kind\n- funny" in await story.sms("kind, funny")
    invite = await story.sms("INVITE")
    assert "Ask them to text JOIN" in invite and "works once" in invite
    code = code_in(invite)

    # Sam joins on Telegram: nothing of Dev's plan until Dev says yes.
    assert "Thank you. I have asked Dev. I will tell you when Dev says yes." in await sam_joins(
        story, code
    )
    assert "Dev has not said yes yet." in await story.tg("my answers")
    assert story.texted() == []  # the question waits in the outbox...
    await story.deliver()
    [asked] = story.texted()  # ...and goes to Dev's phone through Twilio
    assert "Sam says they are your friend." in asked
    assert "Sam will see your answers and can add to them." in asked and "Is that OK?" in asked
    assert "Dev said yes" not in "\n".join(texts(story.telegram.calls))
    before_yes = list(story.telegram.calls)

    yes = await story.sms("yes")
    assert "Thank you. Sam can see your plan now." in yes
    await story.deliver()
    told = calls_for(story.telegram.calls[len(before_yes) :], SAM_CHAT)
    assert [t for t in texts(told) if t.startswith("Dev said yes.")]  # by the outbox, on Telegram
    assert_nothing_of_the_plan(calls_for(before_yes, SAM_CHAT))

    # Sam adds a thing, with their own view.
    assert "What do you like about Dev?" in await story.tg("hello")
    assert "- always on time" in await story.tg("always on time")
    mine = await story.sms("my answers")
    assert "always on time (Sam" in mine and "kind" in mine  # "(Sam)", whose view it is
    with db.transaction() as session:
        dev = storage.get_person(session, "Dev")
        [sams] = [a for a in storage.answers_for(session, dev) if a.text == "always on time"]
        assert sams.perspective == "supporter"
    who = await story.sms("who can see my plan")
    assert "These people can see your plan:" in who
    assert "You, since 23 November 2026" in who and "Sam, since 23 November 2026" in who

    assert "Sam cannot see your plan now" in await story.sms("remove Sam")
    after_removal = len(story.telegram.calls)
    told_removed = await story.tg("my answers")
    assert told_removed.startswith("Dev has ended your help with their plan.")
    assert "Can I keep your answers safe" in await story.tg("what does Dev like")  # nobody's
    await story.tg("what do you like about Dev")
    await story.deliver()
    assert_nothing_of_the_plan(calls_for(story.telegram.calls[after_removal:], SAM_CHAT))
    with db.transaction() as session:
        dev = storage.get_person(session, "Dev")
        sam = storage.find_address(session, "telegram", str(SAM_CHAT))
        assert sam is None or storage.people_for_address(session, sam) == []
        # what Sam added stays on Dev's plan
        assert "always on time" in [a.text for a in storage.answers_for(session, dev)]
    who = await story.sms("who can see my plan")
    assert "Only you can" in who and "Sam, since" not in who


async def test_a_link_a_removed_supporter_was_sent_stops_working(
    story: Story, db: storage.Database
) -> None:
    """A supporter on SMS finishes the plan and gets its link; after "remove", the page behind
    it says the link does not work, while the person's own link still opens."""
    sam = "+447700900456"
    await start_plan(story)
    assert "- kind" in await story.sms("kind")
    code = code_in(await story.sms("invite"))
    assert "Can I keep your name and number" in await story.sms(f"join {code}", sam)
    await story.sms("yes", sam)
    await story.sms("Sam", sam)
    assert "I have asked Dev" in await story.sms("support worker", sam)
    await story.deliver()
    assert "Sam is your supporter." in story.texted()[-1]
    assert "Sam can see your plan now" in await story.sms("yes")
    await story.deliver()
    assert story.texted(sam)[-1].startswith("Dev said yes.")
    assert "What do you like about Dev?" in await story.sms("hi", sam)
    assert "- always on time" in await story.sms("always on time", sam)
    for _ in range(12):
        if "Do you want to change anything?" in await story.sms("done", sam):
            break
    await story.sms("no", sam)
    await story.deliver()
    links = [w for b in story.texted(sam) for w in b.split() if w.startswith(f"{PUBLIC_URL}/p/")]
    assert len(links) == 1, story.texted(sam)
    page = links[0].removeprefix(PUBLIC_URL)
    opened = await story.client.get(page)
    assert opened.status_code == 200 and "kind" in opened.text

    assert "Sam cannot see your plan now" in await story.sms("remove sam")
    gone = await story.client.get(page)
    assert gone.status_code == 404
    assert "This link does not work" in gone.text
    assert "kind" not in gone.text and "always on time" not in gone.text
    told = await story.sms("my answers", sam)
    assert "Dev has ended your help with their plan" in told
    assert "kind" not in told and "always on time" not in told


async def test_telegram_slash_invite_and_slash_join(story: Story) -> None:
    """The holder on Telegram gets a code with /invite; a supporter on another Telegram chat
    joins with /join and the code; the holder is asked through the outbox, on Telegram."""
    dev_chat = 4242
    assert "Can I keep your answers safe" in await story.tg("/start", dev_chat)
    await story.tg("yes", dev_chat)
    await story.tg("1", dev_chat)
    await story.tg("Dev", dev_chat)
    await story.tg("no", dev_chat)  # no photo
    invite = await story.tg("/invite", dev_chat)
    assert "Ask them to send JOIN" in invite and "to me." in invite
    code = code_in(invite)
    wrong = await story.tg("/join 000000")
    assert "That code does not work" in wrong
    assert "I have asked Dev" in await sam_joins(story, code, command="/join")
    before = len(story.telegram.calls)
    await story.deliver()
    asked = texts(calls_for(story.telegram.calls[before:], dev_chat))
    assert any("Sam says they are your friend." in t and "Is that OK?" in t for t in asked)
    assert "Sam can see your plan now" in await story.tg("yes", dev_chat)
