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
    if person is None or not storage.is_holder(ctx.session, person, ctx.address):
        name = together.holder_name(turn, person)
        turn.say(turn.msg("remove_not_holder", name=name))
        turn.ask()
        return
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
        turn.say(turn.msg("who_can_see_only_you"))
    else:
        text = f"{turn.msg('who_can_see_intro')}\n{bullet_lines(lines)}"
        turn.say("\n".join([text, *waiting, turn.msg("who_can_see_remove_tip")]))
    turn.ask()
