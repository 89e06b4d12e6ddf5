"""The Planning Live board in a real browser (Debian's chromium) at a phone's width.

Why a real browser: "big enough to read" and "nothing runs off the side" are about the page as
a browser lays it out. Headless chromium will not make a window narrower than 500 pixels, so
the page is measured inside an iframe 390 CSS pixels wide (a common phone), by a small script
in the page around it; the board itself has no script and stays as the app made it. A second
test loads the board from the app served by uvicorn, with its real headers, and reads
chromium's console for anything the page's policy blocked.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

import storage
from bot.web.app import create_app
from bot.web.board import render_board
from dialogues import Board, BoardRow
from planbot.settings import Settings
from tests.auxil.servers import served
from tests.bot.test_live_board import make_group
from tests.conftest import Clock
from tests.easyread.test_browser import chromium, run_chromium

pytestmark = pytest.mark.slow

PHONE = 390  # CSS pixels: an iPhone 12 to 15's width
MIN_BODY_PX = 18
MEASURE = (
    """<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8"><title>measure</title></head>
<body style="margin:0">
<iframe id="phone" title="board" src="board.html"
 style="width:PHONEpx;height:844px;border:0"></iframe>
<script>
window.addEventListener("load", function () {
  var doc = document.getElementById("phone").contentDocument;
  var win = doc.defaultView;
  var wide = [], smallest = 1000;
  doc.querySelectorAll("body *").forEach(function (el) {
    var box = el.getBoundingClientRect();
    if (box.width && (box.left < -0.5 || box.right > win.innerWidth + 0.5)) {
      wide.push(el.tagName + " " + el.className + " " + Math.round(box.right));
    }
    var text = Array.prototype.some.call(el.childNodes, function (n) {
      return n.nodeType === 3 && n.textContent.trim();
    });
    if (text) { smallest = Math.min(smallest, parseFloat(win.getComputedStyle(el).fontSize)); }
  });
  var out = document.createElement("pre");
  out.id = "measured";
  out.textContent = JSON.stringify({
    width: win.innerWidth,
    scroll: doc.documentElement.scrollWidth,
    body: parseFloat(win.getComputedStyle(doc.body).fontSize),
    smallest: smallest,
    wide: wide
  });
  document.body.appendChild(out);
});
</script>
</body></html>
"""
).replace("PHONE", str(PHONE))


@pytest.fixture
def browser() -> str:
    return chromium()  # skips, saying how to install it, where there is none


def static_site(pages: dict[str, str]) -> Starlette:
    """A site that serves these pages as they are (no headers of ours)."""

    def answer(text: str) -> Callable[[Request], Awaitable[HTMLResponse]]:
        async def endpoint(_request: Request) -> HTMLResponse:
            return HTMLResponse(text)

        return endpoint

    return Starlette(routes=[Route(f"/{name}", answer(text)) for name, text in pages.items()])


def measure(browser: str, board_page: str, tmp_path: Path) -> dict[str, object]:
    """How chromium lays out ``board_page`` at the phone's width."""
    site = static_site({"index.html": MEASURE, "board.html": board_page})
    with served(site, "the measuring site") as base:
        done = run_chromium(
            browser,
            tmp_path / "chromium",
            "--virtual-time-budget=5000",  # less than the page's 15 second refresh
            "--dump-dom",
            f"{base}/index.html",
        )
    found = re.search(r'<pre id="measured">(.*?)</pre>', done.stdout, re.S)
    assert found, f"nothing measured (chromium said: {done.stderr[-2000:]})"
    result: dict[str, object] = json.loads(html.unescape(found.group(1)))
    return result


def crowded() -> Board:
    """A full group at the last topic, with the longest names people type."""
    titles = (
        "All about me",
        "A good day and a bad day",
        "What is important to me",
        "What is working and not working",
        "The next 12 months",
        "What will happen next",
    )
    names = ["Bartholomew-Maximilian", "Wolfeschlegelsteinhausenbergerdorff", "Amy", "Jo"]
    rows = tuple(
        BoardRow(names[n % len(names)], (12, 3, 0, 7, 100, 1), n % 3 == 0) for n in range(10)
    )
    return Board("Redcar and Cleveland Tuesday afternoon group", 6, 6, False, titles, rows, 3)


def assert_fits_a_phone(measured: dict[str, object]) -> None:
    assert measured["width"] == PHONE
    assert isinstance(measured["body"], float | int) and measured["body"] >= MIN_BODY_PX
    assert isinstance(measured["smallest"], float | int) and measured["smallest"] >= MIN_BODY_PX
    assert measured["scroll"] == PHONE, measured
    assert measured["wide"] == [], measured


async def test_the_board_from_the_app_fits_a_phone(
    client: httpx.AsyncClient, browser: str, tmp_path: Path
) -> None:
    group = await make_group(client)
    page = await client.get(group.board)
    assert page.status_code == 200
    assert_fits_a_phone(measure(browser, page.text, tmp_path))


def test_a_full_board_with_long_names_fits_a_phone(browser: str, tmp_path: Path) -> None:
    assert_fits_a_phone(measure(browser, render_board(crowded()), tmp_path))


def test_the_measure_sees_a_page_that_does_not_fit(browser: str, tmp_path: Path) -> None:
    """A control: the checks above pass because the page fits, not because nothing was seen."""
    page = render_board(crowded()).replace("font-size:20px", "font-size:12px")
    page = page.replace("overflow-wrap:break-word", "overflow-wrap:normal")
    measured = measure(browser, page, tmp_path)
    assert measured["body"] == 12
    assert measured["wide"] != []


async def test_the_page_policy_blocks_nothing_on_the_board(
    db: storage.Database,
    client: httpx.AsyncClient,
    sms_settings: Settings,
    clock: Clock,
    browser: str,
    tmp_path: Path,
) -> None:
    """Served by uvicorn with its real headers: chromium draws the board and its console has
    no word of anything the policy refused (styles, pictures, the refresh)."""
    group = await make_group(client)
    app = create_app(sms_settings, db, clock=clock)
    with served(app, "the web app") as base:
        done = run_chromium(
            browser,
            tmp_path / "chromium",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
            "--dump-dom",
            base + group.board,
        )
    assert "<bdi>Dev</bdi>" in done.stdout and "Still joining: 1 person" in done.stdout
    refused = [
        line
        for line in done.stderr.splitlines()
        if "Content Security Policy" in line or "Refused to" in line
    ]
    assert refused == []


def test_the_console_shows_what_a_policy_refuses(browser: str, tmp_path: Path) -> None:
    """A control: a refused inline script does show in chromium's console as read above."""
    page = (
        '<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'\"></head><body><script>1</script></body></html>"
    )
    with served(static_site({"index.html": page}), "the control site") as base:
        done = run_chromium(
            browser,
            tmp_path / "chromium",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
            f"{base}/index.html",
        )
    assert "Content Security Policy" in done.stderr
