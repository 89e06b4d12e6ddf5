"""The topic's count read with a message's first statement: right until anything is written.

Why: ``open_address`` reads how many things the conversation's topic holds with the address,
so a list answer checks the topic's limit without a statement of its own (one round trip
fewer on PostgreSQL). A count kept after a write would let a topic pass its limit.
"""

from __future__ import annotations

from sqlmodel import Session

import storage


def _person_at(session: Session, state: str) -> storage.Person:
    person = storage.create_person(session, "Dev")
    address = storage.get_or_create_address(session, "sms", "+447700900123")
    storage.link_person(session, person, address)
    storage.set_active_person(session, address, person)
    conv = storage.new_conversation(session, address, person, state)
    for words in ("my dog", "my mum"):
        storage.add_answer(session, person, conv, state, words, said_by="Dev", perspective="p")
    storage.add_answer(session, person, conv, "other", "tea", said_by="Dev", perspective="p")
    return person


def test_the_count_read_with_the_address_is_the_topics_count(db: storage.Database) -> None:
    with db.transaction() as session:
        _person_at(session, "good_day")
    with db.transaction() as session:
        _address, person, conv = storage.open_address(session, "sms", "+447700900123")
        assert person is not None and conv is not None
        assert storage.count_answers(session, person, "good_day") == 2
        assert storage.count_answers(session, person, "other") == 1


def test_a_write_ends_the_count_read_ahead(db: storage.Database) -> None:
    with db.transaction() as session:
        _person_at(session, "good_day")
    with db.transaction() as session:
        _address, person, conv = storage.open_address(session, "sms", "+447700900123")
        assert person is not None and conv is not None
        storage.add_answer(session, person, conv, "good_day", "cake", said_by="D", perspective="p")
        assert storage.count_answers(session, person, "good_day") == 3
    with db.transaction() as session:
        _address, person, conv = storage.open_address(session, "sms", "+447700900123")
        assert person is not None and conv is not None
        assert storage.delete_last_answer(session, person, "good_day") is not None
        assert storage.count_answers(session, person, "good_day") == 2
    with db.transaction() as session:
        _address, person, conv = storage.open_address(session, "sms", "+447700900123")
        assert person is not None and conv is not None
        storage.delete_all_answers(session, person)
        assert storage.count_answers(session, person, "good_day") == 0


def test_a_fresh_count_sees_what_another_phone_added_meanwhile(db: storage.Database) -> None:
    """On PostgreSQL two phones' messages about one plan can run at once (each locks its own
    address): near the topic's limit the list step counts afresh, and a fresh count sees what
    the other message stored after this one's first read. (SQLite takes one writer at a
    time, so there the other message waits: the same holds trivially.)"""
    with db.transaction() as session:
        _person_at(session, "good_day")
    if db.is_sqlite:
        with db.transaction() as session:
            _address, person, _conv = storage.open_address(session, "sms", "+447700900123")
            assert person is not None
            assert storage.count_answers(session, person, "good_day", fresh=True) == 2
        return
    with db.transaction() as session:
        _address, person, conv = storage.open_address(session, "sms", "+447700900123")
        assert person is not None and conv is not None
        with db.transaction() as other:  # the other phone's message, stored meanwhile
            (same,) = storage.find_people(other, "Dev")
            storage.add_answer(other, same, None, "good_day", "tea", said_by="Sam", perspective="p")
        assert storage.count_answers(session, person, "good_day") == 2  # as first read
        assert storage.count_answers(session, person, "good_day", fresh=True) == 3
