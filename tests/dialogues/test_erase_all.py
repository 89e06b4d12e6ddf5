"""The person's right to erasure, from the chat ("delete everything", asked twice): after it,
no byte of the SQLite data folder holds their words or their number; only the holder can; a
repeat delivery of the last yes erases nothing more and answers the same."""

from __future__ import annotations

import uuid
from pathlib import Path

import storage
from dialogues import Engine, Incoming
from planbot.settings import Settings
from tests.auxil.replies import shown
from tests.conftest import Clock

DEV = "07700 900123"
WORDS = ("Gloriously-unusual-hobby", "Zanzibar-marmalade")


def _say(engine: Engine, text: str, address: str = DEV, message_id: str | None = None) -> str:
    incoming = Incoming("sms", address, message_id or uuid.uuid4().hex, text, opening=not text)
    return shown(engine.handle(incoming))


def _found(folder: Path, needles: tuple[str, ...]) -> set[str]:
    """The needles found in any byte of any file in the folder (database, -wal, caches)."""
    blob = b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())
    return {n for n in needles if n.encode("utf-8") in blob}


def _dev_with_a_plan(engine: Engine) -> None:
    for text in ("", "yes", "1", "Dev", ", ".join(WORDS)):
        _say(engine, text)


def test_delete_everything_leaves_no_byte_of_the_plan_in_the_data_folder(
    tmp_path: Path, settings: Settings, clock: Clock
) -> None:
    folder = tmp_path / "db"
    folder.mkdir()
    db = storage.Database(f"sqlite:///{folder / 'planbot.sqlite3'}")
    db.migrate()
    try:
        engine = Engine(db, settings, clock=clock)
        _dev_with_a_plan(engine)
        needles = (*WORDS, DEV)
        assert _found(folder, needles) == set(needles)  # the test can see them while kept
        _say(engine, "delete everything")
        _say(engine, "yes")
        said = _say(engine, "yes", message_id="last-yes")
        assert "I have deleted your plan" in said
        assert _found(folder, needles) == set()
        again = _say(engine, "yes", message_id="last-yes")  # a repeat delivery
        assert again == said
    finally:
        db.dispose()


def test_only_the_holder_can_delete_the_plan(engine: Engine, db: storage.Database) -> None:
    _dev_with_a_plan(engine)
    invite = _say(engine, "invite")
    code = invite.split("JOIN ", 1)[1][:6]
    sam = "07700 900456"
    for text in (f"join {code}", "yes", "Sam", "friend"):
        _say(engine, text, address=sam)
    assert "Is that OK?" in _say(engine, "done")  # Dev is asked about Sam
    assert "Sam can see your plan now" in _say(engine, "yes")
    _say(engine, "hello", address=sam)
    said = _say(engine, "delete everything", address=sam)
    assert "Only Dev can delete this plan." in said
    assert "Are you sure" not in said and "Do you want to delete" not in said
    with db.transaction() as session:
        (dev,) = storage.find_people(session, "Dev")
        assert [a.text for a in storage.answers_for(session, dev)] == list(WORDS)


def test_a_thing_the_holder_said_no_to_leaves_no_byte_behind(
    tmp_path: Path, settings: Settings, clock: Clock
) -> None:
    """Sam said something about Dev; Dev said no to it: its words are nowhere on disk (the
    row stays, with no words, to say it was declined), and Dev's own words are all still
    there."""
    folder = tmp_path / "db"
    folder.mkdir()
    db = storage.Database(f"sqlite:///{folder / 'planbot.sqlite3'}")
    db.migrate()
    try:
        engine = Engine(db, settings, clock=clock)
        _dev_with_a_plan(engine)
        code = _say(engine, "invite").split("JOIN ", 1)[1][:6]
        sam = "07700 900456"
        for text in (f"join {code}", "yes", "Sam", "friend"):
            _say(engine, text, address=sam)
        assert "Is that OK?" in _say(engine, "done")
        assert "Sam can see your plan now" in _say(engine, "yes")
        _say(engine, "hello", address=sam)
        declined = "Quixotic-declined-thing"
        _say(engine, declined, address=sam)
        assert f"Sam said about you: {declined}." in _say(engine, "hello again")
        assert _found(folder, (declined,)) == {declined}  # the test sees it while kept
        assert "I have deleted it." in _say(engine, "no")
        assert _found(folder, (declined, *WORDS)) == set(WORDS)
        # The question the outbox held for Dev was withdrawn (answered here first): only
        # Sam's news waits to be sent, and it does not repeat the words.
        with db.transaction() as session:
            waiting = storage.claim_due(session, now=clock(), channels=["sms"], limit=50)
        assert {i.address for i in waiting} == {sam}  # "Dev said yes" to Sam, and the no
        assert "Dev said no to one thing you said." in str(waiting[-1].reply["text"])
        assert not any(declined in str(i.reply) for i in waiting)
    finally:
        db.dispose()
