""" "Just for me": the person keeps a thing for themselves (or shares it again).

How: ``change good day`` shows the topic's things numbered; the person sends a number (the
conversation keeps which thing, ``picked_answer_id``), then "just for me" or "share". A
private thing is hidden from supporters and from the shared profile in every format
(``storage.shared_answers``, ``storage.answers_for`` for a supporter); the person still sees
it, marked "just for me". Each choice is a consent record (subject "item").
"""

from __future__ import annotations

import storage
from dialogues._script import Step
from dialogues._together import record_holder_decision
from dialogues._turn_base import TurnBase, answer_words
from dialogues._understand import normalise

PRIVATE, SHARED = "private", "shared"


def can_pick(turn: TurnBase) -> bool:
    """Things can be picked here: the holder, editing a topic they opened with "change"."""
    return turn.conv.return_to is not None and not turn.by_supporter


def handled(turn: TurnBase, step: Step) -> bool:
    """A number that picks a thing, or "just for me" / "share" about the thing picked; True
    when the message was that. Anything else leaves the pick and is an answer as usual."""
    ctx, conv = turn.ctx, turn.conv
    assert ctx.person is not None
    picked = conv.picked_answer_id
    if picked is not None:
        storage.set_picked_answer(conv, None)
        said = turn.words.keep_or_share(ctx.text)
        answer = storage.answer_by_id(ctx.session, ctx.person, picked)
        if said is not None and answer is not None and not turn.by_supporter:
            keep(turn, answer, said == "just_for_me")
            return True
    if not can_pick(turn):
        return False
    said = normalise(ctx.text)
    if not said.isdecimal():
        return False
    items = [a for a in turn.section_items(step.id) if a.status == storage.ANSWER]
    if not 1 <= int(said) <= len(items):
        return False
    answer = items[int(said) - 1]
    assert conv.id is not None
    storage.set_picked_answer(conv, answer.id)
    ctx.picking = True  # "just for me" or "share" is asked next, on its own
    then = "item_picked_private" if answer.private else "item_picked_shared"
    turn.say(
        "\n".join((turn.msg("item_picked", item=answer_words(answer)), turn.msg(then))),
        kind="ask",
    )
    return True


def keep(turn: TurnBase, answer: storage.AnswerView, private: bool) -> None:
    """Keep the thing just for the person (or share it again), and record the choice."""
    ctx = turn.ctx
    assert ctx.person is not None
    storage.set_answer_private(ctx.session, answer.id, private)
    turn.note("hid" if private else "shared", answer.section)
    shown = "item_picked_shared" if private else "item_picked_private"
    record_holder_decision(
        turn,
        storage.ITEM,
        PRIVATE if private else SHARED,
        turn.message_wording(turn.flow, "just_for_me", (shown,)),
        subject_id=answer.id,
    )
    turn.say(turn.msg("kept_private" if private else "kept_shared"))
    turn.say(turn.msg("ask_more"), kind="ask")
