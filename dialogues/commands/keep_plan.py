"""keep: the answer to "Do you want me to keep it?", asked about a plan nobody used for a long
time (``bot/_retention.py``). Any message keeps the plan (the conversation moves on); this
one also says so, then asks the question the conversation is at."""

from __future__ import annotations

from dialogues._turn_base import TurnBase


def run(turn: TurnBase, _words: str) -> None:
    turn.say(turn.msg("keep_plan_done"))
    turn.ask()
