"""repeat: the question again (with the welcome, before consent)."""

from __future__ import annotations

from dialogues._turn_base import TurnBase


def run(turn: TurnBase, _topic: str) -> None:
    turn.ask(first_time=turn.conv.person_id is None)
