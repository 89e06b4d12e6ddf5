"""Keys on every backend: sealing, plain rows from before encryption, and rotation.

What a person would notice: after a key change or an upgrade from an unencrypted planbot,
their plan reads back exactly as it was (every value, every byte of a photo), their number
still finds it, and nothing of it is left readable in the database.
"""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlmodel import SQLModel

import storage
from planbot.errors import SealError, StorageError
from storage._personal import unseal, unseal_bytes, using
from tests.conftest import Clock

OLD = "old-key-0123456789-abcdefghijklmnopqrstuv"
NEW = "new-key-0123456789-abcdefghijklmnopqrstuv"
NUMBER = "+447700900321"
WORDS = ("Bethany Quill", "likes herons", "Marigold Pike", "her brother")
PHOTO = bytes(range(256)) * 8
SOUND = b"OggS" + bytes(reversed(range(256))) * 4


def keyed(db: storage.Database, keys: storage.Keyring | None) -> storage.Database:
    """The same database, opened with other keys (as after a restart with new settings)."""
    other = copy.copy(db)
    other.keys = keys
    return other


def fill(db: storage.Database, clock: Clock) -> None:
    """A value in every sealed column of every table."""
    with db.transaction() as session:
        person = storage.create_person(session, "Bethany Quill")
        address = storage.get_or_create_address(session, "sms", NUMBER)
        storage.link_person(session, person, address)
        storage.set_active_person(session, address, person)
        conv = storage.new_conversation(session, address, person, "good_day")
        storage.set_conversation_said_by(conv, "Bethany Quill")
        storage.set_conversation_name_hint(conv, "Bethany Quill")
        storage.save_conversation(session, conv)
        storage.add_answer(
            session, person, conv, "like", "likes herons", said_by="Bethany Quill",
            perspective="person",
        )  # fmt: skip
        storage.record_processed(
            session, "sms", "SM1", address, person, [{"text": "I have saved: likes herons"}]
        )
        storage.set_person_photo(session, person, PHOTO, "image/png", "SM2")
        storage.add_voice_note(
            session, person, conv, "like", SOUND, "audio/ogg", 1.5,
            said_by="Bethany Quill", perspective="person",
        )  # fmt: skip
        helper = storage.get_or_create_address(session, "telegram", "424242")
        access = storage.start_joining(session, person, helper, clock())
        storage.finish_joining(session, access, "Marigold Pike", "family")
        storage.record_consent(
            session, person, subject=storage.MADE_FOR, decision=storage.BEST_INTERESTS,
            by="Marigold Pike", by_role="family", channel="sms", wording="made_for:1",
            reason="her brother", now=clock(),
        )  # fmt: skip
        storage.queue_message(
            session, channel="sms", address=NUMBER, reply={"text": "Marigold Pike asks"},
            due=clock() + timedelta(hours=1), key="later-1",
        )  # fmt: skip


def plain_values(db: storage.Database, keys: storage.Keyring | None) -> dict[tuple, object]:
    """Every sealed cell, opened: (table, column, row) -> its plain value or bytes."""
    found: dict[tuple, object] = {}
    with db.engine.connect() as conn, using(keys):
        for spec in storage.SEALED:
            key = next(iter(spec.table.primary_key.columns))
            columns = [spec.table.c[n] for n in spec.columns]
            for row in conn.execute(select(key, *columns)):
                for name, value in zip(spec.columns, row[1:], strict=True):
                    if value in (None, "", "[]"):
                        continue
                    opened = unseal_bytes(value) if spec.blobs else unseal(value)
                    found[(spec.name, name, row[0])] = opened
    return found


def raw_text(db: storage.Database) -> str:
    with db.engine.connect() as conn:
        tables = [spec.name for spec in storage.SEALED]
        return "\n".join(
            str(v)
            for t in tables
            for row in conn.execute(text(f'SELECT * FROM "{t}"'))
            for v in row
        )


def reads_back(db: storage.Database) -> None:
    """What the person would see: their plan found by their number, as it was."""
    with db.transaction() as session:
        address = storage.find_address(session, "sms", NUMBER)
        assert address is not None and storage.address_text(address) == NUMBER
        [person] = storage.people_for_address(session, address)
        assert storage.person_name(person) == "Bethany Quill"
        data = storage.export_person(session, person)
        assert "likes herons" in str(data)
        photo = storage.person_photo(session, person)
        assert photo is not None and photo.data == PHOTO
        assert [c.data for c in storage.voice_notes_of(session, person).values()] == [SOUND]
        assert "Marigold Pike" in [a.name for a in storage.access_list(session, person)]
        assert [c.reason for c in storage.consents_of(session, person)] == ["her brother"]


