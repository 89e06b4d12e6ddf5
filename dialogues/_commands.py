"""The commands that work at any point: back, skip, repeat, help, pause, restart, change, ..."""

from __future__ import annotations

import storage
from dialogues._machine import CONFIRM_RESTART, MODAL_STATES, PICK_PERSON, PICK_TOPIC
from dialogues._script import ScriptChoice
from dialogues._turn_base import TurnBase, answer_words
from dialogues._understand import choose


class Commands(TurnBase):
    """A command is the whole message; each leaves the answers as they were unless it says."""

    def cmd_help(self, _topic: str) -> None:
        self.say(self.msg("help"))
        contact = self.engine.settings.help_contact
        if contact:
            self.say(self.msg("help_contact", contact=contact))
        else:
            self.say(self.msg("help_contact_default"))
        self.ask()

    def cmd_repeat(self, _topic: str) -> None:
        self.ask(first_time=self.conv.person_id is None)

    def cmd_pause(self, _topic: str) -> None:
        self.leave_side_question()
        storage.pause(self.conv)
        self.say(self.msg("paused"))

    def cmd_back(self, _topic: str) -> None:
        if self.state in MODAL_STATES:
            self.go_to_saved_place()
        elif self.state == self.engine.first_state:
            self.say(self.msg("first_question"))
        else:
            self.move("go_back")
            while self.should_skip(self.state) and self.state != self.engine.first_state:
                self.move("go_back")
            if self.state == self.engine.first_state:
                # Agreeing again is not needed: they already said yes.
                self.move("advance")
                self.say(self.msg("first_question"))
        self.ask(first_time=False)

    def cmd_skip(self, _topic: str) -> None:
        step = self.current_step()
        if step is None:
            self.cmd_back("")
            return
        if step.id == "consent":
            self.say(self.msg("need_yes_or_no"))
            self.ask()
            return
        self.skip_step(step)

    def cmd_restart(self, _topic: str) -> None:
        if self.state not in MODAL_STATES:
            storage.set_return_to(self.conv, self.state)
        self.jump(CONFIRM_RESTART)
        self.ask()

    def cmd_change(self, topic: str) -> None:
        target = self.find_topic(topic) if topic else None
        if self.state not in MODAL_STATES:
            storage.set_return_to(self.conv, self.state)
        photo = self.photo_step()
        if target is None and photo is not None and self.means_photo(topic):
            if self.can_change_photo():  # "change photo": the photo question, then back
                self.jump(photo.id)
                self.ask()
            else:
                self.say(self.msg("no_photos_here"))
                self.go_to_saved_place()
                self.ask()
            return
        if target is None:
            self.jump(PICK_TOPIC)
            self.ask()
            return
        self.open_topic(target)

    def cmd_my_answers(self, _topic: str) -> None:
        self.say(self.readback())
        self.ask()

    def cmd_delete_last(self, _topic: str) -> None:
        step = self.current_step()
        section = step.id if step is not None and step.kind == "list" else None
        assert self.ctx.person is not None
        gone = storage.delete_last_answer(self.ctx.session, self.ctx.person, section)
        said = answer_words(gone) if gone else ""
        self.say(self.msg("deleted", text=said) if gone else self.msg("nothing_to_delete"))
        self.ask()

    def cmd_switch_person(self, _topic: str) -> None:
        self.switch_person()

    def switch_person(self) -> None:
        """Ask which person this address is talking about now (or someone new)."""
        session, address = self.ctx.session, self.ctx.address
        storage.set_active_person(session, address, None)
        pending = storage.conversation_for(session, address, None)
        if pending is None:
            pending = storage.new_conversation(session, address, None, PICK_PERSON)
        storage.set_state(pending, PICK_PERSON)
        storage.save_conversation(session, pending, self.ctx.now)
        storage.save_conversation(session, self.conv, self.ctx.now)
        self.conv, self.state = pending, PICK_PERSON
        self.ctx.conversation = pending
        self.ask()

    def pick_person(self) -> None:
        session, address = self.ctx.session, self.ctx.address
        people = storage.people_for_address(session, address)
        options = [ScriptChoice(c.label, c.value) for c in self.engine.person_choices(people)]
        picked = choose(self.ctx.text, options)
        if picked is None:
            self.say(self.msg("pick_number"))
            self.ask()
            return
        if picked.value == "new":
            self.state = self.engine.first_state
            self.ask(first_time=True)
            return
        person = next(p for p in people if f"person:{p.id}" == picked.value)
        storage.delete_conversation(session, self.conv)
        storage.set_active_person(session, address, person)
        self.ctx.person = person
        self.conv, _ = self.engine.conversation_with(session, address, person)
        self.ctx.conversation = self.conv
        self.state = self.conv.state
        storage.resume(self.conv)
        self.welcome_back()
