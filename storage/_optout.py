"""Opt-outs: numbers that texted STOP (or that Twilio says have opted out) get nothing more.

Why on the address row: the opt-out must hold before anything else is read or stored for that
number, and the address row is what every message already locks. A number that opts out
before it ever agreed to anything gets an address row holding just the number and the flag:
that is the one thing planbot must remember to keep its promise.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from storage._access import HOLDER
from storage._addresses import find_address, get_or_create_address
from storage._personal import unseal
from storage._tables import Access, Address, Person, PersonAddress


def is_opted_out(session: Session, channel: str, address: str) -> bool:
    """True when this number asked for no more messages."""
    row = find_address(session, channel, address)
    return bool(row and row.opted_out)


def set_opted_out(session: Session, channel: str, address: str, opted_out: bool = True) -> Address:
    """Record that a number opted out (or back in); the address row is locked while doing so."""
    row = get_or_create_address(session, channel, address)
    if row.opted_out != opted_out:
        row.opted_out = opted_out
        session.add(row)
        session.flush()
    return row


def reachable_addresses(session: Session, person: Person, channel: str) -> list[str]:
    """The person's own addresses on ``channel`` that have not opted out (for outbound texts
    such as ``planbot links send``): not a supporter's, who talks for the person too (a link
    sent there would outlive the supporter's removal)."""
    supporters = select(Access.address_id).where(
        Access.person_id == person.id,
        Access.role != HOLDER,
        col(Access.address_id).is_not(None),
    )
    rows = session.exec(
        select(Address)
        .join(PersonAddress, col(PersonAddress.address_id) == col(Address.id))
        .where(
            PersonAddress.person_id == person.id,
            Address.channel == channel,
            col(Address.opted_out).is_(False),
            col(Address.id).not_in(supporters),
        )
        .order_by(col(Address.id))
    )
    return [unseal(r.address_sealed) for r in rows]
