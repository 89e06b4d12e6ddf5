"""A topic: one or more things in the person's own words, until they say they have finished.

"done", "nah thats all" or 👍 end the topic; "dunno" after a thing ends it too; "yes" means more
is coming; a hello or "wat" is never saved as a thing.
"""

from __future__ import annotations

import storage
from dialogues import _just_for_me as just_for_me
from dialogues._script import Step
from dialogues._turn_base import TurnBase
from dialogues._understand import bullet_lines, split_items


def answer(turn: TurnBase, step: Step) -> None:
    if just_for_me.handled(turn, step):  # a thing picked by its number: "just for me"
        return
    text, words = turn.ctx.text, turn.words
    if words.is_done(text):
        if not turn.section_items(step.id):
            turn.say(turn.msg("nothing_saved"))
        turn.advance()
        return
    if words.is_dont_know(text):
        if turn.has_answers(step):
            # "dunno" to "anything else?": the topic ends with what was said.
            turn.say(turn.msg("dont_know_more"))
            turn.advance()
        else:
            turn.dont_know(step)
        return
    if words.is_confused(text):
        turn.unclear()
        return
    if words.means_more(text) and text.isascii():
        # "yes" to "Is there anything else?" means more is coming; it is not a thing to
        # save. (Emoji such as 🙂 stay answers: they can be what someone means.) Said again,
        # it climbs the retry ladder, so it never loops.
        if turn.conv.retries == 0:
            storage.set_retries(turn.conv, 1)
            turn.say(turn.msg("tell_me_what"), kind="ask")
        else:
            turn.unclear()
        return
    got = split_items(text, words)
    items = list(got.items)
    if len(items) > 1 and words.is_answer("yes", items[0]):
        items.pop(0)  # "yes, my dog": the yes answers "anything else?", the dog is the thing
    for item in items:
        turn.store(step.id, item)
    storage.set_retries(turn.conv, 0)
    turn.say(f"{turn.msg('saved_items')}\n{bullet_lines(items)}")
    if got.ended:
        turn.advance()
    else:
        turn.say(turn.msg("ask_more"), kind="ask")
