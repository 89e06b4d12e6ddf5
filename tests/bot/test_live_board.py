"""The Planning Live board page (``/live/<token>``) through the real app.

A group is built the way people build one: signed SMS webhooks to the app (LIVE, the group's
name, participants texting JOIN with its code, NEXT, an answer, a call for help), and the
board's link is read from planbot's answer to BOARD. The page is then fetched like a phone
would: what it shows, what it must never show (anyone's words), its headers, and when the
link stops working.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from bot.web.board import render_board, where_now
from bot.web.hardening import SECURITY_HEADERS
from bot.web.pages import NOT_FOUND_PAGE
from dialogues import Board, BoardRow
from easyread import check_message
from tests.auxil.twilio import PUBLIC_URL, Texter
from tests.conftest import Clock

FACILITATOR = "+447700900100"
DEV, AMY, LATE = "+447700900201", "+447700900202", "+447700900203"
# What Dev says in topic 1: words that must never reach the board.
SAID = ("zanzibarflute", "marmalistic")
LINK = re.compile(re.escape(PUBLIC_URL) + r"(/live/[A-Za-z0-9_-]+)")


@dataclass
class Group:
    """A group in topic 1: Dev said 2 things, Amy none and asked for help, 1 still joining."""

    code: str
    facilitator: Texter
    board: str  # the board page's path, from planbot's answer to BOARD


def phone(client: httpx.AsyncClient, number: str) -> Texter:
    return Texter(client, number=number)


async def join(client: httpx.AsyncClient, number: str, code: str, name: str) -> None:
    """A participant joins for their own plan, says yes to keeping it, and gives a name."""
    texter = phone(client, number)
    welcome = "\n".join(await texter.send(f"JOIN {code}"))
    assert "Welcome to the" in welcome
    await texter.send("1")  # my own plan
    await texter.send("yes")  # keep my answers
    await texter.send("1")  # me, on my own
    thanks = "\n".join(await texter.send(name))
    assert "Please wait for the first topic" in thanks


async def board_link(facilitator: Texter) -> str:
    """The board page's path, read from planbot's answer to BOARD."""
    found = LINK.search("\n".join(await facilitator.send("BOARD")))
    assert found is not None, "BOARD gave no link"
    return found.group(1)


async def make_group(
    client: httpx.AsyncClient, group_name: str = "Redcar", dev: str = "Dev"
) -> Group:
    facilitator = phone(client, FACILITATOR)
    await facilitator.send("LIVE")
    ready = "\n".join(await facilitator.send(group_name))
    code = re.search(r"JOIN (\d{6})", ready)
    assert code is not None, ready
    await join(client, DEV, code.group(1), dev)
    await join(client, AMY, code.group(1), "Amy")
    late = phone(client, LATE)
    await late.send(f"JOIN {code.group(1)}")
    await late.send("1")  # my own plan, not yet said yes to keeping it: "still joining"
    sent = "\n".join(await facilitator.send("NEXT"))
    assert "Topic 1 of 6" in sent
    dev_phone = phone(client, DEV)
    await dev_phone.send(f"{SAID[0]}; {SAID[1]}")
    await dev_phone.send("done")
    await phone(client, AMY).send("help")
    return Group(code.group(1), facilitator, await board_link(facilitator))


def private(page: httpx.Response) -> None:
    """The headers every private page has (the profile's, bot/web/pages.py)."""
    for name, value in SECURITY_HEADERS.items():
        assert page.headers[name] == value
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"].startswith("no-store")
    assert page.headers["x-robots-tag"].startswith("noindex")


async def test_the_board_shows_first_names_and_counts_and_never_words(
    client: httpx.AsyncClient,
) -> None:
    group = await make_group(client)
    page = await client.get(group.board)
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    private(page)
    text = page.text
    assert "<title>Redcar: the board</title>" in text
    assert "Topic 1 of 6: All about me" in text
    dev = text[text.index("<bdi>Dev</bdi>") :]
    amy = dev[dev.index("<bdi>Amy</bdi>") :]
    assert "2 things" in dev[: dev.index("<bdi>Amy</bdi>")]
    assert "0 things" in amy and "Asked for help" in amy
    assert "Asked for help" not in dev[: dev.index("<bdi>Amy</bdi>")].split("</h2>", 1)[-1]
    assert "Still joining: 1 person" in text
    for word in SAID:
        assert word not in text
    assert '<meta http-equiv="refresh" content="15">' in text
    assert "<script" not in text.lower()
    assert " on" + "load=" not in text.lower() and "javascript:" not in text.lower()
    # Nothing on the page comes from elsewhere: pictures are inside it.
    assert not re.search(
        r'(src|href)="(?!data:|https://openmoji\.org/|https?://creativecommons)', text
    )


async def test_a_wrong_token_gets_the_profile_pages_404(
    client: httpx.AsyncClient,
) -> None:
    group = await make_group(client)
    token = group.board.rsplit("/", 1)[1]
    wrong = [
        "/live/" + "A" * 43,
        "/live/" + token[:-1] + ("A" if token[-1] != "A" else "B"),
        "/live/short",
        "/live/" + token + ".pdf",
        "/live/%00",
    ]
    answers = [await client.get(path) for path in wrong]
    assert {a.status_code for a in answers} == {404}
    for answer in answers:
        assert answer.text == NOT_FOUND_PAGE
        private(answer)
    assert (await client.get(group.board)).status_code == 200


async def test_the_link_stops_working_after_12_hours(
    client: httpx.AsyncClient, clock: Clock
) -> None:
    group = await make_group(client)
    clock.advance(hours=11, minutes=59)
    assert (await client.get(group.board)).status_code == 200
    clock.advance(minutes=1)
    gone = await client.get(group.board)
    assert gone.status_code == 404 and gone.text == NOT_FOUND_PAGE
    assert "refresh" not in gone.text  # an open board stops refreshing itself here


async def test_a_second_board_replaces_the_first_link(client: httpx.AsyncClient) -> None:
    group = await make_group(client)
    second = await board_link(group.facilitator)
    assert second != group.board
    assert (await client.get(group.board)).status_code == 404
    assert (await client.get(second)).status_code == 200


async def test_the_board_closes_when_the_session_ends(client: httpx.AsyncClient) -> None:
    """FINISH, as planbot tells the facilitator to say (END by SMS is the opt-out word)."""
    group = await make_group(client)
    ended = "\n".join(await group.facilitator.send("FINISH"))
    assert (await client.get(group.board)).status_code == 404, ended


async def test_names_people_typed_are_shown_not_run(client: httpx.AsyncClient) -> None:
    group = await make_group(client, group_name="<i>Redcar</i> & co", dev="<b>Dev</b>")
    text = (await client.get(group.board)).text
    assert "<b>Dev</b>" not in text and "<i>Redcar</i>" not in text
    assert "<bdi>&lt;b&gt;Dev&lt;/b&gt;</bdi>" in text
    assert "<title>&lt;i&gt;Redcar&lt;/i&gt; &amp; co: the board</title>" in text


async def test_a_board_opened_too_often_waits(
    client: httpx.AsyncClient, app: FastAPI, clock: Clock
) -> None:
    """The profile links' limit holds for the board: 30 views a link a minute."""
    group = await make_group(client)
    for _ in range(app.state.settings.link_views_per_minute):
        assert (await client.get(group.board)).status_code == 200
    busy = await client.get(group.board)
    assert busy.status_code == 429
    assert 0 < int(busy.headers["retry-after"]) <= 60
    assert busy.headers["cache-control"].startswith("no-store")
    clock.advance(minutes=1)
    assert (await client.get(group.board)).status_code == 200


async def test_opening_the_board_logs_no_token_or_name(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    group = await make_group(client)
    token = group.board.rsplit("/", 1)[1]
    with caplog.at_level(logging.DEBUG):
        assert (await client.get(group.board)).status_code == 200
        assert (await client.get("/live/" + "B" * 43)).status_code == 404
    # The server's side only: the test's own httpx client logs the address it asks for.
    server = [r for r in caplog.records if r.name != "httpx"]
    logged = " ".join(f"{r.getMessage()} {r.args}" for r in server)
    for secret in (token, "Dev", "Amy", "Redcar", *SAID):
        assert secret not in logged


def board(topic: int = 0, practice: bool = False, joining: int = 0) -> Board:
    titles = ("All about me", "A good day and a bad day", "What is important to me")
    rows = (BoardRow("Dev", (2, 1, 0), False), BoardRow("Amy", (0, 3, 0), True))
    return Board("Redcar", topic, len(titles), practice, titles, rows, joining)


@pytest.mark.parametrize(
    ("made", "where"),
    [
        (board(topic=2), "Topic 2 of 3: A good day and a bad day"),
        (board(practice=True), "Practice time"),
        (board(), "Not started yet"),
    ],
    ids=["topic", "practice", "not-started"],
)
def test_the_page_says_where_the_group_is(made: Board, where: str) -> None:
    assert where_now(made) == where
    page = render_board(made)
    assert f"<strong>{where}</strong>" in page
    if made.topic:  # counts for the topics so far, not the ones to come
        assert page.count("Topic 1: All about me") == 2
        assert page.count("Topic 2: A good day and a bad day") == 2
        assert "Topic 3:" not in page and "1 thing<" in page and "3 things" in page
    else:
        assert 'class="count"' not in page
        assert "You will see numbers when topic 1 starts." in page


def test_nobody_yet_and_still_joining() -> None:
    empty = Board("Redcar", 0, 3, False, ("A", "B", "C"), (), 2)
    page = render_board(empty)
    assert "Nobody has joined yet." in page
    assert "Still joining: 2 people" in page


def test_the_page_words_are_easy_read() -> None:
    """Every sentence the page itself writes passes the checks the bot's messages pass (the
    footer's picture credit names its licence as the licence asks, like the profile's)."""
    page = render_board(board(topic=2, joining=1))
    drop = r"<style>.*?</style>|<title>.*?</title>|<footer>.*?</footer>"
    shown = re.sub(drop, " ", page, flags=re.S)
    words = re.sub(r"<[^>]+>", "\n", shown)
    lines = [line.strip() for line in words.splitlines() if line.strip()]
    for line in lines:
        sentence = line if line.endswith((".", "?", "!")) else line + "."
        assert check_message(sentence) == [], line
