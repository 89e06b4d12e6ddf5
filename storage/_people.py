"""People: whose plans these are, and their names (sealed: compared after unsealing)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from planbot.errors import AmbiguousPerson, PersonNotFound
from storage._personal import seal, seal_optional, unseal_optional
from storage._tables import Person, utcnow


def person_name(person: Person) -> str | None:
    return unseal_optional(person.name_sealed)


def set_person_name(session: Session, person: Person, name: str) -> None:
    person.name_sealed = seal(name)
    person.updated_at = utcnow()
    session.add(person)


def set_large_print(session: Session, person: Person, on: bool) -> None:
    """The person wants bigger writing (``on``) or normal writing on every form of their
    documents from now on. Kept on the person, so every channel and link shows it alike."""
    person.large_print = on
    person.updated_at = utcnow()
    session.add(person)


def create_person(session: Session, name: str | None = None) -> Person:
    person = Person(name_sealed=seal_optional(name))
    session.add(person)
    session.flush()
    return person


def is_named(person: Person, name: str) -> bool:
    """The person goes by ``name`` (any case, spaces around ignored)."""
    return (person_name(person) or "").strip().casefold() == name.strip().casefold()


def find_people(session: Session, name: str) -> list[Person]:
    """Everyone stored under this name (any case). Names are sealed, so compare after unsealing."""
    return [p for p in session.exec(select(Person).order_by(col(Person.id))) if is_named(p, name)]


def get_person(session: Session, name: str) -> Person:
    """The one person with this name; raises ``PersonNotFound`` or ``AmbiguousPerson``."""
    found = find_people(session, name)
    if not found:
        raise PersonNotFound(f"No one called {name!r} is stored.")
    if len(found) > 1:
        ids = ", ".join(str(p.id) for p in found)
        raise AmbiguousPerson(f"{len(found)} people are called {name!r} (ids {ids}).")
    return found[0]


def person_by_id(session: Session, person_id: int) -> Person | None:
    return session.get(Person, person_id)
