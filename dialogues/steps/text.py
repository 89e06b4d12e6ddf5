"""A short answer in words: the person's name, the name of whoever is typing for them, or
why a plan is in the person's best interests (kept sealed with its consent record).

Matched exactly, never by near words: a name is a name ("Hugh" is not "huh").
"""

from __future__ import annotations

import storage
from dialogues._script import Step
from dialogues._turn_base import MAX_NAME_CHARS, TurnBase

MAX_REASON_CHARS = 400


def answer(turn: TurnBase, step: Step) -> None:
    text = turn.ctx.text
    longest = MAX_REASON_CHARS if step.role == "made_for_reason" else MAX_NAME_CHARS
    if turn.words.is_answer("confused", text) or len(text) > longest:
        turn.unclear()
        return
    if turn.words.is_answer("dont_know", text):
        if step.role == "made_for_reason":
            turn.record_made_for(storage.BEST_INTERESTS, None)
        turn.dont_know(step)
        return
    assert turn.ctx.person is not None
    if step.role == "helper_name":
        storage.set_conversation_said_by(turn.conv, text)
        storage.name_consent_giver(turn.ctx.session, turn.ctx.person, by=text)
        turn.say(turn.msg("saved_helper", said_by=text))
    elif step.role == "name":
        storage.set_person_name(turn.ctx.session, turn.ctx.person, text)
        if not turn.other:  # the person said yes themselves (perhaps with a helper)
            storage.name_consent_giver(turn.ctx.session, turn.ctx.person, by=text)
        turn.say(turn.msg("saved_name_other" if turn.other else "saved_name", name=text))
    elif step.role == "made_for_reason":
        turn.record_made_for(storage.BEST_INTERESTS, text)
        turn.say(turn.msg("saved_made_for_reason", name=turn.name))
    turn.advance()
