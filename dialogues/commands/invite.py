"""invite: the plan's holder gets a 6-digit code for a supporter ("Ask them to text JOIN
482913 to this number"). Only the holder can: a supporter cannot bring in others."""

from __future__ import annotations

import storage
from dialogues import _together as together
from dialogues._turn_base import TurnBase

# Where the supporter sends the code, in the words of each channel.
_WORDING = {"sms": "invite_code_sms", "telegram": "invite_code_telegram"}


def run(turn: TurnBase, _words: str) -> None:
    ctx = turn.ctx
    person = ctx.person
    if person is None:
        turn.say(turn.msg("invite_no_plan"))
        turn.ask()
        return
    if together.not_the_holder(turn, "invite_not_holder"):
        return
    code = storage.new_invite_code(
        ctx.session,
        person,
        key=together.code_key(turn),
        channel=ctx.address.channel,
        message_id=ctx.message_id,
        now=ctx.now,
    )
    turn.note("shared", "invite")  # a way into the plan, handed out (not the code)
    wording = _WORDING.get(ctx.address.channel, "invite_code")
    turn.say(turn.msg(wording, code=code), kind="invite")
    turn.say(turn.msg("invite_code_rules"))
    turn.ask()
