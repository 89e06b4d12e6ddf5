"""The hourly tidy's retention step: ask about plans nobody used for a long time, and erase
the ones whose person did not answer (``storage/_retention.py`` says when).

The question goes through the outbox to the plan's holder, on their own channel (never to an
address that opted out: the outbox's senders see to that), keyed by the person and the day,
so two workers tidying at once queue it once. The 30 days to answer count from when the
outbox SENT it (noted here, from the outbox's rows, before anything is erased): a question
that could not be sent erases nothing, and is asked again 30 days later (an earlier one
still waiting is withdrawn first, so only one goes). The erasing is ``planbot forget``'s.
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
    """Ask the holders of plans unused for ``retention_days`` (or whose question was never
    sent); erase those whose question was sent ``storage.ANSWER_DAYS`` ago and who sent
    nothing since they were asked. Returns (asked, erased)."""
    script = load_script()
    text = script.message("retention_ask", days=storage.ANSWER_DAYS)
    asked = erased = nobody = 0
    with db.transaction() as session:
        storage.note_questions_sent(session)
        for person in storage.plans_to_ask(session, now, settings.retention_days):
            about = storage.retention_about(person)
            storage.withdraw(session, about)  # an earlier question, never sent
            holder = storage.holder_address(session, person)
            if holder is not None:
                storage.queue_message(
                    session,
                    channel=holder.channel,
                    address=storage.address_text(holder),
                    reply=Reply(text).to_dict(),
                    due=now,
                    key=storage.retention_key(person, now),
                    about=about,
                )
            else:
                nobody += 1  # kept: asked again in 30 days, in case a holder comes back
            storage.mark_asked(session, person, now)
            asked += 1
        for person in storage.plans_to_erase(session, now, settings.retention_days):
            storage.erase_person(session, person)
            erased += 1
    if asked or erased:
        log.info(
            "retention: asked about %d plans (%d with nobody to ask), erased %d",
            asked,
            nobody,
            erased,
        )
    return asked, erased
