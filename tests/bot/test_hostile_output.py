"""Every hostile string (tests/auxil/hostile.py) is shown as the words typed, never run.

A person texts each string as an answer, and one as their name; then the answer goes back in
every form planbot has: TwiML (parses as XML with only the expected <Message>s), the profile
page, its words-only page and the review page (HTML: escaped, no element or attribute of the
person's making), the PDF (its text read back shows the characters as typed), and Telegram
(plain text: no parse mode on any call the bot makes).

"As typed" means as kept: planbot drops control characters and the right-to-left overrides and
isolates as it stores a message (``clean_text``), so those never come back.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pypdfium2
import pytest

import storage
from bot.telegram.channel import TelegramChannel
from tests.auxil.fake_telegram import FakeBotApi, fake_bot_api
from tests.auxil.hostile import DROPPED, HOSTILE
from tests.auxil.twilio import Texter, read_twiml
from tests.bot.test_sms_conversation import consent, link_in
from tests.bot.test_telegram import Bot, agree, telegram_settings
from tests.conftest import Clock

NAME = "Dev <i>{{7*7}}</i>"
INVISIBLE = "\ufeff\u200b\u2060"  # zero-width: an SMS may drop them at a word's edge
# Elements a page of planbot's own has; the person's words must add none.
OWN_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "img", "h1", "h2", "h3", "h4",
    "p", "strong", "nav", "ul", "li", "a", "main", "section", "div", "footer", "audio", "bdi",
}  # fmt: skip


class Page(HTMLParser):
    """An HTML page as a browser would read it: its elements, attributes and text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.bdi: list[str] = []  # the text of each <bdi>
        self.parts: list[str] = []
        self._in_bdi = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)
        if tag == "bdi":
            self._in_bdi = True
            self.bdi.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "bdi":
            self._in_bdi = False

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        if self._in_bdi:
            self.bdi[-1] += data

    @property
    def text(self) -> str:
        return "".join(self.parts)


def kept_answers(db: storage.Database, name: str = NAME) -> list[str]:
    with db.transaction() as session:
        (person,) = storage.find_people(session, name)
        return [a.text for a in storage.answers_for(session, person) if a.text]


@pytest.fixture
async def told(texter: Texter, db: storage.Database) -> tuple[Texter, list[str]]:
    """Every hostile string texted as an answer to the first topic; what was kept."""
    await consent(texter, NAME)
    for name, text in HOSTILE.items():
        bodies = await texter.send(text)  # read_twiml: only plain <Message>s, or it fails
        assert bodies and "Something went wrong" not in " ".join(bodies), name
    answers = kept_answers(db)
    assert answers
    return texter, answers


def test_the_table_holds_every_kind_of_trick() -> None:
    joined = "".join(HOSTILE.values())
    for needle in ("<script>", "{{", "{%", "</Message>", "\u202e", "\u200b", "\x00", "\ufeff"):
        assert needle in joined, needle


async def test_twiml_carries_hostile_words_as_text(texter: Texter) -> None:
    await consent(texter)
    for text in HOSTILE.values():
        bodies = await texter.send(text)
        assert texter.last is not None
        # exactly a <Response> of <Message>s holding only text: no element of the person's
        assert read_twiml(texter.last.text) == bodies
        kept = "".join(ch for ch in text if ch not in DROPPED)
        words = [w.strip(INVISIBLE) for w in re.split(r"[\s;,]+", kept)]
        shown = " ".join(bodies)
        assert all(w in shown for w in words), (words, bodies)


@pytest.mark.parametrize("form", ["", ".words"])
async def test_the_profile_pages_show_hostile_words_escaped(
    told: tuple[Texter, list[str]], client: httpx.AsyncClient, form: str
) -> None:
    texter, answers = told
    link = link_in(await texter.send("PROFILE"))
    response = await client.get(link + form)
    assert response.status_code == 200
    page = Page(response.text)
    assert page.tags <= OWN_TAGS, page.tags - OWN_TAGS
    assert not any(a.startswith("on") for a in page.attributes)
    for answer in answers:
        assert answer in page.bdi, answer  # every answer whole, and in its own <bdi>
    assert "All about Dev <i>{{7*7}}</i>" in page.text  # the name as typed, not run


async def test_the_review_page_shows_hostile_words_escaped(
    told: tuple[Texter, list[str]], client: httpx.AsyncClient
) -> None:
    texter, answers = told
    token = link_in(await texter.send("PROFILE")).removeprefix("/p/")
    response = await client.get(f"/r/{token}")
    assert response.status_code == 200
    page = Page(response.text)
    assert page.tags <= OWN_TAGS, page.tags - OWN_TAGS
    assert not any(a.startswith("on") for a in page.attributes)
    assert all(answer in page.bdi for answer in answers)
    assert "Getting ready for Dev <i>{{7*7}}</i>" in page.text


def pdf_text(data: bytes) -> str:
    pdf = pypdfium2.PdfDocument(data)
    try:
        return "".join(page.get_textpage().get_text_range() for page in pdf)
    finally:
        pdf.close()


def squeezed(text: str) -> str:
    """Text without spaces or line breaks (where a PDF wraps a line is its own business)."""
    return re.sub(r"[\s\u200b\u200c\u200d\u2060\ufeff\ufffe]+", "", text)


async def test_the_pdf_shows_hostile_words_as_typed(
    told: tuple[Texter, list[str]], client: httpx.AsyncClient
) -> None:
    texter, answers = told
    link = link_in(await texter.send("PROFILE"))
    response = await client.get(link + ".pdf")
    assert response.status_code == 200
    text = squeezed(pdf_text(response.content))
    for answer in answers:
        if re.search(r"[\u0600-\u06ff]", answer):
            continue  # right-to-left words come back in the order drawn: checked below
        assert squeezed(answer) in text, answer
    assert "<script>" in text and "{{7*7}}" in text and "</Message>" in text
    assert all(ch not in text for ch in DROPPED if ch not in "\n\t")
    arabic = re.findall(r"[\u0600-\u06ff]+", "".join(answers))
    assert arabic and all(word in text or word[::-1] in text for word in arabic)


# --- Telegram: plain text only ------------------------------------------------------------


@pytest.fixture
def fake() -> Iterator[FakeBotApi]:
    with fake_bot_api() as server:
        yield server


@pytest.fixture
async def bot(
    tmp_path: Path, fake: FakeBotApi, db: storage.Database, clock: Clock
) -> AsyncIterator[Bot]:
    channel = TelegramChannel(db, telegram_settings(tmp_path, fake), clock=clock)
    app = channel.application(polling=False)
    await app.initialize()
    try:
        yield Bot(app, fake)
    finally:
        await app.shutdown()


async def test_telegram_sends_hostile_words_as_plain_text(bot: Bot, db: storage.Database) -> None:
    await agree(bot, NAME)
    await bot.press("no")  # no photo
    for text in HOSTILE.values():
        await bot.say(text)
    await bot.say("my answers")
    texts = bot.fake.texts()
    for answer in kept_answers(db):
        assert any(answer in t for t in texts), answer
    assert any("{{7*7}}" in t for t in texts)
    calls = bot.fake.calls
    assert calls and all("parse_mode" not in c.fields for c in calls)
    assert all("entities" not in c.fields for c in calls)
