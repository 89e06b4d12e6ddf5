"""restart: "Do you want to delete all your answers and start again?" Only a clear yes
deletes; anything that is neither is asked once more, then everything is kept."""

from __future__ import annotations

import storage
from dialogues._machine import CONFIRM_RESTART, MODAL_STATES
from dialogues._turn_base import TurnBase


def run(turn: TurnBase, _topic: str) -> None:
    if turn.state not in MODAL_STATES:
        storage.set_return_to(turn.conv, turn.state)
    turn.jump(CONFIRM_RESTART)
    turn.ask()


def answer(turn: TurnBase) -> None:
    said = turn.clear_yes_no()
    if said not in ("yes", "no") and turn.conv.retries == 0:
        # Neither ("yes no", "why?"): asked once more, then everything is kept.
        storage.set_retries(turn.conv, 1)
        turn.say(turn.msg("need_yes_or_no"))
        turn.ask()
        return
    person = turn.ctx.person
    if said == "yes" and person is not None:
        gone = storage.delete_all_answers(turn.ctx.session, person)
        turn.note("deleted", "answers", gone)
        if storage.delete_person_photo(turn.ctx.session, person):
            turn.note("deleted", "photo")
        storage.set_return_to(turn.conv, None)
        storage.set_typist(turn.conv, None)
        storage.set_conversation_said_by(turn.conv, None)
        turn.say(turn.msg("restart_done"))
        who = turn.role_step("who")
        turn.jump(who.id if who is not None else turn.first_state)
        turn.ask(first_time=True)
        return
    turn.say(turn.msg("restart_kept"))
    turn.go_to_saved_place()
    turn.ask()
