"""The photo question: a picture the channel fetched becomes the photo on the profile; words
say yes (send it now) or no (go on without one, and take off a photo kept before)."""

from __future__ import annotations

import storage
from dialogues._script import Step
from dialogues._turn_base import TurnBase

# Message keys a channel may give for a picture it could not keep (and "photo_again").
PHOTO_PROBLEMS = ("photo_type", "photo_big", "photo_failed", "photo_again")


def at_photo_question(turn: TurnBase) -> bool:
    step = turn.current_step()
    return step is not None and step.kind == "photo" and turn.ctx.person is not None


def photo_sent(turn: TurnBase) -> None:
    """A picture at the photo question: keep it (the channel fetched and checked it), or say
    kindly why not and ask again. Words sent with it are a caption, not an answer."""
    photo, person = turn.ctx.photo, turn.ctx.person
    if photo is None or person is None:
        # No problem named: the channel did not fetch it (it came as we got here).
        problem = turn.ctx.photo_problem or "photo_again"
        turn.say(turn.msg(problem if problem in PHOTO_PROBLEMS else "photo_failed"))
        turn.ask()
        return
    replaced = storage.set_person_photo(
        turn.ctx.session, person, photo.data, photo.content_type, turn.ctx.message_id
    )
    turn.note("changed" if replaced else "added", "photo")
    turn.say(turn.msg("photo_saved"))
    turn.advance()


def answer(turn: TurnBase, step: Step) -> None:
    """Words at the photo question. Sending a photo needs a clear yes: "yes no" is asked
    again, and "I don't want a photo" is a no."""
    person = turn.ctx.person
    said = turn.yes_no(step)
    if said == "dont_know":
        turn.say(turn.msg("photo_later"))  # whatever photo there is stays as it is
        turn.advance()
        return
    if said == "no":
        if person is not None and storage.delete_person_photo(turn.ctx.session, person):
            turn.note("deleted", "photo")
        turn.say(turn.msg("photo_none"))
        turn.advance()
    elif said == "yes" and turn.conv.retries < 2:
        # Counted like a retry: "yes" again and again, with no photo, never loops.
        storage.set_retries(turn.conv, turn.conv.retries + 1)
        turn.say(turn.msg("photo_send_now"), kind="ask")
    else:
        turn.unclear()
