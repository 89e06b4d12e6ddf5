"""The hourly tidy's retention step: ask about plans nobody used for a long time, and erase
the ones whose person did not answer (``storage/_retention.py`` says when).

The question goes through the outbox to the plan's holder, on their own channel (never to an
address that opted out: the outbox's senders see to that), keyed by the person and the day,
so two workers tidying at once queue it once. The erasing is ``planbot forget``'s.
"""

from __future__ import annotations

import logging
from datetime import datetime

import storage
from dialogues import Reply, load_script
from planbot.settings import Settings

log = logging.getLogger("planbot.retention")


def keep_or_forget_idle_plans(
    db: storage.Database, settings: Settings, now: datetime
) -> tuple[int, int]:
    """Ask the holders of plans unused for ``retention_days``; erase those asked
    ``storage.ANSWER_DAYS`` ago who sent nothing since. Returns (asked, erased)."""
    script = load_script()
    text = script.message("retention_ask", days=storage.ANSWER_DAYS)
    asked = erased = 0
    with db.transaction() as session:
        for person in storage.plans_to_ask(session, now, settings.retention_days):
            holder = storage.holder_address(session, person)
            if holder is not None:
                storage.queue_message(
                    session,
                    channel=holder.channel,
                    address=storage.address_text(holder),
                    reply=Reply(text).to_dict(),
                    due=now,
                    key=f"retention:{person.id}:{now:%Y-%m-%d}",
                )
            storage.mark_asked(session, person, now)
            asked += 1
        for person in storage.plans_to_erase(session, now):
            storage.erase_person(session, person)
            erased += 1
    if erased:
        db.checkpoint()  # nothing of the erased plans stays in SQLite's write-ahead log
    if asked or erased:
        log.info("retention: asked about %d plans, erased %d", asked, erased)
    return asked, erased
