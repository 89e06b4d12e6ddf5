"""remove Sam: the holder ends a supporter's access at once. What Sam added stays on the
plan; Sam is told kindly at their next message, and their links stop working.

"remove" with no name (a tap on /remove in Telegram's menu sends just that) shows who can
see the plan, and how to say remove and a name: never a thing saved as an answer."""

from __future__ import annotations

import storage
from dialogues import _together as together
from dialogues._turn_base import TurnBase
from dialogues.commands import who_can_see


def run(turn: TurnBase, name: str) -> None:
    ctx = turn.ctx
    person = ctx.person
    if together.not_the_holder(turn, "remove_not_holder"):
        return
    assert person is not None  # the holder's plan
    if not name.strip():
        who_can_see.run(turn, "")
        return
    found = storage.find_access(ctx.session, person, name)
    if len(found) != 1:
        shown = found[0].name if found else name
        turn.say(turn.msg("remove_not_found", supporter=shown))
        turn.ask()
        return
    row = found[0]
    if row.status == storage.WAITING:
        storage.cancel_joining(ctx.session, row.id)
    else:
        storage.remove_access(ctx.session, row.id, ctx.now)
        turn.note("removed", "plan")
    holder = together.holder_of(turn, person)
    turn.say(turn.msg(holder.key("remove_done"), supporter=row.name or name, name=holder.name))
    turn.ask()
