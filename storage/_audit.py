"""The audit log: who saw, added, changed, shared or deleted what in a person's plan.

Why: an information-governance lead must be able to say who touched special-category data,
and the person must be able to ask "who looked at my plan". Each event names the part of the
plan (a section key, "profile", "review", "data", "plan"), never the words. Who did it is
personal, so it is sealed like a name. Beside the topics' section keys, an event may name
"photo", "invite" (a code to join the plan was made) or "links" (the private links). A
message's events are written in its own
transaction, one row per kind of thing done (adding 5 things is one row with a count).
Erasing a person erases their log with them (it is about them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert
from sqlmodel import Session, col, select

from storage._db import run_later
from storage._personal import seal_optional, unseal_optional
from storage._tables import AuditEvent, Person, as_utc, utcnow

# What someone did. "saw": read the plan or a page of it; "added", "changed", "deleted":
# things in a part, or the photo; "hid" (just for me), "shared": a thing shared again, or a
# way in handed out (a private link to the "profile" or "review", an "invite" code);
# "agreed", "declined": the holder's answer to a thing someone said; "let_in", "removed": a
# supporter's access, or (removed "links") the private links turned off; "exported": a copy
# of everything.
ACTIONS = (
    "saw",
    "added",
    "changed",
    "deleted",
    "hid",
    "shared",
    "agreed",
    "declined",
    "let_in",
    "removed",
    "exported",
)
# Who, when it is not someone in the conversation: someone holding a private link, or
# whoever runs planbot (the command line).
LINK, ADMIN = "link", "admin"

_INSERT_EVENT = insert(AuditEvent.__table__).inline()  # type: ignore[attr-defined]


@dataclass(frozen=True)
class AuditView:
    at: datetime
    action: str
    what: str
    count: int
    actor: str | None
    actor_role: str
    channel: str

    def to_dict(self) -> dict[str, object]:
        return {
            "at": self.at.isoformat(),
            "action": self.action,
            "what": self.what,
            "count": self.count,
            "by": self.actor,
            "by_role": self.actor_role,
            "channel": self.channel,
        }


def note_event(
    session: Session,
    person: Person,
    action: str,
    what: str,
    *,
    by: str | None,
    by_role: str,
    channel: str,
    now: datetime,
    count: int = 1,
) -> None:
    """Write one event (a plain INSERT: it is in most messages' transaction)."""
    assert action in ACTIONS, action
    assert person.id is not None
    run_later(
        session,
        _INSERT_EVENT,
        {
            "person_id": person.id,
            "at": now,
            "action": action,
            "what": what[:40],
            "count": count,
            "actor_sealed": seal_optional(by),
            "actor_role": by_role[:20],
            "channel": channel[:20],
        },
    )


def note_unnamed(
    session: Session,
    person: Person,
    action: str,
    what: str,
    *,
    by_role: str,
    channel: str,
    now: datetime | None = None,
) -> None:
    """An event by someone planbot cannot name: whoever holds a private link (``LINK``, on
    the web) or whoever runs planbot on its host (``ADMIN``, the command line)."""
    note_event(
        session,
        person,
        action,
        what,
        by=None,
        by_role=by_role,
        channel=channel,
        now=now or utcnow(),
    )


def document_seen(document: str, fmt: str) -> str:
    """The part of a plan an opened document names: "profile", or "profile.pdf" for one of
    its files ("who looked at my plan" counts both as the profile)."""
    return document if fmt == "html" else f"{document}.{fmt}"


def audit_of(session: Session, person: Person, *, limit: int | None = None) -> list[AuditView]:
    """The person's events, newest first (``limit``: only the newest so many)."""
    query = (
        select(AuditEvent)
        .where(AuditEvent.person_id == person.id)
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
    )
    if limit is not None:
        query = query.limit(limit)
    return [
        AuditView(
            at=as_utc(e.at),
            action=e.action,
            what=e.what,
            count=e.count,
            actor=unseal_optional(e.actor_sealed),
            actor_role=e.actor_role,
            channel=e.channel,
        )
        for e in session.exec(query)
    ]
