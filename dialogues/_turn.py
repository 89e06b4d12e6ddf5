"""One message's work: commands first, then the current step, producing the replies.

The engine hands in a ``TurnContext`` (session, address, person, conversation); this module
changes them and returns replies. It never commits: the engine does, once, after it returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel import Session

import storage
from dialogues._machine import CONFIRM_RESTART, FINISHED, MODAL_STATES, PICK_PERSON, PICK_TOPIC
from dialogues._messages import Choice, Reply
from dialogues._script import ScriptChoice, Step
from dialogues._understand import MAX_MESSAGE_CHARS, bullet_lines, choose, normalise, split_items
from storage import Address, Conversation, Person

if TYPE_CHECKING:
    from dialogues._engine import Engine

RESUME_AFTER = timedelta(hours=1)
MAX_NAME_CHARS = 60
OTHER_TYPISTS = ("family", "supporter", "staff", "other")


@dataclass
class TurnContext:
    """Everything one message's turn reads and changes."""

    engine: Engine
    session: Session
    address: Address
    text: str
    has_media: bool
    now: datetime
    person: Person | None = None
    conversation: Conversation | None = None
    can_pick_person: bool = False
    fresh: bool = False
    opening: bool = False
    address_removed: bool = False
    just_finished: bool = False
    replies: list[Reply] = field(default_factory=list)


def run_turn(ctx: TurnContext) -> list[Reply]:
    """Work out the replies to one message, changing the stored state on the way."""
    turn = _Turn(ctx)
    turn.run()
    if ctx.conversation is not None and not ctx.address_removed:
        ctx.conversation.state = turn.state
        storage.save_conversation(ctx.session, ctx.conversation, ctx.now)
    return ctx.replies


