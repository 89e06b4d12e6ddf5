"""Storage on every backend: migrations, the schema, export, erase and the personal-data seam.

Why on both: planbot runs on SQLite by default and on PostgreSQL in a deployment; a query that
works on one and not the other must fail here, not in front of a person.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, text
from sqlmodel import Session, SQLModel, select

import storage
from planbot.errors import AmbiguousPerson, PersonNotFound, StorageError

ROOT = Path(__file__).resolve().parents[2]
TABLES = {"person", "address", "person_address", "conversation", "answer", "processed_message"}


def count(session: Session, model: type) -> int:
    return int(session.exec(select(func.count()).select_from(model)).one())


def make_person(
    session: Session,
    name: str,
    address: str,
    answers: list[tuple[str, str]],
    *,
    channel: str = "sms",
    said_by: str | None = None,
    perspective: str = "person",
) -> storage.Person:
    """A person talking from an address, with a conversation, answers and a handled message."""
    person = storage.create_person(session, name)
    row = storage.get_or_create_address(session, channel, address)
    storage.link_person(session, person, row)
    conv = storage.new_conversation(session, row, person, "good_day")
    for section, words in answers:
        storage.add_answer(
            session,
            person,
            conv,
            section,
            words,
            said_by=said_by or name,
            perspective=perspective,
        )
    storage.record_processed(
        session, channel, f"{address}-{name}", row, person, [{"text": "Thank you."}]
    )
    return person


# --- migrations and schema ----------------------------------------------------------------


def _revision(db: storage.Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def test_migrations_reach_head_and_run_twice_safely(db: storage.Database) -> None:
    head = ScriptDirectory.from_config(storage.alembic_config()).get_current_head()
    assert head is not None and _revision(db) == head
    with db.transaction() as session:
        make_person(session, "Dev", "07700 900100", [("good_day", "swimming")])

    db.migrate()
    db.migrate()

    assert _revision(db) == head
    with db.transaction() as session:
        assert [
            a.text for a in storage.answers_for(session, storage.get_person(session, "Dev"))
        ] == ["swimming"]


def test_the_migrated_schema_matches_the_tables(db: storage.Database) -> None:
    with db.engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) >= TABLES
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == [], "a table changed without a migration"


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    db = storage.open_database(f"sqlite:///{tmp_path / 'new' / 'folder' / 'planbot.sqlite3'}")
    try:
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert db.ping()
    finally:
        db.dispose()


def test_a_failed_transaction_keeps_nothing(db: storage.Database) -> None:
    with pytest.raises(RuntimeError), db.transaction() as session:
        make_person(session, "Dev", "07700 900101", [("good_day", "swimming")])
        raise RuntimeError("the process died halfway")
    with db.transaction() as session:
        assert count(session, storage.Person) == count(session, storage.Answer) == 0


def test_a_database_error_becomes_a_storage_error(db: storage.Database) -> None:
    with pytest.raises(StorageError), db.transaction() as session:
        for _ in range(2):  # the same message id twice breaks its unique key
            storage.record_processed(session, "sms", "SM1", None, None, [])


def test_an_unreachable_database_is_a_clear_storage_error() -> None:
    with pytest.raises(StorageError, match="cannot"):
        storage.open_database("postgresql+psycopg://nobody@127.0.0.1:1/none")


# --- people, addresses, answers -------------------------------------------------------------


def test_people_are_found_by_name_in_any_case(db: storage.Database) -> None:
    with db.transaction() as session:
        make_person(session, "Gemma", "07700 900102", [])
        make_person(session, "Sam", "07700 900103", [])
        make_person(session, "sam", "07700 900104", [])
    with db.transaction() as session:
        assert storage.person_name(storage.get_person(session, "GEMMA ")) == "Gemma"
        with pytest.raises(PersonNotFound, match="No one called 'Kim'"):
            storage.get_person(session, "Kim")
        with pytest.raises(AmbiguousPerson, match="2 people are called 'Sam'"):
            storage.get_person(session, "Sam")


def test_delete_last_and_delete_all_really_remove_the_words(db: storage.Database) -> None:
    answers = [("good_day", "swimming"), ("bad_day", "rain"), ("good_day", "pub")]
    with db.transaction() as session:
        person = make_person(session, "Dev", "07700 900105", answers)
        gone = storage.delete_last_answer(session, person, "bad_day")
        assert gone is not None and gone.text == "rain"
    with db.transaction() as session:
        person = storage.get_person(session, "Dev")
        assert [a.text for a in storage.answers_for(session, person)] == ["swimming", "pub"]
        assert storage.answered_sections(session, person) == {"good_day"}
        exported = json.dumps(storage.export_person(session, person), ensure_ascii=False)
        assert "rain" not in exported  # "I deleted it" means gone, not hidden
        assert "swimming" in exported
        assert storage.delete_last_answer(session, person, "bad_day") is None
        assert storage.delete_all_answers(session, person) == 2
    with db.transaction() as session:
        person = storage.get_person(session, "Dev")
        assert storage.answers_for(session, person) == []
        data = storage.export_person(session, person)
        assert data["answers"] == []
        exported = json.dumps(data, ensure_ascii=False)
        assert all(word not in exported for word in ("swimming", "rain", "pub"))
        assert count(session, storage.Answer) == 0


def test_answers_keep_every_character(db: storage.Database) -> None:
    words = [
        "🎶🕺🐶",
        "<script>alert(1)</script>",
        "Robert'); DROP TABLE answer;--",
        "café — £10 in his pocket\nnew line",
        "x" * 2000,
    ]
    with db.transaction() as session:
        make_person(session, "Dev", "07700 900106", [("important_to", w) for w in words])
    with db.transaction() as session:
        person = storage.get_person(session, "Dev")
        assert [a.text for a in storage.answers_for(session, person)] == words
        assert count(session, storage.Answer) == len(words)


def test_a_handled_message_is_found_again_with_its_replies(db: storage.Database) -> None:
    replies = [{"text": "Thank you. I have saved:\n- 🎶", "kind": "say", "choices": []}]
    with db.transaction() as session:
        address = storage.get_or_create_address(session, "telegram", "42")
        storage.record_processed(session, "telegram", "update-7", address, None, replies)
    with db.transaction() as session:
        row = storage.find_processed(session, "telegram", "update-7")
        assert row is not None and storage.processed_replies(row) == replies
        assert storage.find_processed(session, "sms", "update-7") is None


def test_one_address_for_several_people_and_several_for_one(db: storage.Database) -> None:
    with db.transaction() as session:
        dev = make_person(session, "Dev", "supporter-phone", [])
        sam = make_person(session, "Sam", "supporter-phone", [])
        storage.link_person(session, dev, storage.get_or_create_address(session, "sms", "dev"))
    with db.transaction() as session:
        shared = storage.find_address(session, "sms", "supporter-phone")
        assert shared is not None and storage.address_text(shared) == "supporter-phone"
        names = [storage.person_name(p) for p in storage.people_for_address(session, shared)]
        assert names == ["Dev", "Sam"]
        exported = storage.export_person(session, storage.get_person(session, "Dev"))
        addresses = exported["addresses"]
        assert isinstance(addresses, list)
        assert sorted(a["address"] for a in addresses) == ["dev", "supporter-phone"]
        assert sam.id is not None


# --- export and erase ------------------------------------------------------------------------


def test_export_has_the_shape_design_md_promises(db: storage.Database) -> None:
    with db.transaction() as session:
        make_person(session, "Arthur", "07700 900107", [("important_to", "£10 in his pocket")])
        person = storage.get_person(session, "Arthur")
        conv = storage.conversation_for(
            session, storage.get_or_create_address(session, "sms", "07700 900107"), person
        )
        storage.add_answer(
            session,
            person,
            conv,
            "like_admire",
            "Salt of the earth",
            said_by="Pat",
            perspective="family",
        )
    with db.transaction() as session:
        data = storage.export_person(session, storage.get_person(session, "Arthur"))

    data = json.loads(json.dumps(data, ensure_ascii=False))  # it is plain JSON
    assert data["person"]["name"] == "Arthur"
    answers = data["answers"]
    assert [(a["section"], a["text"], a["said_by"], a["perspective"]) for a in answers] == [
        ("important_to", "£10 in his pocket", "Arthur", "person"),
        ("like_admire", "Salt of the earth", "Pat", "family"),
    ]
    for answer in answers:
        assert {"section", "text", "said_by", "perspective", "created_at"} <= set(answer)
        assert datetime.fromisoformat(answer["created_at"]).utcoffset() is not None
        assert answer["perspective"] in {"person", "family", "supporter", "staff", "other"}


def test_erase_removes_a_person_and_keeps_a_shared_address(db: storage.Database) -> None:
    with db.transaction() as session:
        dev = make_person(session, "Dev", "dev-phone", [("good_day", "swimming"), ("bad_day", "x")])
        make_person(session, "Sam", "shared-laptop", [("good_day", "bowling")])
        shared = storage.get_or_create_address(session, "sms", "shared-laptop")
        storage.link_person(session, dev, shared)
        dev_conv = storage.new_conversation(session, shared, dev, "bad_day")
        storage.add_answer(
            session, dev, dev_conv, "bad_day", "rain", said_by="Mo", perspective="supporter"
        )
        storage.record_processed(session, "sms", "shared-dev", shared, dev, [{"text": "- rain"}])
        shared.active_person_id = dev.id
        session.add(shared)

    with db.transaction() as session:
        removed = storage.erase_person(session, storage.get_person(session, "Dev"))
    assert removed == {
        "answers": 3,
        "conversations": 2,
        "messages": 2,
        "photos": 0,
        "voice notes": 0,
        "links": 0,
        "supporters": 0,
        "consent records": 0,
        "addresses": 1,
    }

    with db.transaction() as session:
        assert storage.find_people(session, "Dev") == []
        assert storage.find_address(session, "sms", "dev-phone") is None
        shared = storage.find_address(session, "sms", "shared-laptop")
        assert shared is not None and shared.active_person_id is None
        sam = storage.get_person(session, "Sam")
        assert [p.id for p in storage.people_for_address(session, shared)] == [sam.id]
        assert [a.text for a in storage.answers_for(session, sam)] == ["bowling"]
        assert count(session, storage.Answer) == 1
        assert count(session, storage.Conversation) == 1
        assert count(session, storage.ProcessedMessage) == 1
        assert count(session, storage.PersonAddress) == 1
        assert storage.find_processed(session, "sms", "shared-laptop-Sam") is not None


# --- personal columns go through the seam ----------------------------------------------------

SEALED = "_" + "sealed"  # spelt in two parts so that this file does not match itself


def test_no_module_outside_storage_touches_personal_columns() -> None:
    offenders = []
    for folder in ("bot", "dialogues", "easyread", "planbot", "bench", "tests"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix not in {".py", ".j2", ".html", ".toml"} or not path.is_file():
                continue
            for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
                if SEALED in line:
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "use storage's functions, not the sealed columns:\n" + "\n".join(
        offenders
    )


def test_export_and_erase_cover_the_photo_and_the_links(db: storage.Database) -> None:
    """The photo and links are the person's data too: export shows them, forget removes them."""
    picture = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
    with db.transaction() as session:
        person = make_person(session, "Maureen", "07700 900200", [("best_support", "right ear")])
        storage.set_person_photo(session, person, picture, "image/png", "MM1")
        token = storage.new_link(session, person, days=30)
    with db.transaction() as session:
        exported = storage.export_person(session, storage.get_person(session, "Maureen"))
    assert exported["photo"] == {
        "content_type": "image/png",
        "base64": base64.b64encode(picture).decode("ascii"),
    }
    links = exported["links"]
    assert isinstance(links, list) and len(links) == 1 and links[0]["revoked_at"] is None
    assert token not in json.dumps(exported), "the link's token is never stored or exported"
    with db.transaction() as session:
        removed = storage.erase_person(session, storage.get_person(session, "Maureen"))
    assert removed["photos"] == 1 and removed["links"] == 1
    with db.transaction() as session:
        assert storage.person_for_token(session, token) is None
        assert not storage.find_people(session, "Maureen")
