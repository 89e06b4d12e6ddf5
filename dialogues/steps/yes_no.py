"""A yes-or-no question: consent ("Can I keep your answers safe?") or the read-back ("Do you
want to change anything?"). A "no" word never makes a yes; neither is asked again."""

from __future__ import annotations

import storage
from dialogues._machine import PICK_TOPIC
from dialogues._script import Step
from dialogues._turn_base import TurnBase


def answer(turn: TurnBase, step: Step) -> None:
    said = turn.yes_no(step)
    if step.role == "consent":
        _consent(turn, said)
        return
    if said not in ("yes", "no"):
        # "dunno" to "do you want to change anything?" says neither: ask again.
        turn.unclear()
        return
    if step.role == "readback" and said == "yes":
        storage.set_return_to(turn.conv, step.id)
        turn.jump(PICK_TOPIC)
        turn.ask()
        return
    turn.advance()


def _consent(turn: TurnBase, said: str | None) -> None:
    """Yes makes the person (and nothing is kept before it); no keeps nothing at all."""
    if said == "dont_know":
        turn.say(turn.msg("need_yes_or_no"))
        turn.ask()
        return
    if said is None:
        turn.unclear()
        return
    if said == "no":
        turn.decline(turn.msg("consent_no"))
        return
    session, address = turn.ctx.session, turn.ctx.address
    person = storage.create_person(session, storage.conversation_name_hint(turn.conv))
    storage.link_person(session, person, address)
    storage.add_holder(session, person, address, turn.ctx.now)  # the plan is theirs
    storage.set_active_person(session, address, person)
    storage.set_conversation_person(turn.conv, person)
    storage.set_conversation_name_hint(turn.conv, None)
    turn.ctx.person = person
    turn.advance()
