"""Conversations: where one address is in one person's plan (or, before consent, in none).

The engine changes the conversation row through the setters here during a message and writes
it once, at the end, with ``write_conversation``.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from sqlalchemy import Update, bindparam, update
from sqlalchemy.orm.attributes import instance_state
from sqlmodel import Session, col, select

from storage._db import run_later
from storage._personal import seal_optional, unseal_optional
from storage._tables import Address, Conversation, Person, as_utc, utcnow

# Statements run on every message, built once with bound parameters (see bench/engine.py).
_CONVERSATIONS = Conversation.__table__  # type: ignore[attr-defined]

_CONVERSATION_OF = (
    select(Conversation)
    .where(Conversation.address_id == bindparam("address_id"))
    .where(Conversation.person_id == bindparam("person_id"))
    .order_by(col(Conversation.id).desc())
)

_WRITABLE = frozenset(c.key for c in _CONVERSATIONS.columns if c.key != "id")
# A conversation's time is kept to this grain: a message that changes nothing else of it
# writes nothing when the time stored is younger (as a file system's "relatime" does). What
# reads it counts hours and days (a welcome back after an hour, a plan left for 30 days).
TIME_GRAIN = timedelta(minutes=1)


@functools.cache
def _write_statement(keys: tuple[str, ...]) -> Update:
    """The UPDATE of these columns of one conversation (built once for each set of them)."""
    return (
        update(_CONVERSATIONS)
        .where(_CONVERSATIONS.c.id == bindparam("conversation_id"))
        .values({key: bindparam(f"new_{key}") for key in keys})
    )


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
    session: Session,
    address: Address,
    person: Person | None,
    state: str,
    *,
    flow: str = "profile",
    flow_version: int = 1,
) -> Conversation:
    """A new conversation of this address about this person (None before consent), in a flow."""
    assert address.id is not None
    conv = Conversation(
        address_id=address.id,
        person_id=person.id if person else None,
        state=state,
        flow=flow,
        flow_version=flow_version,
    )
    session.add(conv)
    session.flush()
    return conv


def carry_on_in_version(
    conv: Conversation, state: str, version: int, return_to: str | None
) -> None:
    """A conversation saved by an earlier version of its flow goes on at ``state`` of this one
    (``return_to``: where an edit goes back to, or None when that step is gone too)."""
    conv.state, conv.flow_version, conv.return_to = state, version, return_to


def move_to_flow(
    conv: Conversation, flow: str, version: int, state: str, *, profile_state: str | None = None
) -> None:
    """The conversation goes on in another flow (REVIEW: "Getting ready for a review"), at
    ``state`` of that flow's ``version``, with no edit or retry left over from the last one.
    ``profile_state``: where an unfinished profile was, to go back to after the review."""
    conv.flow, conv.flow_version, conv.state = flow, version, state
    conv.return_to, conv.retries, conv.paused = None, 0, False
    conv.profile_state = profile_state


def save_conversation(session: Session, conv: Conversation, when: datetime | None = None) -> None:
    conv.updated_at = when or utcnow()
    session.add(conv)


def write_conversation(session: Session, conv: Conversation, when: datetime) -> None:
    """Write a conversation's place now, with one UPDATE; the session then holds it as saved.

    The last write of a message: a plain UPDATE costs a fraction of the ORM's unit of work,
    which matters because every message ends here (see bench/engine.py). It writes the
    columns this transaction set (the session knows them), and when: most messages move the
    step alone, and an UPDATE of every column cost SQLite twice as much (the index of
    address and person written afresh each time). The conversation stays in the session,
    marked as written (as the ORM marks what it flushed): a later read in this transaction
    gives the same object, and a change made after this is still saved.

    A message that changes nothing but the time, less than ``TIME_GRAIN`` after the time
    stored, writes nothing: most things said for a topic come within a minute of the one
    before, and the UPDATE was a tenth of such a text's database work.
    """
    state = instance_state(conv)
    if not state.persistent or state.deleted or conv.id is None:
        conv.updated_at = when
        session.add(conv)
        return
    now = vars(conv)
    changed = _WRITABLE.intersection(state.committed_state)
    if not changed and _within_grain(now.get("updated_at"), when):
        return
    now["updated_at"] = when  # written here, and marked as saved with the rest below
    keys = tuple(sorted(changed.union(("updated_at",))))
    values = {f"new_{key}": now[key] for key in keys}
    run_later(session, _write_statement(keys), {"conversation_id": conv.id, **values})
    state._commit_all(now, session.identity_map)  # as a flush marks what it wrote


def _within_grain(stored: datetime | None, when: datetime) -> bool:
    return stored is not None and timedelta(0) <= when - as_utc(stored) < TIME_GRAIN


def conversation_address(session: Session, conversation_id: int | None) -> Address | None:
    """The address a conversation is on (to tell a supporter about what they said)."""
    conv = session.get(Conversation, conversation_id) if conversation_id is not None else None
    return session.get(Address, conv.address_id) if conv is not None else None


def delete_conversation(session: Session, conv: Conversation) -> None:
    """Remove a conversation (no consent, or one about nobody that another replaces)."""
    session.delete(conv)
    session.flush()


def _change(conv: Conversation, key: str, value: object) -> None:
    """Set a column that may already hold ``value``: most messages leave the step, the
    retries and the pause as they were, and marking the object changed costs more than the
    check (``write_conversation`` writes every column anyway)."""
    if getattr(conv, key) != value:
        setattr(conv, key, value)


def set_state(conv: Conversation, state: str) -> None:
    """The step (or menu) the conversation is at."""
    _change(conv, "state", state)


def set_retries(conv: Conversation, retries: int) -> None:
    """How many times the current question has gone unclear (the retry ladder's rung)."""
    _change(conv, "retries", retries)


def set_return_to(conv: Conversation, state: str | None) -> None:
    """Where to go back to after a menu, an edit or "are you sure?" (None: nowhere)."""
    _change(conv, "return_to", state)


def set_typist(conv: Conversation, typist: str | None) -> None:
    """Who is typing: the person, someone helping them, family, staff... (None: not asked)."""
    _change(conv, "typist", typist)


def set_conversation_person(conv: Conversation, person: Person) -> None:
    """The person this conversation is about, from the moment they agree."""
    conv.person_id = person.id


def pause(conv: Conversation) -> None:
    """The person said "pause": the next message gets a welcome back."""
    _change(conv, "paused", True)


def resume(conv: Conversation) -> None:
    """The conversation goes on (after a pause, or any message that is not one)."""
    _change(conv, "paused", False)


def conversation_said_by(conv: Conversation) -> str | None:
    return unseal_optional(conv.said_by_sealed)


def said_by_basis(conv: Conversation, person: Person | None) -> tuple[object, ...]:
    """What who-is-saying-it is worked out from, as stored (the typist, the helper's and the
    person's names, sealed): while it stays equal, so does the answer, unsealed again."""
    name = person.name_sealed if person is not None else None
    return (id(conv), conv.typist, conv.said_by_sealed, id(person), name)


def set_conversation_said_by(conv: Conversation, said_by: str | None) -> None:
    conv.said_by_sealed = seal_optional(said_by)


def conversation_name_hint(conv: Conversation) -> str | None:
    return unseal_optional(conv.name_hint_sealed)


def set_conversation_name_hint(conv: Conversation, name: str | None) -> None:
    conv.name_hint_sealed = seal_optional(name)


def visit_flow(conv: Conversation, flow: str, version: int, state: str) -> None:
    """Go into another flow for a while (the holder's "is that OK?"), keeping where it was."""
    if conv.resume_flow is None:
        conv.resume_flow, conv.resume_state = conv.flow, conv.state
    conv.flow, conv.flow_version, conv.state = flow, version, state
    conv.retries = 0


def set_visit_return(conv: Conversation, flow: str, state: str) -> None:
    """Where a conversation visiting another flow goes back to when the visit ends (a
    Planning Live group moved on while the person answered "Is that OK?")."""
    conv.resume_flow, conv.resume_state = flow, state


def end_visit(conv: Conversation, version: int) -> None:
    """Back to where the conversation was before its visit (``version``: that flow's now)."""
    if conv.resume_flow is None or conv.resume_state is None:
        return
    conv.flow, conv.state = conv.resume_flow, conv.resume_state
    conv.flow_version = version
    conv.resume_flow = conv.resume_state = None
    conv.retries = 0


def set_picked_answer(conv: Conversation, answer_id: int | None) -> None:
    """The thing picked in a topic by its words (for "just for me" or "share")."""
    conv.picked_answer_id = answer_id
