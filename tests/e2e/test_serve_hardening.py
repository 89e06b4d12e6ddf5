"""``planbot serve`` as a real process: what its log holds when clients misbehave, and the
headers a real server sends. A client that goes away mid-upload, a body too big, a Host
header of someone else's: each is answered (or dropped) without a traceback in the log, and
a whole conversation logs none of the transitions library's lines."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.auxil.databases import TEST_KEY
from tests.auxil.servers import free_port
from tests.auxil.twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, PUBLIC_URL, Texter
from tests.e2e.test_serve_process import planbot_command, wait_healthy

pytestmark = pytest.mark.slow


def raw_request(port: int, head: bytes, body: bytes, *, close_early: bool) -> bytes:
    """Send a request by hand; with ``close_early`` go away before the body is all sent."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(head + body)
        if close_early:
            time.sleep(0.2)
            return b""
        conn.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
        return answer


async def test_a_real_server_logs_no_traceback_and_no_transitions(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "PLANBOT_DATA_DIR": str(tmp_path / "data"),
        "PLANBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        "PLANBOT_PUBLIC_URL": PUBLIC_URL,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": FROM_NUMBER,
        "PLANBOT_TTS": "off",
        "PLANBOT_SECRET_KEY": TEST_KEY,
    }
    cmd = [*planbot_command(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=tmp_path
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, process)
        form_head = (
            b"POST /sms HTTP/1.1\r\nHost: planbot.example.org\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 200000\r\n\r\n"
        )
        for _ in range(3):  # each used to write a traceback
            raw_request(port, form_head, b"Body=" + b"x" * 50_000, close_early=True)
        evil = b"GET /healthz/ HTTP/1.1\r\nHost: evil.example.org\r\nConnection: close\r\n\r\n"
        answer = raw_request(port, evil, b"", close_early=False)
        assert answer.startswith(b"HTTP/1.1 404") and b"evil" not in answer
        assert b"frame-ancestors 'none'" in answer and b"strict-transport-security" in answer
        async with httpx.AsyncClient(base_url=base, timeout=10.0) as client:
            texter = Texter(client, "+447700900123")
            for said in ("hello", "yes", "1", "Dev", "swimming", "done"):
                await texter.send(said)  # changes of state, each logged twice before
            too_big = await client.post("/sms", content=b"x" * 2_000_000)
            assert too_big.status_code == 413
    finally:
        process.terminate()
        output = process.communicate(timeout=20)[0].decode("utf-8", "replace")
    assert "Application startup complete" in output, output
    assert "Traceback" not in output and " ERROR " not in output, output
    assert "transitions" not in output, output
    assert "Warning: PLANBOT_PUBLIC_URL" not in output  # it is https
