"""Retention: a plan nobody has used for ``PLANBOT_RETENTION_DAYS`` is not kept for ever.

Why: data protection's storage limitation. The person is asked first, on their own channel
(through the outbox), whether to keep their plan; any message from them keeps it (their
conversation moves on, which is the answer). With no message in ``ANSWER_DAYS`` after the
question was SENT, the plan is erased. A question the outbox never sent (the holder opted
out, every try failed, no holder's phone or chat is left) starts no count: nobody is erased
without having been asked. It is asked again ``ANSWER_DAYS`` after, while it cannot be sent.
Each step is in the database (``person.retention_asked_at``, ``retention_sent_at`` and the
conversations' times), so it happens when due even across restarts, once, whichever worker
tidies.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Subquery, and_, func, or_
from sqlmodel import Session, col, select

from storage._outbox import SENT
from storage._tables import Conversation, OutboxMessage, Person

ANSWER_DAYS = 30
# A plan whose question could never be sent is erased when nobody used it for the retention
# days and this many more (the question is tried again every ANSWER_DAYS meanwhile).
UNSENT_DAYS = 90


def retention_key(person: Person, now: datetime) -> str:
    """The outbox key of the question to ``person`` asked ``now`` (once a day at most)."""
    return f"{retention_about(person)}:{now:%Y-%m-%d}"


def retention_about(person: Person) -> str:
    """What the person's questions are about, in the outbox (to find or withdraw them)."""
    return f"retention:{person.id}"


def _last_used() -> Subquery:
    """Each person's last message: their newest conversation's time."""
    return (
        select(
            col(Conversation.person_id).label("person_id"),
            func.max(Conversation.updated_at).label("last"),
        )
        .where(col(Conversation.person_id).is_not(None))
        .group_by(col(Conversation.person_id))
        .subquery()
    )


def _people(
    session: Session, where: Callable[[ColumnElement[datetime]], list[ColumnElement[bool]]]
) -> list[Person]:
    """The people ``where`` picks, given when each last used their plan (their newest
    conversation's time, or when they were made)."""
    last = _last_used()
    used = func.coalesce(last.c.last, Person.created_at)
    query = (
        select(Person)
        .outerjoin(last, last.c.person_id == Person.id)
        .where(*where(used))
        .order_by(col(Person.id))
    )
    return list(session.exec(query))


def plans_to_ask(session: Session, now: datetime, days: int) -> list[Person]:
    """People whose plan nobody used for ``days``, not asked since they last used it; and
    those asked whose question was not sent in ``ANSWER_DAYS`` (asked again)."""
    asked, sent = col(Person.retention_asked_at), col(Person.retention_sent_at)
    unsent = and_(sent.is_(None), asked <= now - timedelta(days=ANSWER_DAYS))

    def where(used: ColumnElement[datetime]) -> list[ColumnElement[bool]]:
        return [used < now - timedelta(days=days), or_(asked.is_(None), asked < used, unsent)]

    return _people(session, where)


def mark_asked(session: Session, person: Person, now: datetime) -> None:
    """The question was queued ``now``: not sent yet (``note_questions_sent`` sees to that)."""
    person.retention_asked_at = now
    person.retention_sent_at = None
    session.add(person)
    session.flush()


def note_questions_sent(session: Session) -> int:
    """Note when the outbox sent each question not yet known to be sent; how many it found.

    Read from the outbox's rows, which go a day after they are done with
    (``forget_done_messages``): the tidy notes them first. By the key, which every question
    ever queued has (``retention_key``).
    """
    asked, sent = col(Person.retention_asked_at), col(Person.retention_sent_at)
    found = 0
    for person in list(session.exec(select(Person).where(asked.is_not(None), sent.is_(None)))):
        when = session.exec(
            select(func.min(OutboxMessage.done_at)).where(
                col(OutboxMessage.key).startswith(f"{retention_about(person)}:", autoescape=True),
                OutboxMessage.status == SENT,
                col(OutboxMessage.due_at) >= person.retention_asked_at,
            )
        ).one()
        if when is not None:
            person.retention_sent_at = when
            session.add(person)
            found += 1
    session.flush()
    return found


def plans_to_erase(session: Session, now: datetime, days: int) -> list[Person]:
    """People who have sent nothing since they were asked: their question was sent
    ``ANSWER_DAYS`` ago or more; or it could never be sent (their number said STOP, every
    try failed, nobody is left to ask) and nobody used the plan for ``days`` and
    ``UNSENT_DAYS`` more: a plan nobody can be asked about is not kept for ever."""
    asked, sent = col(Person.retention_asked_at), col(Person.retention_sent_at)

    def where(used: ColumnElement[datetime]) -> list[ColumnElement[bool]]:
        went = and_(sent.is_not(None), sent <= now - timedelta(days=ANSWER_DAYS))
        never = and_(sent.is_(None), used < now - timedelta(days=days + UNSENT_DAYS))
        return [asked.is_not(None), used < asked, or_(went, never)]

    return _people(session, where)