def test_a_value_says_its_key_and_opens_with_that_key_only() -> None:
    old, new = storage.Keyring(OLD), storage.Keyring(NEW, [OLD])
    sealed = old.seal("likes herons")
    assert old.key_id in sealed and "herons" not in sealed
    assert sealed != old.seal("likes herons")  # a fresh nonce each time
    assert new.unseal(sealed) == "likes herons"  # an old key still opens
    assert not new.is_current(sealed) and new.is_current(new.seal("x"))
    with pytest.raises(SealError, match=old.key_id):
        storage.Keyring(NEW).unseal(sealed)
    tampered = sealed[:-6] + ("A" if sealed[-6] != "A" else "B") + sealed[-5:]
    with pytest.raises(SealError, match="does not open"):
        old.unseal(tampered)
    assert new.lookups("sms:1") == [new.lookup("sms:1"), old.lookup("sms:1"), "sms:1"]
    assert new.lookup("sms:1") != old.lookup("sms:1") != "sms:1"
    blob = new.seal_file(PHOTO)
    assert PHOTO[:64] not in blob and new.open_file(blob) == PHOTO
    with pytest.raises(SealError):
        old.open_file(blob)


def test_every_personal_column_is_rotated() -> None:
    columns = {
        (table.name, column.name)
        for table in SQLModel.metadata.tables.values()
        for column in table.columns
        if column.name.endswith("_" + "sealed")  # spelt so as not to trip test_repo
    }
    rotated = {(spec.name, name) for spec in storage.SEALED for name in spec.columns}
    assert columns == rotated


def test_rows_from_before_encryption_keep_working_and_rotate_seals_them(
    db: storage.Database, clock: Clock
) -> None:
    before = keyed(db, None)  # an unencrypted planbot, as every planbot was
    fill(before, clock)
    assert "likes herons" in raw_text(db) and f"sms:{NUMBER}" in raw_text(db)
    plain = plain_values(db, None)

    now = keyed(db, storage.Keyring(NEW))
    reads_back(now)
    with now.transaction() as session:  # the same number texting again: the same address
        _address, person, _conv = storage.open_address(session, "sms", NUMBER)
        assert person is not None and storage.person_name(person) == "Bethany Quill"
        storage.set_person_name(session, person, "Bethany Quill")  # sealed now
    assert storage.not_current(now)["address"] == 2  # both addresses still plain
    done = storage.rotate(now, batch=2)
    assert done["answer"] == 2 and done["address"] == 2  # the voice note is an answer too
    assert set(storage.not_current(now).values()) == {0}
    assert storage.rotate(now) == dict.fromkeys(done, 0)  # nothing left: a rerun does nothing
    assert plain_values(db, storage.Keyring(NEW)) == plain
    everything = raw_text(db)
    assert not [w for w in (*WORDS, NUMBER[1:], "424242") if w in everything]
    reads_back(now)
    with now.transaction() as session:
        assert len(list(session.exec(select(storage.Address)))) == 2


def test_rotate_moves_everything_to_the_new_key_without_losing_a_byte(
    db: storage.Database, clock: Clock
) -> None:
    fill(keyed(db, storage.Keyring(OLD)), clock)
    plain = plain_values(db, storage.Keyring(OLD))
    changing = keyed(db, storage.Keyring(NEW, [OLD]))
    reads_back(changing)  # serving goes on during the change
    storage.rotate(changing, batch=1)
    after = keyed(db, storage.Keyring(NEW))  # the old key gone
    reads_back(after)
    assert plain_values(db, storage.Keyring(NEW)) == plain
    with pytest.raises(SealError):
        plain_values(db, storage.Keyring(OLD))


def test_an_unknown_key_stops_rotate_with_a_clear_error(db: storage.Database, clock: Clock) -> None:
    fill(keyed(db, storage.Keyring(OLD)), clock)
    with pytest.raises(SealError, match="PLANBOT_OLD_SECRET_KEYS"):
        storage.rotate(keyed(db, storage.Keyring(NEW)))
    with pytest.raises(StorageError, match="no key"):
        storage.rotate(keyed(db, None))


def test_an_opt_out_after_a_key_change_holds_for_messages_queued_before(
    db: storage.Database, clock: Clock
) -> None:
    old = keyed(db, storage.Keyring(OLD))
    with old.transaction() as session:
        storage.queue_message(
            session, channel="sms", address=NUMBER, reply={"text": "hi"}, due=clock(),
            key="k1",
        )  # fmt: skip
    new = keyed(db, storage.Keyring(NEW, [OLD]))
    with new.transaction() as session:
        storage.set_opted_out(session, "sms", NUMBER)
    with new.transaction() as session:
        assert storage.claim_due(session, now=clock(), channels=["sms"]) == []
        assert storage.outbox_summary(session).opted_out == 1
