"""Addresses that never said yes: a phone or chat that got the welcome and never agreed to
keeping anything is forgotten a day after it last wrote (the hourly tidy).

Why: "Can I keep your answers safe?" unanswered is not a yes, so nothing of it should stay:
not the number, its conversation or the messages it sent. An address that said yes for
someone (linked to a person), a supporter's address on a plan (joining or joined), a peer
supporter's while their Planning Live group runs or has a session to come, or one that asked
for no more texts (kept only to honour that: the number and the flag) stays.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, exists
from sqlmodel import Session, col, select

from storage._db import mark_erased
from storage._tables import (
    Access,
    Address,
    Conversation,
    LiveGroup,
    OutboxMessage,
    PersonAddress,
    ProcessedMessage,
)

UNCONSENTED_FOR = timedelta(days=1)


def forget_unconsented(session: Session, now: datetime) -> int:
    """Remove every address that never said yes and has been quiet for a day, with its
    conversation and handled messages; return how many addresses went."""
    before = now - UNCONSENTED_FOR
    wrote = select(ProcessedMessage.id).where(col(ProcessedMessage.address_id) == Address.id)
    wrote_lately = wrote.where(col(ProcessedMessage.created_at) >= before)
    ids = session.exec(
        select(Address.id).where(
            col(Address.opted_out).is_(False),
            col(Address.active_person_id).is_(None),
            ~exists().where(col(PersonAddress.address_id) == Address.id),
            ~exists().where(col(Access.address_id) == Address.id),
            # A peer supporter running a Planning Live group, or one with a session to come.
            ~exists().where(
                col(LiveGroup.facilitator_address_id) == Address.id,
                (col(LiveGroup.status) != "ended") | (col(LiveGroup.follow_up_at) >= now),
            ),
            ~exists(wrote_lately),
            exists(wrote) | (col(Address.created_at) < before),
        )
    ).all()
    if not ids:
        return 0
    session.exec(delete(OutboxMessage).where(col(OutboxMessage.address_id).in_(ids)))
    session.exec(delete(Conversation).where(col(Conversation.address_id).in_(ids)))
    session.exec(delete(ProcessedMessage).where(col(ProcessedMessage.address_id).in_(ids)))
    session.exec(delete(Address).where(col(Address.id).in_(ids)))
    mark_erased(session, files=False)
    return len(ids)
