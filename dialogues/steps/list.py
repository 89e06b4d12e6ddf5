"""A topic: one or more things in the person's own words, until they say they have finished.

"done", "nah thats all" or 👍 end the topic; "dunno" after a thing ends it too; "yes" means more
is coming; a hello or "wat" is never saved as a thing.

What one person can keep has limits (the numbers below). Why: every thing kept is read back,
fitted into a text message and laid out on the page, the PDF, the picture and the sound, so
without a limit one person could make planbot slow for everyone (a 2,000-character message of
"a;b;c" alone is about 400 things). Real plans are far below them: a topic rarely holds more
than 10 things, and a thing is a phrase or a few sentences. At a limit the person hears what
was kept and why, in easy read, and nothing over the limit is kept.
"""

from __future__ import annotations

import storage
from dialogues import _just_for_me as just_for_me
from dialogues._script import Step
from dialogues._turn_base import TurnBase
from dialogues._understand import bullet_lines, split_items

# Things one topic can hold (voice notes count too): a full topic moves on to the next one.
MAX_ITEMS_PER_TOPIC = 40
# Characters kept of one thing: a long paragraph still fits; the rest of it is not kept.
MAX_ITEM_CHARS = 500
# Things kept from one message: a list longer than this is cut to its first ones.
MAX_ITEMS_PER_MESSAGE = 20


def answer(turn: TurnBase, step: Step) -> None:
    if just_for_me.handled(turn, step):  # a thing picked by its number: "just for me"
        return
    text, words = turn.ctx.text, turn.words
    if words.is_done(text):
        # Practice answers (about Helen) are kept apart: no "nothing is saved" for them.
        if not turn.section_items(step.id) and step.role != "practice":
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
    got = split_items(text, words, commas=not step.keep_commas)
    items = list(got.items)
    if len(items) > 1 and words.is_answer("yes", items[0]):
        items.pop(0)  # "yes, my dog": the yes answers "anything else?", the dog is the thing
    items, notes, full = _within_limits(turn, step, items)
    for item in items:
        turn.store(step.id, item)
    storage.set_retries(turn.conv, 0)
    if items:
        turn.say(f"{turn.msg('saved_items')}\n{bullet_lines(items)}")
    for note in notes:
        turn.say(note)
    if got.ended or full:
        turn.advance()
    else:
        turn.say(turn.msg("ask_more"), kind="ask")


def room_in_topic(turn: TurnBase, section: str) -> int:
    """How many more things the topic can hold (every thing kept counts, whoever said it)."""
    session, person = turn.ctx.session, turn.ctx.person
    assert person is not None
    room = MAX_ITEMS_PER_TOPIC - storage.count_answers(session, person, section)
    if room <= MAX_ITEMS_PER_MESSAGE:  # near the limit: counted afresh, in case another
        # phone added to the topic since this message's first read
        room = MAX_ITEMS_PER_TOPIC - storage.count_answers(session, person, section, fresh=True)
    return room


def _within_limits(
    turn: TurnBase, step: Step, items: list[str]
) -> tuple[list[str], list[str], bool]:
    """The things of one message that fit the limits, what to tell the person about it, and
    whether the topic is now full."""
    notes = []
    if len(items) > MAX_ITEMS_PER_MESSAGE:
        items = items[:MAX_ITEMS_PER_MESSAGE]
        notes.append(turn.msg("limit_message", most=MAX_ITEMS_PER_MESSAGE))
    if any(len(item) > MAX_ITEM_CHARS for item in items):
        items = [item[:MAX_ITEM_CHARS].rstrip() for item in items]
        notes.append(turn.msg("limit_item", most=MAX_ITEM_CHARS))
    room = room_in_topic(turn, step.id)
    full = len(items) >= room
    if full:
        items = items[: max(room, 0)]
        notes.append(turn.msg("limit_topic", most=MAX_ITEMS_PER_TOPIC))
    return items, notes, full
