"""Encryption at rest: after a real conversation, the database holds none of the words.

A person on SMS and a supporter on Telegram plan together through the one web app (as in
test_together_story), with a photo and a voice note kept too. Then the database is read raw:
on SQLite every byte of the file and its WAL, on PostgreSQL every row of every table as text.
None of the names, answers, the phone number, the chat id or the picture's and sound's bytes
may be there. The same cells, opened with the key, do hold them: the test can fail.
"""

from __future__ import annotations

import base64
from pathlib import Path

from sqlalchemy import inspect, text

import storage
from tests.auxil.databases import opened
from tests.bot.test_together_story import (  # noqa: F401 - the story fixture, used by name
    Story,
    code_in,
    story,
)

NUMBER = "+447700900123"
DIGITS = "7700900123"
CHAT = 987654321
WORDS = ("Devinder", "Samwise", "kind to animals", "funny stories", "always on time")
PHOTO = b"\xff\xd8\xff\xe0" + b"PHOTO-OF-DEVINDER-" * 50
SOUND = b"OggS" + b"VOICE-OF-DEVINDER-" * 50
SECRETS = (
    *(w.encode() for w in WORDS),
    DIGITS.encode(),
    str(CHAT).encode(),
    b"PHOTO-OF-DEVINDER",
    b"VOICE-OF-DEVINDER",
    base64.b64encode(PHOTO)[8:40],
    base64.b64encode(SOUND)[8:40],
)


def cells(db: storage.Database) -> list[object]:
    """Every cell of every table, as the database gives it."""
    with db.engine.connect() as conn:
        tables = inspect(conn).get_table_names()
        return [
            v for t in tables for row in conn.execute(text(f'SELECT * FROM "{t}"')) for v in row
        ]


def raw(db: storage.Database, folder: Path) -> bytes:
    """What someone who copied the database would read: SQLite's file and WAL byte for byte,
    PostgreSQL's rows as text."""
    if db.is_sqlite:
        files = [folder / "planbot.sqlite3", folder / "planbot.sqlite3-wal"]
        return b"".join(f.read_bytes() for f in files if f.exists())
    return "\n".join(str(c) for c in cells(db)).encode("utf-8", "surrogateescape")


def assert_nothing_readable(db: storage.Database, folder: Path) -> None:
    everything = raw(db, folder)
    found = [s for s in SECRETS if s in everything or s.lower() in everything.lower()]
    assert not found, f"readable in the database: {found}"


def assert_kept_under_seal(db: storage.Database, *words: str) -> None:
    """The words are stored (opened with the key, the cells hold them)."""
    plain = "\n".join(opened(c) for c in cells(db) if isinstance(c, str))
    for word in words:
        assert word in plain, word


async def test_a_conversation_leaves_nothing_readable_in_the_database(
    story: Story,  # noqa: F811 - the fixture imported above
    db: storage.Database,
    tmp_path: Path,
) -> None:
    assert "Can I keep your answers safe" in await story.sms("hello", NUMBER)
    await story.sms("yes", NUMBER)
    await story.sms("1", NUMBER)
    assert "What do people like about you?" in await story.sms("Devinder", NUMBER)
    assert "- kind to animals" in await story.sms("kind to animals, funny stories", NUMBER)
    code = code_in(await story.sms("INVITE", NUMBER))
    assert "Devinder gave you a code" in await story.tg(f"JOIN {code}", CHAT)
    await story.tg("yes", CHAT)
    await story.tg("Samwise", CHAT)
    assert "I have asked Devinder" in await story.tg("im his mate", CHAT)
    # The question to Devinder waits in the outbox, with Samwise's name in its words.
    assert_nothing_readable(db, tmp_path)
    assert_kept_under_seal(db, "Samwise says they are your friend", DIGITS)
    await story.deliver()
    assert "Samwise can see your plan now" in await story.sms("yes", NUMBER)
    await story.deliver()
    await story.tg("hello", CHAT)
    assert "- always on time" in await story.tg("always on time", CHAT)
    with db.transaction() as session:
        person = storage.get_person(session, "Devinder")
        storage.set_person_photo(session, person, PHOTO, "image/jpeg", "SM-photo")
        storage.add_voice_note(
            session, person, None, "like", SOUND, "audio/ogg", 2.0,
            said_by="Devinder", perspective="person", message_id="voice-1",
        )  # fmt: skip

    assert_nothing_readable(db, tmp_path)
    assert_kept_under_seal(db, *WORDS, "PHOTO-OF-DEVINDER", "VOICE-OF-DEVINDER")
    with db.transaction() as session:  # and it all reads back through the seam
        person = storage.get_person(session, "Devinder")
        photo = storage.person_photo(session, person)
        assert photo is not None and photo.data == PHOTO
        [clip] = storage.voice_notes_of(session, person).values()
        assert clip.data == SOUND
        texts = [a.text for a in storage.answers_for(session, person)]
        assert {"kind to animals", "funny stories", "always on time"} <= set(texts)
        assert storage.find_address(session, "sms", NUMBER) is not None
        assert storage.find_address(session, "telegram", str(CHAT)) is not None
