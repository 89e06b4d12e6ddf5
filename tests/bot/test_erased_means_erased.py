"""Erased means erased: after ``planbot forget``, ``delete last``, ``restart`` and SMS
``STOP LINK``, no byte of the data folder (the SQLite file, its -wal and -shm, the sound cache,
rendered files) holds what went, while what was kept is still found there.

Why through the real SMS app with the database left open: a running server keeps SQLite's WAL
file, which held the erased rows' old pages until planbot learned to empty it after an erase.
The sound is spoken offline (eSpeak), so the cached audio of the profile page is real.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

import storage
from bot.web.app import create_app
from planbot.settings import Settings
from tests.auxil.leftovers import every_file, where_found
from tests.auxil.twilio import PUBLIC_URL, Texter, make_settings
from tests.bot.test_sms_conversation import consent, link_in
from tests.bot.test_terminal import planbot_command
from tests.conftest import Clock

NUMBER = "+447700900123"
OTHER_NUMBER = "+447700900456"
NAME = "Quillon"
KEPT = "zanzibarflute"  # said first: "delete last" leaves it
ERASED = "marmalistic"  # said last: "delete last" takes it


@dataclass
class Phone:
    """The SMS app running on a SQLite file in the data folder, and a phone texting it."""

    folder: Path  # everything planbot keeps is under here
    settings: Settings
    client: httpx.AsyncClient
    texter: Texter

    async def plan(self, texter: Texter | None = None, name: str = NAME) -> None:
        """Agree, give a name and 2 things for the first topic, one text each."""
        texter = texter or self.texter
        await consent(texter, name)
        words = (KEPT, ERASED) if texter is self.texter else ("survivorword",)
        for word in words:
            await texter.send(word)

    async def profile_sound(self) -> tuple[str, bytes]:
        """PROFILE, then the page's sound (spoken, and cached, by planbot): (token, audio)."""
        link = link_in(await self.texter.send("PROFILE"))
        sound = await self.client.get(link + ".mp3")
        assert sound.status_code == 200 and sound.headers["content-type"] == "audio/mpeg"
        return link.removeprefix("/p/"), sound.content

    def found(self, *needles: str | bytes) -> dict[str | bytes, list[str]]:
        return where_found(self.folder, needles)


def a_piece_of(audio: bytes) -> bytes:
    """2 KB from the middle of a sound file: found on disk only if that sound is kept."""
    middle = len(audio) // 2
    return audio[middle : middle + 2048]


@pytest.fixture
def settings_on_disk(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, PLANBOT_TTS="espeak")


@pytest.fixture
def sqlite_db(settings_on_disk: Settings) -> Iterator[storage.Database]:
    """The default database: a SQLite file in the data folder (as ``planbot serve`` opens it)."""
    db = storage.open_database(settings_on_disk.database_url)
    yield db
    db.dispose()


@pytest.fixture
async def phone(
    tmp_path: Path, settings_on_disk: Settings, sqlite_db: storage.Database, clock: Clock
) -> AsyncIterator[Phone]:
    app: FastAPI = create_app(settings_on_disk, sqlite_db, clock=clock)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
        yield Phone(tmp_path, settings_on_disk, client, Texter(client, NUMBER))


async def test_delete_last_leaves_the_words_nowhere(phone: Phone) -> None:
    await phone.plan()
    _token, sound = await phone.profile_sound()
    assert phone.found(ERASED, a_piece_of(sound)), "the grep must see what is there"
    assert any(p.name.endswith("-wal") for p in every_file(phone.folder))

    bodies = await phone.texter.send("delete last")
    assert f"I have deleted: {ERASED}" in bodies[0]

    assert phone.found(ERASED, a_piece_of(sound)) == {}
    assert set(phone.found(KEPT, NAME, NUMBER)) == {KEPT, NAME, NUMBER}


async def test_a_repeat_of_delete_last_is_answered_without_the_words(phone: Phone) -> None:
    await phone.plan()
    first = await phone.texter.send("delete last", sid="SM" + "d" * 32)
    again = await phone.texter.send("delete last", sid="SM" + "d" * 32)
    assert ERASED in first[0] and ERASED not in again[0]
    assert "I have deleted it." in again[0]
    assert phone.found(ERASED) == {}


async def test_restart_leaves_no_answer_anywhere(phone: Phone) -> None:
    await phone.plan()
    _token, sound = await phone.profile_sound()
    await phone.texter.send("restart")
    bodies = await phone.texter.send("yes")
    assert "I deleted your answers" in bodies[0]

    assert phone.found(KEPT, ERASED, a_piece_of(sound)) == {}
    assert set(phone.found(NAME, NUMBER)) == {NAME, NUMBER}  # restart keeps the person


async def test_stop_link_leaves_neither_the_link_nor_its_sound(phone: Phone) -> None:
    await phone.plan()
    token, sound = await phone.profile_sound()
    assert phone.found(a_piece_of(sound)), "the grep must see what is there"

    bodies = await phone.texter.send("STOP LINK")
    assert "turned off the links" in bodies[0]
    assert (await phone.client.get(f"/p/{token}")).status_code == 404

    assert phone.found(token, a_piece_of(sound)) == {}
    assert set(phone.found(KEPT, ERASED, NAME)) == {KEPT, ERASED, NAME}  # the plan stays


async def test_planbot_forget_while_the_server_runs_leaves_nothing(phone: Phone) -> None:
    other = Texter(phone.client, OTHER_NUMBER)
    await phone.plan()
    await phone.plan(other, name="Otherella")
    token, sound = await phone.profile_sound()
    erased = (NAME, KEPT, ERASED, NUMBER, NUMBER.removeprefix("+44"), a_piece_of(sound))
    assert set(phone.found(*erased)) == set(erased)

    # The app (and its database connections) stays up, as a server would.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANBOT_")}
    env["PLANBOT_DATA_DIR"] = str(phone.settings.data_dir)
    done = subprocess.run(
        [planbot_command(), "forget", NAME, "--yes"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert f"Erased {NAME}:" in done.stdout

    assert phone.found(*erased, token) == {}
    assert set(phone.found("Otherella", "survivorword", OTHER_NUMBER)) == {
        "Otherella",
        "survivorword",
        OTHER_NUMBER,
    }
