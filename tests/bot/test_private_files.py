"""Files planbot keeps are its own user's alone: folders 0700, files 0600, whatever the umask.

Why test with the usual umask (022): that is what lets every user of a host read new files,
so it is what planbot must not rely on. The database (and its -wal and -shm), the data
folder, the sound cache and rendered profiles all hold people's words.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import storage
from bot.terminal import TerminalChat
from bot.web.app import create_app
from easyread import Profile, ProfileItem, ProfileSection
from easyread.files import write_profile_files
from planbot.settings import Settings
from tests.auxil.twilio import PUBLIC_URL, Texter, make_settings
from tests.bot.test_sms_conversation import consent, link_in
from tests.conftest import Clock


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def modes(folder: Path) -> dict[str, str]:
    """Every folder and file under ``folder`` (and itself) with its mode, as "0o700"."""
    found = {".": oct(stat.S_IMODE(folder.stat().st_mode))}
    for path in folder.rglob("*"):
        found[str(path.relative_to(folder))] = oct(stat.S_IMODE(path.stat().st_mode))
    return found


def not_private(folder: Path) -> dict[str, str]:
    """What under ``folder`` others could open: folders not 0700, files not 0600."""
    return {
        name: mode
        for name, mode in modes(folder).items()
        if mode != ("0o700" if (folder / name).is_dir() else "0o600")
    }


def test_a_new_database_and_its_wal_and_shm_are_private(tmp_path: Path) -> None:
    settings = Settings.from_env({"PLANBOT_DATA_DIR": str(tmp_path / "data"), "PLANBOT_TTS": "off"})
    db = storage.open_database(settings.database_url)
    try:
        TerminalChat(db, settings, address="terminal", person="Dev").say("hello")
        names = {p.name for p in settings.data_dir.iterdir()}
        assert {"planbot.sqlite3", "planbot.sqlite3-wal", "planbot.sqlite3-shm"} <= names
        assert not_private(settings.data_dir) == {}
    finally:
        db.dispose()


def test_an_old_database_and_data_folder_are_made_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = Settings.from_env({"PLANBOT_DATA_DIR": str(data), "PLANBOT_TTS": "off"})
    storage.open_database(settings.database_url).dispose()
    os.chmod(data, 0o755)
    os.chmod(data / "planbot.sqlite3", 0o644)
    assert not_private(data) != {}  # as an older planbot left them
    db = storage.open_database(settings.database_url)
    try:
        TerminalChat(db, settings, address="terminal", person="Dev").say("hello")
        assert not_private(data) == {}
    finally:
        db.dispose()


def test_a_database_elsewhere_leaves_its_shared_folder_alone(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    storage.open_database(f"sqlite:///{shared / 'planbot.sqlite3'}").dispose()
    assert modes(shared) == {".": "0o755", "planbot.sqlite3": "0o600"}


async def test_the_sound_cache_of_a_profile_page_is_private(tmp_path: Path, clock: Clock) -> None:
    settings = make_settings(tmp_path, PLANBOT_TTS="espeak")
    db = storage.open_database(settings.database_url)
    app = create_app(settings, db, clock=clock)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL
        ) as client:
            texter = Texter(client)
            await consent(texter)
            await texter.send("swimming")
            link = link_in(await texter.send("PROFILE"))
            assert (await client.get(link + ".mp3")).status_code == 200
    finally:
        db.dispose()
    cached = list((settings.data_dir / "cache" / "audio").iterdir())
    assert len(cached) == 1
    assert not_private(settings.data_dir) == {}


def test_rendered_profile_files_are_private(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"PLANBOT_DATA_DIR": str(tmp_path / "data"), "PLANBOT_TTS": "espeak"}
    )
    profile = Profile(
        "Dev",
        (
            ProfileSection(
                "like_admire", "What people like about me", "1F60A", (ProfileItem("kind"),)
            ),
        ),
    )
    folder = settings.data_dir / "demo-profile"
    written = write_profile_files(profile, folder, settings=settings)
    assert {p.suffix for p in written.values()} == {".mp3", ".pdf", ".png", ".txt", ".html"}
    assert not_private(settings.data_dir) == {}
