"""Voice notes kept as answers, and each chat's choice to hear questions as voice notes.

Why a table of its own: the sound is large and personal, and most reads of answers (every
message's read-back) need only the words. The answer row says ``kind = "voice"`` and has no
words; its sound is here, one row per answer, removed with the answer by cascade.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from storage._links import person_for_token
from storage._personal import seal, seal_bytes, unseal_bytes
from storage._tables import Address, Answer, Conversation, Person, VoiceNote, utcnow

VOICE = "voice"  # the kind of an answer sent as a voice note


@dataclass(frozen=True)
class VoiceClip:
    """A stored voice note: its sound, its type, how long it is and when it came."""

    answer_id: int
    data: bytes
    content_type: str
    seconds: float
    created_at: datetime


def add_voice_note(
    session: Session,
    person: Person,
    conv: Conversation | None,
    section: str,
    data: bytes,
    content_type: str,
    seconds: float,
    *,
    said_by: str,
    perspective: str,
    message_id: str | None = None,
    now: datetime | None = None,
) -> int:
    """Keep a voice note as one answer of ``section``; return the answer's id.

    ``now`` is when it came (the engine's clock): its date is how the profile names it.
    """
    assert person.id is not None
    now = now or utcnow()
    answer = Answer(
        person_id=person.id,
        conversation_id=conv.id if conv else None,
        section=section,
        text_sealed=seal(""),
        said_by_sealed=seal(said_by),
        perspective=perspective,
        kind=VOICE,
        created_at=now,
        updated_at=now,
    )
    session.add(answer)
    session.flush()
    assert answer.id is not None
    session.add(
        VoiceNote(
            answer_id=answer.id,
            person_id=person.id,
            content_type=content_type,
            seconds=float(seconds),
            audio_sealed=seal_bytes(data),
            message_id=message_id,
            created_at=now,
        )
    )
    session.flush()
    return answer.id


def _clip(row: VoiceNote) -> VoiceClip:
    return VoiceClip(
        answer_id=row.answer_id,
        data=unseal_bytes(row.audio_sealed),
        content_type=row.content_type,
        seconds=row.seconds,
        created_at=row.created_at,
    )


def voice_note(session: Session, person: Person, answer_id: int) -> VoiceClip | None:
    """The person's voice note kept as answer ``answer_id`` (None if it is not theirs, or gone).

    A deleted answer's sound is never given out, even if an older version left the row.
    """
    query = (
        select(VoiceNote)
        .join(Answer, col(Answer.id) == col(VoiceNote.answer_id))
        .where(
            VoiceNote.answer_id == answer_id,
            VoiceNote.person_id == person.id,
            col(Answer.deleted).is_(False),
        )
    )
    row = session.exec(query).first()
    return _clip(row) if row is not None else None


def voice_note_for_token(
    session: Session, token: str, answer_id: int, now: datetime | None = None
) -> VoiceClip | None:
    """The voice note behind a profile link: only the link's own person's, while it works."""
    person = person_for_token(session, token, now)
    return voice_note(session, person, answer_id) if person is not None else None


def voice_notes_of(session: Session, person: Person) -> dict[int, VoiceClip]:
    """All the person's voice notes by answer id (for ``planbot export``)."""
    rows = session.exec(select(VoiceNote).where(VoiceNote.person_id == person.id))
    return {row.answer_id: _clip(row) for row in rows}


def set_voice(session: Session, address: Address, on: bool) -> None:
    """Turn voice notes of each question on or off for this chat."""
    address.voice = on
    session.add(address)
    session.flush()


def wants_voice(address: Address) -> bool:
    """This chat asked to hear each question as a voice note too."""
    return bool(address.voice)
