"""Planning together, the whole story, over the real apps, once each way round.

Dev holds the plan on one channel and Sam helps on the other: Dev on SMS and Sam on
Telegram, then Dev on Telegram and Sam on SMS. Everything goes through the one web app
(``bot/web``, as ``planbot serve`` runs it): texts signed as Twilio signs them, Telegram
updates as real Update JSON; what planbot sends through the outbox goes by its real sender
to the Twilio double or the fake Bot API. ``planbot export`` and ``planbot links`` run as
real processes on the same database. Nothing of planbot is patched.

The story: Dev says INVITE; Sam joins with the code; Dev is asked through the outbox and says
yes; Sam says 3 things about Dev; Dev agrees to one, says no to one, and the third still
waits; Dev keeps one of their own things "just for me"; Dev opens the profile behind a link;
Dev removes Sam. What Sam could see at each point is checked on Sam's channel, everything
Sam was sent counted (texts, buttons, files, links), and in the page behind Sam's link.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

import storage
from tests.auxil.databases import TEST_KEY, opened
from tests.auxil.twilio import PUBLIC_URL
from tests.bot.test_at_rest import cells
from tests.bot.test_keys_cli import subprocess_url
from tests.bot.test_review import pdf_text
from tests.bot.test_terminal import planbot_command
from tests.bot.test_together_story import (  # noqa: F401 - the story fixture, used by name
    Story,
    calls_for,
    code_in,
    everything_in,
    story,
)
from tests.conftest import Clock

DEV_SHARES = "plays the ukulele"
JUST_FOR_ME = "makes great curry"  # Dev's own, kept "just for me" later
AGREED = "always on time"  # Sam's: Dev says yes
DECLINED = "good with money"  # Sam's: Dev says no
WAITING = "loves jigsaws"  # Sam's: Dev has not answered yet
DEVS_WORDS = (DEV_SHARES, JUST_FOR_ME)
PLAN = (*DEVS_WORDS, AGREED, DECLINED, WAITING)  # everything said on Dev's plan
DEV_NUMBER, SAM_NUMBER = "+447700900123", "+447700900456"
DEV_CHAT, SAM_CHAT = 4242, 5555


@dataclass
class Side:
    """Dev or Sam on one channel: what they send, and everything that reached them."""

    story: Story
    clock: Clock
    channel: str  # "sms" or "telegram"
    address: str  # the phone number, or the Telegram chat id
    answers: list[str] = field(default_factory=list)  # SMS: the webhook's own answers
    pace: timedelta = timedelta(minutes=1)  # the time from one message to the next

    async def says(self, text: str) -> str:
        """Send ``text`` a while (``pace``) after the last message; planbot's answer."""
        self.clock.now += self.pace
        if self.channel == "sms":
            answer = await self.story.sms(text, self.address)
            self.answers.append(answer)
            return answer
        return await self.story.tg(text, int(self.address))

    def mark(self) -> tuple[int, int]:
        """Where what reached this side stands now (for ``since``)."""
        if self.channel == "sms":
            return len(self.answers), len(self.story.twilio.bodies(self.address))
        return len(calls_for(self.story.telegram.calls, int(self.address))), 0

    def since(self, mark: tuple[int, int] = (0, 0)) -> str:
        """Everything that reached this side since ``mark``, in any way: the answers, the
        texts sent through the outbox, and on Telegram every call (texts, buttons, files)."""
        if self.channel == "sms":
            got = self.answers[mark[0] :] + self.story.twilio.bodies(self.address)[mark[1] :]
            return "\n".join(got)
        return everything_in(calls_for(self.story.telegram.calls, int(self.address))[mark[0] :])

    def files_since(self, mark: tuple[int, int] = (0, 0)) -> list[str]:
        """Files sent to this side (Telegram's documents, photos, voice notes)."""
        if self.channel == "sms":
            return []
        calls = calls_for(self.story.telegram.calls, int(self.address))[mark[0] :]
        return [c.method for c in calls if c.method in ("sendDocument", "sendPhoto", "sendVoice")]

    def last_outbox(self) -> str:
        """The newest message the outbox's sender delivered here."""
        if self.channel == "sms":
            return self.story.twilio.bodies(self.address)[-1]
        sent = [
            str(c.fields.get("text", ""))
            for c in calls_for(self.story.telegram.calls, int(self.address))
            if c.method == "sendMessage"
        ]
        return sent[-1]


