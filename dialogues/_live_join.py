"""Joining a Planning Live group with its code: "JOIN 318274" (the code says it is a group's,
not an invite's). Here for your own plan, or to help someone in the group?

- A participant planbot knows (this address holds one plan) is in at once; a new one is
  asked consent, who is typing and their name, in the live flow. A group holds
  ``MAX_PARTICIPANTS``: the next one is told kindly that it is full.
- An ally says who they came with (the participants' first names) and then joins that
  person's plan as any supporter does (``dialogues/_together.py``): the person is asked
  first, and what the ally adds waits for the person's OK, item by item.
"""

from __future__ import annotations

import storage
from dialogues import _live as live
from dialogues import _together as together
from dialogues._live_agenda import LIVE_FLOW
from dialogues._live_board import first_name
from dialogues._machine import FINISHED, MODAL_STATES
from dialogues._messages import Choice
from dialogues._script import ScriptChoice
from dialogues._turn_base import TurnBase
from dialogues._understand import choose
from storage import LiveGroup, LiveMember

LIVE_JOIN_FLOW = "live_join"


def join_group(turn: TurnBase, group: LiveGroup) -> None:
    """A group's code: the first question of joining it."""
    ctx = turn.ctx
    session, address = ctx.session, ctx.address
    name = storage.live.group_name(group)
    if group.facilitator_address_id == address.id:
        turn.say(turn.msg("live_you_lead", group=name))
        return
    found = storage.live.membership(session, address)
    if found is not None and found[1].id == group.id and found[0].role != storage.live.JOINING:
        turn.say(turn.msg("live_already_in", group=name))
        return
    storage.live.add_member(
        session, group, address, role=storage.live.JOINING, person_id=None, now=ctx.now
    )
    together.talk_about_nobody(turn, LIVE_JOIN_FLOW)
    turn.say(turn.msg("live_join_hello", group=name))
    turn.ask(first_time=True)


def answer(turn: TurnBase) -> None:
    """A message in the live_join flow: own plan or helping, then whom they came with."""
    ctx = turn.ctx
    found = storage.live.membership(ctx.session, ctx.address)
    if found is None:  # the session ended meanwhile
        _leave(turn, None, turn.msg("live_gone"))
        return
    member, group = found
    command = turn.said_command
    if command is not None and command[0] in ("help", "repeat"):
        if command[0] == "help":
            turn.say(turn.msg("help_contact_default"))
        _ask_again(turn, group)
        return
    step = turn.current_step()
    if step is not None and step.role == "came_with":
        _came_with(turn, member, group)
        return
    reading = turn.words.read_choice(ctx.text, turn.script.step(turn.state))
    if reading.value == storage.live.PARTICIPANT:
        _as_participant(turn, member, group)
    elif reading.value == storage.live.ALLY:
        _as_ally(turn, member, group)
    else:
        storage.set_retries(turn.conv, turn.conv.retries + 1)
        turn.ask(reword=True)


def _ask_again(turn: TurnBase, group: LiveGroup) -> None:
    step = turn.current_step()
    if step is not None and step.role == "came_with":
        _ask_came_with(turn, group)
    else:
        turn.ask()


def _leave(turn: TurnBase, member: LiveMember | None, text: str) -> None:
    """Not joining after all: nothing of them is kept (an address that talks for nobody
    goes too)."""
    ctx = turn.ctx
    if member is not None:
        storage.live.leave_group(ctx.session, member)
    storage.delete_conversation(ctx.session, turn.conv)
    ctx.conversation = None
    ctx.address_removed = storage.delete_address_if_unused(ctx.session, ctx.address)
    turn.say(text)


