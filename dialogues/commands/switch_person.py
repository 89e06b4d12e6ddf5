"""switch: for someone who talks for several people, "Who do you want to talk about today?"."""

from __future__ import annotations

import storage
from dialogues._machine import PICK_PERSON
from dialogues._script import ScriptChoice
from dialogues._turn_base import TurnBase
from dialogues._understand import choose


def run(turn: TurnBase, _topic: str) -> None:
    switch(turn)


def switch(turn: TurnBase) -> None:
    """Ask which person this address is talking about now (or someone new)."""
    ctx = turn.ctx
    session, address = ctx.session, ctx.address
    storage.set_active_person(session, address, None)
    pending = storage.conversation_for(session, address, None)
    if pending is None:
        pending = storage.new_conversation(session, address, None, PICK_PERSON)
    storage.set_state(pending, PICK_PERSON)
    storage.save_conversation(session, pending, ctx.now)
    storage.save_conversation(session, turn.conv, ctx.now)
    turn.use_conversation(pending)
    turn.ask()


def answer(turn: TurnBase) -> None:
    """The person picked: carry on with their plan, or start a new one."""
    ctx = turn.ctx
    session, address = ctx.session, ctx.address
    people = storage.people_for_address(session, address)
    options = [ScriptChoice(c.label, c.value) for c in turn.engine.person_choices(people)]
    picked = choose(ctx.text, options)
    if picked is None:
        turn.say(turn.msg("pick_number"))
        turn.ask()
        return
    if picked.value == "new":
        turn.state = turn.first_state
        turn.ask(first_time=True)
        return
    person = next(p for p in people if f"person:{p.id}" == picked.value)
    storage.delete_conversation(session, turn.conv)
    storage.set_active_person(session, address, person)
    ctx.person = person
    conv, _fresh = turn.engine.conversation_with(session, address, person)
    turn.use_conversation(conv)
    storage.resume(turn.conv)
    turn.welcome_back()
