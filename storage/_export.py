"""A whole person at once: everything stored about them (``planbot export``), and erasing it
all (``planbot forget``): answers, addresses, conversations, messages, photo and links.
"""

from __future__ import annotations

import base64
import json

from sqlalchemy import ColumnElement, delete, func, update
from sqlmodel import Session, col, select

from storage._access import access_list, holder_row_name
from storage._addresses import address_text, delete_address_if_unused
from storage._audit import audit_of
from storage._consents import consents_of
from storage._conversations import conversation_said_by
from storage._db import mark_erased
from storage._links import links_for
from storage._outbox import about_plan, withdraw
from storage._people import person_name
from storage._personal import unseal
from storage._photos import person_photo
from storage._retention import retention_about
from storage._tables import (
    Access,
    Address,
    Answer,
    AuditEvent,
    ConsentRecord,
    Conversation,
    InviteCode,
    Person,
    PersonAddress,
    PersonPhoto,
    ProcessedMessage,
    ProfileLink,
    VoiceNote,
    as_utc,
)
from storage._voice import VOICE, VoiceClip, voice_notes_of

# --- export and erase -------------------------------------------------------------------------


def export_json(session: Session, person: Person) -> str:
    """Everything stored about a person as JSON text, the same wherever it is given
    (``planbot export``, "send me my data" as a file, a link or on the screen)."""
    return json.dumps(export_person(session, person), ensure_ascii=False, indent=2)


def export_person(session: Session, person: Person) -> dict[str, object]:
    """Everything stored about a person, as plain data (``planbot export``)."""
    assert person.id is not None
    addresses = session.exec(
        select(Address)
        .join(PersonAddress, col(PersonAddress.address_id) == col(Address.id))
        .where(PersonAddress.person_id == person.id)
    ).all()
    convs = session.exec(select(Conversation).where(Conversation.person_id == person.id)).all()
    answers = session.exec(
        select(Answer).where(Answer.person_id == person.id).order_by(col(Answer.id))
    ).all()
    photo = person_photo(session, person)
    voices = voice_notes_of(session, person)
    return {
        "person": {
            "id": person.id,
            "name": person_name(person),
            "large_print": person.large_print,
            "created_at": as_utc(person.created_at).isoformat(),
        },
        "answers": [
            {
                "id": a.id,  # what a consent record's subject_id names
                "section": a.section,
                "text": unseal(a.text_sealed),
                "said_by": unseal(a.said_by_sealed),
                "perspective": a.perspective,
                "status": a.status,
                "kind": a.kind,
                "consent": a.consent,
                "private": a.private,
                "deleted": a.deleted,
                "created_at": as_utc(a.created_at).isoformat(),
                "updated_at": as_utc(a.updated_at).isoformat(),
                **(_voice_fields(voices[a.id]) if a.kind == VOICE and a.id in voices else {}),
            }
            for a in answers
        ],
        "addresses": [{"channel": a.channel, "address": address_text(a)} for a in addresses],
        "photo": (
            {
                "content_type": photo.content_type,
                "base64": base64.b64encode(photo.data).decode("ascii"),
            }
            if photo
            else None
        ),
        "links": [
            {
                "created_at": link.created_at.isoformat(),
                "expires_at": link.expires_at.isoformat(),
                "revoked_at": link.revoked_at.isoformat() if link.revoked_at else None,
                "channel": link.channel,
            }
            for link in links_for(session, person)
        ],
        "access": [
            {
                "id": a.id,
                "name": holder_row_name(session, person, a),
                "role": a.role,
                "status": a.status,
                "since": a.since.isoformat() if a.since else None,
                "ended": a.ended_at.isoformat() if a.ended_at else None,
            }
            for a in access_list(session, person)
        ],
        "consents": [c.to_dict() for c in consents_of(session, person)],
        "audit": [e.to_dict() for e in reversed(audit_of(session, person))],
        "conversations": [
            {
                "state": c.state,
                "typist": c.typist,
                "said_by": conversation_said_by(c),
                "paused": c.paused,
                "updated_at": as_utc(c.updated_at).isoformat(),
            }
            for c in convs
        ],
    }


def _voice_fields(clip: VoiceClip) -> dict[str, object]:
    """A voice note's length in seconds and its sound (everything stored is exported)."""
    return {
        "seconds": round(clip.seconds, 1),
        "audio": {
            "content_type": clip.content_type,
            "base64": base64.b64encode(clip.data).decode("ascii"),
        },
    }


def erase_person(session: Session, person: Person) -> dict[str, int]:
    """Erase a person and everything about them; return how many of each thing went."""
    assert person.id is not None
    pid = person.id
    counted: dict[str, int] = {}

    def count(model: type, where: ColumnElement[bool]) -> int:
        return int(session.exec(select(func.count()).select_from(model).where(where)).one())

    counted["answers"] = count(Answer, col(Answer.person_id) == pid)
    counted["conversations"] = count(Conversation, col(Conversation.person_id) == pid)
    counted["messages"] = count(ProcessedMessage, col(ProcessedMessage.person_id) == pid)
    counted["photos"] = count(PersonPhoto, col(PersonPhoto.person_id) == pid)
    counted["voice notes"] = count(VoiceNote, col(VoiceNote.person_id) == pid)
    counted["links"] = count(ProfileLink, col(ProfileLink.person_id) == pid)
    address_ids = list(
        session.exec(select(PersonAddress.address_id).where(PersonAddress.person_id == pid))
    )
    # What waits in the outbox about the plan goes first: it may hold its words, and an
    # address that talks for someone else keeps its rows.
    things = session.exec(select(Answer.id).where(Answer.person_id == pid))
    supporters = session.exec(select(Access.id).where(Access.person_id == pid))
    asked_about = [*(f"item:{i}" for i in things), *(f"access:{i}" for i in supporters)]
    withdraw(session, about_plan(pid), retention_about(person), *asked_about)
    session.exec(delete(VoiceNote).where(col(VoiceNote.person_id) == pid))
    session.exec(delete(AuditEvent).where(col(AuditEvent.person_id) == pid))
    session.exec(delete(Answer).where(col(Answer.person_id) == pid))
    session.exec(delete(Conversation).where(col(Conversation.person_id) == pid))
    session.exec(delete(ProcessedMessage).where(col(ProcessedMessage.person_id) == pid))
    session.exec(delete(PersonAddress).where(col(PersonAddress.person_id) == pid))
    session.exec(delete(PersonPhoto).where(col(PersonPhoto.person_id) == pid))
    session.exec(delete(ProfileLink).where(col(ProfileLink.person_id) == pid))
    counted["supporters"] = count(Access, col(Access.person_id) == pid)
    session.exec(delete(Access).where(col(Access.person_id) == pid))
    session.exec(delete(InviteCode).where(col(InviteCode.person_id) == pid))
    counted["consent records"] = count(ConsentRecord, col(ConsentRecord.person_id) == pid)
    session.exec(delete(ConsentRecord).where(col(ConsentRecord.person_id) == pid))
    session.exec(
        update(Address).where(col(Address.active_person_id) == pid).values(active_person_id=None)
    )
    removed_addresses = 0
    for address_id in address_ids:
        address = session.get(Address, address_id)
        if address is not None and delete_address_if_unused(session, address):
            removed_addresses += 1
    counted["addresses"] = removed_addresses
    session.delete(person)
    session.flush()
    mark_erased(session)
    return counted
