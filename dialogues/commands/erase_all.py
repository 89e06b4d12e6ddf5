"""delete everything: the person's right to have their whole plan erased, from the chat.

Asked twice, in easy read, because it cannot be undone: "Do you want to delete everything?",
then "Are you sure?". Only a clear yes to both erases (the words of "delete all your
answers?": "delete", "yes delete" ...); anything else keeps everything, as ``restart`` does.
Then everything about the person goes (``storage.erase_person``: answers, photo, voice
notes, links, supporters' access, consent records, conversations, this address when it talks
for nobody else) and the reply says what went, by kind and number, naming nobody (the reply is
kept a while to answer a repeat delivery).

Only the plan's holder can: a supporter is told so (they can ask the holder to remove them).
"""

from __future__ import annotations

import storage
from dialogues import _together as together
from dialogues._machine import CONFIRM_ERASE, CONFIRM_ERASE_AGAIN, MODAL_STATES
from dialogues._turn_base import TurnBase

# What planbot says it erased, in this order: a kind of thing and its message keys (one, many).
_ERASED = (
    ("answers", "erased_answer", "erased_answers"),
    ("voice notes", "erased_voice_note", "erased_voice_notes"),
    ("photos", "erased_photo", "erased_photos"),
    ("links", "erased_link", "erased_links"),
    ("supporters", "erased_supporter", "erased_supporters"),
    ("consent records", "erased_consent", "erased_consents"),
)


def run(turn: TurnBase, _words: str) -> None:
    if together.not_the_holder(turn, "erase_not_holder"):
        return
    if turn.state not in MODAL_STATES:
        storage.set_return_to(turn.conv, turn.state)
    turn.say(turn.msg("erase_what"))
    turn.jump(CONFIRM_ERASE)
    turn.ask()


def answer(turn: TurnBase) -> None:
    """The first and the second yes; anything but a clear yes keeps everything."""
    if turn.clear_yes_no() != "yes":
        turn.say(turn.msg("erase_kept"))
        turn.go_to_saved_place()
        turn.ask()
        return
    if turn.state == CONFIRM_ERASE:
        turn.jump(CONFIRM_ERASE_AGAIN)
        turn.ask()
        return
    _erase(turn)


def _erase(turn: TurnBase) -> None:
    ctx = turn.ctx
    assert ctx.person is not None
    counted = storage.erase_person(ctx.session, ctx.person)
    lines = [turn.msg("erase_done")]
    went = [
        turn.msg(one if counted.get(kind, 0) == 1 else many, n=counted.get(kind, 0))
        for kind, one, many in _ERASED
        if counted.get(kind, 0)
    ]
    if went:
        lines.append(turn.msg("erase_list") + "\n" + "\n".join(f"- {w}" for w in went))
    lines.append(turn.msg("erase_goodbye"))
    ctx.person, ctx.conversation = None, None
    ctx.address_removed = storage.delete_address_if_unused(ctx.session, ctx.address)
    turn.say("\n".join(lines))
