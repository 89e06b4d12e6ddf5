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
    """Yes makes the person (and nothing is kept before it), with a consent record of the
    yes: when, on which channel, and which wording (flow, version, a hash of the words). Who
    is not known yet ("Who is typing?" comes next): the record says "typist" until then, and
    their name once they say it (``storage.name_consent_giver``); a plan someone else types
    gets its own record of how the person agreed (the made_for step).

    No keeps nothing at all, not even a record of the no: there is no person to keep it
    with, and a record with no one in it would only count people (DOMAIN.md section 8)."""
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
    storage.record_consent(
        session,
        person,
        storage.KEEP_ANSWERS,
        "yes",
        by=None,
        by_role=storage.TYPIST,  # filled in at "Who is typing?"
        channel=address.channel,
        wording=turn.wording(turn.script.step(turn.state)),
        now=turn.ctx.now,
    )
    turn.advance()