def _as_participant(turn: TurnBase, member: LiveMember, group: LiveGroup) -> None:
    ctx = turn.ctx
    session, address = ctx.session, ctx.address
    if storage.live.is_full(session, group):
        name = storage.live.group_name(group)
        _leave(turn, member, turn.msg("live_full", group=name))
        return
    storage.live.set_member(member, role=storage.live.PARTICIPANT)
    flow = turn.engine.flows[LIVE_FLOW]
    held = [
        p
        for p in storage.people_for_address(session, address)
        if storage.is_holder(session, p, address)
    ]
    if len(held) != 1:  # someone new (or a phone with several plans): a plan of their own
        storage.move_to_flow(turn.conv, LIVE_FLOW, flow.version, flow.script.steps[0].id)
        turn.use_conversation(turn.conv)
        turn.ask(first_time=True)
        return
    person = held[0]
    storage.live.set_member(member, person_id=person.id)
    storage.delete_conversation(session, turn.conv)
    conv, _fresh = turn.engine.conversation_with(session, address, person)
    wait = flow.script.steps[-1].id
    storage.move_to_flow(
        conv, LIVE_FLOW, flow.version, wait, profile_state=_profile_place(turn, conv)
    )
    storage.set_active_person(session, address, person)
    ctx.person = person
    turn.use_conversation(conv)
    live.welcome(turn)


def _profile_place(turn: TurnBase, conv: storage.Conversation) -> str | None:
    """Where an unfinished profile was, to go back to after the session."""
    profile = turn.engine.flows.default
    if conv.flow != profile.name:
        return conv.profile_state
    place = conv.return_to if conv.state in MODAL_STATES else conv.state
    if place in (None, FINISHED, profile.script.steps[0].id):
        return None
    return place


def _choices(turn: TurnBase, group: LiveGroup) -> tuple[ScriptChoice, ...]:
    """The participants an ally can have come with: first names (and each one's number)."""
    session = turn.ctx.session
    found = storage.live.participants_with_plans(session, group)
    people = storage.live.people_by_id(session, storage.live.person_ids_of(found))
    out = []
    for member in found:
        person = people.get(member.person_id or 0)
        name = first_name(storage.person_name(person) if person else None)
        if name:
            out.append(ScriptChoice(name, f"member:{member.id}", (name,)))
    return tuple(out)


def _ask_came_with(turn: TurnBase, group: LiveGroup, reword: bool = False) -> None:
    step = turn.script.step(turn.state)
    choices = tuple(Choice(c.label, c.value) for c in _choices(turn, group))
    question = step.reword if reword else step.ask
    turn.say(f"{question}\n{step.example}", choices, "ask")


def _as_ally(turn: TurnBase, member: LiveMember, group: LiveGroup) -> None:
    if not _choices(turn, group):
        _leave(turn, member, turn.msg("live_no_one_yet"))
        return
    storage.live.set_member(member, role=storage.live.ALLY)
    turn.move("advance")
    _ask_came_with(turn, group)


def _came_with(turn: TurnBase, member: LiveMember, group: LiveGroup) -> None:
    """The participant an ally came with: then the supporter's questions (their OK, name,
    how they know the person) and the person's yes, as for any supporter."""
    ctx = turn.ctx
    session = ctx.session
    said = ctx.text.removeprefix(f"{turn.state}:")
    picked = choose(said, _choices(turn, group))
    if picked is None:
        _ask_came_with(turn, group, reword=True)
        return
    chosen = session.get(storage.LiveMember, int(picked.value.removeprefix("member:")))
    person = (
        storage.person_by_id(session, chosen.person_id) if chosen and chosen.person_id else None
    )
    if person is None:
        _ask_came_with(turn, group, reword=True)
        return
    if person in storage.people_for_address(session, ctx.address):
        storage.live.set_member(member, person_id=person.id)
        turn.say(turn.msg("join_already", name=together.holder_of(turn, person).name))
        return
    storage.live.set_member(member, person_id=person.id)
    storage.start_joining(session, person, ctx.address, ctx.now)
    flow = turn.engine.flows[together.JOIN_FLOW]
    storage.move_to_flow(turn.conv, flow.name, flow.version, flow.script.steps[0].id)
    turn.use_conversation(turn.conv)
    together.ask_join(turn)
