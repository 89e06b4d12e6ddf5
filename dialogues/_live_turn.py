"""Where a message about Planning Live goes: LIVE, the facilitator's conversation, someone
joining a group, or a participant's plan in the group (``dialogues/_live*.py``)."""

from __future__ import annotations

from dialogues import _live as live
from dialogues import _live_join as live_join
from dialogues import _live_lead as lead
from dialogues._turn_base import TurnBase


def before_turn(turn: TurnBase) -> bool:
    """Handle the message here when it is about Planning Live; True when it was."""
    flow = turn.conv.flow
    if flow == lead.LEAD_FLOW:
        command = turn.said_command
        if command == ("live", "") and turn.state == "ended":
            lead.start(turn)
        else:
            lead.lead_turn(turn)
        return True
    if flow == live_join.LIVE_JOIN_FLOW:
        live_join.answer(turn)
        return True
    if flow in live.LIVE_FLOWS:
        return live.participant_turn(turn)
    return False
