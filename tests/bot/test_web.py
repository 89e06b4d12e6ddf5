"""The web app: health check, settings checked at start, and the private profile pages."""

from __future__ import annotations

import importlib.util
import re
import socket
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

import storage
from bot.cli import app as cli
from bot.web.app import app_from_env, check_settings, create_app
from easyread.html import listen_script
from easyread.speech import listen_length, sound_seconds
from planbot.errors import SettingsError
from planbot.settings import Settings
from tests.auxil.databases import TEST_KEY
from tests.auxil.twilio import PUBLIC_URL, Texter, make_settings
from tests.bot.test_sms_conversation import consent, link_in
from tests.conftest import Clock


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_healthz_is_200_when_the_database_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_healthz_is_503_when_the_database_is_away(sms_settings: Settings) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/nothing?connect_timeout=2"
    app = create_app(sms_settings, storage.Database(url))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
        response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


async def test_sms_refuses_everything_when_twilio_is_not_set_up(
    db: storage.Database, tmp_path: Path
) -> None:
    app = create_app(Settings.from_env({"PLANBOT_DATA_DIR": str(tmp_path)}), db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
        texter = Texter(client)
        with pytest.raises(AssertionError, match="Forbidden"):
            await texter.send("hello")


CHANNEL_SETTINGS = (
    "PLANBOT_PUBLIC_URL",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_FROM_NUMBER",
    "TWILIO_MESSAGING_SERVICE_SID",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_WEBHOOK_SECRET",
)


def test_sms_settings_are_checked_with_one_line_per_problem(tmp_path: Path) -> None:
    half = Settings.from_env({"PLANBOT_DATA_DIR": str(tmp_path), "TWILIO_FROM_NUMBER": "+4477"})
    problems = check_settings(half)
    assert len(problems) == 3
    assert (
        "TWILIO_AUTH_TOKEN is not set: SMS needs it to check that messages come from Twilio"
    ) in problems
    assert any(p.startswith("PLANBOT_PUBLIC_URL is not set:") for p in problems)
    assert any(p.startswith("TWILIO_ACCOUNT_SID is not set:") for p in problems)
    odd = make_settings(tmp_path, PLANBOT_PUBLIC_URL="planbot.example.org")
    assert [p.split(" ")[0] for p in check_settings(odd)] == ["PLANBOT_PUBLIC_URL"]
    assert check_settings(make_settings(tmp_path)) == []


def test_the_uvicorn_factory_refuses_to_start_without_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in CHANNEL_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PLANBOT_DATA_DIR", str(tmp_path))
    with pytest.raises(SettingsError, match="No channel is set up"):
        app_from_env()


def test_serve_prints_each_problem_and_stops(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in CHANNEL_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PLANBOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TWILIO_FROM_NUMBER", "+447700900000")
    monkeypatch.setenv("PLANBOT_SECRET_KEY", TEST_KEY)
    result = CliRunner().invoke(cli, ["serve", "--port", "1"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("PLANBOT_PUBLIC_URL is not set")
    assert lines[1].startswith("TWILIO_AUTH_TOKEN is not set")
    assert lines[2].startswith("TWILIO_ACCOUNT_SID is not set")


async def test_wrong_tokens_all_get_the_same_private_404(client: httpx.AsyncClient) -> None:
    answers = [
        await client.get(path)
        for path in (
            "/p/" + "A" * 43,
            "/p/" + "A" * 43 + ".words",
            "/p/short",
            "/p/short.words",
            "/p/" + "A" * 43 + ".exe",
            "/p/%00",
            "/p/a/b",
        )
    ]
    assert {r.status_code for r in answers} == {404}
    assert len({r.text for r in answers}) == 1
    for r in answers:
        assert r.headers["x-robots-tag"].startswith("noindex")
        assert r.headers["referrer-policy"] == "no-referrer"
        assert "no-store" in r.headers["cache-control"]
    assert "This link does not work" in answers[0].text


def _has(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:
        return False


async def test_the_page_and_its_files(texter: Texter, client: httpx.AsyncClient) -> None:
    await consent(texter)
    await texter.send("I am kind <b>&</b>")
    link = link_in(await texter.send("PROFILE"))
    page = await client.get(link)
    assert page.headers["content-type"].startswith("text/html")
    assert "I am kind &lt;b&gt;&amp;&lt;/b&gt;" in page.text  # escaped, never run
    assert "default-src 'none'" in page.headers["content-security-policy"]
    text = await client.get(link + ".txt")
    assert text.headers["content-type"].startswith("text/plain")
    assert "- I am kind <b>&</b>" in text.text
    mp3 = await client.get(link + ".mp3")  # speech is off in these settings
    if _has("easyread.speech"):
        assert mp3.status_code == 503
        assert "no-store" in mp3.headers["cache-control"]
    else:
        assert mp3.headers["content-type"].startswith("text/plain")


def link_target(page: httpx.Response, words: str) -> str:
    """The address a visible link on the page goes to, as the browser would open it."""
    found = re.findall(rf'<a href="([^"]+)">{re.escape(words)}</a>', page.text)
    assert len(found) == 1, (words, found)
    return urljoin(str(page.url), found[0])


@pytest.mark.skipif(not _has("easyread.html"), reason="the HTML page is not there yet")
async def test_the_page_links_to_its_words_only_and_print_forms(
    texter: Texter, client: httpx.AsyncClient
) -> None:
    await consent(texter)
    await texter.send("I am kind")
    link = link_in(await texter.send("PROFILE"))
    page = await client.get(link)
    assert 'class="icon"' in page.text  # the usual page has pictures

    words = await client.get(link_target(page, "Words only"))
    assert words.status_code == 200
    assert words.headers["content-type"].startswith("text/html")
    assert "I am kind" in words.text
    assert 'class="icon"' not in words.text and "<svg" not in words.text  # no pictures
    assert "This is the words-only page." in words.text
    assert "Words only</a>" not in words.text
    assert "no-store" in words.headers["cache-control"]
    assert words.headers["x-robots-tag"].startswith("noindex")
    assert words.headers["referrer-policy"] == "no-referrer"
    back = await client.get(link_target(words, "Words and pictures"))
    assert back.status_code == 200 and 'class="icon"' in back.text

    pdf_address = link_target(page, "Print this page")
    assert pdf_address.endswith(f"{link}.pdf")
    assert link_target(words, "Print this page") == pdf_address


async def test_a_turned_off_link_closes_the_words_only_page_too(
    texter: Texter, client: httpx.AsyncClient
) -> None:
    await consent(texter)
    await texter.send("I am kind")
    link = link_in(await texter.send("PROFILE"))
    assert (await client.get(link + ".words")).status_code == 200
    await texter.send("STOP LINK")
    gone = await client.get(link + ".words")
    assert gone.status_code == 404 and "This link does not work" in gone.text
    assert "no-store" in gone.headers["cache-control"]


@pytest.mark.slow
async def test_the_pdf_and_picture_come_from_the_renderers(
    texter: Texter, client: httpx.AsyncClient
) -> None:
    await consent(texter)
    await texter.send("I am kind")
    link = link_in(await texter.send("PROFILE"))
    pdf = await client.get(link + ".pdf")
    assert pdf.status_code == 200
    if _has("easyread.pdf"):
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
    png = await client.get(link + ".png")
    if _has("easyread.png") and _has("easyread.pdf"):
        assert png.headers["content-type"] == "image/png"
        assert png.content.startswith(b"\x89PNG")
    assert "no-store" in png.headers["cache-control"]


def test_create_app_opens_and_migrates_the_database_itself(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, PLANBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    app = create_app(settings)
    assert isinstance(app, FastAPI)
    with app.state.db.transaction() as session:
        assert storage.find_address(session, "sms", "+1") is None


async def test_the_listen_button_script_is_served_from_the_app(
    db: storage.Database, tmp_path: Path, clock: Clock
) -> None:
    """With speech on, the page has the big "Listen" button: its script is a file the app
    serves (the one script the policy allows), kept long by browsers, and the page says how
    long the sound is: an estimate first, the sound's own length once it has been made."""
    settings = make_settings(tmp_path, PLANBOT_TTS="espeak")
    app = create_app(settings, db, clock=clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL
    ) as client:
        texter = Texter(client)
        await consent(texter)
        await texter.send("I like swimming 🏊 on Tuesdays")
        link = link_in(await texter.send("PROFILE"))
        mp3 = await client.get(link + ".mp3")  # made first: the page then knows its length
        assert mp3.status_code == 200
        page = await client.get(link)
        words = await client.get(link + ".words")
        for form in (page, words):
            sources = re.findall(r'<script src="([^"]+)" defer></script>', form.text)
            assert len(sources) == 1 and form.text.count("<script") == 1
            script = await client.get(urljoin(str(form.url), sources[0]))
            assert script.status_code == 200
            assert script.headers["content-type"] == "text/javascript; charset=utf-8"
            assert "max-age=31536000" in script.headers["cache-control"]
            assert script.content == listen_script()
            assert "script-src 'self'" in form.headers["content-security-policy"]
            assert '<button type="button" id="listen-button"' in form.text
        seconds = sound_seconds(mp3.content)
        assert seconds is not None and seconds > 1
        assert f'class="listen-length">{listen_length(seconds)}</p>' in page.text
