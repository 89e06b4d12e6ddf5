"""delete last: the last thing said in this topic (or at all) is deleted, words and all.

A supporter deletes only what they said themselves, never the holder's words.
"""

from __future__ import annotations

import storage
from dialogues._turn_base import TurnBase, answer_words


def run(turn: TurnBase, _topic: str) -> None:
    step = turn.current_step()
    section = step.id if step is not None and step.kind == "list" else None
    assert turn.ctx.person is not None
    said_in = turn.conv if turn.by_supporter else None
    gone = storage.delete_last_answer(turn.ctx.session, turn.ctx.person, section, said_in=said_in)
    if gone is None:
        turn.say(turn.msg("nothing_to_delete"))
    else:
        turn.note("deleted", gone.section)
        turn.say(turn.msg("deleted", text=answer_words(gone)))
    turn.ask()
