"""Housekeeping both ``planbot serve`` and ``planbot chat`` run: forget old kept replies.

Why: the replies kept to answer a repeat delivery echo the person's words. Repeats come within
minutes, so after ``PLANBOT_REPLY_HOURS`` (24 by default) they are blanked. The outbox's
rows that are done with (sent, given up) go after the same time: their keys only stop a
repeat delivery from queueing a message twice. Invite codes that are used or out of date, and
a sender's count of wrong codes once its day is over, go too (a keyed hash a stranger, kept no
longer than it is needed). So do addresses that never said yes to keeping anything, a day
after they last wrote, with their conversation and handled messages. So do the rate limits'
counts of days that are over, and Planning Live groups a week after their follow-up. So do
the folders of renders that were stopped with the process that ran them, and files an
earlier planbot left waiting for Telegram (``bot/_scratch.py``).
Plans nobody used for ``PLANBOT_RETENTION_DAYS`` are asked about, and erased when nobody
answers (``bot/_retention.py``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import storage
from bot._retention import keep_or_forget_idle_plans
from bot._scratch import clear_leftovers
from planbot.settings import Settings

log = logging.getLogger("planbot.tidy")

EVERY = timedelta(hours=1)  # how often ``planbot serve`` tidies


def forget_old_replies(db: storage.Database, settings: Settings, now: datetime) -> int:
    """Blank the replies kept longer than the setting allows; how many were blanked."""
    before = now - timedelta(hours=settings.reply_hours)
    # First: it reads from the outbox's done rows which retention questions were sent, and
    # those rows go just below.
    keep_or_forget_idle_plans(db, settings, now)
    with db.transaction() as session:
        count = storage.forget_replies(session, before=before)
        storage.forget_done_messages(session, before=before)
        storage.forget_old_codes(session, now)
        unconsented = storage.forget_unconsented(session, now)
        storage.forget_old_counts(session, now)
        storage.live.forget_old_groups(session, now)
    clear_leftovers(settings.data_dir)
    db.scrub(drop_files=False)  # an erase that met a reader left the WAL full: empty it now
    if count:
        log.info("forgot the replies to %d old messages", count)
    if unconsented:
        log.info("forgot %d addresses that never said yes", unconsented)
    return count