def links_in(text: str) -> list[str]:
    return [w for w in text.split() if w.startswith(f"{PUBLIC_URL}/p/")]


def assert_nothing_of_the_plan(side: Side, mark: tuple[int, int], when: str) -> None:
    got = side.since(mark)
    for words in PLAN:
        assert words not in got.casefold(), f"{when}: {words!r} reached Sam: {got}"
    for path in ("/p/", "/r/", "/d/"):
        assert f"{PUBLIC_URL}{path}" not in got, f"{when}: a link reached Sam: {got}"
    assert side.files_since(mark) == [], f"{when}: a file reached Sam"


def planbot(db: storage.Database, tmp_path: Path, *args: str) -> str:
    """``planbot ARGS`` as a real process on the story's database; what it printed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANBOT_")}
    env |= {
        "PLANBOT_DATABASE_URL": subprocess_url(db),
        "PLANBOT_SECRET_KEY": TEST_KEY,
        "PLANBOT_DATA_DIR": str(tmp_path / "cli-data"),
        "PLANBOT_PUBLIC_URL": PUBLIC_URL,
        "PLANBOT_TTS": "off",
        "PYTHONIOENCODING": "utf-8",
    }
    done = subprocess.run(
        [planbot_command(), *args], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, f"planbot {' '.join(args)} failed:\n{done.stderr}"
    return done.stdout


async def dev_starts(dev: Side) -> None:
    """Agree, "Me", the name (on Telegram, no photo): the first topic, with 2 things."""
    first = "hello" if dev.channel == "sms" else "/start"
    assert "Can I keep your answers safe" in await dev.says(first)
    assert "Who is typing?" in await dev.says("yes")
    assert "What should I call you?" in await dev.says("1")
    named = await dev.says("Dev")
    if dev.channel == "telegram":
        assert "photo" in named
        named = await dev.says("no")
    assert "What do people like about you?" in named
    saved = await dev.says(f"{DEV_SHARES}, {JUST_FOR_ME}")
    assert f"- {DEV_SHARES}\n- {JUST_FOR_ME}" in saved


WAYS = [("sms", "telegram"), ("telegram", "sms")]
SHOWN = (DEV_SHARES, AGREED)  # on every profile
NOT_SHOWN = (JUST_FOR_ME, DECLINED, WAITING)  # on none


def assert_shared_only(text: str, where: str) -> None:
    for words in SHOWN:
        assert words in text, f"{where}: {words!r} is shared, so it is shown: {text}"
    for words in NOT_SHOWN:
        assert words not in text, f"{where}: {words!r} must not be shown: {text}"


async def open_profile(client: httpx.AsyncClient, link: str) -> None:
    """The page behind a link, its words-only page, its text and its real PDF: only what Dev
    shares."""
    path = link.removeprefix(PUBLIC_URL)
    page = await client.get(path)
    assert page.status_code == 200 and "All about Dev" in page.text
    assert_shared_only(page.text, "the page")
    assert_shared_only((await client.get(f"{path}.words")).text, "the words-only page")
    assert_shared_only((await client.get(f"{path}.txt")).text, "the text")
    pdf = await client.get(f"{path}.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert_shared_only(pdf_text(pdf.content), "the PDF")


def sealed_cells_with(db: storage.Database, words: str) -> list[str]:
    """The stored cells that hold ``words`` once opened with the key, as stored (sealed)."""
    return [c for c in cells(db) if isinstance(c, str) and words in opened(c)]


def sqlite_files(folder: Path) -> bytes:
    """The SQLite file and its WAL, byte for byte, read by another process: a file of the
    database opened and closed in this one would drop the locks SQLite holds on it here."""
    files = [folder / "planbot.sqlite3", folder / "planbot.sqlite3-wal"]
    done = subprocess.run(["cat", *[str(f) for f in files if f.exists()]], capture_output=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def by_text(exported: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["text"]: a for a in exported["answers"]}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("dev_on", "sam_on"), WAYS, ids=["dev-on-sms-sam-on-telegram", "dev-on-telegram-sam-on-sms"]
)
async def test_the_whole_together_story(
    story: Story,  # noqa: F811 - the fixture imported above
    db: storage.Database,
    clock: Clock,
    tmp_path: Path,
    dev_on: str,
    sam_on: str,
) -> None:
    dev = Side(story, clock, dev_on, DEV_NUMBER if dev_on == "sms" else str(DEV_CHAT))
    sam = Side(story, clock, sam_on, SAM_NUMBER if sam_on == "sms" else str(SAM_CHAT))

    # Dev starts a plan and asks for a code.
    await dev_starts(dev)
    invite = await dev.says("INVITE")
    assert ("text JOIN" if dev_on == "sms" else "send JOIN") in invite
    code = code_in(invite)

    # Sam joins on the other channel, and tries to see the plan before Dev's yes.
    hello = await sam.says(f"JOIN {code}")
    assert "Dev gave you a code" in hello
    assert "Can I keep your name and number, so you can help Dev?" in hello
    assert "What is your name?" in await sam.says("yes")
    assert "How do you know Dev?" in await sam.says("Sam")
    assert "I have asked Dev. I will tell you when Dev says yes." in await sam.says("im his mate")
    for attempt in ("my answers", "what does Dev like", "change what people like", "hello"):
        assert "Dev has not said yes yet." in await sam.says(attempt)
    if sam_on == "sms":
        assert "/p/" not in await sam.says("PROFILE")
    else:
        assert "Dev has not said yes yet." in await sam.says("/my_answers")

    # Dev is asked through the outbox, on Dev's own channel.
    assert dev_on != "sms" or story.texted(DEV_NUMBER) == []
    await story.deliver()
    asked = dev.last_outbox()
    assert "Sam says they are your friend." in asked and "Is that OK?" in asked
    # (a) Nothing of Dev's plan reached Sam before the yes: not a word, link or file.
    assert_nothing_of_the_plan(sam, (0, 0), "before Dev's yes")

    assert "Thank you. Sam can see your plan now." in await dev.says("yes")
    when = [clock.now]  # of each yes or no Dev gives, for the consent records
    await story.deliver()
    assert sam.last_outbox().startswith("Dev said yes.")

    # Sam says 3 things about Dev; Dev is asked about the first through the outbox at once.
    assert "What do you like about Dev?" in await sam.says("hi")
    for thing in (AGREED, DECLINED, WAITING):
        assert f"- {thing}" in await sam.says(thing)
    await story.deliver()
    first = dev.last_outbox()
    assert f"Sam said about you: {AGREED}." in first and "Can this go on your profile?" in first
    before_no = sealed_cells_with(db, DECLINED)
    assert before_no, "the declined thing was stored before the no"

    agreed = await dev.says("yes")
    when.append(clock.now)
    assert "It is on your profile now." in agreed
    assert f"Sam said about you: {DECLINED}." in agreed  # the next, one at a time
    declined = await dev.says("no")
    when.append(clock.now)
    assert "It will not go on your profile. I have deleted it." in declined
    assert DECLINED not in declined
    assert f"Sam said about you: {WAITING}." in declined
    decided = sam.mark()
    await story.deliver()
    told = sam.since(decided)
    assert f"Dev said yes to what you said: {AGREED}." in told
    assert "Dev said no to one thing you said." in told and DECLINED not in told

    # Dev keeps a thing "just for me": change, the topic, its number, then "just for me". The
    # thing still waiting is not asked beside the numbered list (a "2" would answer both).
    topic = await dev.says("change what people like")
    assert f"2. {JUST_FOR_ME}" in topic and "send its number" in topic
    assert "Can this go on your profile?" not in topic
    assert f"You picked: {JUST_FOR_ME}." in await dev.says("2")
    kept = await dev.says("just for me")
    when.append(clock.now)
    assert "Done. Only you can see it now." in kept
    assert f"Sam said about you: {WAITING}." in kept  # asked again, now on its own
    mine = await dev.says("my answers")
    assert f"{JUST_FOR_ME} (just for me)" in mine and f"{AGREED} (Sam)" in mine
    assert f"{WAITING} (Sam, waiting for your OK)" in mine and DECLINED not in mine
    hidden = sam.mark()

    # (b) Sam reads the plan: what Dev shares, and Sam's own thing waiting; never the rest.
    seen = await sam.says("my answers")
    assert f"{DEV_SHARES} (Dev)" in seen and AGREED in seen
    assert f"{WAITING} (waiting for Dev to say OK)" in seen
    assert JUST_FOR_ME not in seen and DECLINED not in seen
    topic = await sam.says("change what people like")
    assert DEV_SHARES in topic and JUST_FOR_ME not in topic and DECLINED not in topic
    sams_link = ""
    if sam_on == "sms":  # Sam's own link to Dev's profile
        short = await sam.says("PROFILE")
        [sams_link] = links_in(short)
        assert DEV_SHARES in short and AGREED in short
        assert not [w for w in NOT_SHOWN if w in short], short
        await open_profile(story.client, sams_link)
    assert JUST_FOR_ME not in sam.since(hidden)
    assert DECLINED not in sam.since(decided)

    # (d) Dev's profile behind a link: on SMS by PROFILE, on Telegram by `planbot links new`.
    if dev_on == "sms":
        short = await dev.says("PROFILE")
        [devs_link] = links_in(short)
        assert DEV_SHARES in short and AGREED in short
        assert not [w for w in NOT_SHOWN if w in short], short
    else:
        devs_link = planbot(db, tmp_path, "links", "new", "Dev").strip()
    await open_profile(story.client, devs_link)

    # (c) The declined thing's words are nowhere: not in a stored cell (opened with the key),
    # not in what was stored before the no, not in the export. Its row says it was declined.
    assert sealed_cells_with(db, DECLINED) == []
    if db.is_sqlite:  # the file and its WAL, byte for byte: the old sealed cells are gone
        on_disk = sqlite_files(tmp_path)
        assert [c for c in before_no if c.encode() in on_disk] == []
    exported_text = planbot(db, tmp_path, "export", "Dev")
    assert DECLINED not in exported_text
    exported = json.loads(exported_text)
    answers = by_text(exported)
    assert (answers[AGREED]["consent"], answers[AGREED]["said_by"]) == ("agreed", "Sam")
    assert (answers[WAITING]["consent"], answers[WAITING]["private"]) == ("waiting", False)
    assert (answers[JUST_FOR_ME]["consent"], answers[JUST_FOR_ME]["private"]) == (
        "person",
        True,
    )
    [gone] = [a for a in exported["answers"] if a["consent"] == "declined"]
    assert (gone["text"], gone["said_by"], gone["perspective"]) == ("", "Sam", "supporter")

    # Dev removes Sam.
    assert "Sam cannot see your plan now" in await dev.says("remove Sam")
    removed = sam.mark()
    # (e) Sam's next message is answered kindly; after it, nothing of the plan, anywhere.
    told = await sam.says("my answers")
    assert told.startswith("Dev has ended your help with their plan.")
    for attempt in ("what do you like about Dev", "change what people like", "my answers"):
        await sam.says(attempt)
    if sam_on == "sms":
        assert "/p/" not in await sam.says("PROFILE")
        gone_page = await story.client.get(sams_link.removeprefix(PUBLIC_URL))
        assert gone_page.status_code == 404 and "This link does not work" in gone_page.text
        assert not [w for w in PLAN if w in gone_page.text]
        pdf = await story.client.get(sams_link.removeprefix(PUBLIC_URL) + ".pdf")
        assert pdf.status_code == 404
    await story.deliver()
    assert_nothing_of_the_plan(sam, removed, "after the removal")
    assert (await story.client.get(devs_link.removeprefix(PUBLIC_URL))).status_code == 200
    who = await dev.says("who can see my plan")
    assert "Only you can see your plan." in who and "Sam, since" not in who

    # (f) The export: Sam listed as removed, and every yes and no recorded (who, when, on
    # which channel, the wording seen).
    exported = json.loads(planbot(db, tmp_path, "export", "Dev"))
    [access] = [a for a in exported["access"] if a["name"] == "Sam"]
    assert (access["role"], access["status"]) == ("friend", "removed")
    assert access["since"] and access["ended"] and access["ended"] > access["since"]
    answers = by_text(exported)
    consents = [
        (c["subject"], c["decision"], c["subject_id"])
        for c in exported["consents"]
        if c["subject"] != storage.KEEP_ANSWERS
    ]
    assert consents == [
        ("supporter_keep", "yes", access["id"]),  # Sam's own yes to keeping his name
        ("supporter", "yes", access["id"]),
        ("item", "yes", answers[AGREED]["id"]),
        ("item", "no", gone["id"]),
        ("item", "private", answers[JUST_FOR_ME]["id"]),
    ]
    keep, sams, *together = exported["consents"]
    assert (sams["by"], sams["by_role"], sams["channel"]) == ("Sam", "supporter", sam_on)
    assert (keep["subject"], keep["by"], keep["by_role"], keep["channel"]) == (
        "keep_answers",
        "Dev",
        "person",
        dev_on,
    )
    for record in together:  # each by Dev, as the plan's holder, on Dev's channel
        assert (record["by"], record["by_role"], record["channel"]) == ("Dev", "holder", dev_on)
    # What was asked, and a hash of its words as written: "approve v1 supporter 3f2a...".
    wordings = [c["wording"].split() for c in together]
    assert [w[:3] for w in wordings] == [
        ["approve", "v1", "supporter"],
        ["approve", "v1", "item"],
        ["approve", "v1", "item"],
        ["profile", "v2", "just_for_me"],
    ]
    assert all(re.fullmatch(r"[0-9a-f]{12}", w[3]) for w in wordings)
    assert [c["at"] for c in together] == [moment.isoformat() for moment in when]


async def tried_once(db: storage.Database, count: int) -> None:
    """Wait until ``count`` messages have failed once and wait to be tried again (the sender
    beside the app may be sending one just now)."""
    deadline = time.monotonic() + 20
    while True:
        with db.transaction() as session:
            waiting = storage.outbox_summary(session).waiting
        if sum(group.retrying for group in waiting) == count:
            return
        assert time.monotonic() < deadline, f"not {count} messages waiting to be tried again"
        await asyncio.sleep(0.02)


async def test_what_waits_for_sam_in_the_outbox_is_not_sent_after_the_removal(
    story: Story,  # noqa: F811 - the fixture imported above
    clock: Clock,
) -> None:
    """Twilio has a bad moment just as Dev says yes to Sam's thing and Sam finishes the plan:
    the news for Sam and the profile of Dev wait in the outbox to be tried again. Dev removes
    Sam meanwhile. When Twilio is back, none of it goes to Sam: the removal was at once."""
    dev = Side(story, clock, "sms", DEV_NUMBER)
    sam = Side(story, clock, "sms", SAM_NUMBER)
    await dev_starts(dev)
    code = code_in(await dev.says("INVITE"))
    for words in (f"JOIN {code}", "yes", "Sam", "im his mate"):
        await sam.says(words)
    await story.deliver()
    assert "Sam can see your plan now" in await dev.says("yes")
    await story.deliver()
    await sam.says("hi")
    await sam.says(AGREED)
    await story.deliver()
    assert f"Sam said about you: {AGREED}." in dev.last_outbox()

    dev.pace = sam.pace = timedelta(seconds=2)  # all within the first retry's minute
    story.twilio.failures = 1  # Twilio cannot take the next text
    assert "It is on your profile now." in await dev.says("yes")
    await story.app.state.outbox.send_due()  # "Dev said yes to what you said": not sent
    for _ in range(12):
        if "Do you want to change anything?" in await sam.says("done"):
            break
    story.twilio.failures = 1
    await sam.says("no")  # the end of the plan: the profile of Dev, for Sam
    await story.app.state.outbox.send_due()
    await tried_once(story.db, 2)  # both wait to be tried again
    assert story.twilio.bodies(SAM_NUMBER)[-1].startswith("Dev said yes.")  # nothing since

    assert "Sam cannot see your plan now" in await dev.says("remove Sam")
    removed = sam.mark()
    clock.advance(hours=2)  # Twilio is back, and every retry is due
    await story.deliver()
    assert_nothing_of_the_plan(sam, removed, "after the removal")
