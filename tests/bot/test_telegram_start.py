"""``planbot telegram`` starting up, as a real process: one line when Telegram cannot be
reached or refuses the token, and "listening" only once it is.

Why a real process: what a newcomer sees at start (one line or a traceback, the exit code, the
order of what is printed) shows only in a real run.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.auxil.fake_telegram import TOKEN, FakeBotApi, fake_bot_api

PLANBOT = Path(sys.executable).with_name("planbot")


def _env(tmp_path: Path, api: str, token: str = TOKEN) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLANBOT_", "TELEGRAM_"))}
    return env | {
        "PLANBOT_DATA_DIR": str(tmp_path / "data"),
        "PLANBOT_TTS": "off",
        "TELEGRAM_BOT_TOKEN": token,
        "PLANBOT_TELEGRAM_API_URL": api,
    }


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def fake() -> Iterator[FakeBotApi]:
    with fake_bot_api() as api:
        yield api


def _run(tmp_path: Path, api: str, token: str = TOKEN) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PLANBOT), "telegram"],
        env=_env(tmp_path, api, token),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_no_network_is_one_line_saying_telegram_cannot_be_reached(tmp_path: Path) -> None:
    done = _run(tmp_path, f"http://127.0.0.1:{_closed_port()}")
    assert done.returncode == 1
    assert done.stdout == ""
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("planbot cannot reach Telegram")
    assert "refused" not in line
    assert TOKEN not in done.stderr


def test_a_wrong_token_is_one_line_saying_telegram_refused_it(
    tmp_path: Path, fake: FakeBotApi
) -> None:
    done = _run(tmp_path, fake.url, token="999:not-the-token")
    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()
    assert line == "Telegram refused the bot token: check TELEGRAM_BOT_TOKEN (from @BotFather)."
    assert "999:not-the-token" not in done.stderr


def test_listening_is_said_once_polling_has_begun_and_ctrl_c_stops_cleanly(
    tmp_path: Path, fake: FakeBotApi
) -> None:
    process = subprocess.Popen(
        [str(PLANBOT), "telegram"],
        env=_env(tmp_path, fake.url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        seen = []
        for line in process.stderr:  # the log's lines, then "listening"
            seen.append(line)
            if "listening" in line:
                break
        methods = [call.method for call in fake.calls]
        assert seen[-1].startswith("planbot is listening on Telegram"), seen
        assert "getMe" in methods and "deleteWebhook" in methods  # Telegram answered first
        deadline = time.monotonic() + 20
        while "getUpdates" not in [c.method for c in fake.calls]:
            assert time.monotonic() < deadline, "planbot never asked for updates"
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGINT)
        _out, rest = process.communicate(timeout=30)
    assert process.returncode == 0, rest
    assert "Traceback" not in rest
