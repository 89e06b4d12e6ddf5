"""Erased means erased, in figures: the bytes of erased words found anywhere in the data folder
after each erase (target 0), beside those of words that were kept (which must still be found).

Run: ``.venv/bin/python bench/erased.py``. Each erase runs on a fresh data folder, through the
real SMS web app in-process (Twilio's signature made with its own algorithm), with SQLite in
the data folder and the profile page's sound spoken offline (eSpeak) and so cached. ``planbot
forget`` runs as its own process while the app keeps its database open, as beside a server.
Every byte of every file is read: the database, its -wal and -shm, the sound cache.

For each erase it prints the bytes of the erased words (and 2 KB of the page's sound) found
before and after, the bytes of kept words found after, and how long the erase took.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import storage  # noqa: E402
from bot.web.app import create_app  # noqa: E402
from planbot.settings import Settings  # noqa: E402

PUBLIC_URL = "https://planbot.example.org"
TOKEN = "bench-auth-token"
NUMBER = "+447700900123"
NAME = "Quillon"
KEPT, ERASED = "zanzibarflute", "marmalistic"


class Phone:
    """A phone texting the app, signed as Twilio signs."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client, self.sid = client, 0

    async def send(self, body: str) -> str:
        self.sid += 1
        form = {"From": NUMBER, "To": "+447700900000", "Body": body, "NumMedia": "0"}
        form["MessageSid"] = f"SM{self.sid:032x}"
        signature = RequestValidator(TOKEN).compute_signature(PUBLIC_URL + "/sms", form)
        answer = await self.client.post(
            "/sms", data=form, headers={"X-Twilio-Signature": signature}
        )
        answer.raise_for_status()
        return answer.text


def count_bytes(folder: Path, needles: list[bytes]) -> int:
    """Bytes of ``needles`` found in every file under ``folder`` (occurrences x length)."""
    total = 0
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            total += sum(data.count(n) * len(n) for n in needles)
    return total


def forget_process(settings: Settings) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANBOT_")}
    env["PLANBOT_DATA_DIR"] = str(settings.data_dir)
    planbot = Path(sys.executable).parent / "planbot"
    subprocess.run(
        [str(planbot), "forget", NAME, "--yes"], env=env, check=True, capture_output=True
    )


async def one(
    label: str,
    erase: Callable[[Phone, Settings, str], Awaitable[None]],
    erased: list[str],
    kept: list[str],
) -> tuple[str, int, int, int, float]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        settings = Settings.from_env(
            {
                "PLANBOT_DATA_DIR": str(folder / "data"),
                "PLANBOT_PUBLIC_URL": PUBLIC_URL,
                "PLANBOT_TTS": "espeak",
                "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
                "TWILIO_AUTH_TOKEN": TOKEN,
                "TWILIO_FROM_NUMBER": "+447700900000",
            }
        )
        db = storage.open_database(settings.database_url)
        app = create_app(settings, db)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
            phone = Phone(client)
            for body in ("hello", "1", "1", NAME, KEPT, ERASED, "PROFILE"):
                answer = await phone.send(body)
            link = next(w for w in answer.split() if "/p/" in w).split("<")[0]
            token = link.rsplit("/", 1)[1]
            sound = (await client.get(f"/p/{token}.mp3")).content
            piece = sound[len(sound) // 2 : len(sound) // 2 + 2048]
            needles = [w.encode() for w in erased] + [piece]
            before = count_bytes(folder, needles)
            started = time.perf_counter()
            await erase(phone, settings, token)
            took = time.perf_counter() - started
            after = count_bytes(folder, needles)
            kept_after = count_bytes(folder, [w.encode() for w in kept])
        db.dispose()
    return label, before, after, kept_after, took


async def delete_last(phone: Phone, _settings: Settings, _token: str) -> None:
    await phone.send("delete last")


async def restart(phone: Phone, _settings: Settings, _token: str) -> None:
    await phone.send("restart")
    await phone.send("yes")


async def stop_link(phone: Phone, _settings: Settings, _token: str) -> None:
    await phone.send("STOP LINK")


async def forget(_phone: Phone, settings: Settings, _token: str) -> None:
    await asyncio.to_thread(forget_process, settings)


async def main() -> None:
    runs = [
        ("delete last", delete_last, [ERASED], [KEPT, NAME]),
        ("restart", restart, [KEPT, ERASED], [NAME]),
        ("STOP LINK (the page's sound)", stop_link, [], [KEPT, ERASED, NAME]),
        ("planbot forget", forget, [NAME, KEPT, ERASED, NUMBER], []),
    ]
    heads = ("erase", "erased bytes before", "after", "kept bytes after", "took")
    print(f"{heads[0]:30} {heads[1]:>20} {heads[2]:>6} {heads[3]:>17} {heads[4]:>8}")
    for label, erase, erased, kept in runs:
        name, before, after, kept_after, took = await one(label, erase, erased, kept)
        print(f"{name:30} {before:>20} {after:>6} {kept_after:>17} {took * 1000:>6.0f}ms")


if __name__ == "__main__":
    asyncio.run(main())
