"""The rows a message reads first are the session's own objects, and what changes them is saved.

Why: ``open_address`` reads the address, its person and its conversation with one lean
statement and attaches them to the session as SQLAlchemy's loader would
(``storage/_lean.py``: ``loaded``), and ``write_conversation`` writes the conversation with
one UPDATE and keeps it in the session marked as saved. If either went wrong, a later read
in the same message would see another copy, or a change would be lost at commit.
"""

from __future__ import annotations

from sqlmodel import Session

import storage
from storage._db import ERASED

NUMBER = "+447700900321"


def _plan(db: storage.Database) -> None:
    with db.transaction() as session:
        person = storage.create_person(session, "Dev")
        address = storage.get_or_create_address(session, "sms", NUMBER)
        storage.link_person(session, person, address)
        storage.set_active_person(session, address, person)
        storage.new_conversation(session, address, person, "good_day")


def _opened(session: Session) -> tuple[storage.Address, storage.Person, storage.Conversation]:
    address, person, conv = storage.open_address(session, "sms", NUMBER)
    assert person is not None and conv is not None
    return address, person, conv


def test_later_reads_in_the_message_give_the_same_objects(db: storage.Database) -> None:
    _plan(db)
    with db.transaction() as session:
        address, person, conv = _opened(session)
        assert storage.person_by_id(session, person.id) is person
        assert storage.current_person(session, address) is person
        assert storage.conversation_for(session, address, person) is conv
        assert storage.find_address(session, "sms", NUMBER) is address


def test_changes_to_what_was_read_first_are_saved(db: storage.Database) -> None:
    _plan(db)
    with db.transaction() as session:
        address, person, _conv = _opened(session)
        storage.set_person_name(session, person, "Devi")
        storage.set_large_print(session, person, on=True)
        storage.set_active_person(session, address, None)
    with db.transaction() as session:
        address, person, _conv = storage.open_address(session, "sms", NUMBER)
        assert address.active_person_id is None and person is None  # so none is read with it
        person = storage.people_for_address(session, address)[0]
        assert storage.person_name(person) == "Devi"
        assert person.large_print is True


def test_a_written_conversation_stays_the_sessions_and_later_changes_are_saved(
    db: storage.Database,
) -> None:
    _plan(db)
    with db.transaction() as session:
        address, person, conv = _opened(session)
        storage.set_state(conv, "bad_day")
        storage.write_conversation(session, conv, storage.utcnow())
        assert storage.conversation_for(session, address, person) is conv
        assert conv.state == "bad_day"
        storage.set_retries(conv, 2)  # after the write: still saved, by the session
    with db.transaction() as session:
        _address, _person, conv = _opened(session)
        assert (conv.state, conv.retries) == ("bad_day", 2)


def test_setting_what_is_already_there_changes_nothing(db: storage.Database) -> None:
    _plan(db)
    with db.transaction() as session:
        _address, _person, conv = _opened(session)
        storage.set_state(conv, "good_day")
        storage.set_retries(conv, 0)
        storage.resume(conv)
        assert conv not in session.dirty
        storage.set_retries(conv, 1)
        assert conv in session.dirty


def test_each_transaction_starts_with_nothing_of_the_one_before(db: storage.Database) -> None:
    """A connection's session is kept from one transaction to the next (``_session_for``):
    it must start empty each time, holding no object and no note (an erase's) of the last."""
    _plan(db)
    with db.transaction() as session:
        _address, person, conv = _opened(session)
        storage.mark_erased(session, files=False)
        first = session
    with db.transaction() as session:
        assert person not in session and conv not in session
        assert not session.info.get(ERASED)
        _address, again, _conv = _opened(session)
        assert again is not person and again.id == person.id
    assert session is first  # kept with its connection: so the above shows it starts empty
