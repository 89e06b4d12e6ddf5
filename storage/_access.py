"""Who can see a person's plan: the holder, and the supporters the holder said yes to.

Why rows of their own: the person owns the plan (DOMAIN.md section 8). A supporter's address
is linked to the person (``person_address``) only after the holder's yes, and unlinked at once
by ``remove``; the row keeps who they are and since when, for ``who can see my plan`` and the
export. A "no" deletes the row: nothing of the supporter is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from storage._addresses import link_person
from storage._answers import AnswerView, waiting_items
from storage._consents import drop_supporter_consent, name_supporter_consent
from storage._outbox import about_plan, withdraw
from storage._personal import seal_optional, unseal_optional
from storage._tables import (
    Access,
    Address,
    Conversation,
    OutboxMessage,
    Person,
    PersonAddress,
    ProcessedMessage,
    ProfileLink,
    as_utc,
)

HOLDER = "holder"
# Conversation typists who are not the person (the person alone, or helped, are "person" and
# "person_helped"): someone who knows them, typing about them.
OTHER_TYPISTS = ("family", "supporter", "staff", "other")
JOINING, WAITING, ACTIVE, REMOVED = "joining", "waiting", "active", "removed"
SUPPORTER_ROLES = ("family", "friend", "supporter", "staff", "other")


@dataclass(frozen=True)
class AccessView:
    """One row of who can see a plan, with the name in plain form."""

    id: int
    person_id: int
    address_id: int | None
    name: str | None
    role: str
    status: str
    since: datetime | None
    created_at: datetime
    ended_at: datetime | None


def _view(row: Access) -> AccessView:
    assert row.id is not None
    return AccessView(
        id=row.id,
        person_id=row.person_id,
        address_id=row.address_id,
        name=unseal_optional(row.name_sealed),
        role=row.role,
        status=row.status,
        since=as_utc(row.since) if row.since else None,
        created_at=as_utc(row.created_at),
        ended_at=as_utc(row.ended_at) if row.ended_at else None,
    )


def add_holder(session: Session, person: Person, address: Address, now: datetime) -> None:
    """The address that said yes to keeping the answers holds the plan from now."""
    assert person.id is not None and address.id is not None
    session.add(
        Access(
            person_id=person.id,
            address_id=address.id,
            role=HOLDER,
            status=ACTIVE,
            created_at=now,
            since=now,
        )
    )
    session.flush()


def holder_address_id(session: Session, person: Person) -> int | None:
    """The holder's address: as recorded, else (a plan from before planning together) the
    first address that talked for the person."""
    row = session.exec(
        select(Access.address_id).where(
            Access.person_id == person.id, Access.role == HOLDER, Access.status == ACTIVE
        )
    ).first()
    if row is not None:
        return row
    first = session.exec(
        select(PersonAddress.address_id)
        .where(PersonAddress.person_id == person.id)
        .order_by(col(PersonAddress.created_at), col(PersonAddress.address_id))
    ).first()
    return first


def holder_address(session: Session, person: Person) -> Address | None:
    address_id = holder_address_id(session, person)
    return session.get(Address, address_id) if address_id is not None else None


def holder_stand_in(session: Session, person: Person) -> str | None:
    """Who holds the plan for the person, when it is not them: Mum holding Amy's plan (the
    name Mum gave, else her relation). None when the person holds their own plan."""
    address_id = holder_address_id(session, person)
    if address_id is None:
        return None
    conv = session.exec(
        select(Conversation)
        .where(Conversation.address_id == address_id, Conversation.person_id == person.id)
        .order_by(col(Conversation.id).desc())
    ).first()
    if conv is None or conv.typist not in OTHER_TYPISTS:
        return None
    return unseal_optional(conv.said_by_sealed) or (conv.typist or "").title()


def holder_row_name(session: Session, person: Person, row: AccessView) -> str | None:
    """The name to show for an access row: the holder's row names whoever holds the plan."""
    if row.role != HOLDER:
        return row.name
    return holder_stand_in(session, person) or unseal_optional(person.name_sealed)


def is_holder(session: Session, person: Person, address: Address) -> bool:
    return address.id is not None and holder_address_id(session, person) == address.id


