"""Planning Live, for a participant: where the group is, which questions to ask now, moving
everyone to a topic, practice answers kept apart, and waiting between topics.

Why a participant's plan is an ordinary conversation: each participant answers into their
own plan, in their own words, with every command they know (skip, back, pause, help, my
answers). Their conversation goes into the "live" flow (or "practice", while everyone
practises on Helen) and comes back to the profile flow when the session ends. The
facilitator's NEXT moves each conversation to the topic's first step and queues its
question in the outbox, in the facilitator's transaction; a topic's last answer lands on
the "wait" step, because the steps of other topics are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlmodel import Session

import storage
from dialogues._flows import Flows
from dialogues._live_agenda import LIVE_FLOW, PRACTICE_FLOW, Topic, agenda, topic
from dialogues._messages import Recipient, Reply
from dialogues._script import Step
from dialogues._turn_base import TurnBase, as_choices
from storage import Conversation, LiveGroup, LiveMember

LIVE_FLOWS = (LIVE_FLOW, PRACTICE_FLOW)
WAIT_ROLE = "live_wait"
JOINING_ROLES = ("consent", "who", "name")


@dataclass
class Seat:
    """A participant's place in their group, read once a turn."""

    member: LiveMember
    group: LiveGroup


def seat(turn: TurnBase) -> Seat | None:
    """This conversation's group and membership while the group is open (cached a turn)."""
    ctx = turn.ctx
    if ctx.live is None and turn.conv.flow in LIVE_FLOWS:
        found = storage.live.membership(ctx.session, ctx.address)
        if found is not None:
            ctx.live = Seat(*found)
    return ctx.live if isinstance(ctx.live, Seat) else None


def current_steps(group: LiveGroup) -> tuple[str, ...]:
    """The steps the group is on now (none before the first topic and while practising)."""
    now = topic(group.topic)
    return now.steps if now is not None and not group.practice else ()


def skip_in_live(turn: TurnBase, step: Step) -> bool | None:
    """In the live flow, a topic step is skipped unless the group is on that topic (so the
    last answer of a topic lands on the wait step); None: the usual rules decide."""
    if turn.flow.name != LIVE_FLOW or step.role != "topic":
        return None
    found = seat(turn)
    return found is None or step.id not in current_steps(found.group)


def store_practice(turn: TurnBase, section: str, text: str) -> bool:
    """A practice answer (about Helen) is kept apart; True when this was one."""
    step = turn.script.by_id.get(section)
    if step is None or step.role != "practice":
        return False
    found = seat(turn)
    if found is not None:
        storage.live.add_practice(turn.ctx.session, found.member, section, text, turn.ctx.now)
    return True


def ask_wait(turn: TurnBase, first_time: bool) -> None:
    """At the wait step: straight after the joining questions, the welcome; after a topic,
    "Thank you. Please wait for the next topic."."""
    came_from = turn.script.by_id.get(turn.conv.state)
    if first_time and came_from is not None and came_from.role in JOINING_ROLES:
        welcome(turn)
        return
    turn.say(_wait_words(turn))


def _wait_words(turn: TurnBase) -> str:
    """ "Please wait for the first topic" before it, "that was the last topic" after it, and
    "Please wait for the next topic" between."""
    found = seat(turn)
    group = found.group if found is not None else None
    if group is not None and group.topic == 0 and not group.practice:
        return turn.msg("live_wait_first")
    if group is not None and group.topic >= len(agenda()) and not group.practice:
        return turn.msg("live_wait_last")
    step = turn.script.step(turn.state)
    return f"{step.ask}\n{step.example}"


def welcome(turn: TurnBase) -> None:
    """ "You are in the Redcar group.", then the topic the group is on, or "Please wait for
    the first topic."."""
    found = seat(turn)
    if found is None:
        return
    _link_person(turn, found)
    turn.say(turn.msg("live_in_group", group=storage.live.group_name(found.group)))
    if current_steps(found.group) or found.group.practice:
        go_to_topic(turn, found.group)
        return
    turn.say(turn.msg("live_wait_first"))


def _link_person(turn: TurnBase, found: Seat) -> None:
    """A new participant's plan, once they said yes to keeping it, is theirs in the group."""
    person = turn.ctx.person
    if person is not None and found.member.person_id is None:
        storage.live.set_member(found.member, person_id=person.id)


def participant_turn(turn: TurnBase) -> bool:
    """A participant's message, before it is handled as an answer or a command: help is
    shown on the board; words while waiting get "please wait". True when handled here."""
    found = seat(turn)
    if found is None:  # the session ended, or they left: back to their own plan
        back_to_profile(turn, turn.conv)
        turn.use_conversation(turn.conv)
        return False
    _link_person(turn, found)
    command = turn.said_command
    if command is not None and command[0] == "help":
        storage.live.mark_help(found.member)
        turn.say(turn.msg("live_help_told"))
        return False
    if turn.ctx.fresh:  # an ally's first message after the person's yes
        welcome(turn)
        return True
    step = turn.current_step()
    waiting = step is not None and step.role == WAIT_ROLE
    if waiting and command is None and turn.ctx.text and not turn.ctx.opening:
        turn.say(_wait_words(turn))
        return True
    return False


def go_to_topic(turn: TurnBase, group: LiveGroup) -> None:
    """This conversation joins the group where it is now: the topic's first question."""
    if group.practice:
        practice = turn.engine.flows[PRACTICE_FLOW]
        keep = turn.conv.profile_state
        first = practice.script.steps[0].id
        storage.move_to_flow(turn.conv, PRACTICE_FLOW, practice.version, first, profile_state=keep)
        turn.use_conversation(turn.conv)
        turn.ask(first_time=True)
        return
    now = topic(group.topic)
    assert now is not None
    turn.jump(now.steps[0])
    turn.say(topic_line(turn, now))
    turn.ask(first_time=True)


