"""The conversation engine: ``Engine.handle(Incoming) -> list[Reply]`` is its one entry point.

For each message, in ONE database transaction: lock the address, skip a message already handled
(its stored replies are sent again), find which person and conversation it is about and which
flow that conversation is in, run the turn, store the new state, the answers, the replies, and
the messages for anyone else or for later (the outbox). Nothing is kept in process memory, so
any worker can take any message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session

import storage
from dialogues import _together as together
from dialogues._flows import Flow, Flows
from dialogues._machine import PICK_PERSON
from dialogues._messages import Choice, Incoming, Reply
from dialogues._script import Script
from dialogues._turn import TurnContext, run_turn
from dialogues._turn_base import MADE_FOR_TYPISTS, said_by
from dialogues._understand import clean_text
from planbot.errors import StorageError
from planbot.settings import Settings
from storage import Address, Conversation, Person

log = logging.getLogger("planbot.engine")

ProfileHook = Callable[[int, str], list[Reply]]
"""Called with a person's id and the name of the flow that finished ("profile", "review"),
after the conversation was saved: the replies that carry the document that flow gives (the
profile, the review sheet: text, files). The easy-read renderers plug in here. Called with
``MY_DATA`` ("my_data") after "send me my data": the replies that carry everything kept."""

MY_DATA = "my_data"  # the reply kind, and the hook's name, of "send me my data"

Admit = Callable[[Session], Callable[[], bool]]
"""Called first in a message's transaction (it may run a statement there); what it gives
back is asked, once the address is read, whether the message may go on."""


def after_asking(replies: list[Reply], given: list[Reply]) -> list[Reply]:
    """``given`` (what a channel adds: the profile, everything kept) right after the reply
    that asked for it (the end of a flow, or "here is everything I keep"), before the
    question that follows it."""
    asked = [n for n, r in enumerate(replies) if r.kind in ("finished", MY_DATA)]
    at = asked[-1] + 1 if asked else len(replies)
    return [*replies[:at], *given, *replies[at:]]


class Engine:
    """Runs conversations. One engine per process; it holds no conversation state itself."""

    def __init__(
        self,
        db: storage.Database,
        settings: Settings | None = None,
        *,
        flows: Flows | None = None,
        clock: Callable[[], datetime] | None = None,
        profile_hook: ProfileHook | None = None,
    ) -> None:
        self.db = db
        self.settings = settings or Settings.from_env()
        self.flows = flows or Flows()
        self.clock = clock or storage.utcnow
        self.profile_hook = profile_hook

    @property
    def script(self) -> Script:
        """The profile flow's script: its messages serve channels for what is not a turn."""
        return self.flows.default.script

    def flow_of(self, conversation: Conversation) -> Flow:
        return self.flows[conversation.flow]

    def handle(self, incoming: Incoming, *, admit: Admit | None = None) -> list[Reply]:
        """Answer one message. Stored before it returns; a repeat delivery stores nothing new.

        ``admit`` is called first, in the message's own transaction (a channel's rate limit
        counts the sender there: one commit for both), and what it gives back is asked once
        the address is read (on PostgreSQL the count goes with that read): when it says
        no, the engine does nothing more, what ``admit`` wrote is kept, and no reply comes
        back."""
        for attempt in range(3):
            try:
                # A repeat delivery is rare: the first try does not look for one, and the
                # unique (channel, message id) key stops it at the end, rolling it all back.
                replies, finished = self._handle_once(
                    incoming, look_for_repeat=attempt > 0, admit=admit
                )
            except StorageError:
                # A repeat delivery, or two first messages from one new address racing to
                # create it: try again, looking for what was stored.
                if attempt == 2:
                    raise
                log.info("trying a message again after a database conflict (%s)", incoming.channel)
                continue
            if finished is not None and self.profile_hook is not None:
                replies = after_asking(replies, self.profile_hook(*finished))
            return replies
        raise AssertionError("unreachable")

    def _handle_once(
        self, incoming: Incoming, *, look_for_repeat: bool, admit: Admit | None
    ) -> tuple[list[Reply], tuple[int, str] | None]:
        """The replies, and (person id, flow) when the message finished a flow (or asked for
        everything kept: ``MY_DATA``)."""
        with self.db.transaction() as session:
            allowed = admit(session) if admit is not None else None
            address, active, conversation = storage.open_address(
                session, incoming.channel, incoming.address
            )
            if allowed is not None and not allowed():
                return [], None
            if address.opted_out:
                if not incoming.opts_in:
                    return [], None  # they asked for no more messages: store nothing, say nothing
                storage.opt_in(session, address)
            seen = (
                storage.find_processed(session, incoming.channel, incoming.message_id)
                if look_for_repeat
                else None
            )
            if seen is not None:
                log.info(
                    "duplicate message on %s: answered again, nothing stored", incoming.channel
                )
                again = [Reply.from_dict(r) for r in storage.processed_replies(seen)]
                # The message that finished the plan gets the profile again (its link was
                # never stored, so the hook makes it afresh); "send me my data" its copy.
                kinds = {r.kind for r in again}
                if not kinds & {"finished", MY_DATA} or seen.person_id is None:
                    return again, None
                flow = MY_DATA if MY_DATA in kinds else self._flow_finished(session, address, seen)
                return again, (seen.person_id, flow)
            ctx = self._context(session, address, incoming, active, conversation)
            talked_about = ctx.person.id if ctx.person is not None else None
            replies = self._queue_the_rest(session, incoming, run_turn(ctx), ctx.now)
            kept_address = ctx.address if not ctx.address_removed else None
            storage.record_processed(
                session,
                incoming.channel,
                incoming.message_id,
                kept_address,
                ctx.person,
                [together.kept_form(r.to_dict(), ctx.kept_instead) for r in replies],
                ctx.now,
            )
            # The message may have changed the answers: the person's rendered files go (made
            # afresh when next asked for, so a kept file never shows old or erased words).
            now_about = ctx.person.id if ctx.person is not None else None
            for person_id in {talked_about, now_about}:
                if person_id is not None:
                    storage.drop_renders(self.settings.data_dir, person_id)
            if ctx.person is not None and ctx.person.id is not None:
                if ctx.wants_data:
                    return replies, (ctx.person.id, MY_DATA)
                if ctx.just_finished:
                    return replies, (ctx.person.id, ctx.flow.name)
            return replies, None

    def _flow_finished(
        self, session: Session, address: Address, seen: storage.ProcessedMessage
    ) -> str:
        """Which flow a message handled before finished: its conversation's (still there)."""
        person = storage.person_by_id(session, seen.person_id) if seen.person_id else None
        conv = storage.conversation_for(session, address, person) if person else None
        return conv.flow if conv is not None else self.flows.default.name

    @staticmethod
    def _queue_the_rest(
        session: Session, incoming: Incoming, replies: list[Reply], now: datetime
    ) -> list[Reply]:
        """Write the replies for someone else, or for later, to the outbox in this message's
        transaction (keyed by the message, so a repeat delivery queues nothing twice); return
        the ones for the sender now."""
        later = [r for r in replies if r.for_outbox]
        if not later:  # most messages: every reply is for the sender, now
            return replies
        for n, reply in enumerate(later):
            to = reply.to
            storage.queue_message(
                session,
                channel=to.channel if to else incoming.channel,
                address=to.address if to else incoming.address,
                reply=reply.to_dict(),
                due=reply.due or now,
                key=f"{incoming.channel}:{incoming.message_id}:{n}",
                about=reply.about,
            )
        return [r for r in replies if not r.for_outbox]

    def note(
        self,
        session: Session,
        address: Address,
        person: Person,
        action: str,
        what: str,
        *,
        count: int = 1,
    ) -> None:
        """Put what a channel's own word did with a plan (PROFILE's link, STOP LINK) in the
        audit log, in the channel's transaction, as a turn would: by whoever this address's
        conversation about the person says is typing."""
        conv = storage.conversation_for(session, address, person)
        by, role = said_by(self.flow_of(conv).script, conv, person) if conv else ("", "person")
        storage.note_event(
            session,
            person,
            action,
            what,
            by=by or None,
            by_role=role,
            channel=address.channel,
            now=self.clock(),
            count=count,
        )

    def wants_photo(self, channel: str, address: str) -> bool:
        """True when this address's conversation is at the photo question.

        A channel asks before it downloads a picture, so that only a photo someone was asked
        for is fetched (and the download happens outside the engine's transaction).
        """
        return self._kind_of_question(channel, address) == "photo"

    def wants_voice(self, channel: str, address: str) -> bool:
        """True when a voice note from this address would be kept (at a topic question).

        As for a photo: the channel asks before it downloads, so only a voice note that can
        be kept is fetched, outside the engine's transaction.
        """
        return self._kind_of_question(channel, address) == "list"

    def _kind_of_question(self, channel: str, address: str) -> str | None:
        """The kind of step this address's conversation is at, once its person agreed (None
        before, at a side question, or for an address that opted out)."""
        with self.db.transaction() as session:
            found = storage.read_address(session, channel, address)
            if found is None or found[0].opted_out:
                return None
            person, conv, _people = self._stored(session, *found)
            if conv is None or person is None:
                return None
            step = self.flow_of(conv).script.by_id.get(conv.state)
            return step.kind if step is not None else None

    # --- which person and conversation a message is about ------------------------------------

    def _context(
        self,
        session: Session,
        address: Address,
        incoming: Incoming,
        active: Person | None,
        active_conversation: Conversation | None,
    ) -> TurnContext:
        """``active`` is the person the address talked about last, and ``active_conversation``
        its conversation about them, as read with the address."""
        now = self.clock()
        ctx = TurnContext(
            engine=self,
            flow=self.flows.default,
            session=session,
            address=address,
            text=clean_text(incoming.text),
            has_media=bool(incoming.media) or incoming.photo is not None,
            has_picture=incoming.photo is not None
            or any(m.content_type.startswith("image/") for m in incoming.media),
            now=now,
            message_id=incoming.message_id,
            photo=incoming.photo,
            photo_problem=incoming.photo_problem,
            takes_photos=incoming.takes_photos,
            for_question=incoming.for_question,
            opening=incoming.opening,
            voice_note=incoming.voice_note,
            voice=incoming.voice,
            voice_problem=incoming.voice_problem,
            switch_voice=incoming.switch_voice,
        )
        if incoming.person:
            people = storage.people_for_address(session, address)
            if not self._for_named_person(ctx, incoming.person.strip(), people):
                self._for_address(ctx, active, active_conversation)
        else:
            self._for_address(ctx, active, active_conversation)
        assert ctx.conversation is not None
        ctx.flow = self.flow_of(ctx.conversation)
        self._carry_on(ctx)
        return ctx

    def _for_address(
        self, ctx: TurnContext, active: Person | None, active_conversation: Conversation | None
    ) -> None:
        """Whom a message is about when the channel does not say: as stored, or someone new."""
        session, address = ctx.session, ctx.address
        person, conversation, people = self._stored(session, address, active, active_conversation)
        if person is not None:
            ctx.person = person
            ctx.conversation = conversation or self._join(session, address, person)
            ctx.fresh = conversation is None
        elif conversation is not None:  # before consent
            ctx.conversation = conversation
        else:  # "who do you want to talk about?", or someone new
            state = PICK_PERSON if people else self.first_state
            ctx.conversation = self._new_conversation(session, address, None, state)
            ctx.fresh = True

    def _carry_on(self, ctx: TurnContext) -> None:
        """A conversation saved by an earlier version of its flow's script carries on in this
        one: at its step, at the step it was renamed to, or, when its step is gone, at the first
        topic with nothing in it yet (else the read-back, else the start)."""
        conv, flow = ctx.conversation, ctx.flow
        assert conv is not None
        if conv.flow_version == flow.version:
            return
        state = flow.carry_on_at(conv.state)
        if state is None:
            state = self.first_open_step(ctx, flow)
            log.info(
                "a conversation's step is gone from %s v%d: it carries on", flow.name, flow.version
            )
        return_to = flow.carry_on_at(conv.return_to) if conv.return_to else None
        storage.carry_on_in_version(conv, state, flow.version, return_to)
        ctx.owes_made_for = self._owes_made_for(ctx, flow, state)

    @staticmethod
    def _owes_made_for(ctx: TurnContext, flow: Flow, state: str) -> bool:
        """A plan someone else started, saved past the point where this version asks how the
        person agreed, and never asked it (an earlier version did not)."""
        step, person, conv = flow.script.role("made_for"), ctx.person, ctx.conversation
        if step is None or person is None or conv is None or conv.typist not in MADE_FOR_TYPISTS:
            return False
        order = flow.machine.order
        if state in order and order.index(state) <= order.index(step.id):
            return False  # still to come: asked in its place
        return storage.made_for(ctx.session, person) is None and storage.is_holder(
            ctx.session, person, ctx.address
        )

    @staticmethod
    def first_open_step(ctx: TurnContext, flow: Flow) -> str:
        """The first topic with nothing in it yet (else the read-back): where a conversation
        goes on when its place is gone."""
        script = flow.script
        if ctx.person is None:
            return script.steps[0].id
        answered = storage.answered_sections(ctx.session, ctx.person)
        for step in script.list_steps:
            if step.id not in answered:
                return step.id
        readback = script.role("readback")
        return readback.id if readback is not None else script.steps[-1].id

    def _new_conversation(
        self, session: Session, address: Address, person: Person | None, state: str
    ) -> Conversation:
        """A new conversation, in the profile flow at its present version."""
        flow = self.flows.default
        return storage.new_conversation(
            session, address, person, state, flow=flow.name, flow_version=flow.version
        )

    @staticmethod
    def _stored(
        session: Session,
        address: Address,
        active: Person | None,
        active_conversation: Conversation | None,
    ) -> tuple[Person | None, Conversation | None, list[Person]]:
        """Whom a message from this address is about and their conversation, as stored
        (nothing is made here), and the address's people when that is still open.

        The person it talked about last; else a conversation about nobody yet (before
        consent); else its only person.
        """
        if active is not None:  # most messages: all read with the address already
            return active, active_conversation, [active]
        pending = storage.conversation_for(session, address, None)
        if pending is not None:
            return None, pending, []
        people = storage.people_for_address(session, address)
        if len(people) == 1:
            return people[0], storage.conversation_for(session, address, people[0]), people
        return None, None, people

    def _for_named_person(self, ctx: TurnContext, name: str, people: list[Person]) -> bool:
        """The channel names the person (``planbot chat --person NAME``). False when the
        message goes where the address is, as if no name came.

        - A person of that name this address talks for: their plan.
        - Else, while the address is in a conversation about nobody in another flow than the
          profile's (joining a plan or a group, running a group, a review begun): where it
          is (the name may be the supporter's own).
        - Else, a plan of that name that this address cannot see: the name never links the
          address to it (only the holder's yes to a JOIN does). Where the address is, and the
          turn says kindly how to ask to help (``ctx.not_theirs``).
        - Else, a new plan for that name (consent first; the name is not asked again).
        """
        session, address = ctx.session, ctx.address
        wanted = name.casefold()
        person = next((p for p in people if storage.is_named(p, name)), None)
        if person is not None:
            storage.set_active_person(session, address, person)
            ctx.person = person
            ctx.conversation, ctx.fresh = self.conversation_with(session, address, person)
            return True
        conv = storage.conversation_for(session, address, None)
        if conv is not None and conv.flow != self.flows.default.name:
            return False
        found = storage.find_people(session, name)
        if found:
            ctx.not_theirs = storage.person_name(found[0]) or name
            return False
        if conv is None or (storage.conversation_name_hint(conv) or "").casefold() != wanted:
            if conv is not None:
                storage.delete_conversation(session, conv)
            conv = self._new_conversation(session, address, None, self.first_state)
            storage.set_conversation_name_hint(conv, name)
            ctx.fresh = True
        storage.set_active_person(session, address, None)  # the next message comes here too
        ctx.conversation = conv
        return True

    def conversation_with(
        self, session: Session, address: Address, person: Person
    ) -> tuple[Conversation, bool]:
        """This address's conversation about this person, and whether it was just started."""
        conv = storage.conversation_for(session, address, person)
        if conv is not None:
            return conv, False
        return self._join(session, address, person), True

    def _join(self, session: Session, address: Address, person: Person) -> Conversation:
        """This address joins a plan someone already agreed to: start at "who is typing" (the
        step after consent, in a flow without that role)."""
        supporter = together.supporter_conversation(self.flows, session, address, person)
        if supporter is not None:  # a supporter the holder said yes to
            return supporter
        script = self.flows.default.script
        who = script.role("who") or script.steps[min(1, len(script.steps) - 1)]
        return self._new_conversation(session, address, person, who.id)

    @property
    def first_state(self) -> str:
        """Where a new person's conversation starts: the profile flow's first step."""
        return self.flows.default.script.steps[0].id

    def person_choices(self, people: list[Person]) -> tuple[Choice, ...]:
        named = [
            Choice(storage.person_name(p) or self.script.message("no_name_yet"), f"person:{p.id}")
            for p in people
        ]
        return (*named, Choice(self.script.message("someone_new"), "new"))
