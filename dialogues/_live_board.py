"""The Planning Live board: who has joined (first names only), how many things each has said
in each topic (counts, never the words), and who asked for help. The facilitator's BOARD
shows it in chat; the board page (``bot/web/board.py``) shows the same on a phone.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

import storage
from dialogues._live_agenda import agenda
from storage import LiveGroup


@dataclass(frozen=True)
class BoardRow:
    """One participant: their first name, things said in each topic, and a call for help."""

    name: str
    counts: tuple[int, ...]
    help: bool


@dataclass(frozen=True)
class Board:
    """Where the group is and each participant's row (``joining``: people not in yet)."""

    group: str
    topic: int
    total: int
    practice: bool
    titles: tuple[str, ...]
    rows: tuple[BoardRow, ...]
    joining: int


def first_name(name: str | None) -> str:
    """Only a first name goes on the board (what the group calls each other)."""
    return (name or "").split()[0] if (name or "").split() else ""


def board_of(session: Session, group: LiveGroup, unnamed: str) -> Board:
    """The board now (``unnamed``: the word for a participant with no name yet)."""
    topics = agenda()
    found = storage.live.members(session, group, storage.live.PARTICIPANT)
    with_plans = [m for m in found if m.person_id is not None]
    ids = storage.live.person_ids_of(with_plans)
    people = storage.live.people_by_id(session, ids)
    counts = storage.section_counts(session, ids, tuple(s for t in topics for s in t.steps))
    rows = []
    for member in with_plans:
        person = people.get(member.person_id or 0)
        if person is None:
            continue
        said = counts.get(member.person_id or 0, {})
        rows.append(
            BoardRow(
                name=first_name(storage.person_name(person)) or unnamed,
                counts=tuple(sum(said.get(s, 0) for s in t.steps) for t in topics),
                help=member.help,
            )
        )
    return Board(
        group=storage.live.group_name(group),
        topic=group.topic,
        total=len(topics),
        practice=group.practice,
        titles=tuple(t.title for t in topics),
        rows=tuple(rows),
        joining=len(found) - len(with_plans),
    )