def topic_line(turn: TurnBase, now: Topic) -> str:
    return turn.msg("live_topic", number=now.number, total=len(agenda()), title=now.title)


# --- moving everyone (the facilitator's NEXT, BACK, PRACTICE and NUDGE) ---------------------


@dataclass(frozen=True)
class Participant:
    """A participant with a plan (or an ally, with the plan of the person they help), their
    address and their conversation in the group."""

    member: LiveMember
    person: storage.Person
    address: storage.Address
    conv: Conversation

    @property
    def ally(self) -> bool:
        return self.member.role == storage.live.ALLY

    @property
    def reachable(self) -> bool:
        """Not opted out (STOP): they are sent nothing, so not counted as sent to."""
        return not self.address.opted_out


def participants(turn: TurnBase, group: LiveGroup, allies: bool = False) -> list[Participant]:
    """The group's participants whose conversation is in the group's flows (one joining,
    still at consent or their name, is not moved: they come to the topic when they are in);
    with ``allies``, the allies the person said yes to, whose conversation is in it too."""
    session = turn.ctx.session
    found = storage.live.participants_with_plans(session, group)
    if allies:
        found += [
            m
            for m in storage.live.members(session, group, storage.live.ALLY)
            if m.person_id is not None
        ]
    return [
        who
        for who in with_plans(turn, found)
        if _flow_of(who.conv) in LIVE_FLOWS and not _still_joining(turn, who.conv)
    ]


def with_plans(turn: TurnBase, found: list[LiveMember]) -> list[Participant]:
    """Each member with their person, address and conversation about that person (those
    whose plan, address or conversation is gone are left out)."""
    session = turn.ctx.session
    people = storage.live.people_by_id(session, storage.live.person_ids_of(found))
    out = []
    for member in found:
        person = people.get(member.person_id or 0)
        address = session.get(storage.Address, member.address_id)
        conv = storage.conversation_for(session, address, person) if person and address else None
        if person is not None and address is not None and conv is not None:
            out.append(Participant(member, person, address, conv))
    return out


def place_ally(
    flows: Flows, session: Session, address: storage.Address, conv: Conversation
) -> None:
    """An ally the person said yes to starts in the group, at the topic it is on (or
    waiting), not at the profile's first topic: NEXT moves them with everyone."""
    found = storage.live.membership(session, address)
    if found is None:
        return
    member, group = found
    if member.role != storage.live.ALLY or member.person_id != conv.person_id:
        return
    live = flows[LIVE_FLOW]
    now = topic(group.topic)
    at_topic = now is not None and not group.practice
    state = now.steps[0] if at_topic and now is not None else live.script.steps[-1].id
    storage.move_to_flow(conv, LIVE_FLOW, live.version, state)


def _flow_of(conv: Conversation) -> str:
    """The flow a conversation is in, or goes back to after a visit (the "Is that OK?")."""
    return conv.resume_flow or conv.flow


def _still_joining(turn: TurnBase, conv: Conversation) -> bool:
    flow = turn.engine.flows[_flow_of(conv)]
    step = flow.script.by_id.get(conv.resume_state or conv.state)
    return step is not None and step.role in JOINING_ROLES


def move(turn: TurnBase, who: Participant, flow_name: str, state: str) -> None:
    """Put a participant's conversation at ``state`` of ``flow_name`` (after a visit to
    "Is that OK?", it goes there once that is answered)."""
    conv = who.conv
    flow = turn.engine.flows[flow_name]
    if conv.resume_flow is not None:
        storage.set_visit_return(conv, flow_name, state)
    else:
        storage.move_to_flow(conv, flow_name, flow.version, state, profile_state=conv.profile_state)
    storage.save_conversation(turn.ctx.session, conv, turn.ctx.now)


def question_for(
    turn: TurnBase, step: Step, person: storage.Person, intro: str = "", other: bool = False
) -> Reply:
    """A topic's question as sent to a participant: the topic line, the step's first words,
    the question and its example (in "you" words: participants type for themselves; an
    ally, ``other``, is asked about the person: "What do you like about Dev?")."""
    name = storage.person_name(person) or turn.msg("unknown_name")
    lines = [intro] if intro else []
    lines += [line.format(name=name) for line in step.say]
    lines += [step.question(other).format(name=name), step.example_for(other).format(name=name)]
    return Reply(text="\n".join(lines), choices=as_choices(step.choices), kind="ask")


def send_to(
    who: Participant, reply: Reply, about: str | None = None, due: datetime | None = None
) -> Reply:
    """The reply addressed to a participant, through the outbox (``due``: later)."""
    to = Recipient(who.address.channel, storage.address_text(who.address))
    return replace(reply, to=to, about=about, due=due)


def back_to_profile(turn: TurnBase, conv: Conversation) -> None:
    """After the session: the conversation goes back to the profile flow, where the
    profile was (or at its end: the plan made in the group is their profile)."""
    profile = turn.engine.flows.default
    if conv.resume_flow in LIVE_FLOWS:
        storage.set_visit_return(conv, profile.name, conv.profile_state or "finished")
        return
    place = profile.carry_on_at(conv.profile_state or "") or "finished"
    storage.move_to_flow(conv, profile.name, profile.version, place)
