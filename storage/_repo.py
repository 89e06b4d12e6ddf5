"""Repository functions: the only code that reads or writes planbot's tables.

Each function takes the ``Session`` of the caller's transaction, so the engine can write a
message's state change and answers together. Personal fields pass through ``_personal``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, bindparam, delete, func, insert, inspect, update
from sqlmodel import Session, col, select

from planbot.errors import AmbiguousPerson, PersonNotFound
from storage._personal import lookup_key, seal, seal_optional, unseal, unseal_optional
from storage._tables import (
    Address,
    Answer,
    Conversation,
    Person,
    PersonAddress,
    ProcessedMessage,
    utcnow,
)

# Statements run on every message, built once with bound parameters: building a statement
# from literal values each time costs more than running it (see bench/engine.py).
_ANSWERS = Answer.__table__  # type: ignore[attr-defined]
_CONVERSATIONS = Conversation.__table__  # type: ignore[attr-defined]
_PROCESSED = ProcessedMessage.__table__  # type: ignore[attr-defined]
_ADDRESS_BY_LOOKUP = select(Address).where(Address.lookup == bindparam("lookup")).with_for_update()
# Every message's first read: the address, the person it is talking about and that
# conversation, in one statement.
_LATEST_CONVERSATION = (
    select(func.max(Conversation.id))
    .where(Conversation.address_id == Address.id, Conversation.person_id == Person.id)
    .correlate(Address, Person)
    .scalar_subquery()
)
_ADDRESS_PERSON_CONVERSATION = (
    select(Address, Person, Conversation)
    .outerjoin(Person, col(Person.id) == col(Address.active_person_id))
    .outerjoin(
        Conversation,
        and_(col(Person.id).is_not(None), col(Conversation.id) == _LATEST_CONVERSATION),
    )
    .where(Address.lookup == bindparam("lookup"))
)
_LOCK_ADDRESS = select(Address.id).where(Address.lookup == bindparam("lookup")).with_for_update()
_CONVERSATION_OF = (
    select(Conversation)
    .where(Conversation.address_id == bindparam("address_id"))
    .where(Conversation.person_id == bindparam("person_id"))
    .order_by(col(Conversation.id).desc())
)
_WRITE_CONVERSATION = (
    update(_CONVERSATIONS)
    .where(_CONVERSATIONS.c.id == bindparam("conversation_id"))
    .values({c.key: bindparam(f"new_{c.key}") for c in _CONVERSATIONS.columns if c.key != "id"})
)
_INSERT_ANSWER = insert(_ANSWERS)
_INSERT_PROCESSED = insert(_PROCESSED)

ANSWER = "answer"
SKIPPED = "skipped"
DONT_KNOW = "dont_know"


def as_utc(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes: they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class AnswerView:
    """One stored answer with its personal fields in plain form."""

    id: int
    section: str
    text: str
    said_by: str
    perspective: str
    status: str
    created_at: datetime
    updated_at: datetime
    conversation_id: int | None = None
    kind: str = "text"  # "voice": a voice note (no words; its sound is kept apart)


def _answer_view(row: Answer) -> AnswerView:
    assert row.id is not None
    return AnswerView(
        id=row.id,
        section=row.section,
        text=unseal(row.text_sealed),
        said_by=unseal(row.said_by_sealed),
        perspective=row.perspective,
        status=row.status,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
        conversation_id=row.conversation_id,
        kind=row.kind,
    )


# --- people -----------------------------------------------------------------------------------


def person_name(person: Person) -> str | None:
    return unseal_optional(person.name_sealed)


def set_person_name(session: Session, person: Person, name: str) -> None:
    person.name_sealed = seal(name)
    person.updated_at = utcnow()
    session.add(person)


def create_person(session: Session, name: str | None = None) -> Person:
    person = Person(name_sealed=seal_optional(name))
    session.add(person)
    session.flush()
    return person


def is_named(person: Person, name: str) -> bool:
    """The person goes by ``name`` (any case, spaces around ignored)."""
    return (person_name(person) or "").strip().casefold() == name.strip().casefold()


def find_people(session: Session, name: str) -> list[Person]:
    """Everyone stored under this name (any case). Names are sealed, so compare after unsealing."""
    return [p for p in session.exec(select(Person).order_by(col(Person.id))) if is_named(p, name)]


def get_person(session: Session, name: str) -> Person:
    """The one person with this name; raises ``PersonNotFound`` or ``AmbiguousPerson``."""
    found = find_people(session, name)
    if not found:
        raise PersonNotFound(f"No one called {name!r} is stored.")
    if len(found) > 1:
        ids = ", ".join(str(p.id) for p in found)
        raise AmbiguousPerson(f"{len(found)} people are called {name!r} (ids {ids}).")
    return found[0]


def person_by_id(session: Session, person_id: int) -> Person | None:
    return session.get(Person, person_id)


# --- addresses --------------------------------------------------------------------------------


def get_or_create_address(session: Session, channel: str, address: str) -> Address:
    """The address row, locked for this transaction (one message per address at a time)."""
    key = lookup_key(channel, address)
    row = session.exec(_ADDRESS_BY_LOOKUP, params={"lookup": key}).first()
    return row if row is not None else _new_address(session, channel, key, address)


def _new_address(session: Session, channel: str, key: str, address: str) -> Address:
    row = Address(channel=channel, lookup=key, address_sealed=seal(address))
    session.add(row)
    session.flush()
    return row


def open_address(
    session: Session, channel: str, address: str
) -> tuple[Address, Person | None, Conversation | None]:
    """The address row, locked for this transaction (made if new), with the person it talked
    about last and its conversation about them: one read for most messages."""
    key = lookup_key(channel, address)
    if session.get_bind().dialect.name != "sqlite":
        # Lock first, then read. Locked within the read, PostgreSQL would return the joined
        # rows as they were before it waited, missing what the message before just wrote.
        # (SQLite's BEGIN IMMEDIATE has already locked the whole database.)
        session.execute(_LOCK_ADDRESS, {"lookup": key})
    found = read_address(session, channel, address)
    if found is not None:
        return found
    return _new_address(session, channel, key, address), None, None


def read_address(
    session: Session, channel: str, address: str
) -> tuple[Address, Person | None, Conversation | None] | None:
    """What ``open_address`` reads, without locking or making anything; None for a new one."""
    params = {"lookup": lookup_key(channel, address)}
    found = session.exec(_ADDRESS_PERSON_CONVERSATION, params=params).first()
    return (found[0], found[1], found[2]) if found is not None else None


def find_address(session: Session, channel: str, address: str) -> Address | None:
    return session.exec(
        select(Address).where(Address.lookup == lookup_key(channel, address))
    ).first()


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
    """Remove an address that speaks for nobody (after "no" to consent: store nothing)."""
    if people_for_address(session, address):
        return False
    session.exec(delete(Conversation).where(col(Conversation.address_id) == address.id))
    session.exec(delete(ProcessedMessage).where(col(ProcessedMessage.address_id) == address.id))
    session.delete(address)
    session.flush()
    return True


# --- conversations ----------------------------------------------------------------------------


def conversation_for(
    session: Session, address: Address, person: Person | None
) -> Conversation | None:
    if person is not None:
        params = {"address_id": address.id, "person_id": person.id}
        return session.exec(_CONVERSATION_OF, params=params).first()
    query = select(Conversation).where(
        Conversation.address_id == address.id, col(Conversation.person_id).is_(None)
    )
    return session.exec(query.order_by(col(Conversation.id).desc())).first()


def new_conversation(
    session: Session, address: Address, person: Person | None, state: str
) -> Conversation:
    assert address.id is not None
    conv = Conversation(address_id=address.id, person_id=person.id if person else None, state=state)
    session.add(conv)
    session.flush()
    return conv


def save_conversation(session: Session, conv: Conversation, when: datetime | None = None) -> None:
    conv.updated_at = when or utcnow()
    session.add(conv)


def write_conversation(session: Session, conv: Conversation, when: datetime) -> None:
    """Write a conversation's place now, with one UPDATE, and let the session forget it.

    The last write of a message: a plain UPDATE costs a fraction of the ORM's unit of work,
    which matters because every message ends here (see bench/engine.py).
    """
    conv.updated_at = when
    state = inspect(conv)
    if not state.persistent or state.deleted or conv.id is None:
        session.add(conv)
        return
    values = {f"new_{c.key}": getattr(conv, c.key) for c in _CONVERSATIONS.columns if c.key != "id"}
    session.expunge(conv)
    session.execute(_WRITE_CONVERSATION, {"conversation_id": conv.id, **values})


def delete_conversation(session: Session, conv: Conversation) -> None:
    """Remove a conversation (no consent, or one about nobody that another replaces)."""
    session.delete(conv)
    session.flush()


# The setters below change the conversation row in the session; the engine writes it once, at
# the end of the message, with ``write_conversation``.


def set_state(conv: Conversation, state: str) -> None:
    """The step (or menu) the conversation is at."""
    conv.state = state


def set_retries(conv: Conversation, retries: int) -> None:
    """How many times the current question has gone unclear (the retry ladder's rung)."""
    conv.retries = retries


def set_return_to(conv: Conversation, state: str | None) -> None:
    """Where to go back to after a menu, an edit or "are you sure?" (None: nowhere)."""
    conv.return_to = state


def set_typist(conv: Conversation, typist: str | None) -> None:
    """Who is typing: the person, someone helping them, family, staff... (None: not asked)."""
    conv.typist = typist


def set_conversation_person(conv: Conversation, person: Person) -> None:
    """The person this conversation is about, from the moment they agree."""
    conv.person_id = person.id


def pause(conv: Conversation) -> None:
    """The person said "pause": the next message gets a welcome back."""
    conv.paused = True


def resume(conv: Conversation) -> None:
    """The conversation goes on (after a pause, or any message that is not one)."""
    conv.paused = False


def conversation_said_by(conv: Conversation) -> str | None:
    return unseal_optional(conv.said_by_sealed)


def set_conversation_said_by(conv: Conversation, said_by: str | None) -> None:
    conv.said_by_sealed = seal_optional(said_by)


def conversation_name_hint(conv: Conversation) -> str | None:
    return unseal_optional(conv.name_hint_sealed)


def set_conversation_name_hint(conv: Conversation, name: str | None) -> None:
    conv.name_hint_sealed = seal_optional(name)


# --- answers ----------------------------------------------------------------------------------


def add_answer(
    session: Session,
    person: Person,
    conv: Conversation | None,
    section: str,
    text: str,
    *,
    said_by: str,
    perspective: str,
    status: str = ANSWER,
) -> None:
    """Store one answer verbatim.

    A plain INSERT on the table, not an ORM object: a message can store several answers and
    the ORM's unit of work costs more than the rest of the message (see bench/engine.py).
    """
    assert person.id is not None
    now = utcnow()
    session.execute(
        _INSERT_ANSWER,
        {
            "person_id": person.id,
            "conversation_id": conv.id if conv else None,
            "section": section,
            "text_sealed": seal(text),
            "said_by_sealed": seal(said_by),
            "perspective": perspective,
            "status": status,
            "kind": "text",
            "deleted": False,
            "created_at": now,
            "updated_at": now,
        },
    )


def answers_for(session: Session, person: Person, section: str | None = None) -> list[AnswerView]:
    """The person's answers that are not deleted, oldest first."""
    query = select(Answer).where(Answer.person_id == person.id, col(Answer.deleted).is_(False))
    if section is not None:
        query = query.where(Answer.section == section)
    return [_answer_view(a) for a in session.exec(query.order_by(col(Answer.id)))]


def delete_last_answer(
    session: Session, person: Person, section: str | None = None
) -> AnswerView | None:
    """Delete the newest answer (in one section, if given); return what it was.

    The row goes from the database: the bot tells the person "I deleted it", so the words must
    not stay behind (in an export, a backup or a later read).
    """
    query = select(Answer).where(
        Answer.person_id == person.id,
        col(Answer.deleted).is_(False),
        Answer.status == ANSWER,
    )
    if section is not None:
        query = query.where(Answer.section == section)
    row = session.exec(query.order_by(col(Answer.id).desc())).first()
    if row is None:
        return None
    view = _answer_view(row)
    session.delete(row)
    session.flush()
    forget_replies(session, person=person)  # earlier replies that echoed the words
    return view


def delete_all_answers(session: Session, person: Person) -> int:
    """Delete every answer of the person (``restart``, after they said yes); how many there were.

    The rows go from the database, as the bot says. Rows an older version only marked deleted
    go too, but are not counted: the person did not see them as answers.
    """
    result = session.exec(
        delete(Answer).where(col(Answer.person_id) == person.id, col(Answer.deleted).is_(False))
    )
    session.exec(delete(Answer).where(col(Answer.person_id) == person.id))
    forget_replies(session, person=person)  # earlier replies that echoed the words
    return int(result.rowcount or 0)


def answered_sections(session: Session, person: Person) -> set[str]:
    query = select(Answer.section).where(
        Answer.person_id == person.id, col(Answer.deleted).is_(False)
    )
    return set(session.exec(query.distinct()))


# --- processed messages -----------------------------------------------------------------------


def find_processed(session: Session, channel: str, message_id: str) -> ProcessedMessage | None:
    query = select(ProcessedMessage).where(
        ProcessedMessage.channel == channel, ProcessedMessage.message_id == message_id
    )
    return session.exec(query).first()


def record_processed(
    session: Session,
    channel: str,
    message_id: str,
    address: Address | None,
    person: Person | None,
    replies: Sequence[dict[str, object]],
    now: datetime | None = None,
) -> None:
    """Remember a handled message and its replies (a plain INSERT, for speed as above).

    A second worker that handled the same message first makes this fail on the unique
    (channel, message_id) key at commit; the engine then answers with the stored replies.
    """
    session.execute(
        _INSERT_PROCESSED,
        {
            "channel": channel,
            "message_id": message_id,
            "address_id": address.id if address else None,
            "person_id": person.id if person else None,
            "replies_sealed": seal(json.dumps(list(replies), ensure_ascii=False)),
            "created_at": now or utcnow(),
        },
    )


def processed_replies(row: ProcessedMessage) -> list[dict[str, object]]:
    if row.replies_sealed == NO_REPLIES:
        return []
    data = json.loads(unseal(row.replies_sealed))
    assert isinstance(data, list)
    return data


NO_REPLIES = "[]"  # kept plain: it holds nothing personal


def forget_replies(
    session: Session, *, person: Person | None = None, before: datetime | None = None
) -> int:
    """Blank the kept replies of handled messages: those about ``person``, or older than
    ``before``; how many were blanked.

    Why: a reply echoes the person's words ("Thank you. I have saved: my dog"). It is kept
    only to answer a repeat delivery the same way, and repeats come within minutes. The
    message id stays, so a late repeat still stores nothing new.
    """
    query = update(_PROCESSED).where(_PROCESSED.c.replies_sealed != NO_REPLIES)
    if person is not None:
        query = query.where(_PROCESSED.c.person_id == person.id)
    if before is not None:
        query = query.where(_PROCESSED.c.created_at < before)
    result = session.execute(query.values(replies_sealed=NO_REPLIES))
    return int(getattr(result, "rowcount", 0) or 0)
