"""``planbot serve`` as a real process: what its log holds when clients misbehave, and the
headers a real server sends. A client that goes away mid-upload, a body too big, a Host
header of someone else's: each is answered (or dropped) without a traceback in the log, and
a whole conversation logs none of the transitions library's lines, nor any of its words,
the phone number or a private link's token."""

from __future__ import annotations

import re
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.auxil.servers import free_port
from tests.auxil.twilio import PUBLIC_URL, Texter
from tests.auxil.twilio_server import twilio_double
from tests.bot.test_sms_conversation import finish
from tests.e2e.test_serve_process import planbot_command, serve_env, wait_healthy

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
    env = serve_env(tmp_path)
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


NUMBER = "+447700900177"
NAME = "Quillon"
ANSWERS = ("zanzibarflute", "marmalistic, plonkeroo", "grumbletonic stew")


def tokens_in(text: str, route: str) -> list[str]:
    """The tokens of the private links (``/p/``, ``/d/``) in ``text``."""
    return re.findall(rf"{re.escape(PUBLIC_URL)}/{route}/([A-Za-z0-9_-]+)", text)


async def test_a_real_servers_output_holds_no_words_number_or_token(tmp_path: Path) -> None:
    """A whole conversation by SMS to ``planbot serve`` (the profile at the end sent by its
    own outbox sender to a Twilio double, PROFILE, the pages behind the links, "send me my
    data", STOP LINK, a forged text): nothing of what was said, no form of the phone number
    and no link's token is in what the server writes, on stdout or stderr."""
    port = free_port()
    with twilio_double() as double:
        env = serve_env(tmp_path, PLANBOT_TWILIO_API_URL=double.url)
        cmd = [*planbot_command(), "serve", "--host", "127.0.0.1", "--port", str(port)]
        process = subprocess.Popen(
            cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path
        )
        base = f"http://127.0.0.1:{port}"
        said: list[str] = []
        tokens: list[str] = []
        try:
            wait_healthy(base, process)
            async with httpx.AsyncClient(base_url=base, timeout=30.0) as client:
                texter = Texter(client, NUMBER)
                for words in ("hello", "yes", "1", NAME, *ANSWERS):
                    said += await texter.send(words)
                said += await finish(texter)
                double.wait_for(1)  # the profile, by the server's own outbox sender
                said += await texter.send("PROFILE")
                said += await texter.send("send me my data")
                tokens = tokens_in("\n".join([*said, *double.bodies()]), "p")
                data = tokens_in("\n".join(said), "d")
                assert len(tokens) == 2 and len(data) == 1, said
                for path in (f"/p/{tokens[0]}", f"/p/{tokens[1]}.txt", f"/d/{data[0]}"):
                    page = await client.get(path)
                    assert page.status_code == 200 and "zanzibarflute" in page.text
                tokens += data
                said += await texter.send("STOP LINK")
                assert (await client.get(f"/p/{tokens[0]}")).status_code == 404
                forged = {"From": NUMBER, "Body": "marmalistic", "MessageSid": "SMforged"}
                assert (await client.post("/sms", data=forged)).status_code == 403
        finally:
            process.terminate()
            out, err = (o.decode("utf-8", "replace") for o in process.communicate(timeout=20))
    assert "Application startup complete" in out + err, (out, err)
    assert any("Thank you. I have saved" in s for s in said)  # the words did go through
    words = [NAME, *(w for answer in ANSWERS for w in re.split(r",\s*", answer))]
    numbers = [NUMBER, NUMBER[1:], NUMBER[3:], "07700900177", "%2B447700900177"]
    for name, output in (("stdout", out), ("stderr", err)):
        found = [s for s in (*words, *numbers, *tokens) if s.casefold() in output.casefold()]
        assert not found, f"{name} holds {found}:\n{output}"
