"""back: the question before (answers are kept); out of a menu, back where we were."""

from __future__ import annotations

from dialogues._machine import MODAL_STATES
from dialogues._turn_base import TurnBase


def run(turn: TurnBase, _topic: str) -> None:
    first = turn.first_state
    if turn.state in MODAL_STATES:
        turn.go_to_saved_place()
    elif turn.state == first:
        turn.say(turn.msg("first_question"))
    else:
        turn.move("go_back")
        while turn.should_skip(turn.state) and turn.state != first:
            turn.move("go_back")
        if turn.state == first and turn.is_role("consent"):
            # Agreeing again is not needed: they already said yes.
            turn.move("advance")
            turn.say(turn.msg("first_question"))
    turn.ask(first_time=False)
