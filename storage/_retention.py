"""Retention: a plan nobody has used for ``PLANBOT_RETENTION_DAYS`` is not kept for ever.

Why: data protection's storage limitation. The person is asked first, on their own channel
(through the outbox), whether to keep their plan; any message from them keeps it (their
conversation moves on, which is the answer). With no message in ``ANSWER_DAYS``, the plan is
erased. Both steps are in the database (``person.retention_asked_at`` and the conversations'
times), so they happen when due even across restarts, once, whichever worker tidies.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Subquery, func, or_
from sqlmodel import Session, col, select

from storage._tables import Conversation, Person

ANSWER_DAYS = 30


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
    """People whose plan nobody used for ``days``, not asked since they last used it."""
    asked = col(Person.retention_asked_at)
    return _people(
        session,
        lambda used: [used < now - timedelta(days=days), or_(asked.is_(None), asked < used)],
    )


def mark_asked(session: Session, person: Person, now: datetime) -> None:
    person.retention_asked_at = now
    session.add(person)
    session.flush()


def plans_to_erase(session: Session, now: datetime) -> list[Person]:
    """People asked ``ANSWER_DAYS`` ago or more who have sent nothing since."""
    asked = col(Person.retention_asked_at)
    return _people(
        session,
        lambda used: [
            asked.is_not(None),
            asked <= now - timedelta(days=ANSWER_DAYS),
            used < asked,
        ],
    )
