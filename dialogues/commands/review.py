"""review: "Getting ready for a review", for a family carer, at any time (REVIEW, /review).

The conversation moves into the review flow (``scripts/review/``) and asks its first question
that applies: consent only when there is no person yet (a plan someone agreed to already has
it), "who is typing?" and their name only when the conversation does not know them (a
relative who made the person's profile from their own phone is not asked again). What the
carer says is kept with their view ("Mum says"), under the review's section keys. Finishing
the review gives the review sheet, not the profile (the engine's finish hook is told which
flow finished).

"Me. This is my profile." at the who step means the carer wants a plan for themselves: it
becomes their own plan, in the profile flow, never the other person's (``own_plan``).
"""

from __future__ import annotations

import storage
from dialogues._machine import FINISHED, MODAL_STATES
from dialogues._turn_base import TurnBase

REVIEW_FLOW = "review"


def run(turn: TurnBase, _topic: str) -> None:
    start(turn)


def start(turn: TurnBase) -> None:
    """Move this conversation into the review flow and ask its first question."""
    flow = turn.engine.flows[REVIEW_FLOW]
    conv = turn.conv
    if not (turn.other and storage.conversation_said_by(conv)):
        # Who is typing is asked afresh (the person may have typed their own profile here;
        # the typist is kept until then, so "me" can tell whose phone this is).
        storage.set_conversation_said_by(conv, None)
    first = flow.script.steps[0].id
    storage.move_to_flow(conv, flow.name, flow.version, first, profile_state=_unfinished(turn))
    turn.use_conversation(conv)
    turn.say(turn.msg("review_start"))
    while turn.should_skip(turn.state):
        turn.move("advance")
    if turn.state == FINISHED:  # a flow of nothing but skipped steps: nothing to ask
        turn.finish()
        return
    turn.ask(first_time=True)


def _unfinished(turn: TurnBase) -> str | None:
    """Where the person's profile was, when it is under way (kept to go back to after the
    review); None when it is finished or not begun."""
    conv, profile = turn.conv, turn.engine.flows.default
    if conv.flow != profile.name or turn.ctx.person is None:
        return None
    place = conv.return_to if turn.state in MODAL_STATES else turn.state
    if place is None or place == FINISHED or place == profile.script.steps[0].id:
        return None
    return place


def back_to_profile(turn: TurnBase) -> bool:
    """After the review sheet, any message goes back to the unfinished profile, where it was
    (its step, or the first open topic when a newer version has no such step)."""
    conv = turn.conv
    if conv.flow != REVIEW_FLOW or turn.state != FINISHED or not conv.profile_state:
        return False
    profile = turn.engine.flows.default
    place = profile.carry_on_at(conv.profile_state) or turn.engine.first_open_step(
        turn.ctx, profile
    )
    storage.move_to_flow(conv, profile.name, profile.version, place)
    turn.use_conversation(conv)
    turn.say(turn.msg("review_back_to_profile", name=turn.name))
    turn.ask()
    return True


def is_own_plan(turn: TurnBase) -> bool:
    """ "Me. This is my profile." at the review's who step is a plan of the typist's own
    unless this is the person's own phone (they typed their profile here themselves): then
    it is the person getting ready for their own review, in their own words."""
    return turn.conv.typist not in ("person", "person_helped")


def own_plan(turn: TurnBase) -> None:
    """The carer's own plan, in the profile flow, apart from the person's.

    A person made by this review's own consent step, with no name or answers yet, is the
    carer: their conversation goes on in the profile flow at the name question. When the
    conversation is about someone already (Amy's plan), a new plan starts for the carer at
    the profile's first question (its consent), and Amy's plan is left as it is.
    """
    ctx, profile = turn.ctx, turn.engine.flows.default
    person = ctx.person
    just_made = (
        person is not None
        and storage.person_name(person) is None
        and not storage.answers_for(ctx.session, person)
    )
    turn.say(turn.msg("review_own_plan"))
    if just_made:
        who = profile.script.role("who")
        assert who is not None, "the profile flow asks who is typing"
        storage.move_to_flow(turn.conv, profile.name, profile.version, who.id)
        storage.set_typist(turn.conv, "person")
        storage.set_conversation_said_by(turn.conv, None)
        turn.use_conversation(turn.conv)
        turn.advance()
        return
    session, address = ctx.session, ctx.address
    storage.save_conversation(session, turn.conv, ctx.now)
    storage.set_active_person(session, address, None)
    first = profile.script.steps[0].id
    pending = storage.conversation_for(session, address, None)
    if pending is None:
        pending = storage.new_conversation(
            session, address, None, first, flow=profile.name, flow_version=profile.version
        )
    else:
        storage.move_to_flow(pending, profile.name, profile.version, first)
    ctx.person = None
    turn.use_conversation(pending)
    turn.ask(first_time=True)
