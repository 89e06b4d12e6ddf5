"""``planbot serve`` as a real process on 127.0.0.1: a signed text in, TwiML out."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.auxil.databases import TEST_KEY
from tests.auxil.servers import free_port
from tests.auxil.twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, PUBLIC_URL, Texter

pytestmark = pytest.mark.slow
START_TIMEOUT = 30.0


def planbot_command() -> list[str]:
    """The installed ``planbot`` beside this Python, else the module (same code either way)."""
    script = Path(sys.executable).with_name("planbot")
    if script.exists():
        return [str(script)]
    found = shutil.which("planbot")
    return [found] if found else [sys.executable, "-m", "bot.cli"]


def wait_healthy(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"planbot serve stopped with code {process.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("planbot serve did not answer /healthz in time")


def serve_env(tmp_path: Path, **more: str) -> dict[str, str]:
    """The settings ``planbot serve`` runs with in these tests: SQLite in ``tmp_path``, a key,
    no speech, and Twilio's settings with the public address Twilio would call (the signature
    is made for it; the request goes to 127.0.0.1, as behind a reverse proxy)."""
    return {
        **os.environ,
        "PLANBOT_DATA_DIR": str(tmp_path / "data"),
        "PLANBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        "PLANBOT_PUBLIC_URL": PUBLIC_URL,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": FROM_NUMBER,
        "PLANBOT_TTS": "off",
        "PLANBOT_SECRET_KEY": TEST_KEY,
        **more,
    }


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    """The server's address, and a list of secrets the test saw that must not be logged."""
    port = free_port()
    env = serve_env(tmp_path)
    cmd = [*planbot_command(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=tmp_path
    )
    base = f"http://127.0.0.1:{port}"
    secrets = ["+447700900123", "swimming"]
    try:
        wait_healthy(base, process)
        yield base, secrets
    finally:
        process.terminate()
        try:
            output = process.communicate(timeout=10)[0].decode("utf-8", "replace")
        except subprocess.TimeoutExpired:
            process.kill()
            output = process.communicate()[0].decode("utf-8", "replace")
    assert "Uvicorn running" in output or "Application startup complete" in output, output
    # The log never holds a phone number, what was said, or a link's token.
    assert not [s for s in secrets if s in output], output


async def test_a_signed_text_to_a_real_server_gets_twiml(served: tuple[str, list[str]]) -> None:
    base, secrets = served
    async with httpx.AsyncClient(base_url=base, timeout=10.0) as client:
        texter = Texter(client, "+447700900123")
        hello = await texter.send("hello")
        assert any("Can I keep your answers safe" in b for b in hello)
        assert any("Reply 1 for Yes, 2 for No." in b for b in hello)
        for said in ("yes", "1", "Dev"):
            await texter.send(said)
        assert "- swimming" in (await texter.send("swimming"))[0]
        forged = await client.post("/sms", data={"From": "+447700900123", "Body": "x"})
        assert forged.status_code == 403
        profile = await texter.send("PROFILE")
        link = next(w for b in profile for w in b.split() if "/p/" in w)
        secrets.append(link.rsplit("/", 1)[1])
        page = await client.get(link.replace(PUBLIC_URL, ""))
        assert page.status_code == 200 and "swimming" in page.text
