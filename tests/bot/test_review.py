"""Getting ready for a review, from REVIEW to the sheet: over the real SMS app (signed
webhooks, Twilio's REST API answered at the HTTP layer) ending with the private link to the
review sheet, over Telegram's real Application and the fake Bot API ending with its PDF, and
``planbot review`` writing each format. The PDF is opened for real and its text read."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pypdfium2
import pytest
import soundfile
from fastapi import FastAPI

import storage
from bot.telegram.channel import TelegramChannel
from tests.auxil.fake_telegram import FakeBotApi, fake_bot_api
from tests.auxil.twilio import PUBLIC_URL, Texter
from tests.bot.test_sms_conversation import texts_sent
from tests.bot.test_telegram import Bot, joined, telegram_settings
from tests.conftest import Clock

# What a carer says at each of the review's 8 topics, in order (one thing each, the first
# with characters that must be shown, never run).
REVIEW_ANSWERS = {
    "like_admire": "She loves <b>Tom</b> & Jerry",
    "important_to": "her cat Biscuit",
    "important_future": "a job at the garden centre",
    "best_support": "a walk every morning",
    "working": "the day centre",
    "not_working": "staff change every week",
    "questions": "who helps with her money",
    "who_to_invite": "her sister Beth",
}
PLANBOT = shutil.which("planbot", path=str(Path(sys.executable).parent)) or "planbot"


@pytest.fixture
def fake() -> Iterator[FakeBotApi]:
    with fake_bot_api() as server:
        yield server


def pdf_text(data: bytes) -> str:
    """Every page's text, with line breaks and runs of spaces made single spaces."""
    pdf = pypdfium2.PdfDocument(data)
    try:
        text = " ".join(page.get_textpage().get_text_range() for page in pdf)
    finally:
        pdf.close()
    return " ".join(text.split())


def assert_every_answer_in(text: str) -> None:
    for section, answer in REVIEW_ANSWERS.items():
        assert answer in text, f"{section}: {answer!r} is not on the sheet"


def link_to_review(bodies: list[str]) -> str:
    words = [w for b in bodies for w in b.split() if w.startswith(f"{PUBLIC_URL}/r/")]
    assert len(words) == 1, bodies
    return words[0].removeprefix(PUBLIC_URL)


