"""The profile page from the app served by uvicorn, in a real browser (Debian's chromium),
with the app's real headers: the "Listen" button's script loads under the page's policy and
shows the button, and chromium's console has no word of anything the policy refused."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

import storage
from bot.web.app import create_app
from tests.auxil.servers import served
from tests.auxil.twilio import PUBLIC_URL, Texter, make_settings
from tests.bot.test_sms_conversation import consent, link_in
from tests.conftest import Clock
from tests.easyread.test_browser import chromium, run_chromium

pytestmark = pytest.mark.slow


async def test_the_listen_script_runs_under_the_page_policy(
    db: storage.Database, tmp_path: Path, clock: Clock
) -> None:
    browser = chromium()
    settings = make_settings(tmp_path, PLANBOT_TTS="espeak")
    app = create_app(settings, db, clock=clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL
    ) as client:
        texter = Texter(client)
        await consent(texter)
        await texter.send("I like swimming 🏊")
        link = link_in(await texter.send("PROFILE"))
    path = link.removeprefix(PUBLIC_URL)
    with served(create_app(settings, db, clock=clock), "the web app") as base:
        done = run_chromium(
            browser,
            tmp_path / "chromium",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
            "--dump-dom",
            base + path,
        )
    # The script ran: it showed the button (the page has it hidden until then).
    assert 'id="listen-button" class="listen-button"' in done.stdout, done.stderr[-2000:]
    button = done.stdout.split('id="listen-button"', 1)[1].split(">", 1)[0]
    assert "hidden" not in button
    assert 'alt="🏊"' in done.stdout  # the emoji drawn by OpenMoji
    refused = [
        line
        for line in done.stderr.splitlines()
        if "Content Security Policy" in line or "Refused to" in line
    ]
    assert refused == []
