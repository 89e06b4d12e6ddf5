"""The outbox, which is also the scheduler: messages queued with a change, claimed when due.

Why this shape:

- ``queue_message`` runs inside the caller's transaction, so a message exists exactly when the
  change that caused it was saved. Its ``key`` makes a message handled twice queue once.
- A sender ``claim_due``s a batch in a short transaction of its own and sends outside it. The
  claim is a lease (``available_at`` moves to the end of it): a sender killed mid-send lets
  go when the lease ends, and the row goes again. PostgreSQL claims with ``FOR UPDATE SKIP
  LOCKED``, so several workers or hosts never take one row together; SQLite's ``BEGIN
  IMMEDIATE`` lets one writer in at a time, which is enough there.
- A failure is tried again after a growing pause (``backoff``), at most ``MAX_ATTEMPTS``
  times; then the row is given up ("failed") and counted. Errors keep only their kind,
  never the words or the address.
- An address that opted out gets nothing: checked at every claim, so an opt-out that came
  after the message was queued still holds.
- The words and the address are sealed like other personal data, and blanked once a row is
  done with (sent, given up, opted out); ``forget_done_messages`` removes old done rows.

Every function takes ``now``: the caller's clock (tests move it forward instead of sleeping).
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from storage._personal import lookup_key, lookup_keys, seal, unseal
from storage._tables import Address, OutboxMessage

WAITING, SENT, FAILED, OPTED_OUT = "waiting", "sent", "failed", "opted_out"
MAX_ATTEMPTS = 8  # with the back-off below: tried for about four hours, then given up
FIRST_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=1)
LEASE = timedelta(minutes=10)  # far longer than a send (every channel call has a timeout)
MAX_ERROR = 200


def _utc(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes: they were written in UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failure: 1, 2, 4... minutes, at most 1 hour."""
    return min(FIRST_BACKOFF * 2 ** max(attempts - 1, 0), MAX_BACKOFF)


@dataclass(frozen=True)
class OutboxItem:
    """A claimed message, ready for its channel's sender (the only plain form of its words)."""

    id: int
    key: str
    channel: str
    address: str
    reply: dict[str, object]
    due: datetime
    attempts: int
    claim: str


@dataclass(frozen=True)
class WaitingGroup:
    """Messages waiting on one channel for one minute: how many, for how many addresses."""

    channel: str
    due: datetime
    messages: int
    people: int
    retrying: int  # of them, how many failed before and wait to be tried again


@dataclass(frozen=True)
class OutboxSummary:
    """What ``planbot outbox --list`` shows: no names, no words, no numbers."""

    waiting: list[WaitingGroup]
    people: int  # different addresses among all waiting messages
    failed: int  # given up after MAX_ATTEMPTS
    opted_out: int  # never sent: the address had opted out
    sent: int  # sent and not yet forgotten


def queue_message(
    session: Session,
    *,
    channel: str,
    address: str,
    reply: dict[str, object],
    due: datetime,
    key: str,
    about: str | None = None,
) -> bool:
    """Queue ``reply`` for ``address`` on ``channel`` at ``due``, in the caller's transaction.

    ``reply`` is ``Reply.to_dict()`` (anything JSON can hold). Returns False, storing nothing,
    when a message with this ``key`` was queued before (a message handled twice).
    """
    lookup = lookup_key(channel, address)
    address_id = session.exec(
        select(Address.id).where(col(Address.lookup).in_(lookup_keys(channel, address)))
    ).first()
    when = _utc(due)
    values = {
        "key": key,
        "about": about,
        "channel": channel,
        "lookup": lookup,
        "address_id": address_id,
        "address_sealed": seal(address),
        "reply_sealed": seal(json.dumps(reply, ensure_ascii=False)),
        "status": WAITING,
        "attempts": 0,
        "due_at": when,
        "available_at": when,
        "created_at": datetime.now(UTC),
    }
    bind = session.get_bind()
    insert = postgres_insert if bind.dialect.name == "postgresql" else sqlite_insert
    # ON CONFLICT DO NOTHING: a second transaction queueing the same key at the same moment
    # waits for the first and then stores nothing, instead of failing the whole change.
    statement = (
        insert(OutboxMessage)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(col(OutboxMessage.id))
    )
    return session.execute(statement).first() is not None


