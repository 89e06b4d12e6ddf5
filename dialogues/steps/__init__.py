"""Step kinds: how the answer to each kind of question is read, one module a kind.

Why a registry: a flow's data names each step's kind (yes_no, choice, text, list, photo) and
its role; the engine looks the kind up here, so a new kind is one new module and one line, and
the script loader refuses a kind nobody handles. Each module's ``answer(turn, step)`` reads the
message and does what the step's role says.
"""

from __future__ import annotations

from collections.abc import Callable

from dialogues._script import Step
from dialogues._turn_base import TurnBase
from dialogues.steps import choice, photo, text, yes_no
from dialogues.steps import list as list_kind

AnswerStep = Callable[[TurnBase, Step], None]

STEP_KINDS: dict[str, AnswerStep] = {
    "yes_no": yes_no.answer,
    "choice": choice.answer,
    "text": text.answer,
    "list": list_kind.answer,
    "photo": photo.answer,
}

__all__ = ["STEP_KINDS", "AnswerStep"]