async def test_sms_review_from_review_to_the_link_and_the_sheets_pdf(
    texter: Texter, client: httpx.AsyncClient, db: storage.Database, app: FastAPI
) -> None:
    first = await texter.send("REVIEW")
    assert any("get ready for the review meeting" in b for b in first)
    assert any("Can I keep your answers safe, to get ready for the review?" in b for b in first)
    assert any("Who is typing?" in b for b in await texter.send("yes"))
    assert any("What is your name?" in b for b in await texter.send("I am her mum"))
    await texter.send("Jo")
    assert any("How did Amy agree to this plan?" in b for b in await texter.send("Amy"))
    asked = await texter.send("they cannot say")
    assert any("Why is this plan best for Amy?" in b for b in asked)
    asked = await texter.send("Amy does not use words. We know her well.")
    assert any("What do you like about Amy?" in b for b in asked)
    for answer in REVIEW_ANSWERS.values():
        assert any("Thank you. I have saved:" in b for b in await texter.send(answer))
        await texter.send("done")
    ready = await texter.send("no")
    assert any("The review sheet for Amy is ready." in b for b in ready)
    end = await texts_sent(app)  # the link comes after, through the outbox
    assert any("Getting ready for Amy's review" in b for b in end)
    link = link_to_review(end)

    page = await client.get(link)
    assert page.status_code == 200
    assert "Getting ready for Amy&#39;s review" in page.text
    assert "What the family says" in page.text
    assert "&lt;b&gt;Tom&lt;/b&gt; &amp; Jerry" in page.text and "<b>Tom</b>" not in page.text
    assert page.headers["x-robots-tag"].startswith("noindex")
    pdf = await client.get(f"{link}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = pdf_text(pdf.content)
    assert "Getting ready for Amy's review" in text and "What the family says" in text
    assert "Made by Jo for Amy." in text  # a best-interests decision, on the sheet
    assert_every_answer_in(text)
    # The profile link's path opens the profile, not the sheet; a wrong token gets nothing.
    assert (await client.get(f"/r/{'x' * 43}")).status_code == 404

    with db.transaction() as session:
        amy = storage.get_person(session, "Amy")
        kept = [a for a in storage.answers_for(session, amy) if a.status == storage.ANSWER]
    assert {a.section: a.text for a in kept} == REVIEW_ANSWERS
    assert {(a.said_by, a.perspective) for a in kept} == {("Jo", "family")}


async def test_telegram_review_ends_with_the_sheets_pdf(
    tmp_path: Path, fake: FakeBotApi, db: storage.Database, clock: Clock
) -> None:
    app = TelegramChannel(db, telegram_settings(tmp_path, fake), clock=clock).application(
        polling=False
    )
    await app.initialize()
    bot = Bot(app, fake)
    try:
        assert "get ready for the review meeting" in joined(await bot.say("/review"))
        await bot.press("yes")
        assert "What is your name?" in joined(await bot.press("family"))
        await bot.say("Jo")
        assert "How did Amy agree to this plan?" in joined(await bot.say("Amy"))
        assert "What do you like about Amy?" in joined(await bot.press("said_yes"))
        for answer in REVIEW_ANSWERS.values():
            await bot.say(answer)
            await bot.say("done")
        texts = await bot.press("no")
    finally:
        await app.shutdown()
    assert "The review sheet for Amy is ready." in joined(texts)
    assert "Getting ready for Amy's review" in joined(texts)
    sent = fake.sent("sendDocument")[-1]
    assert sent.fields["caption"] == "The review sheet, to print and take to the meeting."
    text = pdf_text(sent.files["document"])
    assert "Getting ready for Amy's review" in text
    assert_every_answer_in(text)
    assert not fake.sent("sendPhoto")  # the profile's picture is not the review's


@pytest.mark.slow
def test_planbot_review_writes_every_format(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {
        **os.environ,
        "PLANBOT_DATA_DIR": str(data),
        "PLANBOT_DATABASE_URL": f"sqlite:///{data / 'planbot.sqlite3'}",
        "PLANBOT_TTS": "espeak",
    }

    def run(args: list[str], stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [PLANBOT, *args], input=stdin, env=env, capture_output=True, text=True, timeout=120
        )

    # Amy's own words first, then her mum's review, beside Amy at Amy's terminal (from her
    # own terminal, Mum would join Amy's plan with a code first: see test_terminal.py).
    own = run(["chat", "--person", "Amy"], "yes\n1\nI am funny\ndone\n")
    assert own.returncode == 0, own.stderr
    said = "review\n1\nJo\n" + "".join(f"{a}\ndone\n" for a in REVIEW_ANSWERS.values())
    review = run(["chat", "--person", "Amy"], said + "no\n")
    assert review.returncode == 0, review.stderr
    assert "Getting ready for Amy's review" in review.stdout
    out = {}
    for fmt in ("html", "pdf", "txt", "mp3", "ogg"):
        target = tmp_path / f"amy-review.{fmt}"
        done = run(["review", "Amy", "--format", fmt, "--out", str(target)])
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == str(target)
        out[fmt] = target
    page = out["html"].read_text("utf-8")
    assert "Getting ready for Amy&#39;s review" in page and "&lt;b&gt;Tom&lt;/b&gt;" in page
    words = out["txt"].read_text("utf-8")
    # The person's own words and the family's view are kept apart, in that order.
    mine, theirs = words.index("From Amy's own profile"), words.index("What the family says")
    assert mine < words.index("I am funny") < theirs < words.index("her cat Biscuit")
    assert_every_answer_in(" ".join(words.split()))
    assert_every_answer_in(pdf_text(out["pdf"].read_bytes()))
    for fmt in ("mp3", "ogg"):
        info = soundfile.info(str(out[fmt]))
        assert info.duration > 5, f"{fmt} is too short to hold the review sheet"
    wrong = run(["review", "Amy", "--format", "png", "--out", str(tmp_path / "x.png")])
    assert wrong.returncode == 1 and "Unknown format" in wrong.stderr
    nobody = run(["review", "Nobody", "--format", "txt"])
    assert nobody.returncode == 1