def about_plan(person_id: int) -> str:
    """The tag of a message for a supporter about a person's plan ("Dev said yes to what you
    said", the profile at the end of their plan): withdrawn if the supporter is removed
    before it goes (``withdraw`` for its address)."""
    return f"plan:{person_id}"


def withdraw(session: Session, *abouts: str, address_id: int | None = None) -> int:
    """Drop the messages about any of ``abouts`` that are not sent yet (a question answered
    another way; a person erased: their plan's messages and the questions about their things
    and supporters; with ``address_id``, those for one address only): they are not sent,
    and their words go. Returns how many went. A message a sender has claimed and is
    sending just now still goes: it left before this."""
    if not abouts:
        return 0
    statement = delete(OutboxMessage).where(
        col(OutboxMessage.about).in_(abouts), col(OutboxMessage.status) == WAITING
    )
    if address_id is not None:
        statement = statement.where(col(OutboxMessage.address_id) == address_id)
    result = session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)


def is_queued(session: Session, key: str) -> bool:
    """True when a message with this key was queued (whatever became of it since)."""
    found = session.exec(select(OutboxMessage.id).where(OutboxMessage.key == key)).first()
    return found is not None


def outbox_status(session: Session, keys: list[str]) -> dict[str, str]:
    """What became of the messages with these keys ("waiting", "sent", "failed"...)."""
    if not keys:
        return {}
    rows = session.exec(
        select(OutboxMessage.key, OutboxMessage.status).where(col(OutboxMessage.key).in_(keys))
    )
    return dict(rows.all())


def claim_due(
    session: Session,
    *,
    now: datetime,
    channels: list[str],
    limit: int = 20,
    lease: timedelta = LEASE,
    address: str | None = None,
) -> list[OutboxItem]:
    """Take up to ``limit`` due messages on ``channels`` for one sender, for ``lease``; only
    those for ``address`` when it is given (a terminal chat is one address, as a phone is).

    Rows for addresses that opted out are closed here, unsent. Commit before sending: the
    lease, not a held lock, keeps other senders away while this one sends.
    """
    if not channels:
        return []
    now = _utc(now)
    only = [] if address is None else [k for c in channels for k in lookup_keys(c, address)]
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status == WAITING,
            col(OutboxMessage.channel).in_(channels),
            col(OutboxMessage.available_at) <= now,
            *([col(OutboxMessage.lookup).in_(only)] if address is not None else []),
        )
        .order_by(col(OutboxMessage.available_at), col(OutboxMessage.id))
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite holds the one write lock
    )
    rows = list(session.exec(query))
    # Every form each address may be stored under: a row queued before a key change is
    # checked against its address however that address is stored now.
    forms = {r.id: set(lookup_keys(r.channel, unseal(r.address_sealed))) | {r.lookup} for r in rows}
    opted_out = _opted_out(session, set().union(*forms.values()))
    claim = uuid.uuid4().hex
    items: list[OutboxItem] = []
    for row in rows:
        if forms[row.id] & opted_out:
            _close(row, OPTED_OUT, now)
        else:
            row.claim = claim
            row.available_at = now + lease
            items.append(_item(row, claim))
        session.add(row)
    session.flush()
    return items


def _opted_out(session: Session, lookups: set[str]) -> set[str]:
    if not lookups:
        return set()
    query = select(Address.lookup).where(
        col(Address.lookup).in_(lookups), col(Address.opted_out).is_(True)
    )
    return set(session.exec(query))


def _item(row: OutboxMessage, claim: str) -> OutboxItem:
    assert row.id is not None
    reply = json.loads(unseal(row.reply_sealed))
    return OutboxItem(
        id=row.id,
        key=row.key,
        channel=row.channel,
        address=unseal(row.address_sealed),
        reply=reply if isinstance(reply, dict) else {"text": str(reply)},
        due=_utc(row.due_at),
        attempts=row.attempts,
        claim=claim,
    )


def _close(row: OutboxMessage, status: str, now: datetime) -> None:
    """The row is done with: keep its key (a repeat stays stored once), blank its words and
    whom it was for."""
    row.status = status
    row.claim = None
    row.lookup = ""
    row.address_sealed = ""
    row.reply_sealed = ""
    row.done_at = now


