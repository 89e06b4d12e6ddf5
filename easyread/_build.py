"""Build a ``Profile`` from what storage holds about a person."""

from __future__ import annotations

from sqlmodel import Session

import storage
from easyread._model import Profile, ProfileItem, ProfileSection, voice_note_label
from easyread._sections import sections
from storage import Person


def build_profile(session: Session, person: Person, *, fallback_name: str = "me") -> Profile:
    """The profile: sections in profile order, only real answers (not skipped, not "don't know")."""
    answers = [a for a in storage.answers_for(session, person) if a.status == storage.ANSWER]
    built = []
    for info in sections():
        items = tuple(_item(a) for a in answers if a.section == info.key)
        if items:
            built.append(ProfileSection(info.key, info.heading, info.icon, items, info.core))
    return Profile(name=storage.person_name(person) or fallback_name, sections=tuple(built))


def _item(answer: storage.AnswerView) -> ProfileItem:
    """An answer as a profile item; a voice note says so with its date, and names its sound."""
    if answer.kind == storage.VOICE:
        return ProfileItem(
            text=voice_note_label(answer.created_at),
            said_by=answer.said_by,
            perspective=answer.perspective,
            audio=str(answer.id),
        )
    return ProfileItem(text=answer.text, said_by=answer.said_by, perspective=answer.perspective)


def profile_of(db: storage.Database, person_id: int) -> Profile | None:
    """The profile of the person with this id, read in a transaction of its own (None if they
    were erased meanwhile): what a channel sends when a plan is finished."""
    with db.transaction() as session:
        person = storage.person_by_id(session, person_id)
        return build_profile(session, person) if person is not None else None
