"""Addresses: the phones, chats and terminals that talk to planbot, and whom they talk for.

Every message starts here: ``open_address`` locks the address row for the message's
transaction (one message per address at a time) and reads what most messages need with it.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    Table,
    and_,
    bindparam,
    delete,
    false,
    func,
    inspect,
)
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from storage._answers import ANSWER, count_read_ahead
from storage._db import run, run_later
from storage._lean import loaded
from storage._personal import lookup_key, lookup_keys, seal, unseal
from storage._tables import (
    Address,
    Answer,
    Conversation,
    Person,
    PersonAddress,
    ProcessedMessage,
)

# Statements run on every message, built once with bound parameters: building a statement
# from literal values each time costs more than running it (see bench/engine.py).
# An address is found by any form it may be stored under (``lookup_keys``): its keyed hash
# under the current key, under an old key, or plain from before encryption.
_LOOKUPS: BindParameter[str] = bindparam("lookups", expanding=True)
_ADDRESS_BY_LOOKUP = select(Address).where(col(Address.lookup).in_(_LOOKUPS)).with_for_update()

_ADDRESSES: Table = Address.__table__  # type: ignore[attr-defined]
_PEOPLE: Table = Person.__table__  # type: ignore[attr-defined]
_CONVERSATIONS: Table = Conversation.__table__  # type: ignore[attr-defined]

# Every message's first read: the address, the person it is talking about and that
# conversation, in one statement.
_LATEST_CONVERSATION = (
    core_select(func.max(_CONVERSATIONS.c.id))
    .where(
        _CONVERSATIONS.c.address_id == _ADDRESSES.c.id,
        _CONVERSATIONS.c.person_id == _PEOPLE.c.id,
    )
    .correlate(_ADDRESSES, _PEOPLE)
    .scalar_subquery()
)

# ... with how many things the topic the conversation is at holds: a topic's answer checks
# its limit with that count (``count_answers``), and needs no statement of its own.
_COUNT_AT_STATE = (
    select(func.count(col(Answer.id)))
    .where(
        Answer.person_id == _PEOPLE.c.id,
        Answer.section == _CONVERSATIONS.c.state,
        Answer.status == ANSWER,
        col(Answer.deleted) == false(),
    )
    .correlate(_PEOPLE, _CONVERSATIONS)
    .scalar_subquery()
)

_READ_FROM = _ADDRESSES.outerjoin(_PEOPLE, _PEOPLE.c.id == _ADDRESSES.c.active_person_id).outerjoin(
    _CONVERSATIONS,
    and_(_PEOPLE.c.id.is_not(None), _CONVERSATIONS.c.id == _LATEST_CONVERSATION),
)


@functools.cache
def _read_statement(lookups: int) -> Select[Any]:
    """The first read, for an address stored under one of ``lookups`` forms."""
    tables = (_ADDRESSES, _PEOPLE, _CONVERSATIONS)
    columns = [c for table in tables for c in table.columns]
    return core_select(*columns, _COUNT_AT_STATE).select_from(_READ_FROM).where(_any_of(lookups))


@functools.cache
def _lock_statement(lookups: int) -> Select[Any]:
    return core_select(_ADDRESSES.c.id).where(_any_of(lookups)).with_for_update()


def _any_of(lookups: int) -> ColumnElement[bool]:
    """The address stored under any of its forms: one value for each (statements run on the
    driver's cursor take plain values, not a list)."""
    return _ADDRESSES.c.lookup.in_([bindparam(f"lookup_{n}") for n in range(lookups)])


def _lookup_values(lookups: list[str]) -> dict[str, str]:
    return {f"lookup_{n}": value for n, value in enumerate(lookups)}


def get_or_create_address(session: Session, channel: str, address: str) -> Address:
    """The address row, locked for this transaction (one message per address at a time)."""
    params = {"lookups": lookup_keys(channel, address)}
    row = session.exec(_ADDRESS_BY_LOOKUP, params=params).first()
    return row if row is not None else _new_address(session, channel, address)


def _new_address(session: Session, channel: str, address: str) -> Address:
    row = Address(
        channel=channel, lookup=lookup_key(channel, address), address_sealed=seal(address)
    )
    session.add(row)
    session.flush()
    return row


def open_address(
    session: Session, channel: str, address: str
) -> tuple[Address, Person | None, Conversation | None]:
    """The address row, locked for this transaction (made if new), with the person it talked
    about last and its conversation about them: one read for most messages."""
    lookups = lookup_keys(channel, address)
    if session.get_bind().dialect.name != "sqlite":
        # Lock first, then read. Locked within the read, PostgreSQL would return the joined
        # rows as they were before it waited, missing what the message before just wrote.
        # (SQLite's BEGIN IMMEDIATE has already locked the whole database.)
        run_later(session, _lock_statement(len(lookups)), _lookup_values(lookups))
    found = _read(session, lookups)
    if found is not None:
        return found
    return _new_address(session, channel, address), None, None


def read_address(
    session: Session, channel: str, address: str
) -> tuple[Address, Person | None, Conversation | None] | None:
    """What ``open_address`` reads, without locking or making anything; None for a new one."""
    return _read(session, lookup_keys(channel, address))


def _read(
    session: Session, lookups: list[str]
) -> tuple[Address, Person | None, Conversation | None] | None:
    session.flush()  # what this transaction changed is read back, as the ORM's read would
    row = run(session, _read_statement(len(lookups)), _lookup_values(lookups)).first()
    if row is None:
        return None
    values = iter(row)
    address = loaded(session, Address, _ADDRESSES, values)
    person = loaded(session, Person, _PEOPLE, values)
    conv = loaded(session, Conversation, _CONVERSATIONS, values)
    assert address is not None
    if person is not None and conv is not None:
        count_read_ahead(session, person, conv.state, next(values))
    return address, person, conv


def find_address(session: Session, channel: str, address: str) -> Address | None:
    lookups = lookup_keys(channel, address)
    return session.exec(select(Address).where(col(Address.lookup).in_(lookups))).first()


def address_text(row: Address) -> str:
    return unseal(row.address_sealed)


def link_person(session: Session, person: Person, address: Address) -> None:
    assert person.id is not None and address.id is not None
    if session.get(PersonAddress, (person.id, address.id)) is None:
        session.add(PersonAddress(person_id=person.id, address_id=address.id))
        session.flush()


def people_for_address(session: Session, address: Address) -> list[Person]:
    query = (
        select(Person)
        .join(PersonAddress, col(PersonAddress.person_id) == col(Person.id))
        .where(PersonAddress.address_id == address.id)
        .order_by(col(PersonAddress.created_at), col(Person.id))
    )
    return list(session.exec(query))


def current_person(session: Session, address: Address) -> Person | None:
    """Whose plan this address is on now: the one it last talked about, or its only person."""
    if address.active_person_id is not None:
        active = session.get(Person, address.active_person_id)
        if active is not None:
            return active
    people = people_for_address(session, address)
    return people[0] if len(people) == 1 else None


def set_active_person(session: Session, address: Address, person: Person | None) -> None:
    """Make ``person`` the one this address talks about now (None: ask which, next time)."""
    address.active_person_id = person.id if person is not None else None
    session.add(address)


def opt_in(session: Session, address: Address) -> None:
    """The address asked for messages again (it had opted out): it is answered from now on."""
    address.opted_out = False
    session.add(address)


def delete_address_if_unused(session: Session, address: Address) -> bool:
    """Remove an address that speaks for nobody (after "no" to consent: store nothing); True
    when it is gone (now, or already in this transaction)."""
    if inspect(address).deleted or inspect(address).was_deleted:
        return True
    if people_for_address(session, address):
        return False
    session.exec(delete(Conversation).where(col(Conversation.address_id) == address.id))
    session.exec(delete(ProcessedMessage).where(col(ProcessedMessage.address_id) == address.id))
    session.delete(address)
    session.flush()
    return True