def _claimed(session: Session, item: OutboxItem) -> OutboxMessage | None:
    """The row, if it is still waiting and still this sender's (its lease did not run out)."""
    row = session.get(OutboxMessage, item.id, with_for_update=True)
    if row is None or row.status != WAITING or row.claim != item.claim:
        return None
    return row


def mark_sent(session: Session, item: OutboxItem, *, now: datetime) -> None:
    """The channel took the message. Recorded even if the lease ran out: it did go."""
    row = session.get(OutboxMessage, item.id, with_for_update=True)
    if row is not None and row.status == WAITING:
        row.attempts += 1
        _close(row, SENT, _utc(now))
        session.add(row)
        session.flush()


def mark_failed(
    session: Session, item: OutboxItem, *, now: datetime, error: str, retry: bool = True
) -> str:
    """The channel did not take it: try again after a pause, or give up. Returns the status.

    ``error`` names the kind of failure only (an exception's class, a code): never words.
    """
    row = _claimed(session, item)
    if row is None:
        return "released"
    now = _utc(now)
    row.attempts += 1
    row.last_error = error[:MAX_ERROR]
    if retry and row.attempts < MAX_ATTEMPTS:
        row.claim = None
        row.available_at = now + backoff(row.attempts)
    else:
        _close(row, FAILED, now)
    session.add(row)
    session.flush()
    return row.status


def mark_opted_out(session: Session, item: OutboxItem, *, now: datetime) -> None:
    """The channel says the address opted out (Twilio's 21610, a blocked bot): never sent."""
    row = _claimed(session, item)
    if row is not None:
        _close(row, OPTED_OUT, _utc(now))
        session.add(row)
        session.flush()


def release(session: Session, item: OutboxItem) -> None:
    """Give a claimed message back untried (the sender is stopping): it is due again now."""
    row = _claimed(session, item)
    if row is not None:
        row.claim = None
        row.available_at = row.due_at
        session.add(row)
        session.flush()


def next_due(session: Session, channels: list[str]) -> datetime | None:
    """When the next waiting message on ``channels`` may be sent (None: nothing waits)."""
    if not channels:
        return None
    first = session.exec(
        select(func.min(OutboxMessage.available_at)).where(
            OutboxMessage.status == WAITING, col(OutboxMessage.channel).in_(channels)
        )
    ).one()
    return _utc(first) if first is not None else None


def outbox_summary(session: Session) -> OutboxSummary:
    """What waits, when, on which channel and for how many addresses; and what was given up."""
    rows = session.exec(
        select(
            OutboxMessage.channel,
            OutboxMessage.due_at,
            OutboxMessage.lookup,
            OutboxMessage.attempts,
        )
        .where(OutboxMessage.status == WAITING)
        .order_by(col(OutboxMessage.due_at))
    ).all()
    groups: dict[tuple[str, datetime], list[tuple[str, int]]] = {}
    for channel, due, lookup, attempts in rows:
        minute = _utc(due).replace(second=0, microsecond=0)
        groups.setdefault((channel, minute), []).append((lookup, attempts))
    waiting = [
        WaitingGroup(
            channel=channel,
            due=due,
            messages=len(items),
            people=len({lookup for lookup, _ in items}),
            retrying=sum(1 for _, attempts in items if attempts),
        )
        for (channel, due), items in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    ]
    done: Counter[str] = Counter(
        dict(
            session.exec(
                select(OutboxMessage.status, func.count())
                .where(OutboxMessage.status != WAITING)
                .group_by(OutboxMessage.status)
            ).all()
        )
    )
    return OutboxSummary(
        waiting=waiting,
        people=len({lookup for _c, _d, lookup, _a in rows}),
        failed=done[FAILED],
        opted_out=done[OPTED_OUT],
        sent=done[SENT],
    )


def forget_done_messages(session: Session, *, before: datetime) -> int:
    """Remove rows done with before ``before`` (their keys are no longer needed); how many."""
    result = session.exec(
        delete(OutboxMessage).where(
            col(OutboxMessage.status) != WAITING, col(OutboxMessage.done_at) < _utc(before)
        )
    )
    return int(result.rowcount or 0)