def access_of(session: Session, person: Person, address: Address) -> AccessView | None:
    """This address's newest row for the person (None: no row at all)."""
    row = session.exec(
        select(Access)
        .where(Access.person_id == person.id, Access.address_id == address.id)
        .order_by(col(Access.id).desc())
    ).first()
    return _view(row) if row is not None else None


def is_supporter(session: Session, person: Person, address: Address) -> bool:
    """The address sees the plan as a supporter the holder said yes to."""
    found = access_of(session, person, address)
    return found is not None and found.role != HOLDER and found.status == ACTIVE


def start_joining(session: Session, person: Person, address: Address, now: datetime) -> int:
    """A supporter's address gave a working code: it answers the join questions now."""
    assert person.id is not None and address.id is not None
    joining = (col(Access.address_id) == address.id) & (col(Access.status) == JOINING)
    for earlier in session.exec(select(Access).where(joining)):  # a second JOIN before the end
        assert earlier.id is not None
        drop_supporter_consent(session, earlier.person_id, earlier.id)
    session.exec(delete(Access).where(joining))
    row = Access(
        person_id=person.id, address_id=address.id, role="other", status=JOINING, created_at=now
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    return row.id


def joining_for(session: Session, address: Address) -> AccessView | None:
    """What this address is joining, while it answers the join questions or waits."""
    row = session.exec(
        select(Access)
        .where(Access.address_id == address.id, col(Access.status).in_([JOINING, WAITING]))
        .order_by(col(Access.id).desc())
    ).first()
    return _view(row) if row is not None else None


def finish_joining(session: Session, access_id: int, name: str, role: str) -> None:
    """The supporter said who they are: the row waits for the holder's yes."""
    row = session.get(Access, access_id)
    assert row is not None
    row.name_sealed = seal_optional(name)
    row.role = role if role in SUPPORTER_ROLES else "other"
    row.status = WAITING
    session.add(row)
    name_supporter_consent(session, row.person_id, access_id, name)
    person = session.get(Person, row.person_id)
    if person is not None:
        person.may_have_requests = True
        session.add(person)
    session.flush()


def cancel_joining(session: Session, access_id: int) -> None:
    """The supporter said no to keeping their name and number, or the holder said no."""
    row = session.get(Access, access_id)
    if row is not None:
        drop_supporter_consent(session, row.person_id, access_id)
    session.exec(delete(Access).where(col(Access.id) == access_id))


def waiting_for(session: Session, person: Person) -> list[AccessView]:
    """Supporters waiting for the holder's yes, oldest first.

    Asked at every message of a person's: the person row's hint (read with the message) says
    when nobody can be waiting (``requests_waiting`` clears it when nothing at all waits).
    """
    if not person.may_have_requests:
        return []
    rows = session.exec(
        select(Access)
        .where(Access.person_id == person.id, Access.status == WAITING)
        .order_by(col(Access.id))
    )
    return [_view(r) for r in rows]


def requests_waiting(session: Session, person: Person) -> tuple[list[AccessView], list[AnswerView]]:
    """Everything waiting for the holder's yes or no: supporters who asked to help, then
    things supporters said about the person, oldest first.

    No query at all while the person row's hint says nothing waits; a look that finds nothing
    clears the hint (a supporter's request and a supporter's thing set it again).
    """
    if not person.may_have_requests:
        return [], []
    supporters, items = waiting_for(session, person), waiting_items(session, person)
    if not supporters and not items:
        person.may_have_requests = False
        session.add(person)
    return supporters, items


def access_by_id(session: Session, access_id: int) -> AccessView | None:
    row = session.get(Access, access_id)
    return _view(row) if row is not None else None


def approve_access(session: Session, access_id: int, now: datetime) -> AccessView:
    """The holder said yes: the supporter's address may talk for the person from now."""
    row = session.get(Access, access_id)
    assert row is not None and row.address_id is not None
    row.status, row.since = ACTIVE, now
    session.add(row)
    person = session.get(Person, row.person_id)
    address = session.get(Address, row.address_id)
    assert person is not None and address is not None
    link_person(session, person, address)
    # The join conversation (about nobody) is done with: the next message finds the person.
    session.exec(
        delete(Conversation).where(
            col(Conversation.address_id) == address.id,
            col(Conversation.person_id).is_(None),
            col(Conversation.flow) == "join",
        )
    )
    return _view(row)


def access_list(session: Session, person: Person) -> list[AccessView]:
    """Everyone who can see the plan, has asked to, or could before (not while joining)."""
    rows = session.exec(
        select(Access)
        .where(Access.person_id == person.id, Access.status != JOINING)
        .order_by(col(Access.id))
    )
    return [_view(r) for r in rows]


def find_access(session: Session, person: Person, name: str) -> list[AccessView]:
    """The supporters (active or waiting) going by ``name``, any case."""
    wanted = name.strip().casefold()
    return [
        a
        for a in access_list(session, person)
        if a.role != HOLDER
        and a.status in (ACTIVE, WAITING)
        and (a.name or "").strip().casefold() == wanted
    ]


def remove_access(session: Session, access_id: int, now: datetime) -> None:
    """End a supporter's access at once: unlinked, their place in the plan gone, the
    profile links sent to them turned off, and what waits for them in the outbox about the
    plan withdrawn (a retry after a channel's bad moment would send it after the removal).
    They are told at their next message."""
    row = session.get(Access, access_id)
    assert row is not None
    row.status, row.ended_at, row.told = REMOVED, now, False
    session.add(row)
    if row.address_id is None:
        return
    address = session.get(Address, row.address_id)
    if address is not None:
        address.may_have_news = True
        session.add(address)
    pid, aid = row.person_id, row.address_id
    session.exec(
        delete(PersonAddress).where(
            col(PersonAddress.person_id) == pid, col(PersonAddress.address_id) == aid
        )
    )
    session.exec(
        delete(Conversation).where(
            col(Conversation.person_id) == pid, col(Conversation.address_id) == aid
        )
    )
    session.exec(
        update(Address)
        .where(col(Address.id) == aid, col(Address.active_person_id) == pid)
        .values(active_person_id=None)
    )
    withdraw(session, about_plan(pid), address_id=aid)
    # Links made by the supporter's own messages (the page sent at the end of a plan).
    sent = select(ProcessedMessage.channel, ProcessedMessage.message_id).where(
        ProcessedMessage.address_id == aid, ProcessedMessage.person_id == pid
    )
    for channel, message_id in session.exec(sent).all():
        session.exec(
            update(ProfileLink)
            .where(
                col(ProfileLink.person_id) == pid,
                col(ProfileLink.channel) == channel,
                col(ProfileLink.message_id) == message_id,
                col(ProfileLink.revoked_at).is_(None),
            )
            .values(revoked_at=now)
        )
    session.flush()


def removals_to_tell(session: Session, address: Address) -> list[AccessView]:
    """Plans this address was removed from and has not been told about yet.

    Asked at every message: the address row's hint (read with the message) says when there
    can be none, and a look that finds none clears it (telling marks each row told).
    """
    if not address.may_have_news:
        return []
    rows = list(
        session.exec(
            select(Access).where(
                Access.address_id == address.id,
                Access.status == REMOVED,
                col(Access.told).is_(False),
            )
        )
    )
    address.may_have_news = False  # these are told now, at this message
    session.add(address)
    return [_view(r) for r in rows]


def mark_told(session: Session, access_id: int) -> None:
    """The removed supporter has been told: the row forgets their address."""
    row = session.get(Access, access_id)
    assert row is not None
    row.told, row.address_id = True, None
    session.add(row)
    session.flush()


def access_address(session: Session, access_id: int) -> Address | None:
    """The address a row is for (to tell the supporter), if it is still there."""
    row = session.get(Access, access_id)
    if row is None or row.address_id is None:
        return None
    return session.get(Address, row.address_id)


def asked_by_outbox(session: Session, address: Address, since: datetime) -> bool:
    """A message queued for this address since ``since`` has been sent (so the holder has
    seen the question it asked, and their yes or no answers it).

    By ``address_id``, not ``lookup``: a sent row's lookup is blanked with its words. By
    ``due_at``, the engine's clock as ``since`` is (``created_at`` is the database's)."""
    row = session.exec(
        select(OutboxMessage.id).where(
            OutboxMessage.address_id == address.id,
            OutboxMessage.status == "sent",
            col(OutboxMessage.due_at) >= since,
        )
    ).first()
    return row is not None
