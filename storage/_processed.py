"""Handled messages and the replies they got: a message delivered twice is answered the same
way and stores nothing new. The kept replies are personal (they echo what was said), so they
are sealed, and blanked once repeats are no longer likely (``forget_replies``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, update
from sqlmodel import Session, select

from storage._db import mark_erased, run_later
from storage._personal import seal, unseal
from storage._tables import Address, Person, ProcessedMessage, utcnow

# A plain INSERT built once: every message records itself (see bench/engine.py).
_PROCESSED = ProcessedMessage.__table__  # type: ignore[attr-defined]
_INSERT_PROCESSED = insert(_PROCESSED).inline()  # no RETURNING of the new id

NO_REPLIES = "[]"  # kept plain: it holds nothing personal
# ``json.dumps(..., ensure_ascii=False)`` makes an encoder like this one for every call:
# every message keeps its replies, so it is made once.
_REPLIES_JSON = json.JSONEncoder(ensure_ascii=False)


def find_processed(
    session: Session, channel: str, message_id: str, *, lock: bool = False
) -> ProcessedMessage | None:
    """A handled message's row; ``lock`` holds it for this transaction (``keep_replies``)."""
    query = select(ProcessedMessage).where(
        ProcessedMessage.channel == channel, ProcessedMessage.message_id == message_id
    )
    return session.exec(query.with_for_update() if lock else query).first()


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
    run_later(
        session,
        _INSERT_PROCESSED,
        {
            "channel": channel,
            "message_id": message_id,
            "address_id": address.id if address else None,
            "person_id": person.id if person else None,
            "replies_sealed": seal(_REPLIES_JSON.encode(list(replies))),
            "created_at": now or utcnow(),
        },
    )


def keep_replies(
    session: Session, row: ProcessedMessage, replies: Sequence[dict[str, object]]
) -> None:
    """Keep ``replies`` as the whole answer to a handled message, in place of what it kept.

    Why: a channel may add to the engine's answer after it was stored (the private link to
    everything kept, by SMS). A repeat delivery must get that same answer, link and all, and
    the link can be given only while its reply is kept: its token is stored nowhere else.
    """
    row.replies_sealed = seal(_REPLIES_JSON.encode(list(replies)))
    session.add(row)
    session.flush()


def processed_replies(row: ProcessedMessage) -> list[dict[str, object]]:
    if row.replies_sealed == NO_REPLIES:
        return []
    data = json.loads(unseal(row.replies_sealed))
    assert isinstance(data, list)
    return data


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
    count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        mark_erased(session, files=False)  # the words may still be answers: files stay
    return count
