"""pause (or stop): keep everything; the next message carries on where we were."""

from __future__ import annotations

import storage
from dialogues._turn_base import TurnBase


def run(turn: TurnBase, _topic: str) -> None:
    turn.leave_side_question()
    storage.pause(turn.conv)
    turn.say(turn.msg("paused"))
