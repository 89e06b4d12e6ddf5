"""Private profile links: made, found, listed and revoked. The link's row keeps no token.

Why a hash: the link is the only key to a person's profile page, so the link's row keeps just
its SHA-256 (a 256-bit random token needs no slow hash or salt). The token is returned once,
when it is made, for the channel to send; a channel keeps the answer that carried it sealed
with the message's other replies, only until they are blanked (``PLANBOT_REPLY_HOURS``), so
that a repeat delivery of the message gets the same link and turns nothing off.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from storage._db import mark_erased
from storage._processed import forget_replies
from storage._tables import Person, ProfileLink, as_utc, utcnow

TOKEN_BYTES = 32  # 256 bits of randomness; the brief asks for at least 128
# A link's kind: the profile and review pages, or everything kept about the person (short-
# lived: it opens everything, so it works for a day, and only at /d/).
PROFILE_LINK, DATA_LINK = "profile", "data"
DATA_LINK_DAYS = 1


def token_hash(token: str) -> str:
    """The stored form of a link token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class LinkView:
    """One link as ``planbot links list`` shows it (never the token: it is not kept)."""

    id: int
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    channel: str | None

    def status(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= now else "active"


def new_link(
    session: Session,
    person: Person,
    *,
    days: int,
    now: datetime | None = None,
    channel: str | None = None,
    message_id: str | None = None,
    kind: str = PROFILE_LINK,
) -> str:
    """Make a link to the person's profile and return its token (the only time it exists).

    With ``channel`` and ``message_id``, a second call for the same message gives the same
    link row a fresh token instead of a second row: the token of the first answer was never
    stored, so it cannot be sent again, and an answer that went astray stops working.
    """
    assert person.id is not None
    now = now or utcnow()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = link_for_message(session, channel, message_id) if channel and message_id else None
    if row is None:
        row = ProfileLink(
            person_id=person.id,
            token_hash=token_hash(token),
            kind=kind,
            channel=channel,
            message_id=message_id,
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
    else:
        row.token_hash = token_hash(token)
    session.add(row)
    session.flush()
    return token


def link_for_message(
    session: Session, channel: str | None, message_id: str | None
) -> ProfileLink | None:
    """The link a message already made, if any."""
    if not channel or not message_id:
        return None
    query = select(ProfileLink).where(
        ProfileLink.channel == channel, ProfileLink.message_id == message_id
    )
    return session.exec(query).first()


def person_for_token(
    session: Session, token: str, now: datetime | None = None, *, kind: str = PROFILE_LINK
) -> Person | None:
    """The person a link token of this ``kind`` opens, or None if it is unknown, of another
    kind, expired or revoked."""
    if not token or len(token) > 200:
        return None
    now = now or utcnow()
    query = select(ProfileLink).where(ProfileLink.token_hash == token_hash(token))
    row = session.exec(query).first()
    if (
        row is None
        or row.kind != kind
        or row.revoked_at is not None
        or as_utc(row.expires_at) <= now
    ):
        return None
    return session.get(Person, row.person_id)


def revoke_links(session: Session, person: Person, now: datetime | None = None) -> int:
    """Turn off every link of the person that still works; return how many were turned off."""
    now = now or utcnow()
    result = session.exec(
        update(ProfileLink)
        .where(
            col(ProfileLink.person_id) == person.id,
            col(ProfileLink.revoked_at).is_(None),
            col(ProfileLink.expires_at) > now,
        )
        .values(revoked_at=now)
    )
    count = int(result.rowcount or 0)
    # The replies kept for a repeat delivery hold the links' addresses (PROFILE's answer):
    # a link turned off leaves no copy of itself, as it leaves none of its page's sound.
    forget_replies(session, person=person)
    mark_erased(session)  # what was made for the links goes with them: the page's sound
    return count


def links_for(session: Session, person: Person) -> list[LinkView]:
    """Every link made for the person, oldest first."""
    rows = session.exec(
        select(ProfileLink).where(ProfileLink.person_id == person.id).order_by(col(ProfileLink.id))
    )
    return [
        LinkView(
            id=r.id or 0,
            created_at=as_utc(r.created_at),
            expires_at=as_utc(r.expires_at),
            revoked_at=as_utc(r.revoked_at) if r.revoked_at else None,
            channel=r.channel,
        )
        for r in rows
    ]
