"""Answers to the current question, by kind of step, and the retry ladder."""

from __future__ import annotations

import storage
from dialogues._machine import CONFIRM_RESTART, FINISHED, PICK_TOPIC
from dialogues._script import ScriptChoice, Step
from dialogues._turn_base import MAX_NAME_CHARS, OTHER_TYPISTS, TurnBase, as_choices
from dialogues._understand import bullet_lines, choose, choose_by_number, split_items

# Message keys a channel may give for a picture it could not keep (and "photo_again").
PHOTO_PROBLEMS = ("photo_type", "photo_big", "photo_failed", "photo_again")


class Answers(TurnBase):
    """What a message means as an answer to the step the conversation is on."""

    def unclear(self) -> None:
        """The retry ladder: other words, then numbered choices, then skip. Never a dead end."""
        step = self.current_step()
        storage.set_retries(self.conv, self.conv.retries + 1)
        if step is None:
            self.ask()
            return
        if self.conv.retries == 1:
            self.ask(reword=True)
        elif self.conv.retries == 2:
            choices = self.step_choices(step) or as_choices(self.script.retry_choices)
            self.say(self.msg("pick_number"), choices, "ask")
        elif step.id == "consent":
            self.decline(self.msg("consent_gave_up"))
        else:
            self.skip_step(step)

    def answer(self) -> None:
        state = self.state
        if state == FINISHED:
            self.say(self.msg("finished_again"))
            return
        if state == CONFIRM_RESTART:
            self.confirm_restart()
            return
        if state == PICK_TOPIC:
            picked = choose(
                self.ctx.text, [ScriptChoice(c.label, c.value) for c in self.topic_choices()]
            )
            target = picked.value if picked else self.find_topic(self.ctx.text)
            if target is None:
                self.say(self.msg("pick_number"))
                self.ask()
            else:
                self.open_topic(target)
            return
        step = self.script.step(state)
        if self.conv.retries == 2 and step.kind in ("list", "text"):
            picked = choose(self.ctx.text, self.script.retry_choices)
            if picked is not None:
                self.retry_choice(step, picked.value)
                return
        getattr(self, f"answer_{step.kind}")(step)

    def retry_choice(self, step: Step, value: str) -> None:
        if value == "skip":
            self.skip_step(step)
        elif value == "dont_know":
            self.dont_know(step)
        else:
            storage.set_retries(self.conv, 0)
            self.command("help", "")

    def dont_know(self, step: Step) -> None:
        """ "Don't know" is a fine answer anywhere: kept as such, then the next question."""
        if step.kind == "list":
            self.store(step.id, self.ctx.text, storage.DONT_KNOW)
        self.say(self.msg("saved_dont_know"))
        self.advance()

    def yes_no(self, step: Step) -> str | None:
        """ "yes", "no", "dont_know" or None: a number of the step's choices, or its words
        and the common ones ("done" is "No, it is done" at the read-back)."""
        picked = choose_by_number(self.ctx.text, step.choices)
        return picked.value if picked else self.words.yes_no(self.ctx.text, step)

    def answer_yes_no(self, step: Step) -> None:
        said = self.yes_no(step)
        if step.id == "consent":
            self.consent(said)
            return
        if said not in ("yes", "no"):
            # "dunno" to "do you want to change anything?" says neither: ask again.
            self.unclear()
            return
        if step.id == "readback":
            if said == "yes":
                storage.set_return_to(self.conv, "readback")
                self.jump(PICK_TOPIC)
                self.ask()
            else:
                self.advance()

    def consent(self, said: str | None) -> None:
        if said == "dont_know":
            self.say(self.msg("need_yes_or_no"))
            self.ask()
            return
        if said is None:
            self.unclear()
            return
        if said == "no":
            self.decline(self.msg("consent_no"))
            return
        session, address = self.ctx.session, self.ctx.address
        person = storage.create_person(session, storage.conversation_name_hint(self.conv))
        storage.link_person(session, person, address)
        storage.set_active_person(session, address, person)
        storage.set_conversation_person(self.conv, person)
        storage.set_conversation_name_hint(self.conv, None)
        self.ctx.person = person
        self.advance()

    def decline(self, text: str) -> None:
        """No consent: keep nothing from this conversation, and say goodbye kindly."""
        session = self.ctx.session
        storage.delete_conversation(session, self.conv)
        self.ctx.conversation = None
        self.ctx.address_removed = storage.delete_address_if_unused(session, self.ctx.address)
        self.say(text)

    def answer_choice(self, step: Step) -> None:
        reading = self.words.read_choice(self.ctx.text, step)
        if reading.apart is not None and self.conv.retries == 0:
            # One short question instead of the whole list ("Are you family, or paid?").
            # Counted as a retry: the same words again go on up the ladder.
            storage.set_retries(self.conv, 1)
            self.say(reading.apart.ask, kind="ask")
            return
        if reading.value is None:
            if reading.dont_know:
                storage.set_typist(self.conv, "other")
                self.advance()
            else:
                self.unclear()
            return
        if step.id == "who":
            storage.set_typist(self.conv, reading.value)
            if reading.value not in OTHER_TYPISTS:
                # A helped person's answers stay theirs; the helper is noted ("with their PA").
                storage.set_conversation_said_by(self.conv, reading.helper or None)
        self.advance()

    def has_answers(self, step: Step) -> bool:
        return any(a.status == storage.ANSWER for a in self.section_items(step.id))

    def answer_text(self, step: Step) -> None:
        text = self.ctx.text
        if self.words.is_answer("confused", text) or len(text) > MAX_NAME_CHARS:
            self.unclear()
            return
        if self.words.is_answer("dont_know", text):
            self.dont_know(step)
            return
        assert self.ctx.person is not None
        if step.id == "helper_name":
            storage.set_conversation_said_by(self.conv, text)
            self.say(self.msg("saved_helper", said_by=text))
        elif step.id == "name":
            storage.set_person_name(self.ctx.session, self.ctx.person, text)
            self.say(self.msg("saved_name_other" if self.other else "saved_name", name=text))
        self.advance()

    def at_photo_question(self) -> bool:
        step = self.current_step()
        return step is not None and step.kind == "photo" and self.ctx.person is not None

    def photo_sent(self) -> None:
        """A picture at the photo question: keep it (the channel fetched and checked it), or
        say kindly why not and ask again. Words sent with it are a caption, not an answer."""
        photo, person = self.ctx.photo, self.ctx.person
        if photo is None or person is None:
            # No problem named: the channel did not fetch it (it came as we got here).
            problem = self.ctx.photo_problem or "photo_again"
            self.say(self.msg(problem if problem in PHOTO_PROBLEMS else "photo_failed"))
            self.ask()
            return
        storage.set_person_photo(
            self.ctx.session, person, photo.data, photo.content_type, self.ctx.message_id
        )
        self.say(self.msg("photo_saved"))
        self.advance()

    def answer_photo(self, step: Step) -> None:
        """Words at the photo question: "no" goes on without one, "yes" waits for it.

        A "no" word anywhere wins ("I don't want a photo"): sending a photo needs a clear yes.
        """
        person = self.ctx.person
        said = self.yes_no(step)
        if said == "dont_know":
            self.say(self.msg("photo_later"))  # whatever photo there is stays as it is
            self.advance()
            return
        if said == "no":
            if person is not None:
                storage.delete_person_photo(self.ctx.session, person)
            self.say(self.msg("photo_none"))
            self.advance()
        elif said == "yes" and self.conv.retries < 2:
            # Counted like a retry: "yes" again and again, with no photo, never loops.
            storage.set_retries(self.conv, self.conv.retries + 1)
            self.say(self.msg("photo_send_now"), kind="ask")
        else:
            self.unclear()

    def answer_list(self, step: Step) -> None:
        text = self.ctx.text
        if self.words.is_done(text):
            if not self.section_items(step.id):
                self.say(self.msg("nothing_saved"))
            self.advance()
            return
        if self.words.is_dont_know(text):
            if self.has_answers(step):
                # "dunno" to "anything else?": the topic ends with what was said.
                self.say(self.msg("dont_know_more"))
                self.advance()
            else:
                self.dont_know(step)
            return
        if self.words.is_confused(text):
            self.unclear()
            return
        if self.words.means_more(text) and text.isascii():
            # "yes" to "Is there anything else?" means more is coming; it is not a thing
            # to save. (Emoji such as 🙂 stay answers: they can be what someone means.)
            # Said again, it climbs the retry ladder, so it never loops.
            if self.conv.retries == 0:
                storage.set_retries(self.conv, 1)
                self.say(self.msg("tell_me_what"), kind="ask")
            else:
                self.unclear()
            return
        got = split_items(text, self.words)
        items = list(got.items)
        if len(items) > 1 and self.words.is_answer("yes", items[0]):
            items.pop(0)  # "yes, my dog": the yes answers "anything else?", the dog is the thing
        for item in items:
            self.store(step.id, item)
        storage.set_retries(self.conv, 0)
        self.say(f"{self.msg('saved_items')}\n{bullet_lines(items)}")
        if got.ended:
            self.advance()
        else:
            self.say(self.msg("ask_more"), kind="ask")

    def confirm_restart(self) -> None:
        # yes/no words first, then the numbers: deleting everything needs a clear yes.
        said = self.words.restart_yes_no(self.ctx.text)
        if said is None:
            # The question showed numbered Yes/No choices: "1" means Yes.
            picked = choose_by_number(self.ctx.text, self.script.step("consent").choices)
            said = picked.value if picked else None
        if said not in ("yes", "no") and self.conv.retries == 0:
            # Neither ("yes no", "why?"): asked once more, then everything is kept.
            storage.set_retries(self.conv, 1)
            self.say(self.msg("need_yes_or_no"))
            self.ask()
            return
        if said == "yes" and self.ctx.person is not None:
            storage.delete_all_answers(self.ctx.session, self.ctx.person)
            storage.delete_person_photo(self.ctx.session, self.ctx.person)
            storage.set_return_to(self.conv, None)
            storage.set_typist(self.conv, None)
            storage.set_conversation_said_by(self.conv, None)
            self.say(self.msg("restart_done"))
            self.jump("who")
            self.ask(first_time=True)
            return
        self.say(self.msg("restart_kept"))
        self.go_to_saved_place()
        self.ask()
