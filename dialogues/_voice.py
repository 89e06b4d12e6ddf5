"""Voice notes in a conversation: one kept as a topic's item, and ``/voice`` for questions.

Why apart from answers: a voice note is not words, so none of the understanding of words
applies. It is kept only at a topic (list) question, where any thing the person says is an
item; at a question that needs a yes, a choice or a name it gets a kind word and the question
again, and nothing is stored. Which chats hear questions as voice notes is stored with the
address (``storage.set_voice``), so it holds before consent (people who prefer to listen
need the consent question spoken too) and after a restart of planbot.
"""

from __future__ import annotations

import dataclasses

import storage
from dialogues._messages import Reply
from dialogues._turn_base import TurnBase, TurnContext
from dialogues.steps.list import MAX_ITEMS_PER_TOPIC, room_in_topic

# Message keys a channel may give for a voice note it could not fetch or keep.
VOICE_PROBLEMS = ("voice_big", "voice_failed", "voice_type")


class VoiceNotes(TurnBase):
    """The turn's part for a voice note, and for turning voice on or off."""

    def takes_voice_note(self) -> bool:
        """At a topic question, once the person has agreed: a voice note can be an item."""
        step = self.current_step()
        return step is not None and step.kind == "list" and self.ctx.person is not None

    def voice_note_sent(self) -> None:
        """Keep the voice note as an item of this topic, or say kindly why not."""
        storage.resume(self.conv)
        step = self.current_step()
        if step is None or not self.takes_voice_note():
            self.say(self.msg("voice_not_here"))
            self.ask()
            return
        voice, person = self.ctx.voice, self.ctx.person
        if voice is None or person is None:
            # No problem named: the channel did not fetch it (it came as we got here).
            problem = self.ctx.voice_problem or "voice_failed"
            self.say(self.msg(problem if problem in VOICE_PROBLEMS else "voice_failed"))
            self.ask()
            return
        if self.moved_on_when_full(step.id):  # a full topic keeps no more, voice notes too
            return
        said_by, perspective = self.said_by()
        storage.add_voice_note(
            self.ctx.session,
            person,
            self.conv,
            step.id,
            voice.data,
            voice.content_type,
            voice.seconds,
            said_by=said_by,
            perspective=perspective,
            message_id=self.ctx.message_id,
            now=self.ctx.now,
        )
        self.note("added", step.id)  # a voice note is a thing in the topic, as words are
        storage.set_retries(self.conv, 0)
        self.say(self.msg("voice_saved"))
        if not self.moved_on_when_full(step.id):
            self.say(self.msg("ask_more"), kind="ask")

    def moved_on_when_full(self, section: str) -> bool:
        """At a full topic: say so and go on to the next question (True); else nothing."""
        if room_in_topic(self, section) > 0:
            return False
        self.say(self.msg("limit_topic", most=MAX_ITEMS_PER_TOPIC))
        self.advance()
        return True

    def switch_voice(self) -> None:
        """``/voice``: each question as a voice note too, or not any more; then the question."""
        address = self.ctx.address
        if self.engine.settings.tts == "off":
            self.say(self.msg("voice_unavailable"))
        elif storage.wants_voice(address):
            storage.set_voice(self.ctx.session, address, False)
            self.say(self.msg("voice_off"))
        else:
            storage.set_voice(self.ctx.session, address, True)
            self.say(self.msg("voice_on"))
        storage.resume(self.conv)
        self.ask(first_time=self.ctx.fresh)


def mark_spoken(ctx: TurnContext) -> None:
    """With voice on for this chat, its questions go as voice notes too (the channel makes
    them): the replies that ask are marked."""
    if ctx.address_removed or not storage.wants_voice(ctx.address):
        return
    ctx.replies[:] = [_spoken(reply) if reply.kind == "ask" else reply for reply in ctx.replies]


def _spoken(reply: Reply) -> Reply:
    return dataclasses.replace(reply, voice=True)
