"""who can see my plan: the holder hears who can see it and since when, and who waits for
their yes. A supporter is told only that the plan belongs to the person."""

from __future__ import annotations

import storage
from dialogues import _together as together
from dialogues._turn_base import TurnBase
from dialogues._understand import bullet_lines


def _day(turn: TurnBase, row: storage.AccessView) -> str:
    when = row.since or row.created_at
    return f"{when.day} {when:%B %Y}"


def run(turn: TurnBase, _words: str) -> None:
    ctx = turn.ctx
    person = ctx.person
    if together.not_the_holder(turn, "remove_not_holder"):
        return
    assert person is not None  # the holder's plan
    holder = together.holder_of(turn, person)
    rows = [r for r in storage.access_list(ctx.session, person) if r.status != storage.REMOVED]
    lines = [turn.msg("who_can_see_you", since=_day(turn, r)) for r in rows if r.role == "holder"]
    others = [r for r in rows if r.role != "holder"]
    lines += [
        turn.msg("who_can_see_one", supporter=r.name or "", since=_day(turn, r))
        for r in others
        if r.status == storage.ACTIVE
    ]
    waiting = [
        turn.msg("who_can_see_waiting", supporter=r.name or "")
        for r in others
        if r.status == storage.WAITING
    ]
    if not others:
        turn.say(turn.msg(holder.key("who_can_see_only_you"), name=holder.name))
    else:
        intro = turn.msg(holder.key("who_can_see_intro"), name=holder.name)
        text = f"{intro}\n{bullet_lines(lines)}"
        turn.say("\n".join([text, *waiting, turn.msg("who_can_see_remove_tip")]))
    turn.ask()
