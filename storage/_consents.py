"""Consent records: every yes or no, who gave it, when, on which channel, to which words.

Why a record: decisions about a person's plan (keeping their answers, letting a supporter in,
putting what someone else said on their profile, or a plan made in their best interests under
the Mental Capacity Act) need "clear ways to make and record decisions" (DOMAIN.md section 0).
A "no" to keeping answers keeps nothing at all, so it leaves no record either.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session, col, select

from storage._personal import seal_optional, unseal_optional
from storage._tables import ConsentRecord, Person, as_utc

KEEP_ANSWERS, SUPPORTER, ITEM, MADE_FOR = "keep_answers", "supporter", "item", "made_for"
# A supporter's own yes to keeping their name and number (subject_id: their access row). It
# goes with them if the holder says no: nothing of them is kept.
SUPPORTER_KEEP = "supporter_keep"
SAID_YES, BEST_INTERESTS = "said_yes", "best_interests"
# Who said yes to keeping answers, before "Who is typing?" is answered (it comes next).
TYPIST = "typist"


@dataclass(frozen=True)
class ConsentView:
    subject: str
    subject_id: int | None
    decision: str
    by: str | None
    by_role: str
    channel: str
    wording: str
    reason: str | None
    created_at: datetime

    def to_dict(self) -> dict[str, object]:
        return {
            "subject": self.subject,
            "subject_id": self.subject_id,
            "decision": self.decision,
            "by": self.by,
            "by_role": self.by_role,
            "channel": self.channel,
            "wording": self.wording,
            "reason": self.reason,
            "at": self.created_at.isoformat(),
        }


def record_consent(
    session: Session,
    person: Person,
    subject: str,
    decision: str,
    *,
    by: str | None,
    by_role: str,
    channel: str,
    wording: str,
    now: datetime,
    subject_id: int | None = None,
    reason: str | None = None,
) -> None:
    assert person.id is not None
    session.add(
        ConsentRecord(
            person_id=person.id,
            subject=subject,
            subject_id=subject_id,
            decision=decision,
            by_sealed=seal_optional(by),
            by_role=by_role,
            channel=channel,
            wording=wording[:100],
            reason_sealed=seal_optional(reason),
            created_at=now,
        )
    )
    session.flush()


def name_consent_giver(
    session: Session, person: Person, *, by_role: str | None = None, by: str | None = None
) -> None:
    """Say who gave the yes to keeping answers, once the conversation knows: ``by_role`` at
    "Who is typing?" (the yes came before it), ``by`` when their name is said. Only what the
    record does not know yet is filled in; nothing it says is ever changed."""
    rows = session.exec(
        select(ConsentRecord).where(
            ConsentRecord.person_id == person.id, ConsentRecord.subject == KEEP_ANSWERS
        )
    )
    for row in rows:
        if by_role is not None and row.by_role == TYPIST:
            row.by_role = by_role
        elif by is not None and row.by_sealed is None and row.by_role != TYPIST:
            row.by_sealed = seal_optional(by)
        else:
            continue
        session.add(row)
    session.flush()


def name_supporter_consent(session: Session, person_id: int, access_id: int, name: str) -> None:
    """The supporter's yes to keeping their name and number, once they have said their name."""
    rows = session.exec(
        select(ConsentRecord).where(
            ConsentRecord.person_id == person_id,
            ConsentRecord.subject == SUPPORTER_KEEP,
            ConsentRecord.subject_id == access_id,
        )
    )
    for row in rows:
        row.by_sealed = seal_optional(name)
        session.add(row)
    session.flush()


def drop_supporter_consent(session: Session, person_id: int, access_id: int) -> None:
    """A supporter who is not let in (or who joins another plan instead) leaves no record of
    their own yes."""
    session.exec(
        delete(ConsentRecord).where(
            col(ConsentRecord.person_id) == person_id,
            col(ConsentRecord.subject) == SUPPORTER_KEEP,
            col(ConsentRecord.subject_id) == access_id,
        )
    )


def consents_of(session: Session, person: Person) -> list[ConsentView]:
    """Every record about the person, oldest first."""
    rows = session.exec(
        select(ConsentRecord)
        .where(ConsentRecord.person_id == person.id)
        .order_by(col(ConsentRecord.id))
    )
    return [
        ConsentView(
            subject=r.subject,
            subject_id=r.subject_id,
            decision=r.decision,
            by=unseal_optional(r.by_sealed),
            by_role=r.by_role,
            channel=r.channel,
            wording=r.wording,
            reason=unseal_optional(r.reason_sealed),
            created_at=as_utc(r.created_at),
        )
        for r in rows
    ]


def keep_answers_by_role(session: Session, person: Person) -> str | None:
    """Who said yes to keeping the person's answers, when the plan began: "person" (alone or
    "person_helped") or someone who knows them ("family", "supporter", "staff")."""
    row = session.exec(
        select(ConsentRecord.by_role)
        .where(ConsentRecord.person_id == person.id, ConsentRecord.subject == KEEP_ANSWERS)
        .order_by(col(ConsentRecord.id))
    ).first()
    return row


def made_for(session: Session, person: Person) -> ConsentView | None:
    """How the person agreed to a plan someone else started (the newest record), if asked."""
    found = [c for c in consents_of(session, person) if c.subject == MADE_FOR]
    return found[-1] if found else None
