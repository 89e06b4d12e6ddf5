"""live: a peer supporter starts a Planning Live group (LIVE, /live): its name comes next,
then the code people join with (``dialogues/_live_lead.py``)."""

from __future__ import annotations

from dialogues import _live_lead as lead
from dialogues._live import LIVE_FLOWS
from dialogues._turn_base import TurnBase


def run(turn: TurnBase, _words: str) -> None:
    if turn.conv.flow in LIVE_FLOWS:  # a participant: one group at a time
        turn.say(turn.msg("live_not_now"))
        turn.ask()
        return
    lead.start(turn)
