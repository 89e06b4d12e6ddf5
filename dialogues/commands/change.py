"""change: a menu of topics, or straight to one ("change good day"), or "change photo"; then
back where the person was."""

from __future__ import annotations

import storage
from dialogues._machine import MODAL_STATES, PICK_TOPIC
from dialogues._script import ScriptChoice
from dialogues._turn_base import TurnBase
from dialogues._understand import choose


def run(turn: TurnBase, topic: str) -> None:
    target = turn.find_topic(topic) if topic else None
    if turn.state not in MODAL_STATES:
        storage.set_return_to(turn.conv, turn.state)
    photo = turn.photo_step()
    if target is None and photo is not None and turn.means_photo(topic):
        if turn.can_change_photo():  # "change photo": the photo question, then back
            turn.jump(photo.id)
            turn.ask()
        else:
            turn.say(turn.msg("no_photos_here"))
            turn.go_to_saved_place()
            turn.ask()
        return
    if target is None:
        turn.jump(PICK_TOPIC)
        turn.ask()
        return
    turn.open_topic(target)


def answer(turn: TurnBase) -> None:
    """The topic picked from the menu: its number, its heading or another name for it."""
    options = [ScriptChoice(c.label, c.value) for c in turn.topic_choices()]
    picked = choose(turn.ctx.text, options)
    target = picked.value if picked else turn.find_topic(turn.ctx.text)
    if target is None:
        turn.say(turn.msg("pick_number"))
        turn.ask()
    else:
        turn.open_topic(target)
