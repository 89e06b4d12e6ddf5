"""The person's photo: one per person, kept in the database so every worker and host sees it.

Why in the database and not a file: with several hosts on one PostgreSQL there is no shared
folder, and ``planbot forget`` must erase the photo with the rest (the row cascades).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from storage._db import mark_erased
from storage._personal import seal_bytes, unseal_bytes
from storage._tables import Person, PersonPhoto, utcnow


@dataclass(frozen=True)
class Photo:
    """A stored photo: its bytes, type and the message that brought it."""

    data: bytes
    content_type: str
    message_id: str | None


def set_person_photo(
    session: Session,
    person: Person,
    data: bytes,
    content_type: str,
    message_id: str | None = None,
) -> bool:
    """Keep ``data`` as the person's photo, in place of any earlier one; True if there was
    one (the audit log says "changed", not "added")."""
    assert person.id is not None
    earlier = session.get(PersonPhoto, person.id)
    row = earlier or PersonPhoto(person_id=person.id, content_type=content_type, photo_sealed="")
    row.content_type = content_type
    row.photo_sealed = seal_bytes(data)
    row.message_id = message_id
    row.created_at = utcnow()
    session.add(row)
    session.flush()
    return earlier is not None


def delete_person_photo(session: Session, person: Person) -> bool:
    """Remove the person's photo ("no photo", or "restart"); True if there was one."""
    row = session.get(PersonPhoto, person.id)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    mark_erased(session)
    return True


def person_photo(session: Session, person: Person) -> Photo | None:
    """The person's photo, or None if they never sent one."""
    row = session.get(PersonPhoto, person.id)
    if row is None:
        return None
    return Photo(unseal_bytes(row.photo_sealed), row.content_type, row.message_id)
