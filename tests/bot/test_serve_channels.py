"""``planbot serve`` runs the channels that are set up, and checks only their settings.

Why a real process for Telegram alone: a server with only Telegram's webhook is a real set-up
(no Twilio account at all), and only a real start shows it gets past the settings, migrates,
listens and answers an update.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.web.app import check_settings
from planbot.settings import Settings
from tests.auxil.databases import TEST_KEY
from tests.auxil.fake_telegram import TOKEN, FakeBotApi, fake_bot_api, make_text_update
from tests.auxil.servers import free_port

SECRET = "a-long-random-webhook-secret"
CHAT = 4242


def settings_of(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env({"PLANBOT_DATA_DIR": str(tmp_path), **env})


def test_no_channel_at_all_is_one_line(tmp_path: Path) -> None:
    (problem,) = check_settings(settings_of(tmp_path))
    assert problem.startswith("No channel is set up.")
    assert "TWILIO_AUTH_TOKEN" in problem and "TELEGRAM_BOT_TOKEN" in problem
    # A public address alone turns on no channel.
    public = settings_of(tmp_path, PLANBOT_PUBLIC_URL="https://planbot.example.org")
    assert [p.split(".")[0] for p in check_settings(public)] == ["No channel is set up"]


def test_telegram_alone_needs_no_twilio_settings(tmp_path: Path) -> None:
    both = settings_of(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_WEBHOOK_SECRET=SECRET)
    assert check_settings(both) == []


def test_half_set_up_telegram_says_what_is_missing(tmp_path: Path) -> None:
    token_only = settings_of(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN)
    assert [p.split(" ")[0] for p in check_settings(token_only)] == ["TELEGRAM_WEBHOOK_SECRET"]
    secret_only = settings_of(tmp_path, TELEGRAM_WEBHOOK_SECRET=SECRET)
    assert [p.split(" ")[0] for p in check_settings(secret_only)] == ["TELEGRAM_BOT_TOKEN"]


def test_half_set_up_sms_beside_telegram_is_still_a_problem(tmp_path: Path) -> None:
    mixed = settings_of(
        tmp_path,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        TWILIO_AUTH_TOKEN="token",
    )
    assert [p.split(" ")[0] for p in check_settings(mixed)] == [
        "PLANBOT_PUBLIC_URL",
        "TWILIO_ACCOUNT_SID",
    ]


@pytest.fixture
def fake() -> Iterator[FakeBotApi]:
    with fake_bot_api() as api:
        yield api


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PLANBOT_", "TWILIO_", "TELEGRAM_"))
    }
    base = {"PLANBOT_DATA_DIR": str(tmp_path / "data"), "PLANBOT_TTS": "off"}
    return env | base | {"PLANBOT_SECRET_KEY": TEST_KEY, **extra}


def _wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"planbot serve stopped: {process.communicate()[0].decode()}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("planbot serve did not answer /healthz")


@pytest.mark.slow
def test_serve_with_only_telegrams_webhook_starts_and_answers(
    tmp_path: Path, fake: FakeBotApi
) -> None:
    port = free_port()
    env = _env(
        tmp_path,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        PLANBOT_TELEGRAM_API_URL=fake.url,
    )
    planbot = Path(sys.executable).with_name("planbot")
    process = subprocess.Popen(
        [str(planbot), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process)
        update = json.dumps(make_text_update(CHAT, "/start"))
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
        response = httpx.post(f"{base}/telegram", content=update, headers=headers, timeout=30)
        assert response.status_code == 200
        fake.wait_for_text("Can I keep your answers safe")
        # SMS is off: nothing from Twilio is taken.
        assert httpx.post(f"{base}/sms", data={"From": "+1"}, timeout=10).status_code == 403
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0].decode()
    assert "Traceback" not in output
    assert TOKEN not in output


def test_serve_with_no_channel_says_so_in_one_line(tmp_path: Path) -> None:
    planbot = Path(sys.executable).with_name("planbot")
    done = subprocess.run(
        [str(planbot), "serve"], env=_env(tmp_path), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert done.stdout == ""
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("No channel is set up.")
