"""help: what planbot does, the words that work, and how to reach a real person."""

from __future__ import annotations

from dialogues._turn_base import TurnBase


def run(turn: TurnBase, _topic: str) -> None:
    turn.say(turn.msg("help"))
    contact = turn.engine.settings.help_contact
    if contact:
        turn.say(turn.msg("help_contact", contact=contact))
    else:
        turn.say(turn.msg("help_contact_default"))
    turn.ask()
