"""Commands: words that work at any point (back, skip, repeat, help, pause, restart, change,
my answers, delete last, switch, review, delete everything, bigger writing), one module a
command (bigger and normal writing share one).

Why a registry: ``words.toml`` lists the words for each command and the engine runs the one
named here, so a new command is one new module, its words and one line. A command that opens a
side question ("are you sure?", a menu of topics, whose plan) also answers it: ``SIDE_QUESTIONS``
maps those states to the function that reads the answer.
"""

from __future__ import annotations

from collections.abc import Callable

from dialogues._machine import (
    CONFIRM_ERASE,
    CONFIRM_ERASE_AGAIN,
    CONFIRM_RESTART,
    PICK_PERSON,
    PICK_TOPIC,
)
from dialogues._turn_base import TurnBase
from dialogues.commands import (
    back,
    change,
    delete_last,
    erase_all,
    invite,
    join,
    keep_plan,
    live,
    my_answers,
    my_data,
    pause,
    remove_supporter,
    repeat,
    restart,
    review,
    skip,
    switch_person,
    who_can_see,
    who_looked,
    writing_size,
)
from dialogues.commands import help as help_command

RunCommand = Callable[[TurnBase, str], None]

COMMANDS: dict[str, RunCommand] = {
    "back": back.run,
    "skip": skip.run,
    "repeat": repeat.run,
    "help": help_command.run,
    "pause": pause.run,
    "restart": restart.run,
    "change": change.run,
    "my_answers": my_answers.run,
    "delete_last": delete_last.run,
    "switch_person": switch_person.run,
    "invite": invite.run,
    "join": join.run,
    "who_can_see": who_can_see.run,
    "remove_supporter": remove_supporter.run,
    "review": review.run,
    "erase_all": erase_all.run,
    "my_data": my_data.run,
    "keep_plan": keep_plan.run,
    "who_looked": who_looked.run,
    "live": live.run,
    "large_print": writing_size.bigger,
    "normal_print": writing_size.normal,
}

SIDE_QUESTIONS: dict[str, Callable[[TurnBase], None]] = {
    CONFIRM_RESTART: restart.answer,
    PICK_TOPIC: change.answer,
    PICK_PERSON: switch_person.answer,
    CONFIRM_ERASE: erase_all.answer,
    CONFIRM_ERASE_AGAIN: erase_all.answer,
}

__all__ = ["COMMANDS", "SIDE_QUESTIONS", "RunCommand"]
