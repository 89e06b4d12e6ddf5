"""send me my data: the person's right to a copy of everything planbot keeps about them.

The engine says "Here is everything I keep about you." and asks the channel for the copy
(its hook, with the flow name "data"), which comes right after: a private link by SMS (to
``/d/<token>``, working for a day, opening nothing else), a file on Telegram, the data itself
in the terminal. What it holds is ``planbot export``'s. Only the plan's holder can ask:
it holds what the holder keeps just for them.
"""

from __future__ import annotations

from dialogues import _together as together
from dialogues._turn_base import TurnBase


def run(turn: TurnBase, _words: str) -> None:
    if together.not_the_holder(turn, "my_data_not_holder"):
        return
    turn.say(turn.msg("my_data_coming"), kind="my_data")
    turn.note("exported", "data")
    turn.ctx.wants_data = True
    turn.ask()
