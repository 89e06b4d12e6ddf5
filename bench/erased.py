"""Erased means erased, in figures: the bytes of erased words found anywhere in the data folder
after each erase (target 0), beside those of words that were kept (which must still be found).

Run: ``.venv/bin/python bench/erased.py``. Each erase runs on a fresh data folder, through the
real SMS web app in-process (Twilio's signature made with its own algorithm), with SQLite in
the data folder, the profile page kept in the render cache, and the page's sound spoken
offline (eSpeak) and so cached. ``planbot forget`` runs as its own process while the app keeps
its database open, as beside a server. Every byte of every file is read: the database, its
-wal and -shm, the render and sound caches, the renders' own folders. So is every file under
``planbot-*`` in the system's temporary folder made during the run (renders once worked there).

The erases: ``delete last``, ``restart``, ``STOP LINK``, ``planbot forget``, a thing a
supporter said that the plan's holder declined, and "delete everything" (asked twice). The
words are new for each run (a few random letters on the end), so files other programs left
in the temporary folder cannot be counted.

For each erase it prints the bytes of the erased words (and 2 KB of the page's sound) found
before and after in the data folder, those found after in the temporary folder, the bytes of
kept words found after, and how long the erase took.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable
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
SUPPORTER = "+447700900456"
RUN = "".join(random.choices(string.ascii_lowercase, k=5))  # new words for each run
NAME = "Quillon"
KEPT, ERASED = f"zanzibarflute{RUN}", f"marmalistic{RUN}"
DECLINED = f"quixoticdeclined{RUN}"  # what the supporter says, and the holder says no to
SIDS = itertools.count(1)
WIDTHS = (30, 20, 6, 8, 17, 8)  # the table's columns
STARTED = time.time()


class Phone:
    """A phone texting the app, signed as Twilio signs."""

    def __init__(self, client: httpx.AsyncClient, number: str = NUMBER) -> None:
        self.client, self.number = client, number

    async def send(self, body: str) -> str:
        form = {"From": self.number, "To": "+447700900000", "Body": body, "NumMedia": "0"}
        form["MessageSid"] = f"SM{next(SIDS):032x}"
        signature = RequestValidator(TOKEN).compute_signature(PUBLIC_URL + "/sms", form)
        answer = await self.client.post(
            "/sms", data=form, headers={"X-Twilio-Signature": signature}
        )
        answer.raise_for_status()
        return answer.text


def count_bytes(folder: Path, needles: list[bytes]) -> int:
    """Bytes of ``needles`` found in every file under ``folder`` (occurrences x length)."""
    return count_in(folder.rglob("*"), needles)


def count_in(paths: Iterable[Path], needles: list[bytes]) -> int:
    total = 0
    for path in paths:
        try:
            if path.is_file():
                data = path.read_bytes()
                total += sum(data.count(n) * len(n) for n in needles)
        except OSError:  # gone meanwhile, or another user's
            continue
    return total


def temp_bytes(needles: list[bytes]) -> int:
    """Bytes of ``needles`` in the ``planbot-*`` files and folders of the system's temporary
    folder made or changed since the run started."""
    total = 0
    for entry in Path(tempfile.gettempdir()).glob("planbot-*"):
        try:
            if entry.stat().st_mtime < STARTED - 1:
                continue
        except OSError:
            continue
        total += count_in([entry] if entry.is_file() else entry.rglob("*"), needles)
    return total


def forget_process(settings: Settings) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANBOT_")}
    env["PLANBOT_DATA_DIR"] = str(settings.data_dir)
    planbot = Path(sys.executable).parent / "planbot"
    subprocess.run(
        [str(planbot), "forget", NAME, "--yes"], env=env, check=True, capture_output=True
    )


Erase = Callable[[Phone, Settings, str], Awaitable[None]]
Prepare = Callable[[Phone], Awaitable[None]]


async def nothing(_phone: Phone) -> None:
    pass


async def one(
    label: str,
    erase: Erase,
    erased: list[str],
    kept: list[str],
    prepare: Prepare = nothing,
) -> tuple[str, int, int, int, int, float]:
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
            page = await client.get(f"/p/{token}")  # kept in the render cache
            assert KEPT in page.text
            sound = (await client.get(f"/p/{token}.mp3")).content
            piece = sound[len(sound) // 2 : len(sound) // 2 + 2048]
            await prepare(phone)
            needles = [w.encode() for w in erased] + [piece]
            before = count_bytes(folder, needles)
            started = time.perf_counter()
            await erase(phone, settings, token)
            took = time.perf_counter() - started
            after = count_bytes(folder, needles)
            in_temp = temp_bytes(needles)
            kept_after = count_bytes(folder, [w.encode() for w in kept])
        db.dispose()
    return label, before, after, in_temp, kept_after, took


async def delete_last(phone: Phone, _settings: Settings, _token: str) -> None:
    await phone.send("delete last")


async def restart(phone: Phone, _settings: Settings, _token: str) -> None:
    await phone.send("restart")
    await phone.send("yes")


async def stop_link(phone: Phone, _settings: Settings, _token: str) -> None:
    await phone.send("STOP LINK")


async def forget(_phone: Phone, settings: Settings, _token: str) -> None:
    await asyncio.to_thread(forget_process, settings)


async def supporter_says_a_thing(phone: Phone) -> None:
    """The holder invites a supporter, says yes to them; the supporter says a thing about the
    holder, and the holder is asked whether it can go on the profile."""
    invite = await phone.send("INVITE")
    code = invite.split("JOIN ", 1)[1][:6]
    sam = Phone(phone.client, SUPPORTER)
    for body in (f"JOIN {code}", "yes", "Sam", "friend"):
        await sam.send(body)
    assert "Is that OK?" in await phone.send("done")
    assert "Sam can see your plan now" in await phone.send("yes")
    await sam.send("hello")
    await sam.send(DECLINED)
    assert f"Sam said about you: {DECLINED}." in await phone.send("hello again")


async def decline(phone: Phone, _settings: Settings, _token: str) -> None:
    assert "I have deleted it." in await phone.send("no")


async def delete_everything(phone: Phone, _settings: Settings, _token: str) -> None:
    await phone.send("delete everything")
    await phone.send("yes")
    assert "I have deleted your plan" in await phone.send("yes")


async def main() -> None:
    runs: list[tuple[str, Erase, list[str], list[str], Prepare]] = [
        ("delete last", delete_last, [ERASED], [KEPT, NAME], nothing),
        ("restart", restart, [KEPT, ERASED], [NAME], nothing),
        ("STOP LINK (the page's sound)", stop_link, [], [KEPT, ERASED, NAME], nothing),
        ("planbot forget", forget, [NAME, KEPT, ERASED, NUMBER], [], nothing),
        ("a supporter's thing declined", decline, [DECLINED], [KEPT, ERASED, NAME],
         supporter_says_a_thing),
        ("delete everything (twice yes)", delete_everything, [NAME, KEPT, ERASED, NUMBER], [],
         nothing),
    ]  # fmt: skip
    print(row("erase", "erased bytes before", "after", "in /tmp", "kept bytes after", "took"))
    for label, erase, erased, kept, prepare in runs:
        name, before, after, in_temp, kept_after, took = await one(
            label, erase, erased, kept, prepare
        )
        print(row(name, before, after, in_temp, kept_after, f"{took * 1000:.0f}ms"))


def row(*cells: object) -> str:
    """One line of the table: the first cell to the left, the others to the right."""
    first, *rest = cells
    right = "".join(f" {cell!s:>{width}}" for cell, width in zip(rest, WIDTHS[1:], strict=True))
    return f"{first!s:{WIDTHS[0]}}{right}"


if __name__ == "__main__":
    asyncio.run(main())
