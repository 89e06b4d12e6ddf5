"""Invite codes: 6 digits a holder gives a supporter (``INVITE``, then ``JOIN 482913``).

Why a keyed hash: a 6-digit code has only a million values, so a plain hash would give it
away to anyone who reads the database. Only HMAC-SHA256 of the code, keyed with
``PLANBOT_SECRET_KEY``, is stored with it (the reply that gave it is kept sealed, like every
reply, until ``PLANBOT_REPLY_HOURS`` pass, so a repeat delivery gets the same code). A code
works once, for 7 days.

Guessing gets nowhere: each sender (a keyed hash of its channel address, so no number is kept)
may give ``MAX_WRONG`` wrong codes in ``WRONG_WINDOW``; after that no code from it is even
looked at until the window ends. A million codes at 5 a day from one sender is 500 years. The
limit is per sender only, never for everyone: guesses from many senders cannot lock out a real
supporter or slow anyone (each check is one indexed look-up).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, select

from storage._tables import CodeAttempt, InviteCode, LiveGroup, Person, as_utc

CODE_DIGITS = 6
CODE_DAYS = 7
MAX_WRONG = 5
WRONG_WINDOW = timedelta(hours=24)


def _keyed(value: str, key: str) -> str:
    return hmac.new(key.encode("utf-8"), value.encode("utf-8"), hashlib.sha256).hexdigest()


def code_hash(code: str, key: str) -> str:
    """The stored form of a code."""
    return _keyed(f"code:{code}", key)


def sender_hash(lookup: str, key: str) -> str:
    """The stored form of who sent a wrong code (never the number itself)."""
    return _keyed(f"sender:{lookup}", key)


def fresh_code(session: Session, key: str, now: datetime) -> tuple[str, str]:
    """A code (and its hash) no working code has, of either kind: an invite's or an open
    Planning Live group's, so the code alone says which (with a million, a clash is rare:
    try again)."""
    while True:
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        hashed = code_hash(code, key)
        group = session.exec(
            select(LiveGroup.id).where(LiveGroup.code_hash == hashed, LiveGroup.status == "open")
        ).first()
        if group is None and _working(session, hashed, now) is None:
            return code, hashed


def _working(session: Session, hashed: str, now: datetime) -> InviteCode | None:
    rows = session.exec(
        select(InviteCode).where(InviteCode.code_hash == hashed, col(InviteCode.used_at).is_(None))
    )
    return next((r for r in rows if as_utc(r.expires_at) > now), None)


def new_invite_code(
    session: Session, person: Person, *, key: str, channel: str, message_id: str, now: datetime
) -> str:
    """Make a code for the person's plan and return it (its hash is what is kept).

    The INVITE message handled again never comes here: the engine answers it with the reply
    it kept (sealed, blanked after ``PLANBOT_REPLY_HOURS``), so the code stays the same and
    works. Should a row for the message be here all the same, it gets the new code.
    """
    assert person.id is not None
    code, hashed = fresh_code(session, key, now)
    row = session.exec(
        select(InviteCode).where(InviteCode.channel == channel, InviteCode.message_id == message_id)
    ).first()
    if row is None:
        row = InviteCode(
            person_id=person.id,
            code_hash=hashed,
            channel=channel,
            message_id=message_id,
            created_at=now,
            expires_at=now + timedelta(days=CODE_DAYS),
        )
    else:
        row.code_hash = hashed
    session.add(row)
    session.flush()
    return code


def too_many_wrong(session: Session, sender: str, now: datetime) -> bool:
    """This sender gave ``MAX_WRONG`` wrong codes within the window."""
    row = session.get(CodeAttempt, sender)
    return (
        row is not None
        and as_utc(row.window_start) + WRONG_WINDOW > now
        and (row.wrong >= MAX_WRONG)
    )


def note_wrong_code(session: Session, sender: str, now: datetime) -> None:
    row = session.get(CodeAttempt, sender)
    if row is None or as_utc(row.window_start) + WRONG_WINDOW <= now:
        if row is None:
            row = CodeAttempt(sender_hash=sender, wrong=0, window_start=now)
        row.wrong, row.window_start = 0, now
    row.wrong += 1
    session.add(row)
    session.flush()


def use_invite_code(session: Session, code: str, *, key: str, now: datetime) -> int | None:
    """The person whose plan a working code opens (the code is used up), or None."""
    if len(code) != CODE_DIGITS or not code.isascii() or not code.isdigit():
        return None
    row = _working(session, code_hash(code, key), now)
    if row is None:
        return None
    row.used_at = now
    session.add(row)
    session.flush()
    return row.person_id


def forget_old_codes(session: Session, now: datetime) -> int:
    """Drop what guessing and inviting leave behind once it can matter no more: a sender's
    wrong-code count after its window, and codes used or past their 7 days (the hourly tidy).
    Returns how many rows went."""
    stale = session.exec(
        select(CodeAttempt.sender_hash).where(col(CodeAttempt.window_start) <= now - WRONG_WINDOW)
    ).all()
    if stale:
        session.exec(delete(CodeAttempt).where(col(CodeAttempt.sender_hash).in_(stale)))
    done = session.exec(
        select(InviteCode.id).where(
            col(InviteCode.used_at).is_not(None) | (col(InviteCode.expires_at) <= now)
        )
    ).all()
    if done:
        session.exec(delete(InviteCode).where(col(InviteCode.id).in_(done)))
    return len(stale) + len(done)
