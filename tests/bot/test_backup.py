"""``planbot backup`` and ``planbot restore``: a whole conversation goes out and comes back.

The conversation is a real one (the real Telegram Application against the fake Bot API): a
photo, typed answers and a real OGG voice note, then a private link. The commands run through
Typer as a person would type them, on the SQLite file the test shares with them.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

import storage
from bot.cli import app as cli
from bot.telegram.channel import TelegramChannel
from bot.web.app import create_app
from planbot.errors import SealError
from planbot.settings import Settings
from tests.auxil.databases import TEST_KEYS, make_database
from tests.auxil.fake_telegram import FakeBotApi, fake_bot_api, make_photo_update
from tests.auxil.twilio import PNG_BYTES, PUBLIC_URL
from tests.bot.test_telegram import CHAT, Bot, agree, joined, telegram_settings
from tests.bot.test_telegram_voice import send_voice, started
from tests.conftest import Clock

WORDS = ("swimming", "my cat Tango")


@pytest.fixture
def db(tmp_path: Path) -> Iterator[storage.Database]:
    """SQLite only: these commands copy a SQLite file (PostgreSQL has pg_dump)."""
    with make_database("sqlite", tmp_path) as database:
        yield database


@pytest.fixture
def fake() -> Iterator[FakeBotApi]:
    with fake_bot_api() as server:
        yield server


@pytest.fixture
def voice_settings(tmp_path: Path, fake: FakeBotApi) -> Settings:
    return telegram_settings(tmp_path, fake, PLANBOT_TTS="espeak")


@pytest.fixture
async def bot(
    voice_settings: Settings, fake: FakeBotApi, db: storage.Database, clock: Clock
) -> AsyncIterator[Bot]:
    app, driven = await started(TelegramChannel(db, voice_settings, clock=clock), fake)
    try:
        yield driven
    finally:
        await app.shutdown()


@pytest.fixture
def voice_note(tmp_path: Path) -> bytes:
    """A real OGG/Opus voice note, spoken by the offline voice."""
    from easyread.speech import speak_question

    settings = Settings.from_env({"PLANBOT_DATA_DIR": str(tmp_path / "voice")})
    spoken = speak_question(
        "She is kind.", tmp_path / "note.ogg", engine="espeak", settings=settings
    )
    return spoken.path.read_bytes()


def use_database(monkeypatch: pytest.MonkeyPatch, url: str, folder: Path) -> None:
    """Point the ``planbot`` commands at ``url``."""
    monkeypatch.setenv("PLANBOT_DATABASE_URL", url)
    monkeypatch.setenv("PLANBOT_DATA_DIR", str(folder))


def planbot(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def export(db: storage.Database, name: str = "Dev") -> dict[str, object]:
    with db.transaction() as session:
        return storage.export_person(session, storage.get_person(session, name))


def on_disk(path: Path) -> bytes:
    """Every byte SQLite keeps for a database: the file and its write-ahead log."""
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def add_person(db: storage.Database, name: str) -> None:
    with db.transaction() as session:
        storage.create_person(session, name)


async def test_a_backup_restored_brings_back_answers_photo_voice_note_and_links(
    bot: Bot,
    db: storage.Database,
    fake: FakeBotApi,
    voice_settings: Settings,
    voice_note: bytes,
    clock: Clock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await agree(bot)
    fake.add_file("photo-1", PNG_BYTES)
    texts = await bot.send(make_photo_update(CHAT, "photo-1", len(PNG_BYTES)))
    assert texts[0].startswith("Thank you. I have saved your photo.")
    assert f"- {WORDS[1]}" in joined(await bot.say(", ".join(WORDS)))
    assert "I have saved your voice note" in joined(await send_voice(bot, voice_note))
    with db.transaction() as session:
        dev = storage.get_person(session, "Dev")
        token = storage.new_link(session, dev, days=30, now=clock())
    before = export(db)

    kept = tmp_path / "backups" / "planbot-backup.sqlite3"
    kept.parent.mkdir()
    use_database(monkeypatch, db.url, tmp_path / "data")
    code, said = planbot("backup", str(kept))
    assert code == 0, said
    assert said.startswith(f"Backed up 1 person to {kept}")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600  # the owner's only
    assert not list(kept.parent.glob(".*partial"))  # nothing half-made left beside it
    # A copy of the stored bytes: a word is in the backup only where it is in the database as
    # stored (sealed values stay sealed, so with encryption on, neither holds the words).
    stored, backed_up = on_disk(Path(db.url.removeprefix("sqlite:///"))), kept.read_bytes()
    # (Longer words only: 3 letters such as "Dev" turn up by chance in kilobytes of sealed
    # base64, about once in 260,000 places.)
    for word in WORDS:
        assert (word.encode() in backed_up) == (word.encode() in stored), word
    assert db.keys is not None  # encryption is on: the backup holds none of the words
    assert not any(word.encode() in backed_up for word in WORDS)

    # A new server: its database made (migrated) and empty, then the backup put back.
    new_url = f"sqlite:///{tmp_path / 'new' / 'planbot.sqlite3'}"
    storage.open_database(new_url).dispose()
    use_database(monkeypatch, new_url, tmp_path / "new")
    code, said = planbot("restore", str(kept))
    assert code == 0, said
    new_file = tmp_path / "new" / "planbot.sqlite3"
    assert said.strip() == f"Restored 1 person from {kept} into {new_file}."
    without_key = storage.open_database(new_url)
    try:
        with pytest.raises(SealError):  # the backup opens with the key, and only with it
            export(without_key)
    finally:
        without_key.dispose()
    restored = storage.open_database(new_url, keys=TEST_KEYS)
    try:
        assert export(restored) == before  # answers, photo, voice note, links, consents...
        web = create_app(voice_settings, restored, clock=clock)
        transport = httpx.ASGITransport(app=web)
        async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
            page = await client.get(f"/p/{token}")  # the link sent before still works
            with restored.transaction() as session:
                dev = storage.get_person(session, "Dev")
                [voice] = [a for a in storage.answers_for(session, dev) if a.kind == "voice"]
                photo = storage.person_photo(session, dev)
            sound = await client.get(f"/p/{token}/voice/{voice.id}.ogg")
    finally:
        restored.dispose()
    assert page.status_code == 200
    assert all(word in page.text for word in WORDS)
    assert sound.status_code == 200 and sound.content == voice_note
    assert photo is not None and photo.data  # the photo came back with the rest
    assert stat.S_IMODE(new_file.stat().st_mode) == 0o600


def test_restore_keeps_a_database_that_holds_answers_unless_forced(
    db: storage.Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_person(db, "Dev")
    kept = tmp_path / "kept.sqlite3"
    use_database(monkeypatch, db.url, tmp_path / "data")
    assert planbot("backup", str(kept))[0] == 0
    add_person(db, "Sam")  # after the backup

    code, said = planbot("restore", str(kept))
    assert code == 1
    assert "is not empty (it holds 2 people)" in said and "--force" in said
    with db.transaction() as session:
        assert storage.find_people(session, "Sam")  # nothing was touched

    code, said = planbot("restore", str(kept), "--force")
    assert code == 0, said
    with db.transaction() as session:
        assert storage.find_people(session, "Dev")
        assert not storage.find_people(session, "Sam")  # as it was at the backup


def test_backup_keeps_a_file_already_there_unless_forced(
    db: storage.Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_person(db, "Dev")
    there = tmp_path / "there.sqlite3"
    there.write_bytes(b"last week's backup")
    there.chmod(0o644)
    use_database(monkeypatch, db.url, tmp_path / "data")
    code, said = planbot("backup", str(there))
    assert code == 1 and "is there already. Add --force to replace it." in said
    assert there.read_bytes() == b"last week's backup"
    assert planbot("backup", str(there), "--force")[0] == 0
    assert stat.S_IMODE(there.stat().st_mode) == 0o600
    with sqlite3.connect(there) as conn:
        assert conn.execute("SELECT count(*) FROM person").fetchone() == (1,)
    assert planbot("backup", str(tmp_path / "no" / "such" / "folder.sqlite3"))[0] == 1


def test_a_backup_while_someone_writes_holds_what_was_saved_and_not_what_was_not(
    db: storage.Database, tmp_path: Path
) -> None:
    add_person(db, "Dev")
    kept = tmp_path / "busy.sqlite3"
    with db.transaction() as session:  # a message being handled: written, not yet saved
        storage.create_person(session, "Halfway")
        session.flush()
        copied = storage.backup_sqlite(db, kept)
    assert copied.people == 1
    with sqlite3.connect(kept) as conn:
        assert conn.execute("SELECT count(*) FROM person").fetchone() == (1,)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one whole file
    assert not Path(f"{kept}-wal").exists()


def test_restore_refuses_what_is_not_a_planbot_backup(
    db: storage.Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_database(monkeypatch, db.url, tmp_path / "data")
    text = tmp_path / "notes.txt"
    text.write_text("not a database at all, but long enough to look like one " * 100)
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE things (x)")
    for path, why in (
        (text, "is not a planbot backup"),
        (other, "is not a planbot database"),
        (tmp_path / "missing.sqlite3", "there is no backup at"),
    ):
        code, said = planbot("restore", str(path))
        assert code == 1 and why in said, said
    assert storage.is_empty(db)


def test_restore_fills_an_empty_file_but_keeps_one_it_cannot_read(
    db: storage.Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_person(db, "Dev")
    kept = tmp_path / "kept.sqlite3"
    use_database(monkeypatch, db.url, tmp_path / "data")
    assert planbot("backup", str(kept))[0] == 0
    target = tmp_path / "other" / "planbot.sqlite3"
    target.parent.mkdir()
    target.touch()  # made, never written to
    use_database(monkeypatch, f"sqlite:///{target}", tmp_path / "other")
    assert planbot("restore", str(kept)) == (0, f"Restored 1 person from {kept} into {target}.\n")
    target.write_bytes(b"someone's notes, not a database" * 200)
    code, said = planbot("restore", str(kept))
    assert code == 1 and f"{target} is not empty: restoring would replace" in said
    assert target.read_bytes().startswith(b"someone's notes")


def test_what_cannot_be_copied_is_said_plainly(
    db: storage.Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = Path(db.url.removeprefix("sqlite:///"))
    use_database(monkeypatch, db.url, tmp_path / "data")
    assert planbot("backup", str(database), "--force") == (
        1,
        "a backup must go to another file than the database itself\n",
    )
    kept = tmp_path / "kept.sqlite3"
    assert planbot("backup", str(kept))[0] == 0
    use_database(monkeypatch, f"sqlite:///{kept}", tmp_path / "data")
    assert planbot("restore", str(kept)) == (1, "a backup cannot be restored onto itself\n")
    use_database(monkeypatch, f"sqlite:///{tmp_path / 'none.sqlite3'}", tmp_path / "data")
    code, said = planbot("backup", str(tmp_path / "b.sqlite3"))
    assert code == 1 and said.startswith("there is no database at")
    for url in ("sqlite://", "not a database address"):
        use_database(monkeypatch, url, tmp_path / "data")
        code, said = planbot("backup", str(tmp_path / "b.sqlite3"))
        assert code == 1 and "PLANBOT_DATABASE_URL is not one" in said


@pytest.mark.parametrize("command", ["backup", "restore"])
def test_on_postgresql_the_commands_point_at_pg_dump_and_pg_restore(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "postgresql+psycopg://planbot:s3cret-word@db.internal:5432/planbot"
    use_database(monkeypatch, url, tmp_path / "data")
    code, said = planbot(command, str(tmp_path / "planbot.dump"))
    assert code == 1
    tool = "pg_dump --format=custom" if command == "backup" else "pg_restore --clean"
    assert tool in said and "postgresql://planbot:***@db.internal:5432/planbot" in said
    assert "s3cret-word" not in said and "+psycopg" not in said
    assert "docs/deploy.md" in said
    assert not os.path.exists(tmp_path / "planbot.dump")
