"""What every part of a turn shares: the context, asking questions, moving, storing answers,
and the retry ladder.

The engine hands in a ``TurnContext`` (session, address, person, conversation and its flow); a
turn changes them through ``storage`` and returns replies. It never commits: the engine does,
once, after the turn. The step kinds (``dialogues/steps/``) and the commands
(``dialogues/commands/``) are functions of a turn; what a step does is its role in the flow's
data, never its id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from sqlmodel import Session

import storage
from dialogues._flows import Flow
from dialogues._machine import (
    CONFIRM_ERASE,
    CONFIRM_ERASE_AGAIN,
    CONFIRM_RESTART,
    FINISHED,
    MODAL_STATES,
    PICK_PERSON,
    PICK_TOPIC,
)
from dialogues._messages import Choice, ReceivedPhoto, ReceivedVoice, Reply
from dialogues._script import Script, ScriptChoice, Step
from dialogues._understand import bullet_lines, choose_by_number, normalise
from easyread import made_by, section_heading, voice_note_label
from storage import Address, Conversation, Person

if TYPE_CHECKING:
    from dialogues._engine import Engine

RESUME_AFTER = timedelta(hours=1)
MAX_NAME_CHARS = 60
OTHER_TYPISTS = storage.OTHER_TYPISTS
# Who is asked how the person agreed to the plan (the made_for step): someone who said they
# are family, a supporter or staff. Never the person, alone or helped.
MADE_FOR_TYPISTS = ("family", "supporter", "staff")


def wording_stamp(flow: Flow, label: str, shown: Iterable[str]) -> str:
    """Which version of the wording someone saw: flow, version, what was asked, and a hash of
    the words as written (templates, so no one's words are in it)."""
    digest = hashlib.sha256("\n".join(shown).encode("utf-8")).hexdigest()[:12]
    return f"{flow.name} v{flow.version} {label} {digest}"


def answer_words(answer: storage.AnswerView) -> str:
    """What an answer says when read back: its words, or "A voice note from ..." for one."""
    if answer.kind == storage.VOICE:
        return voice_note_label(answer.created_at)
    return answer.text


def as_choices(script_choices: Iterable[ScriptChoice]) -> tuple[Choice, ...]:
    """Script choices as the choices a reply offers (buttons, "Reply 1 for ...")."""
    return tuple(Choice(c.label, c.value) for c in script_choices)


def said_by(script: Script, conv: Conversation, person: Person | None) -> tuple[str, str]:
    """(who said it, perspective) for what is said or done now in ``conv`` about ``person``:
    an answer, or a channel's own word (PROFILE, STOP LINK) for the audit log."""
    typist = conv.typist or "person"
    if typist in OTHER_TYPISTS:
        return storage.conversation_said_by(conv) or typist.title(), typist
    # Not the name used in questions: that is "you" for someone who skipped their name, a
    # word for the wording of questions, not a record of who said something.
    name = (storage.person_name(person) if person else None) or script.message("said_by_unnamed")
    if typist == "person_helped":
        helper = storage.conversation_said_by(conv)
        if helper:  # "me and my PA": noted as "Dev, with their PA"
            return script.message("said_by_helped_by", name=name, helper=helper), "person"
        return script.message("said_by_helped", name=name), "person"
    return name, "person"


@dataclass
class TurnContext:
    """Everything one message's turn reads and changes."""

    engine: Engine
    flow: Flow
    session: Session
    address: Address
    text: str
    has_media: bool
    now: datetime
    has_picture: bool = False  # what came is a picture (a photo, a sticker), not a sound or file
    message_id: str = ""
    photo: ReceivedPhoto | None = None
    photo_problem: str = ""
    takes_photos: bool = False
    for_question: str = ""  # the question a pressed button belonged to
    voice_note: bool = False  # a voice note came, from a channel that keeps them
    voice: ReceivedVoice | None = None
    voice_problem: str = ""
    switch_voice: bool = False  # /voice: questions as voice notes on or off
    person: Person | None = None
    conversation: Conversation | None = None
    fresh: bool = False
    opening: bool = False
    address_removed: bool = False
    just_finished: bool = False
    replies: list[Reply] = field(default_factory=list)
    # The holder has a waiting "Is that OK?": ask it after this message's reply.
    ask_pending: bool = False
    # This message's reply asks for a number of its own (a thing to pick, after "change"):
    # the holder's waiting question comes after a later reply (one question at a time).
    picking: bool = False
    # Lines of this message's replies kept for a repeat in another form: (said, kept).
    kept_instead: list[tuple[str, str]] = field(default_factory=list)
    # A supporter's conversation (not the holder's): worked out once, when it first matters.
    supporter: bool | None = None
    # What a supporter said in this message, waiting for the holder's OK (answers' ids).
    new_waiting: list[int] = field(default_factory=list)
    # A plan someone else started under a flow version that did not ask how the person
    # agreed: asked after this message's reply (``TurnBase.ask_owed_made_for``).
    owes_made_for: bool = False
    # "send me my data": the channel gives everything kept (a link, a file) after the reply.
    wants_data: bool = False
    # What this message did with the plan, for the audit log: (action, part) -> how many.
    audit: dict[tuple[str, str], int] = field(default_factory=dict)
    # A Planning Live participant's group and membership, read once when first needed
    # (``dialogues._live.seat``).
    live: object | None = None
    # The channel named a plan this address cannot see (``planbot chat --person Dev`` from a
    # supporter's terminal): the turn says how to ask to help, and links nothing.
    not_theirs: str | None = None
    # Who is saying things now, with what it was worked out from (the typist, their name and
    # the person's, sealed): a list answer asks twice, and each time would unseal the name.
    said_by_now: tuple[tuple[object, ...], tuple[str, str]] | None = None

    def can_pick_person(self) -> bool:
        """This address talks for more than one person (asked only when it matters)."""
        return len(storage.people_for_address(self.session, self.address)) > 1


class TurnBase:
    """One message's turn: the helpers that commands and answers both use."""

    def __init__(self, ctx: TurnContext) -> None:
        self.ctx = ctx
        self.engine = ctx.engine
        self.flow = ctx.flow
        self.script = ctx.flow.script
        self.words = ctx.flow.vocabulary
        assert ctx.conversation is not None
        self.conv: Conversation = ctx.conversation
        self.state = self.conv.state

    @cached_property
    def said_command(self) -> tuple[str, str] | None:
        """The command this message is (with the words after it), read once a turn: the
        commands' words are shared by every flow, so a flow switched to meanwhile agrees."""
        return self.words.command(self.ctx.text) if self.ctx.text else None

    def use_conversation(self, conv: Conversation) -> None:
        """Carry on with another conversation of this address (another person's plan), in
        its own flow."""
        self.ctx.conversation = self.conv = conv
        self.ctx.flow = self.flow = self.engine.flow_of(conv)
        self.script, self.words = self.flow.script, self.flow.vocabulary
        self.state = conv.state

    def msg(self, key: str, **values: object) -> str:
        return self.script.message(key, **values)

    def say(self, text: str, choices: tuple[Choice, ...] = (), kind: str = "say") -> None:
        question = self.state if choices else ""
        self.ctx.replies.append(Reply(text=text, choices=choices, kind=kind, question=question))

    @property
    def other(self) -> bool:
        """Someone who knows the person is typing (wording says "{name}", not "you")."""
        return self.conv.typist in OTHER_TYPISTS

    @property
    def person_name(self) -> str | None:
        """The person's name, once there is a person and they have said it."""
        return storage.person_name(self.ctx.person) if self.ctx.person else None

    @property
    def name(self) -> str:
        return self.person_name or self.msg("unknown_name")

    def fill(self, text: str) -> str:
        return text.format(name=self.name)

    def move(self, trigger: str) -> None:
        """Fire a trigger on the shared machine and keep the state it lands in."""
        with self.flow.machine.attach(self.state) as model:
            model.fire(trigger)
            self.state = model.state
        storage.set_retries(self.conv, 0)

    def jump(self, state: str) -> None:
        self.move(f"to_{state}")

    @property
    def first_state(self) -> str:
        """Where this flow starts (consent, in the profile)."""
        return self.script.steps[0].id

    def is_role(self, role: str, state: str | None = None) -> bool:
        """The current step (or ``state``) does ``role``."""
        return self.script.has_role(self.state if state is None else state, role)

    def role_step(self, role: str) -> Step | None:
        return self.script.role(role)

    def should_skip(self, step_id: str) -> bool:
        step = self.script.by_id.get(step_id)
        if step is None:
            return False
        if step.role == "topic" and not self.script.numbered_topics:
            from dialogues._live import skip_in_live  # Planning Live: only the group's topic

            in_live = skip_in_live(self, step)
            if in_live is not None:
                return in_live
        if step.role == "consent":
            return self.ctx.person is not None  # a plan agreed to already (REVIEW, later)
        if step.role in ("who", "helper_name") and self.knows_typist():
            return True
        if step.role == "helper_name":
            return not self.other
        if step.role == "name":
            return self.person_name is not None
        if step.role == "photo":
            return not self.ctx.takes_photos  # a terminal, or SMS where MMS does not work
        if step.role == "made_for":
            # Asked of whoever starts a plan for the person (their address holds the plan),
            # not of a supporter who comes to a plan the person started themselves.
            # Asked once, and only of a plan someone else began: a review on a plan the
            # person began themselves, or whose profile asked it already, does not ask.
            person, session = self.ctx.person, self.ctx.session
            return (
                self.conv.typist not in MADE_FOR_TYPISTS
                or person is None
                or not storage.is_holder(session, person, self.ctx.address)
                or storage.keep_answers_by_role(session, person) not in MADE_FOR_TYPISTS
                or storage.made_for(session, person) is not None
            )
        # made_for_reason is reached only from "They cannot say" at the made_for step.
        return step.role == "made_for_reason"

    def knows_typist(self) -> bool:
        """A flow about someone else already knows who is typing for the person, and their
        name (so it does not ask again)."""
        return (
            self.script.about_someone_else
            and self.other
            and bool(storage.conversation_said_by(self.conv))
        )

    def advance(self) -> None:
        """Go to the next step that applies; back to the saved place after an edit."""
        if self.conv.return_to and self.state not in MODAL_STATES:
            self.go_to_saved_place()
            self.ask(first_time=False)
            return
        self.move("advance")
        while self.state in self.flow.machine.order and self.should_skip(self.state):
            self.move("advance")
        if self.state == FINISHED:
            self.finish()
        else:
            self.ask(first_time=True)

    def finish(self) -> None:
        name, typist = self.person_name, self.typist_name() if self.other else None
        if name and typist:  # Pat typed Amy's plan: thank Pat
            text = self.msg("finished_other", typist=typist, name=name)
        else:
            text = self.msg("finished", name=name) if name else self.msg("finished_nameless")
        if name and self.ctx.person is not None:
            # "Made by Pat with Amy.": the same words as on the document, on every channel.
            by = made_by(self.ctx.session, self.ctx.person, name)
            text = f"{text}\n{by}" if by else text
        if self.conv.profile_state and self.flow is not self.engine.flows.default:
            text = f"{text}\n{self.msg('review_then_profile', name=self.name)}"
        self.say(text, kind="finished")
        self.ctx.just_finished = True

    def photo_step(self) -> Step | None:
        return self.role_step("photo")

    def means_photo(self, words: str) -> bool:
        """ "photo" or "my picture" in "change photo"."""
        photo = self.photo_step()
        return photo is not None and normalise(words) in photo.aliases

    def can_change_photo(self) -> bool:
        """A photo can come this way, and the person has agreed (so it can be kept)."""
        return (
            self.ctx.takes_photos and self.ctx.person is not None and self.photo_step() is not None
        )

    def current_step(self) -> Step | None:
        return self.script.by_id.get(self.state)

    def list_number(self, step: Step) -> int:
        return [s.id for s in self.script.list_steps].index(step.id) + 1

    def heading(self, key: str) -> str:
        return section_heading(key)

    def where(self) -> str:
        """A few words for "We were on: ...": the topic, or which part of the talk."""
        step = self.current_step()
        if step is not None and step.kind == "list":
            return self.heading(step.id).rstrip(".")
        if self.state == FINISHED:
            return self.msg("where_finished")
        if self.is_role("readback") or self.is_role("readback", self.conv.return_to or ""):
            return self.msg("where_readback")
        return self.msg("where_start")

    def leave_side_question(self) -> None:
        """After a break, do not come back to "are you sure?" or a menu: go where we were."""
        if self.state in (CONFIRM_RESTART, PICK_TOPIC, CONFIRM_ERASE, CONFIRM_ERASE_AGAIN):
            self.go_to_saved_place()

    def go_to_saved_place(self) -> None:
        """Back where the person was before a menu, an edit or "are you sure?"."""
        target = self.conv.return_to or self.first_state
        storage.set_return_to(self.conv, None)
        self.jump(target)

    def step_choices(self, step: Step) -> tuple[Choice, ...]:
        return as_choices(step.choices)

    def ask(self, first_time: bool = False, reword: bool = False) -> None:
        """Send the current question (with what is needed around it)."""
        state = self.state
        if state == FINISHED:
            self.say(self.msg("finished_again"))
            return
        if state == CONFIRM_RESTART:
            self.say(self.msg("restart_ask"), as_choices(self.script.yes_no_choices), "ask")
            return
        if state in (CONFIRM_ERASE, CONFIRM_ERASE_AGAIN):
            key = "erase_ask" if state == CONFIRM_ERASE else "erase_ask_again"
            self.say(self.msg(key), as_choices(self.script.yes_no_choices), "ask")
            return
        if state == PICK_TOPIC:
            self.say(self.msg("topic_menu"), self.topic_choices(), "ask")
            return
        if state == PICK_PERSON:
            people = storage.people_for_address(self.ctx.session, self.ctx.address)
            self.say(self.msg("pick_person"), self.engine.person_choices(people), "ask")
            return
        step = self.script.step(state)
        if step.role == "live_wait":
            from dialogues._live import ask_wait  # Planning Live: between topics

            ask_wait(self, first_time)
            return
        if step.role == "readback" and not reword:
            self.say(self.readback())
        if first_time and step.say:
            self.say(self.fill("\n".join(step.say)))
        question = self.fill(step.rewording(self.other) if reword else step.question(self.other))
        lines = []
        if step.kind == "list":
            if (first_time or reword) and self.script.numbered_topics:
                number, total = self.list_number(step), len(self.script.list_steps)
                lines.append(
                    self.msg(
                        "topic_intro", number=number, total=total, heading=self.heading(step.id)
                    )
                )
            items = [a for a in self.section_items(step.id) if a.status == storage.ANSWER]
            mine = any(a.conversation_id == self.conv.id for a in items)
            # A flow about someone else asks its own question first, whatever is there.
            fresh_view = first_time and self.script.about_someone_else
            if not reword and items and (mine or not first_time) and not fresh_view:
                # Back at a topic that already has things (by "back" or "change"): show them.
                if lines:
                    self.say("\n".join(lines))
                self.show_topic(step.id, intro=False)
                self.say(self.msg("ask_more"), kind="ask")
                return
        lines += [question, self.fill(step.example_for(self.other))]
        self.say("\n".join(lines), self.step_choices(step), "ask")

    def topic_choices(self) -> tuple[Choice, ...]:
        return tuple(Choice(self.heading(s.id), s.id) for s in self.script.list_steps)

    @property
    def by_supporter(self) -> bool:
        """A supporter's conversation (the holder said yes to them): what they say waits for
        the holder's OK, and they see only what the holder shares. Someone typing as the
        person never costs a query."""
        ctx = self.ctx
        if ctx.supporter is None:
            ctx.supporter = (
                self.other
                and ctx.person is not None
                and storage.is_supporter(ctx.session, ctx.person, ctx.address)
            )
        return ctx.supporter

    def visible_answers(self, section: str | None = None) -> list[storage.AnswerView]:
        """The answers this conversation may see: a supporter's only what is shared (and their
        own things waiting); the holder all but what they said no to."""
        assert self.ctx.person is not None
        if self.by_supporter:
            return storage.answers_for(
                self.ctx.session, self.ctx.person, section, supporter_conversation=self.conv.id
            )
        found = storage.answers_for(self.ctx.session, self.ctx.person, section)
        return [a for a in found if a.consent != storage.DECLINED]  # no words: they are erased

    def section_items(self, section: str) -> list[storage.AnswerView]:
        if self.script.has_role(section, "practice"):
            return []  # practice answers are about Helen: nothing of the person's own plan
        return self.visible_answers(section)

    def show_topic(self, section: str, intro: bool = True) -> None:
        """What is stored for one topic, and how to change it."""
        items = [a for a in self.section_items(section) if a.status == storage.ANSWER]
        lines = [self.msg("topic_picked", heading=self.heading(section))] if intro else []
        if items and intro and not self.by_supporter:  # "change": numbered, to pick one
            self.ctx.picking = True
            numbered = (f"{n}. {self.item_text(a)}" for n, a in enumerate(items, start=1))
            lines += [self.msg("topic_has"), "\n".join(numbered), self.msg("topic_pick_tip")]
        elif items:
            lines += [self.msg("topic_has"), bullet_lines(self.item_text(a) for a in items)]
        else:
            lines.append(self.msg("topic_empty"))
        lines.append(self.msg("topic_edit_tip"))
        self.say("\n".join(lines))

    def readback(self) -> str:
        """ "Here is what you told me": every topic with its things, in the person's words."""
        answers = self.visible_answers() if self.ctx.person else []
        if not answers:
            return self.msg("readback_empty")
        lines = [self.msg("readback_intro")]
        # Topics with nothing in them come together at the end, one line each, instead of a
        # heading with "(skipped)" under it: shorter to read, and to text.
        empty: dict[str, list[str]] = {storage.SKIPPED: [], storage.DONT_KNOW: []}
        for step in self.script.list_steps:
            mine = [a for a in answers if a.section == step.id]
            kept = [a for a in mine if a.status == storage.ANSWER]
            if kept:
                lines.append(f"\n{self.heading(step.id)}:")
                lines += [f"- {self.item_text(a)}" for a in kept]
            elif mine and mine[-1].status in empty:
                empty[mine[-1].status].append(self.heading(step.id).rstrip("."))
        for status, key in (
            (storage.SKIPPED, "readback_skipped"),
            (storage.DONT_KNOW, "readback_dont_know"),
        ):
            if empty[status]:
                lines.append(f"\n{self.msg(key)}\n{bullet_lines(empty[status])}")
        return "\n".join(lines)

    def item_text(self, answer: storage.AnswerView) -> str:
        """An answer as read back: the words, and who said them when it was someone else."""
        mine = answer.conversation_id == self.conv.id or (
            answer.perspective == "person" and not self.other
        )
        if self.script.about_someone_else:  # the review: the person's words are theirs
            mine = (answer.said_by, answer.perspective) == self.said_by()
        words = answer_words(answer)
        marks = [] if mine else [answer.said_by]
        if not self.by_supporter:  # the holder sees what is not shared, and why
            if answer.consent == storage.WAITING_OK:
                marks.append(self.msg("mark_waiting"))
            if answer.private:
                marks.append(self.msg("mark_private"))
        elif answer.consent == storage.WAITING_OK:  # a supporter's own, not on the profile yet
            marks.append(self.msg("mark_waiting_for", name=self.decider))
        return f"{words} ({', '.join(marks)})" if marks else words

    @cached_property
    def decider(self) -> str:
        """Who says yes or no for the plan: the person, or whoever holds it for them (Mum
        holding Amy's plan)."""
        person = self.ctx.person
        stand_in = storage.holder_stand_in(self.ctx.session, person) if person else None
        return stand_in or self.name

    def typist_name(self) -> str | None:
        """Whom to greet: the person, or the supporter or relative typing for them."""
        if self.other:
            return storage.conversation_said_by(self.conv)
        return self.person_name

    def welcome_back(self, expired: bool = False) -> None:
        if expired:
            self.say(self.msg("been_a_while"))
        greet = self.typist_name()
        key = "welcome_back" if greet else "welcome_back_nameless"
        self.say(self.msg(key, name=greet, heading=self.where()))
        self.ask(first_time=False)

    def command(self, name: str, topic: str) -> None:
        """Run the command ``name`` (each is a module of ``dialogues/commands/``)."""
        # Imported here: the commands are functions of this class.
        from dialogues.commands import COMMANDS

        COMMANDS[name](self, topic)

    # --- the retry ladder, "don't know" and leaving a question ------------------------------

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
        elif step.role == "consent":
            self.decline(self.msg("consent_gave_up"))
        else:
            self.skip_step(step)

    def retry_choice(self, step: Step, value: str) -> None:
        """A pick from the numbered choices of the ladder's second step."""
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

    def clear_yes_no(self) -> str | None:
        """The answer to "delete ...?": its yes or no words first, then the number of its
        choices ("1" is Yes); deleting needs a clear yes, so "yes no" is neither."""
        said = self.words.restart_yes_no(self.ctx.text)
        if said is None:
            picked = choose_by_number(self.ctx.text, self.script.yes_no_choices)
            said = picked.value if picked else None
        return said

    def yes_no(self, step: Step) -> str | None:
        """ "yes", "no", "dont_know" or None: a number of the step's choices, or its words
        and the common ones ("done" is "No, it is done" at the read-back)."""
        picked = choose_by_number(self.ctx.text, step.choices)
        return picked.value if picked else self.words.yes_no(self.ctx.text, step)

    def decline(self, text: str) -> None:
        """No consent: keep nothing from this conversation, and say goodbye kindly."""
        session = self.ctx.session
        storage.delete_conversation(session, self.conv)
        self.ctx.conversation = None
        self.ctx.address_removed = storage.delete_address_if_unused(session, self.ctx.address)
        self.say(text)

    def wording(self, step: Step) -> str:
        """Which words someone saw when they decided: the flow, its version, the step and a
        hash of the step's wording as shown to them ("profile v2 consent 1f3a9c0b2d4e")."""
        shown = [*step.say, step.question(self.other), step.rewording(self.other)]
        shown += [c.label for c in step.choices]
        return wording_stamp(self.flow, step.id, shown)

    def message_wording(self, flow: Flow, label: str, keys: Iterable[str]) -> str:
        """As ``wording``, for a decision asked with messages from ``messages.toml`` (the
        holder's "Is that OK?"): a change to any of their words changes the stamp."""
        return wording_stamp(flow, label, [flow.script.messages[k] for k in keys])

    def record_made_for(self, how: str, reason: str | None) -> None:
        """How the person agreed to a plan someone else types: "said_yes" or
        "best_interests" (with the typist's reason, sealed), by the typist, as a consent
        record; the profile then says "Made by Mum with Amy" or "Made by Mum for Amy"."""
        assert self.ctx.person is not None
        step = self.role_step("made_for")
        assert step is not None, "a made_for decision comes from the made_for step"
        typist = self.conv.typist or "other"
        storage.record_consent(
            self.ctx.session,
            self.ctx.person,
            storage.MADE_FOR,
            how,
            by=storage.conversation_said_by(self.conv) or None,
            by_role=typist,
            channel=self.ctx.address.channel,
            wording=self.wording(step),
            now=self.ctx.now,
            reason=reason,
        )

    def ask_owed_made_for(self) -> None:
        """ "How did Amy agree to this plan?", owed by a plan someone else started before the
        flow asked it: asked now, after the reply, then back to where the conversation is."""
        step = self.role_step("made_for")
        if (
            step is None
            or self.ctx.address_removed
            or self.flow is not self.engine.flows.default
            or self.state in MODAL_STATES
            or self.state == step.id
        ):
            return
        if not self.conv.return_to:
            storage.set_return_to(self.conv, self.state)
        self.jump(step.id)
        self.say(self.msg("made_for_owed"))
        self.ask(first_time=True)

    def has_answers(self, step: Step) -> bool:
        return any(a.status == storage.ANSWER for a in self.section_items(step.id))

    def skip_step(self, step: Step) -> None:
        if step.kind == "list" and not self.section_items(step.id):
            self.store(step.id, "", storage.SKIPPED)
        if step.role == "who" and not self.conv.typist:
            storage.set_typist(self.conv, "person")
        if step.role == "readback":
            self.advance()
            return
        if step.role == "made_for_reason":
            self.record_made_for(storage.BEST_INTERESTS, None)  # the decision, without a why
        self.say(self.msg("skipped") if step.kind == "list" else self.msg("gave_up"))
        self.advance()

    def open_topic(self, section: str) -> None:
        self.jump(section)
        self.show_topic(section)
        step = self.script.step(section)
        question = self.fill(step.question(self.other))
        self.say(f"{question}\n{self.fill(step.example_for(self.other))}", kind="ask")

    def find_topic(self, said: str) -> str | None:
        """The topic a person means: its number in the menu, its heading or another name."""
        said = normalise(said)
        if said.isdecimal() and 1 <= int(said) <= len(self.script.list_steps):
            return self.script.list_steps[int(said) - 1].id
        for step in self.script.list_steps:
            names = {step.id.replace("_", " "), normalise(self.heading(step.id)), *step.aliases}
            if said in {normalise(n) for n in names}:
                return step.id
        return None

    def said_by(self) -> tuple[str, str]:
        """(who said it, perspective) for an answer given now: worked out again only when
        what it comes from changed during the turn."""
        conv, person = self.conv, self.ctx.person
        basis = (id(self.script), *storage.said_by_basis(conv, person))
        known = self.ctx.said_by_now
        if known is None or known[0] != basis:
            known = self.ctx.said_by_now = (basis, said_by(self.script, conv, person))
        return known[1]

    def note(self, action: str, what: str, count: int = 1) -> None:
        """Put what this message did in the audit log (``storage/_audit.py``), written with
        the message: who did it is whoever is typing, in their view."""
        key = (action, what)
        self.ctx.audit[key] = self.ctx.audit.get(key, 0) + count

    def write_audit(self) -> None:
        """The message's events, one row per kind, once the turn is done."""
        ctx = self.ctx
        if not ctx.audit or ctx.person is None or ctx.conversation is None:
            return
        by, role = self.said_by()
        for (action, what), count in ctx.audit.items():
            storage.note_event(
                ctx.session,
                ctx.person,
                action,
                what,
                by=by or None,
                by_role=role,
                channel=ctx.address.channel,
                now=ctx.now,
                count=count,
            )

    def store(self, section: str, text: str, status: str = storage.ANSWER) -> None:
        assert self.ctx.person is not None
        if self.script.has_role(section, "practice"):
            from dialogues._live import store_practice  # about Helen: kept apart

            if status == storage.ANSWER:
                store_practice(self, section, text)
            return
        said_by, perspective = self.said_by()
        # A supporter's thing goes on the profile only after the holder's OK.
        waiting = status == storage.ANSWER and self.by_supporter
        answer_id = storage.add_answer(
            self.ctx.session,
            self.ctx.person,
            self.conv,
            section,
            text,
            said_by=said_by,
            perspective=perspective,
            status=status,
            consent=storage.WAITING_OK if waiting else storage.PERSON,
            now=self.ctx.now,
            giving_id=waiting,  # the holder is asked about it by its id
        )
        if answer_id is not None:
            self.ctx.new_waiting.append(answer_id)
        if status == storage.ANSWER:
            self.note("added", section)
