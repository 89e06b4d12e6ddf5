"""The web app's outer layer, through the real app: security headers on every answer (errors
and 404s too), no Host header reflected anywhere, size limits on every route, and bad input
(JSON nested too deep, a client gone mid-upload, a flood of form fields) answered with a 4xx
and at most one log line, never a traceback."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

import storage
from bot.cli import app as cli
from bot.web.app import create_app
from planbot.settings import Settings
from tests.auxil.asgi import asgi_call, post_scope
from tests.auxil.databases import TEST_KEY
from tests.auxil.fake_telegram import FakeBotApi, fake_bot_api, make_text_update
from tests.auxil.twilio import PUBLIC_URL, Texter, make_settings, post_signed, sms_form
from tests.bot.test_sms_conversation import consent, counts, link_in
from tests.bot.test_telegram import SECRET, telegram_settings

NUMBER = "+447700900123"
CSP = "content-security-policy"


def assert_secure(response: httpx.Response, *, https: bool = True) -> None:
    """The headers every answer carries, whatever its status."""
    headers = response.headers
    policy = headers[CSP]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    # One kind of script: a file from the app itself (the page's "Listen" button). Never
    # inline, never eval, never from elsewhere.
    directives = dict(d.strip().partition(" ")[::2] for d in policy.split(";") if d.strip())
    assert directives["script-src"] == "'self'"
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in policy and "'strict-dynamic'" not in policy
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-content-type-options"] == "nosniff"
    if https:
        assert headers["strict-transport-security"].startswith("max-age=")
    else:
        assert "strict-transport-security" not in headers


def no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    assert "Traceback" not in caplog.text


async def test_every_answer_has_the_security_headers(
    client: httpx.AsyncClient, texter: Texter, db: storage.Database, tmp_path: Path
) -> None:
    await consent(texter)
    link = link_in(await texter.send("PROFILE"))
    assert_secure(texter.last)  # type: ignore[arg-type]
    answers = {
        "page": await client.get(link),
        "text": await client.get(f"{link}.txt"),
        "wrong token": await client.get("/p/" + "A" * 43),
        "no such route": await client.get("/nothing/here"),
        "wrong method": await client.get("/sms"),
        "unsigned": await client.post("/sms", data=sms_form(NUMBER, "hi")),
        "not a form": await client.post("/sms", json={"From": NUMBER}),
        "too big": await client.request("GET", "/healthz", content=b"x" * 100_000),
        "health": await client.get("/healthz"),
        "telegram off": await client.post("/telegram", json={}),
    }
    statuses = {name: r.status_code for name, r in answers.items()}
    assert statuses == {
        "page": 200,
        "text": 200,
        "wrong token": 404,
        "no such route": 404,
        "wrong method": 405,
        "unsigned": 403,
        "not a form": 400,
        "too big": 413,
        "health": 200,
        "telegram off": 404,
    }
    for response in answers.values():
        assert_secure(response)
    assert "Sorry. This link does not work." in answers["wrong token"].text


async def test_a_server_error_has_the_headers_and_one_line_in_the_log(
    sms_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    away = storage.Database(f"postgresql+psycopg://postgres@127.0.0.1:{port}/x?connect_timeout=2")
    app = create_app(sms_settings, away)
    report = {"MessageSid": "SM1", "MessageStatus": "undelivered", "ErrorCode": "21610"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL
    ) as client:
        response = await post_signed(client, "/sms/status", {**report, "To": NUMBER})
    assert response.status_code == 500
    assert response.text == "Sorry. Something went wrong.\n"
    assert_secure(response)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == ["POST /sms failed: StorageError"]
    assert NUMBER not in caplog.text
    no_tracebacks(caplog)


async def test_hsts_only_when_the_public_address_is_https(
    db: storage.Database, tmp_path: Path
) -> None:
    plain = create_app(make_settings(tmp_path, PLANBOT_PUBLIC_URL="http://planbot.lan"), db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=plain), base_url="http://planbot.lan"
    ) as client:
        assert_secure(await client.get("/healthz"), https=False)
        assert_secure(await client.get("/nothing"), https=False)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/healthz/"),
        ("GET", "/p/"),
        ("GET", "/p"),
        ("POST", "/sms/"),
        ("POST", "/telegram/"),
        ("GET", "/r/" + "A" * 43 + "/"),
        ("GET", "/nothing/"),
        ("GET", "//evil.example.org/"),
        ("OPTIONS", "/sms"),
    ],
)
async def test_the_host_header_is_never_reflected(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await client.request(method, path, headers={"Host": "evil.example.org"})
    assert response.status_code < 300 or response.status_code >= 400  # never a redirect
    assert "location" not in response.headers
    everything = response.text + " ".join(f"{k}: {v}" for k, v in response.headers.items())
    assert "evil" not in everything
    assert_secure(response)


async def test_a_profile_link_never_takes_the_host_header(
    client: httpx.AsyncClient, texter: Texter
) -> None:
    await consent(texter)
    texter.client.headers["Host"] = "evil.example.org"
    bodies = await texter.send("PROFILE")
    link = link_in(bodies)  # the link is PLANBOT_PUBLIC_URL's
    page = await client.get(link, headers={"Host": "evil.example.org"})
    assert page.status_code == 200 and "evil" not in page.text


# --- bad bodies ----------------------------------------------------------------------------


async def test_bodies_past_their_limit_are_refused_however_they_come(
    client: httpx.AsyncClient, db: storage.Database
) -> None:
    before = counts(db)

    async def chunks(total: int) -> AsyncIterator[bytes]:  # no length given: chunked
        for _ in range(total // 65536):
            yield b"Body=" + b"x" * 65531

    chunked = await client.post(
        "/sms",
        content=chunks(3 * 1024 * 1024),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert chunked.status_code == 413
    fields = {f"F{n}": "x" for n in range(500)}
    flood = await post_signed(client, "/sms", {**sms_form(NUMBER, "hi"), **fields})
    assert flood.status_code == 400  # more fields than any Twilio form, signed or not
    long_url = await client.get("/p/" + "A" * 5000)
    assert long_url.status_code == 414
    assert_secure(long_url)
    assert counts(db) == before


async def test_a_client_gone_mid_upload_gets_400_and_no_traceback(
    app: FastAPI, db: storage.Database, caplog: pytest.LogCaptureFixture
) -> None:
    before = counts(db)
    half = {"type": "http.request", "body": b"From=%2B4477&Body=" + b"x" * 20000, "more_body": True}
    form = [(b"content-type", b"application/x-www-form-urlencoded"), (b"content-length", b"50000")]
    sent = await asgi_call(app, post_scope("/sms", form), [half, {"type": "http.disconnect"}])
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 400
    assert counts(db) == before
    no_tracebacks(caplog)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


# --- the Telegram webhook ------------------------------------------------------------------


@pytest.fixture
def fake() -> Iterator[FakeBotApi]:
    with fake_bot_api() as server:
        yield server


@pytest.fixture
async def web(
    tmp_path: Path, fake: FakeBotApi, db: storage.Database
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(telegram_settings(tmp_path, fake), db)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
            yield client


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 200_000 + b"]" * 200_000,  # nested past the parser's recursion limit
        b'{"update_id": 1, "message": ' + b'{"a": ' * 50_000 + b"1" + b"}" * 50_001,
        json.dumps({"update_id": "x", "message": {"chat": "not a chat"}}).encode(),
        json.dumps({"update_id": 1, "message": [1, 2]}).encode(),
        b"\xff\xfe not utf-8",
        b"",
    ],
    ids=["nested list", "nested update", "wrong types", "message a list", "bytes", "empty"],
)
async def test_the_webhook_answers_bad_bodies_400_without_a_traceback(
    web: httpx.AsyncClient, fake: FakeBotApi, caplog: pytest.LogCaptureFixture, body: bytes
) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    response = await web.post("/telegram", content=body, headers=headers)
    assert response.status_code == 400
    assert_secure(response)
    no_tracebacks(caplog)
    good = await web.post("/telegram", json=make_text_update(77, "/start"), headers=headers)
    assert good.status_code == 200  # and the next update is taken as ever
    assert "Can I keep your answers safe" in "\n".join(fake.texts())


# --- at start ------------------------------------------------------------------------------


def test_serve_warns_in_one_line_when_the_public_address_is_not_https(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path)
    monkeypatch.setenv("PLANBOT_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", settings.twilio_auth_token or "")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", settings.twilio_account_sid or "")
    monkeypatch.setenv("PLANBOT_SECRET_KEY", TEST_KEY)
    monkeypatch.delenv("PLANBOT_DATABASE_URL", raising=False)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.delenv("TELEGRAM_WEBHOOK_SECRET", raising=False)
    with socket.socket() as busy:  # uvicorn cannot listen here, so serve stops at once
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        for url, warned in (("http://planbot.lan", True), (PUBLIC_URL, False)):
            monkeypatch.setenv("PLANBOT_PUBLIC_URL", url)
            result = CliRunner().invoke(cli, ["serve", "--port", port])
            lines = [line for line in result.output.splitlines() if "https" in line]
            assert len(lines) == (1 if warned else 0), result.output
            if warned:
                assert lines[0].startswith("Warning: PLANBOT_PUBLIC_URL is not an https://")
