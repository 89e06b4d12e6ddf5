"""my answers: everything said so far, read back, then the question again."""

from __future__ import annotations

from dialogues._turn_base import TurnBase


def run(turn: TurnBase, _topic: str) -> None:
    if turn.by_supporter:  # someone else read the plan: the holder can ask who looked
        turn.note("saw", "answers")
    turn.say(turn.readback())
    turn.ask()
