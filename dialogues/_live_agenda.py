"""The Planning Live agenda (``scripts/live/agenda.toml``): the topics a facilitator moves
the group through with NEXT and BACK, each naming the live flow's steps it asks.

Why a file of its own: the order of topics, their titles and which questions make each one
are data a group organiser may change, like the questions themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from dialogues._script import read_data, scripts_folder
from planbot.errors import ScriptError

LIVE_FLOW, PRACTICE_FLOW = "live", "practice"


@dataclass(frozen=True)
class Topic:
    """One topic of the agenda: its title and the live flow's steps it asks, in order."""

    number: int
    title: str
    steps: tuple[str, ...]


@cache
def agenda() -> tuple[Topic, ...]:
    """The topics in order, numbered from 1 (checked: each names at least one step)."""
    where = "live/agenda.toml"
    raw = read_data(scripts_folder().joinpath(where), where)
    try:
        topics = tuple(
            Topic(n, str(t["title"]), tuple(str(s) for s in t["steps"]))
            for n, t in enumerate(raw["topic"], start=1)
        )
    except (KeyError, TypeError) as exc:
        raise ScriptError(f"{where}: {exc}") from exc
    if not topics or any(not t.steps or not t.title for t in topics):
        raise ScriptError(f"{where}: every [[topic]] needs a title and at least one step")
    return topics


def topic(number: int) -> Topic | None:
    """Topic ``number`` (from 1), or None outside the agenda."""
    topics = agenda()
    return topics[number - 1] if 1 <= number <= len(topics) else None


def sections() -> tuple[str, ...]:
    """Every section the agenda asks about, in order (the board counts these)."""
    return tuple(s for t in agenda() for s in t.steps)
