"""Planning Live groups: who runs them, who is in them, where the agenda is, the board link,
and practice answers kept apart from every plan.

Why a group's code lives here and not with invite codes: one word, ``JOIN``, serves both,
and the code says which. A group's code is a keyed hash like an invite code's, never the
digits; it works for everyone in the group until the session ends (an invite code works
once). ``storage._codes`` makes sure a new code of either kind clashes with no working one.

What is said in the group stays in each participant's own plan: the board counts answers
(``storage.section_counts``, never their words), and practice answers about the made-up "Helen" go
to ``live_practice``, gone when the session ends.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, delete, select

from storage._codes import code_hash, fresh_code
from storage._links import TOKEN_BYTES, token_hash
from storage._personal import seal, unseal_optional
from storage._tables import (
    Address,
    Answer,
    LiveGroup,
    LiveMember,
    LivePractice,
    Person,
    as_utc,
)

NAMING, OPEN, ENDED = "naming", "open", "ended"
PARTICIPANT, ALLY, JOINING = "participant", "ally", "joining"
MAX_PARTICIPANTS = 10
BOARD_HOURS = 12  # a board link works for one long session day
FOLLOW_UP_DAYS = 14


def start_group(session: Session, address: Address, now: datetime) -> LiveGroup:
    """A new group led from this address, waiting for its name (one at a time: a group
    still being named is reused)."""
    assert address.id is not None
    found = group_led_by(session, address)
    if found is not None and found.status == NAMING:
        return found
    group = LiveGroup(
        facilitator_address_id=address.id, status=NAMING, topic=0, practice=False, created_at=now
    )
    session.add(group)
    session.flush()
    return group


def group_led_by(session: Session, address: Address) -> LiveGroup | None:
    """The group this address runs now (being named, or open), if any."""
    query = (
        select(LiveGroup)
        .where(
            LiveGroup.facilitator_address_id == address.id,
            col(LiveGroup.status).in_((NAMING, OPEN)),
        )
        .order_by(col(LiveGroup.id).desc())
    )
    return session.exec(query).first()


def name_group(session: Session, group: LiveGroup, name: str, *, key: str, now: datetime) -> str:
    """Name the group and open it: returns its join code (only its hash is kept)."""
    code, hashed = fresh_code(session, key, now)
    group.name_sealed = seal(name)
    group.code_hash = hashed
    group.status = OPEN
    session.add(group)
    session.flush()
    return code


def group_name(group: LiveGroup) -> str:
    return unseal_optional(group.name_sealed) or ""


def group_for_code(session: Session, code: str, *, key: str) -> LiveGroup | None:
    """The open group a code opens (a wrong or ended group's code: None)."""
    query = select(LiveGroup).where(
        LiveGroup.code_hash == code_hash(code, key), LiveGroup.status == OPEN
    )
    return session.exec(query).first()


def add_member(
    session: Session,
    group: LiveGroup,
    address: Address,
    *,
    role: str,
    person_id: int | None,
    now: datetime,
) -> LiveMember:
    """This address in the group (joining again changes its role and person)."""
    assert group.id is not None and address.id is not None
    member = session.exec(
        select(LiveMember).where(
            LiveMember.group_id == group.id, LiveMember.address_id == address.id
        )
    ).first()
    if member is None:
        member = LiveMember(group_id=group.id, address_id=address.id, role=role, joined_at=now)
    member.role, member.person_id = role, person_id
    session.add(member)
    session.flush()
    return member


def set_member(
    member: LiveMember, *, role: str | None = None, person_id: int | None = None
) -> None:
    if role is not None:
        member.role = role
    if person_id is not None:
        member.person_id = person_id


def membership(session: Session, address: Address) -> tuple[LiveMember, LiveGroup] | None:
    """The open group this address is in, and how (the newest, should there be two)."""
    query = (
        select(LiveMember, LiveGroup)
        .join(LiveGroup, col(LiveGroup.id) == col(LiveMember.group_id))
        .where(LiveMember.address_id == address.id, LiveGroup.status == OPEN)
        .order_by(col(LiveMember.id).desc())
    )
    found = session.exec(query).first()
    return (found[0], found[1]) if found is not None else None


def leave_group(session: Session, member: LiveMember) -> None:
    session.delete(member)
    session.flush()


def members(session: Session, group: LiveGroup, role: str | None = None) -> list[LiveMember]:
    """The group's members in the order they joined (only ``role`` when given)."""
    query = select(LiveMember).where(LiveMember.group_id == group.id)
    if role is not None:
        query = query.where(LiveMember.role == role)
    return list(session.exec(query.order_by(col(LiveMember.id))))


def participants_with_plans(session: Session, group: LiveGroup) -> list[LiveMember]:
    """Participants who said yes to keeping their answers (they have a plan)."""
    return [m for m in members(session, group, PARTICIPANT) if m.person_id is not None]


def is_full(session: Session, group: LiveGroup) -> bool:
    return len(members(session, group, PARTICIPANT)) >= MAX_PARTICIPANTS


def set_topic(group: LiveGroup, topic: int, *, practice: bool, now: datetime) -> None:
    """Where the agenda is (``practice``: everyone practises on Helen first)."""
    group.topic, group.practice, group.topic_at = topic, practice, now


def set_follow_up(session: Session, group: LiveGroup, at: datetime) -> None:
    """When the group meets next (FOLLOW UP)."""
    group.follow_up_at = at
    session.add(group)
    session.flush()


def mark_help(member: LiveMember) -> None:
    member.help = True


def answers_since(
    session: Session, person_id: int, sections: tuple[str, ...], since: datetime
) -> int:
    """How many things the person said in these sections since ``since`` (for NUDGE)."""
    query = select(func.count()).where(
        Answer.person_id == person_id,
        col(Answer.section).in_(sections),
        col(Answer.created_at) >= since,
        col(Answer.deleted).is_(False),
    )
    return int(session.exec(query).one())


def add_practice(
    session: Session, member: LiveMember, section: str, text: str, now: datetime
) -> None:
    """A thing said about Helen while practising: kept apart from every plan."""
    assert member.id is not None
    session.add(
        LivePractice(member_id=member.id, section=section, text_sealed=seal(text), created_at=now)
    )
    session.flush()


def practice_counts(session: Session, group: LiveGroup) -> dict[int, int]:
    """How many practice things each member said (by member id)."""
    query = (
        select(LivePractice.member_id, func.count())
        .join(LiveMember, col(LiveMember.id) == col(LivePractice.member_id))
        .where(LiveMember.group_id == group.id)
        .group_by(col(LivePractice.member_id))
    )
    return {member_id: count for member_id, count in session.exec(query)}


def new_board_token(session: Session, group: LiveGroup, now: datetime) -> str:
    """A fresh private board link's token (the last one stops working)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    group.board_token_hash = token_hash(token)
    group.board_expires_at = now + timedelta(hours=BOARD_HOURS)
    session.add(group)
    session.flush()
    return token


def group_for_board(session: Session, token: str, now: datetime) -> LiveGroup | None:
    """The group a board token opens while it works (never after the session ended)."""
    if not token or len(token) > 100:
        return None
    group = session.exec(
        select(LiveGroup).where(LiveGroup.board_token_hash == token_hash(token))
    ).first()
    if group is None or group.board_expires_at is None:
        return None
    if as_utc(group.board_expires_at) <= now or group.status == ENDED:
        return None
    return group


def end_group(session: Session, group: LiveGroup, now: datetime, follow_up_days: int) -> None:
    """The session is over: its code and board stop working and practice answers go."""
    group.status, group.ended_at = ENDED, now
    group.code_hash = group.board_token_hash = None
    group.follow_up_at = now + timedelta(days=follow_up_days)
    session.add(group)
    ids = [m.id for m in members(session, group)]
    if ids:
        session.exec(delete(LivePractice).where(col(LivePractice.member_id).in_(ids)))
    session.flush()


def last_ended_group(session: Session, address: Address) -> LiveGroup | None:
    """The group this address ran last, once it ended (FOLLOW UP changes its next date)."""
    query = (
        select(LiveGroup)
        .where(LiveGroup.facilitator_address_id == address.id, LiveGroup.status == ENDED)
        .order_by(col(LiveGroup.id).desc())
    )
    return session.exec(query).first()


def person_ids_of(found: list[LiveMember]) -> list[int]:
    return [m.person_id for m in found if m.person_id is not None]


def people_by_id(session: Session, ids: list[int]) -> dict[int, Person]:
    if not ids:
        return {}
    return {p.id: p for p in session.exec(select(Person).where(col(Person.id).in_(ids))) if p.id}


KEEP_ENDED = timedelta(days=7)  # after the follow-up day, the group's name and members go


def forget_old_groups(session: Session, now: datetime) -> int:
    """Groups whose follow-up day (or end, without one) is a week past go, with their
    members; groups never named within a day go too (the hourly tidy). How many went."""
    old = session.exec(
        select(LiveGroup.id).where(
            or_(
                and_(
                    col(LiveGroup.status) == ENDED,
                    func.coalesce(LiveGroup.follow_up_at, LiveGroup.ended_at) < now - KEEP_ENDED,
                ),
                and_(
                    col(LiveGroup.status) == NAMING,
                    col(LiveGroup.created_at) < now - timedelta(days=1),
                ),
            )
        )
    ).all()
    if old:
        session.exec(delete(LiveMember).where(col(LiveMember.group_id).in_(old)))
        session.exec(delete(LiveGroup).where(col(LiveGroup.id).in_(old)))
    return len(old)
