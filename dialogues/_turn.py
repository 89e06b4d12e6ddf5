"""One message's work: a new or reopened talk, bad input, a return after a break, a command,
or an answer to the current question.
"""

from __future__ import annotations

from datetime import timedelta

import storage
from dialogues import _live_turn as live
from dialogues import _together as together
from dialogues._machine import (
    CONFIRM_ERASE,
    CONFIRM_ERASE_AGAIN,
    CONFIRM_RESTART,
    FINISHED,
    PICK_PERSON,
)
from dialogues._messages import Reply
from dialogues._turn_base import RESUME_AFTER, TurnContext
from dialogues._understand import MAX_MESSAGE_CHARS, choose, normalise
from dialogues._voice import VoiceNotes, mark_spoken
from dialogues.commands import SIDE_QUESTIONS
from dialogues.commands.review import back_to_profile
from dialogues.commands.switch_person import switch
from dialogues.steps import STEP_KINDS
from dialogues.steps.photo import at_photo_question, photo_sent

__all__ = ["TurnContext", "run_turn"]


def run_turn(ctx: TurnContext) -> list[Reply]:
    """Work out the replies to one message, changing the stored state on the way."""
    turn = _Turn(ctx)
    turn.run()
    together.after_turn(turn)
    if ctx.owes_made_for:
        turn.ask_owed_made_for()
    turn.write_audit()
    mark_spoken(ctx)
    if ctx.conversation is not None and not ctx.address_removed:
        storage.set_state(ctx.conversation, turn.state)
        storage.write_conversation(ctx.session, ctx.conversation, ctx.now)
    return ctx.replies


class _Turn(VoiceNotes):
    """A whole turn: decides whether the message is a hello, a command or an answer."""

    def run(self) -> None:
        text, ctx = self.ctx.text, self.ctx
        if ctx.switch_voice:
            self.switch_voice()
            return
        if together.before_turn(self) or live.before_turn(self):
            return
        if ctx.fresh:
            # The first message of a new conversation is a hello, whatever it says; REVIEW
            # starts the review instead.
            if self.said_command in (("review", ""), ("live", "")):
                self.command(*self.said_command)
            else:
                self.ask(first_time=True)
            return
        if ctx.opening:
            self.reopen()
            return
        if ctx.for_question and ctx.for_question != self.state:
            # A button left from an earlier question (a double tap, an old message).
            self.say(self.msg("old_button"))
            self.ask()
            return
        if ctx.voice_note:
            self.voice_note_sent()
            return
        if ctx.has_media and at_photo_question(self):
            storage.resume(self.conv)
            photo_sent(self)
            return
        if not text:
            self.say(self.msg(self.sent_instead_of_words()) if ctx.has_media else self.msg("empty"))
            self.ask()
            return
        if ctx.has_media and ctx.has_picture:  # then the words, as an answer
            self.say(self.msg("picture_not_kept" if self.can_change_photo() else "words_only"))
        if len(text) > MAX_MESSAGE_CHARS:
            self.say(self.msg("too_long"))
            self.ask()
            return
        if self.conv.person_id is None and self.state != PICK_PERSON:
            self.before_consent()
            return
        command = self.said_command
        if self.state == PICK_PERSON and (command is None or command[0] != "help"):
            SIDE_QUESTIONS[PICK_PERSON](self)
            return
        if command is None and back_to_profile(self):  # after the review sheet
            return
        if self.resuming(command):
            return
        if command is not None and not self.is_an_answer(*command):
            self.command(*command)
            return
        self.answer()

    def sent_instead_of_words(self) -> str:
        """The message for a picture, a voice note or a file where words were needed."""
        return "only_words" if self.ctx.has_picture else "only_words_not_picture"

    def is_an_answer(self, command: str, topic: str) -> bool:
        """A command word that is an answer here: "later" is a "no" to the photo question (one
        of its own words), "start again" a "yes" to "delete all your answers?", and "change
        where I live" at a topic question is an answer ("where I live" is no topic)."""
        if self.state in (CONFIRM_RESTART, CONFIRM_ERASE, CONFIRM_ERASE_AGAIN):
            # "delete" is a yes there, "keep" a no
            return command in ("restart", "delete_last", "erase_all", "keep_plan")
        step = self.current_step()
        if step is None:
            return False
        if normalise(self.ctx.text) in {normalise(w) for c in step.choices for w in c.words}:
            return True
        return (
            command == "change"
            and bool(topic)
            and self.find_topic(topic) is None
            and not self.means_photo(topic)
            and step.kind == "list"
        )

    def before_consent(self) -> None:
        """Only help, repeat and review (the same consent, worded for the review) work before
        the person agrees; nothing else is stored."""
        command = self.said_command
        if command is not None and command[0] in ("help", "repeat", "review", "live"):
            self.command(*command)
            return
        if self.state != self.first_state:
            self.state = self.first_state
        self.answer()

    def answer(self) -> None:
        """The message answers the question the conversation is at."""
        state = self.state
        if state == FINISHED:
            self.say(self.msg("finished_again"))
            return
        if state in SIDE_QUESTIONS:
            SIDE_QUESTIONS[state](self)
            return
        step = self.script.step(state)
        if self.conv.retries == 2 and step.kind in ("list", "text"):
            picked = choose(self.ctx.text, self.script.retry_choices)
            if picked is not None:
                self.retry_choice(step, picked.value)
                return
        STEP_KINDS[step.kind](self, step)

    def reopen(self) -> None:
        """The channel opened an existing conversation: greet and ask where we were."""
        storage.resume(self.conv)
        if self.conv.person_id is None or self.state == PICK_PERSON:
            self.ask(first_time=self.state != PICK_PERSON)
            return
        self.welcome_back()

    def resuming(self, command: tuple[str, str] | None) -> bool:
        """Greet someone coming back, and never lose what they sent.

        A greeting ("hi its me again") is never an answer: it gets "welcome back" and the
        question. Any other message after a pause or a long gap is kept as the answer it is,
        after a short welcome (or, past ``idle_days``, "it has been a while").
        """
        idle = self.ctx.now - storage.as_utc(self.conv.updated_at)
        expired = idle > timedelta(days=self.engine.settings.idle_days)
        greeting = command is None and self.words.is_greeting(self.ctx.text)
        paused = self.conv.paused
        if not (paused or expired or greeting):
            return False
        storage.resume(self.conv)
        self.leave_side_question()
        if greeting:
            if self.ctx.can_pick_person() and (paused or expired or idle > RESUME_AFTER):
                switch(self)
            else:
                self.welcome_back(expired)
            return True
        if expired:
            self.say(self.msg("been_a_while"))
        elif paused and command is None:
            greet = self.typist_name()
            self.say(self.msg("welcome_back_short", name=greet) if greet else self.msg("welcome"))
        return False
