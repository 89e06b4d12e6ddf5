"""A question with choices, such as "Who is typing?": a number, a label, or plain words.

"me and my PA" is the person with a helper (noted); "I'm his carer" gets one short question
that tells the two meanings apart instead of the whole list. In a flow about someone else
(the review), "Me. This is my profile." starts the typist's own plan instead.

At the made_for step ("How did Amy agree to this plan?"), "They said yes" is recorded at
once; "They cannot say. I choose what is best for them." goes on to ask why (the
made_for_reason step), and is recorded with the reason. "Don't know" is no answer there:
it is asked again in other words (the retry ladder), never taken as a yes.
"""

from __future__ import annotations

import storage
from dialogues._script import Step
from dialogues._turn_base import OTHER_TYPISTS, TurnBase
from dialogues.commands.review import is_own_plan, own_plan


def answer(turn: TurnBase, step: Step) -> None:
    reading = turn.words.read_choice(turn.ctx.text, step)
    if reading.apart is not None and turn.conv.retries == 0:
        # One short question instead of the whole list ("Are you family, or paid?").
        # Counted as a retry: the same words again go on up the ladder.
        storage.set_retries(turn.conv, 1)
        turn.say(reading.apart.ask, kind="ask")
        return
    if step.role == "made_for":
        _made_for(turn, reading.value)
        return
    if reading.value is None:
        if reading.dont_know:
            storage.set_typist(turn.conv, "other")
            _consent_by(turn, "other")
            turn.advance()
        else:
            turn.unclear()
        return
    if (
        step.role == "who"
        and reading.value == "person"
        and turn.script.about_someone_else
        and is_own_plan(turn)
    ):
        # "Me. This is my profile." in a flow about someone else: the typist's own plan.
        own_plan(turn)
        return
    if step.role == "who":
        storage.set_typist(turn.conv, reading.value)
        _consent_by(turn, reading.value)
        if reading.value not in OTHER_TYPISTS:
            # A helped person's answers stay theirs; the helper is noted ("with their PA").
            storage.set_conversation_said_by(turn.conv, reading.helper or None)
    turn.advance()


def _consent_by(turn: TurnBase, typist: str) -> None:
    """The yes to keeping answers came from whoever is typing: now the record says who."""
    if turn.ctx.person is not None:
        storage.name_consent_giver(turn.ctx.session, turn.ctx.person, by_role=typist)


def _made_for(turn: TurnBase, value: str | None) -> None:
    if value == storage.SAID_YES:
        turn.record_made_for(storage.SAID_YES, None)
        turn.say(turn.msg("saved_made_for", name=turn.name))
        turn.advance()
    elif value == storage.BEST_INTERESTS:
        reason = turn.role_step("made_for_reason")
        if reason is None:  # a flow that does not ask why
            turn.record_made_for(storage.BEST_INTERESTS, None)
            turn.advance()
            return
        turn.jump(reason.id)
        turn.ask(first_time=True)
    else:
        turn.unclear()
