"""Rate counts: how often one sender, link or client came in this minute and this day.

Why in the database: the limits must hold however many workers and hosts answer, so no count
lives in a process. Why one row and one statement: a text is counted by a single upsert
(``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``) that starts a new fixed window when the
minute or the day has moved on, and gives back both counts; SQLite and PostgreSQL both run
it atomically (PostgreSQL locks the row, SQLite takes one writer at a time), so two workers
never lose a count. Only a keyed hash of what is counted is kept, never a number or a token.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from storage._crypto import KeyedHash
from storage._db import Database, dialect_name, run_soon
from storage._lean import execute
from storage._tables import RateCount

MINUTE = 60
DAY = 24 * 60 * 60
_TABLE: Any = RateCount.__table__  # type: ignore[attr-defined]


def rate_key(kind: str, who: str, secret: str) -> str:
    """The stored form of what is counted: ``kind`` ("sms", "link", ...) and who it is."""
    return _keyed(secret).hexdigest(f"rate:{kind}:{who}".encode())


@functools.lru_cache(maxsize=8)
def _keyed(secret: str) -> KeyedHash:
    """The HMAC keyed with ``secret`` once, for every count."""
    return KeyedHash(secret.encode("utf-8"))


@dataclass(frozen=True)
class Hits:
    """The counts after this hit, in its minute and its day."""

    minute: int
    day: int
    warned_today: bool


def _upsert(dialect: str) -> Any:
    """The one statement a hit costs, for this database."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(_TABLE).values(
        key=bindparam("key"),
        minute=bindparam("minute"),
        minute_hits=1,
        day=bindparam("day"),
        day_hits=1,
        warned_day=0,
    )
    new = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[_TABLE.c.key],
        set_={
            "minute_hits": case((_TABLE.c.minute == new.minute, _TABLE.c.minute_hits + 1), else_=1),
            "minute": new.minute,
            "day_hits": case((_TABLE.c.day == new.day, _TABLE.c.day_hits + 1), else_=1),
            "day": new.day,
        },
    ).returning(_TABLE.c.minute_hits, _TABLE.c.day_hits, _TABLE.c.warned_day)


_UPSERTS = {name: _upsert(name) for name in ("postgresql", "sqlite")}


def _windows(now: datetime) -> tuple[int, int]:
    seconds = int(now.timestamp())
    return seconds - seconds % MINUTE, seconds - seconds % DAY


def count_hit(db: Database, key: str, now: datetime) -> Hits:
    """Count one hit for ``key`` and return the counts: one statement that commits by
    itself, on a plain connection and the driver's cursor (``storage/_lean.py``): under half
    the CPU of a transaction of its own (bench/rate_limits.py).

    A count needs no durability (one lost in a crash costs nothing), so on PostgreSQL it runs
    on a pool whose commits do not wait for the disk (``Database.connection``), one round trip
    a count: otherwise each text would wait for a second flush, beside the engine's.
    """
    with db.connection() as conn:
        row = execute(conn, _UPSERTS[conn.dialect.name], _hit(key, now)).one()
    return _hits(row, now)


def count_hit_soon(session: Session, key: str, now: datetime) -> Callable[[], Hits]:
    """``count_hit`` in the caller's transaction: a plain text's count goes with the text's
    own writes, where a commit of its own cost SQLite a second write of its log. The counts
    are read after the transaction's next statement: on PostgreSQL the count goes with the
    message's first read, in its round trip."""
    later = run_soon(session, _UPSERTS[dialect_name(session)], _hit(key, now))
    return lambda: _hits(later.rows().one(), now)


def _hit(key: str, now: datetime) -> dict[str, object]:
    minute, day = _windows(now)
    return {"key": key, "minute": minute, "day": day}


def _hits(row: tuple[Any, ...], now: datetime) -> Hits:
    """The counts the upsert gave back for a hit at ``now``."""
    _minute, day = _windows(now)
    return Hits(minute=int(row[0]), day=int(row[1]), warned_today=int(row[2]) == day)


def note_warned(session: Session, key: str, now: datetime) -> bool:
    """Mark ``key`` as warned today; True only for the first call of the day (so one worker
    of several sends the one warning)."""
    _minute, day = _windows(now)
    result = session.execute(
        update(_TABLE).where(_TABLE.c.key == key, _TABLE.c.warned_day != day).values(warned_day=day)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


def seconds_left(now: datetime, window: int = MINUTE) -> int:
    """Seconds until the current window ends (for a ``Retry-After``)."""
    return window - int(now.timestamp()) % window


def forget_old_counts(session: Session, now: datetime) -> int:
    """Drop the counts of days that are over (the hourly tidy); how many rows went."""
    _minute, day = _windows(now)
    result = session.execute(delete(_TABLE).where(_TABLE.c.day < day))
    return int(getattr(result, "rowcount", 0) or 0)
