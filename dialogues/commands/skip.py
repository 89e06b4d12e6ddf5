"""skip: leave this question (a topic is saved as skipped); consent cannot be skipped."""

from __future__ import annotations

from dialogues._turn_base import TurnBase
from dialogues.commands import back


def run(turn: TurnBase, _topic: str) -> None:
    step = turn.current_step()
    if step is None:
        back.run(turn, "")
        return
    if step.role == "consent":
        turn.say(turn.msg("need_yes_or_no"))
        turn.ask()
        return
    turn.skip_step(step)
