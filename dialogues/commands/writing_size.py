"""bigger writing / normal writing: every form of the person's profile and review sheet in
large print (24pt body text, more pages rather than smaller type) from now on, or back.

Why a choice kept on the person (``storage.set_large_print``), not on this chat: the writing
is for whoever reads the profile, and the same profile goes out by every channel and link
(the PDF, the web page, the picture). Asked for mid-plan, it is said and the question comes
again; asked for after the end, the document comes again at once in the new size, as it did
when the plan finished (DOMAIN.md 9b, scenario 15: "bigger writing" gets large print).
"""

from __future__ import annotations

import storage
from dialogues._machine import FINISHED
from dialogues._turn_base import TurnBase

_SAID = {
    (True, False): "large_print_on",
    (True, True): "large_print_on_other",
    (False, False): "large_print_off",
    (False, True): "large_print_off_other",
}


def bigger(turn: TurnBase, _words: str) -> None:
    _set(turn, True)


def normal(turn: TurnBase, _words: str) -> None:
    _set(turn, False)


def _set(turn: TurnBase, large: bool) -> None:
    person = turn.ctx.person
    assert person is not None  # commands run once the person has agreed to a plan
    storage.set_large_print(turn.ctx.session, person, large)
    # Keyed by (large, someone else typing): "Your profile ..." or "The profile of Amy ...".
    said = turn.msg(_SAID[large, turn.other], name=turn.name)
    if turn.state == FINISHED:
        # The channel sends the finished document after this, made in the size just chosen.
        turn.say(f"{said}\n{turn.msg('large_print_again')}", kind="finished")
        turn.ctx.just_finished = True
        return
    turn.say(said)
    turn.ask()
