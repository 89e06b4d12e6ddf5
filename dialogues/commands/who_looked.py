"""who looked at my plan: the holder hears who else used their plan lately, from the audit
log (``storage/_audit.py``): who read it, added or deleted things, opened a private link or
took a copy. Never the words; the holder's own doings are left out (they know them). Only
the holder can ask."""

from __future__ import annotations

import storage
from dialogues import _together as together
from dialogues._turn_base import TurnBase

SHOWN = 10  # the newest events, in a message short enough for a text
# The words for the part of the plan an event names, beyond the topics' own headings.
_PARTS = {
    "profile": "audit_part_profile",
    "review": "audit_part_review",
    "answers": "audit_part_answers",
    "data": "audit_part_data",
    "plan": "audit_part_plan",
    "photo": "audit_part_photo",
    "invite": "audit_part_invite",
    "links": "audit_part_links",
}


# Each kind of event's line (storage.ACTIONS).
_LINES = {
    "saw": "audit_saw",
    "added": "audit_added",
    "changed": "audit_changed",
    "deleted": "audit_deleted",
    "hid": "audit_hid",
    "shared": "audit_shared",
    "agreed": "audit_agreed",
    "declined": "audit_declined",
    "let_in": "audit_let_in",
    "removed": "audit_removed",
    "exported": "audit_exported",
}
# The lines of events about what is no thing in a topic: the photo, a private link made,
# an invite code made, the private links turned off.
_OWN_LINES = {
    ("added", "photo"): "audit_added_one",
    ("deleted", "photo"): "audit_took_off",
    ("shared", "profile"): "audit_link_made",
    ("shared", "review"): "audit_link_made",
    ("shared", "invite"): "audit_made",
    ("removed", "links"): "audit_turned_off",
}


def run(turn: TurnBase, _words: str) -> None:
    ctx = turn.ctx
    person = ctx.person
    if together.not_the_holder(turn, "remove_not_holder"):
        return
    assert person is not None  # the holder's plan
    me = turn.said_by()
    events = [
        e
        for e in storage.audit_of(ctx.session, person, limit=50)
        if (e.actor or "", e.actor_role) != me
    ][:SHOWN]
    if not events:
        turn.say(turn.msg("audit_nobody"))
    else:
        lines = [_line(turn, e) for e in events]
        turn.say("\n".join([turn.msg("audit_intro"), *(f"- {line}" for line in lines)]))
    turn.ask()


def _line(turn: TurnBase, event: storage.AuditView) -> str:
    day = f"{event.at.day} {event.at:%B %Y}"
    if event.actor_role == storage.LINK:
        who = turn.msg("audit_by_link")
    elif event.actor_role == storage.ADMIN:
        who = turn.msg("audit_by_admin")
    else:
        who = event.actor or turn.msg("unnamed_person")
    part = event.what.split(".", 1)[0]  # "profile.pdf" is the profile too
    what = turn.msg(_PARTS[part]) if part in _PARTS else turn.heading(part).rstrip(".")
    things = turn.msg("audit_thing" if event.count == 1 else "audit_things", count=event.count)
    line = _OWN_LINES.get((event.action, part), _LINES[event.action])
    return turn.msg(line, day=day, who=who, what=what, things=things)
