"""join: "JOIN 482913" from a supporter's own phone or chat. Handled before anything else in a
turn (it works as anyone's first message too): see ``dialogues._together.join_with_code``."""

from __future__ import annotations

from dialogues import _together as together
from dialogues._turn_base import TurnBase


def run(turn: TurnBase, code: str) -> None:
    together.join_with_code(turn, code)