class _Turn:
    def __init__(self, ctx: TurnContext) -> None:
        self.ctx = ctx
        self.engine = ctx.engine
        self.script = ctx.engine.script
        self.words = ctx.engine.vocabulary
        assert ctx.conversation is not None
        self.conv: Conversation = ctx.conversation
        self.state = self.conv.state

    # --- helpers ---------------------------------------------------------------------------

    def msg(self, key: str, **values: object) -> str:
        return self.script.message(key, **values)

    def say(self, text: str, choices: tuple[Choice, ...] = (), kind: str = "say") -> None:
        self.ctx.replies.append(Reply(text=text, choices=choices, kind=kind))

    @property
    def other(self) -> bool:
        """Someone who knows the person is typing (wording says "{name}", not "you")."""
        return self.conv.typist in OTHER_TYPISTS

    @property
    def name(self) -> str:
        person = self.ctx.person
        name = storage.person_name(person) if person else None
        return name or self.msg("unknown_name")

    def fill(self, text: str) -> str:
        return text.format(name=self.name)

    def move(self, trigger: str) -> None:
        """Fire a trigger on the shared machine and keep the state it lands in."""
        with self.engine.machine.attach(self.state) as model:
            model.fire(trigger)
            self.state = model.state
        self.conv.retries = 0

    def jump(self, state: str) -> None:
        self.move(f"to_{state}")

    def should_skip(self, step_id: str) -> bool:
        if step_id == "helper_name":
            return not self.other
        if step_id == "name":
            return self.ctx.person is not None and storage.person_name(self.ctx.person) is not None
        return False

    def advance(self) -> None:
        """Go to the next step that applies; back to the saved place after an edit."""
        if self.conv.return_to and self.state not in MODAL_STATES:
            target, self.conv.return_to = self.conv.return_to, None
            self.jump(target)
            self.ask(first_time=False)
            return
        self.move("advance")
        while self.state in self.engine.machine.order and self.should_skip(self.state):
            self.move("advance")
        if self.state == FINISHED:
            self.finish()
        else:
            self.ask(first_time=True)

    def current_step(self) -> Step | None:
        return self.script.by_id.get(self.state)

    def list_number(self, step: Step) -> int:
        return [s.id for s in self.script.list_steps].index(step.id) + 1

    def heading(self, key: str) -> str:
        from easyread import section_heading

        return section_heading(key)

    def where(self) -> str:
        """A few words for "We were on: ..."."""
        step = self.current_step()
        if step is not None and step.kind == "list":
            return self.heading(step.id)
        return self.fill(step.question(self.other) if step else self.msg("readback_intro"))

    # --- asking ----------------------------------------------------------------------------

    def step_choices(self, step: Step, numbered: bool = False) -> tuple[Choice, ...]:
        return tuple(Choice(c.label, c.value) for c in step.choices)

    def ask(self, first_time: bool = False, reword: bool = False) -> None:
        """Send the current question (with what is needed around it)."""
        state = self.state
        if state == FINISHED:
            self.say(self.msg("finished_again"))
            return
        if state == CONFIRM_RESTART:
            yes_no = self.script.step("consent").choices
            self.say(
                self.msg("restart_ask"), tuple(Choice(c.label, c.value) for c in yes_no), "ask"
            )
            return
        if state == PICK_TOPIC:
            self.say(self.msg("topic_menu"), self.topic_choices(), "ask")
            return
        if state == PICK_PERSON:
            people = storage.people_for_address(self.ctx.session, self.ctx.address)
            self.say(self.msg("pick_person"), self.engine.person_choices(people), "ask")
            return
        step = self.script.step(state)
        if step.id == "readback":
            self.say(self.readback())
        if first_time and step.say:
            self.say("\n".join(step.say))
        question = self.fill(step.rewording(self.other) if reword else step.question(self.other))
        lines = []
        if step.kind == "list":
            if first_time or reword:
                number, total = self.list_number(step), len(self.script.list_steps)
                lines.append(
                    self.msg(
                        "topic_intro", number=number, total=total, heading=self.heading(step.id)
                    )
                )
            if not first_time and not reword and self.section_items(step.id):
                self.show_topic(step.id, intro=False)
                self.say(self.msg("ask_more"), kind="ask")
                return
        lines += [question, self.fill(step.example)]
        self.say("\n".join(lines), self.step_choices(step), "ask")

    def topic_choices(self) -> tuple[Choice, ...]:
        return tuple(Choice(self.heading(s.id), s.id) for s in self.script.list_steps)

    def section_items(self, section: str) -> list[storage.AnswerView]:
        assert self.ctx.person is not None
        return storage.answers_for(self.ctx.session, self.ctx.person, section)

    def show_topic(self, section: str, intro: bool = True) -> None:
        """What is stored for one topic, and how to change it."""
        items = [a for a in self.section_items(section) if a.status == storage.ANSWER]
        lines = [self.msg("topic_picked", heading=self.heading(section))] if intro else []
        if items:
            lines += [self.msg("topic_has"), bullet_lines(a.text for a in items)]
        else:
            lines.append(self.msg("topic_empty"))
        lines.append(self.msg("topic_edit_tip"))
        self.say("\n".join(lines))

    def readback(self) -> str:
        """ "Here is what you told me": every topic with its things, in the person's words."""
        person = self.ctx.person
        answers = storage.answers_for(self.ctx.session, person) if person else []
        if not answers:
            return self.msg("readback_empty")
        lines = [self.msg("readback_intro")]
        for step in self.script.list_steps:
            mine = [a for a in answers if a.section == step.id]
            if not mine:
                continue
            lines.append(f"\n{self.heading(step.id)}:")
            for a in mine:
                if a.status == storage.SKIPPED:
                    lines.append(f"- ({self.msg('readback_skipped')})")
                elif a.status == storage.DONT_KNOW:
                    lines.append(f"- ({self.msg('readback_dont_know')})")
                else:
                    whose = f" ({a.said_by})" if a.perspective != "person" else ""
                    lines.append(f"- {a.text}{whose}")
        return "\n".join(lines)

    # --- the turn --------------------------------------------------------------------------

    def run(self) -> None:
        text, ctx = self.ctx.text, self.ctx
        if ctx.fresh:
            # The first message of a new conversation is a hello, whatever it says.
            self.ask(first_time=True)
            return
        if ctx.opening:
            self.reopen()
            return
        if not text:
            self.say(self.msg("only_words") if ctx.has_media else self.msg("empty"))
            self.ask()
            return
        if len(text) > MAX_MESSAGE_CHARS:
            self.say(self.msg("too_long"))
            self.ask()
            return
        if self.conv.person_id is None and self.state != PICK_PERSON:
            self.before_consent()
            return
        command = self.words.command(text)
        if self.state == PICK_PERSON and (command is None or command[0] != "help"):
            self.pick_person()
            return
        if self.resuming(command):
            return
        if command is not None:
            self.command(*command)
            return
        self.answer()

    def before_consent(self) -> None:
        """Only help and repeat work before the person agrees; nothing else is stored."""
        command = self.words.command(self.ctx.text)
        if command is not None and command[0] in ("help", "repeat"):
            self.command(*command)
            return
        if self.state != self.engine.first_state:
            self.state = self.engine.first_state
        self.answer()

    def reopen(self) -> None:
        """The channel opened an existing conversation: greet and ask where we were."""
        self.conv.paused = False
        if self.conv.person_id is None or self.state == PICK_PERSON:
            self.ask(first_time=self.state != PICK_PERSON)
            return
        self.welcome_back()

    def welcome_back(self, expired: bool = False) -> None:
        if expired:
            self.say(self.msg("been_a_while"))
        person_name = storage.person_name(self.ctx.person) if self.ctx.person else None
        key = "welcome_back" if person_name else "welcome_back_nameless"
        self.say(self.msg(key, name=person_name, heading=self.where()))
        self.ask(first_time=False)

    def resuming(self, command: tuple[str, str] | None) -> bool:
        """Greet someone coming back after a pause or a long gap, instead of taking an answer."""
        idle = self.ctx.now - storage.as_utc(self.conv.updated_at)
        expired = idle > timedelta(days=self.engine.settings.idle_days)
        greeting = idle > RESUME_AFTER and self.words.is_greeting(self.ctx.text)
        if not (self.conv.paused or expired or greeting):
            return False
        self.conv.paused = False
        if command is not None and not expired:
            return False
        if self.ctx.can_pick_person and (expired or greeting):
            self.switch_person()
            return True
        self.welcome_back(expired)
        return True

    # --- commands --------------------------------------------------------------------------

    def command(self, name: str, topic: str) -> None:
        getattr(self, f"cmd_{name}")(topic)

    def cmd_help(self, _topic: str) -> None:
        self.say(self.msg("help"))
        self.say(self.msg("help_contact", contact=self.engine.settings.help_contact))
        self.ask()

    def cmd_repeat(self, _topic: str) -> None:
        self.ask(first_time=self.conv.person_id is None)

    def cmd_pause(self, _topic: str) -> None:
        self.conv.paused = True
        self.say(self.msg("paused"))

    def cmd_back(self, _topic: str) -> None:
        if self.state in MODAL_STATES:
            target, self.conv.return_to = self.conv.return_to or self.engine.first_state, None
            self.jump(target)
        elif self.state == self.engine.first_state:
            self.say(self.msg("first_question"))
        else:
            self.move("go_back")
            while self.should_skip(self.state) and self.state != self.engine.first_state:
                self.move("go_back")
            if self.state == self.engine.first_state:
                # Agreeing again is not needed: they already said yes.
                self.move("advance")
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

    def skip_step(self, step: Step) -> None:
        if step.kind == "list" and not self.section_items(step.id):
            self.store(step.id, "", storage.SKIPPED)
        if step.id == "who" and not self.conv.typist:
            self.conv.typist = "person"
        if step.id == "readback":
            self.advance()
            return
        self.say(self.msg("skipped") if step.kind == "list" else self.msg("gave_up"))
        self.advance()

    def cmd_restart(self, _topic: str) -> None:
        if self.state not in MODAL_STATES:
            self.conv.return_to = self.state
        self.jump(CONFIRM_RESTART)
        self.ask()

    def cmd_change(self, topic: str) -> None:
        if self.state not in MODAL_STATES:
            self.conv.return_to = self.state
        target = self.find_topic(topic) if topic else None
        if target is None:
            self.jump(PICK_TOPIC)
            self.ask()
            return
        self.open_topic(target)

    def open_topic(self, section: str) -> None:
        self.jump(section)
        self.show_topic(section)
        step = self.script.step(section)
        self.say(self.fill(step.question(self.other)), kind="ask")

    def find_topic(self, said: str) -> str | None:
        said = normalise(said)
        for step in self.script.list_steps:
            names = {step.id.replace("_", " "), normalise(self.heading(step.id)), *step.aliases}
            if said in {normalise(n) for n in names}:
                return step.id
        return None

    def cmd_my_answers(self, _topic: str) -> None:
        self.say(self.readback())
        self.ask()

    def cmd_delete_last(self, _topic: str) -> None:
        step = self.current_step()
        section = step.id if step is not None and step.kind == "list" else None
        assert self.ctx.person is not None
        gone = storage.delete_last_answer(self.ctx.session, self.ctx.person, section)
        self.say(self.msg("deleted", text=gone.text) if gone else self.msg("nothing_to_delete"))
        self.ask()

    def cmd_switch_person(self, _topic: str) -> None:
        self.switch_person()

    def switch_person(self) -> None:
        """Ask which person this address is talking about now (or someone new)."""
        session, address = self.ctx.session, self.ctx.address
        address.active_person_id = None
        session.add(address)
        pending = storage.conversation_for(session, address, None)
        if pending is None:
            pending = storage.new_conversation(session, address, None, PICK_PERSON)
        pending.state = PICK_PERSON
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
        session.delete(self.conv)
        address.active_person_id = person.id
        session.add(address)
        self.ctx.person = person
        self.conv, _ = self.engine.conversation_with(session, address, person)
        self.ctx.conversation = self.conv
        self.state = self.conv.state
        self.conv.paused = False
        self.welcome_back()

    # --- answers -----------------------------------------------------------------------------

    def said_by(self) -> tuple[str, str]:
        """(who said it, perspective) for an answer given now."""
        typist = self.conv.typist or "person"
        if typist in OTHER_TYPISTS:
            said_by = storage.conversation_said_by(self.conv) or typist.title()
            return said_by, typist
        # Not self.name: that is "you" for someone who skipped their name, a word for the
        # wording of questions, not a record of who said something.
        person = self.ctx.person
        name = (storage.person_name(person) if person else None) or self.msg("said_by_unnamed")
        if typist == "person_helped":
            return self.msg("said_by_helped", name=name), "person"
        return name, "person"

    def store(self, section: str, text: str, status: str = storage.ANSWER) -> None:
        assert self.ctx.person is not None
        said_by, perspective = self.said_by()
        storage.add_answer(
            self.ctx.session,
            self.ctx.person,
            self.conv,
            section,
            text,
            said_by=said_by,
            perspective=perspective,
            status=status,
        )

    def unclear(self) -> None:
        """The retry ladder: other words, then numbered choices, then skip. Never a dead end."""
        step = self.current_step()
        self.conv.retries += 1
        if step is None:
            self.ask()
            return
        if self.conv.retries == 1:
            self.ask(reword=True)
        elif self.conv.retries == 2:
            choices = self.step_choices(step) or tuple(
                Choice(c.label, c.value) for c in self.script.retry_choices
            )
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
            self.conv.retries = 0
            self.cmd_help("")

    def dont_know(self, step: Step) -> None:
        """ "Don't know" is a fine answer anywhere: kept as such, then the next question."""
        if step.kind == "list":
            self.store(step.id, self.ctx.text, storage.DONT_KNOW)
        self.say(self.msg("saved_dont_know"))
        self.advance()

    def answer_yes_no(self, step: Step) -> None:
        said = self.words.yes_no(self.ctx.text)
        if said is None:
            picked = choose(self.ctx.text, step.choices)
            said = picked.value if picked else None
        if step.id == "consent":
            self.consent(said)
            return
        if said is None:
            if self.words.is_answer("dont_know", self.ctx.text):
                said = "no"
            else:
                self.unclear()
                return
        if step.id == "readback":
            if said == "yes":
                self.conv.return_to = "readback"
                self.jump(PICK_TOPIC)
                self.ask()
            else:
                self.advance()

    def consent(self, said: str | None) -> None:
        if said is None:
            if self.words.is_answer("dont_know", self.ctx.text):
                self.say(self.msg("need_yes_or_no"))
                self.ask()
            else:
                self.unclear()
            return
        if said == "no":
            self.decline(self.msg("consent_no"))
            return
        session, address = self.ctx.session, self.ctx.address
        person = storage.create_person(session, storage.conversation_name_hint(self.conv))
        storage.link_person(session, person, address)
        address.active_person_id = person.id
        session.add(address)
        self.conv.person_id = person.id
        storage.set_conversation_name_hint(self.conv, None)
        self.ctx.person = person
        self.advance()

    def decline(self, text: str) -> None:
        """No consent: keep nothing from this conversation, and say goodbye kindly."""
        session = self.ctx.session
        session.delete(self.conv)
        session.flush()
        self.ctx.conversation = None
        self.ctx.address_removed = storage.delete_address_if_unused(session, self.ctx.address)
        self.say(text)

    def answer_choice(self, step: Step) -> None:
        picked = choose(self.ctx.text, step.choices)
        if picked is None:
            if self.words.is_answer("dont_know", self.ctx.text):
                self.conv.typist = "other"
                self.advance()
            else:
                self.unclear()
            return
        if step.id == "who":
            self.conv.typist = picked.value
            if picked.value not in OTHER_TYPISTS:
                storage.set_conversation_said_by(self.conv, None)
        self.advance()

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

    def answer_list(self, step: Step) -> None:
        text = self.ctx.text
        if self.words.is_answer("done", text):
            if not self.section_items(step.id):
                self.say(self.msg("nothing_saved"))
            self.advance()
            return
        if self.words.is_answer("dont_know", text):
            self.dont_know(step)
            return
        if self.words.is_answer("confused", text):
            self.unclear()
            return
        if self.words.is_answer("yes", text) and text.isascii():
            # "yes" to "Is there anything else?" means more is coming; it is not a thing
            # to save. (Emoji such as 🙂 stay answers: they can be what someone means.)
            # Said again, it climbs the retry ladder, so it never loops.
            if self.conv.retries == 0:
                self.conv.retries = 1
                self.say(self.msg("tell_me_what"), kind="ask")
            else:
                self.unclear()
            return
        got = split_items(text, self.words)
        for item in got.items:
            self.store(step.id, item)
        self.conv.retries = 0
        self.say(f"{self.msg('saved_items')}\n{bullet_lines(got.items)}")
        if got.ended:
            self.advance()
        else:
            self.say(self.msg("ask_more"), kind="ask")

    def confirm_restart(self) -> None:
        back_to = self.conv.return_to or self.engine.first_state
        self.conv.return_to = None
        said = self.words.yes_no(self.ctx.text)
        if said is None:
            # The question showed numbered Yes/No choices: "1" means Yes.
            picked = choose(self.ctx.text, self.script.step("consent").choices)
            said = picked.value if picked else None
        if said == "yes" and self.ctx.person is not None:
            storage.delete_all_answers(self.ctx.session, self.ctx.person)
            self.conv.typist = None
            storage.set_conversation_said_by(self.conv, None)
            self.say(self.msg("restart_done"))
            self.jump("who")
            self.ask(first_time=True)
            return
        self.say(self.msg("restart_kept"))
        self.jump(back_to)
        self.ask()

    def finish(self) -> None:
        name = storage.person_name(self.ctx.person) if self.ctx.person else None
        self.say(self.msg("finished", name=name) if name else self.msg("finished_nameless"))
        self.ctx.just_finished = True
