"""``planbot keys rotate``: every sealed value re-sealed under the current key, in batches.

Why batches, each its own transaction: a rotation of a large database can be stopped at any
moment (a kill, a reboot) and run again. Nothing records progress: each value says which key
sealed it, so a run simply looks for values not yet under the current key, and a value is
rewritten only together with the rest of its row, in one commit. Rows are locked while
re-sealed (``FOR UPDATE``; SQLite's one writer), so a message handled meanwhile is never
overwritten with an older value. Plain values from before encryption are sealed the same
way, and plain look-ups replaced by keyed hashes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, and_, func, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from planbot.errors import StorageError
from storage._crypto import Keyring
from storage._db import Database
from storage._personal import current_keys, plain_lookup, seal, seal_bytes, unseal, unseal_bytes
from storage._tables import (
    Access,
    Address,
    Answer,
    AuditEvent,
    ConsentRecord,
    Conversation,
    LiveGroup,
    LivePractice,
    OutboxMessage,
    Person,
    PersonPhoto,
    ProcessedMessage,
    VoiceNote,
)

BATCH_ROWS = 200
BLOB_BATCH = 20  # photos and voice notes are large: fewer in memory at once


@dataclass(frozen=True)
class Sealed:
    """One table's sealed columns, and how to re-seal them."""

    table: Table
    columns: tuple[str, ...]
    blobs: bool = False  # bytes (photo, sound) rather than text
    lookup: bool = False  # also has ``lookup``, the keyed hash of ``channel:address``
    skip: frozenset[str] = field(default_factory=frozenset)  # values that are not personal

    @property
    def name(self) -> str:
        return str(self.table.name)


def _table(model: Any) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


# Every ``_sealed`` column of storage/_tables.py (a test checks that none is missing).
SEALED = (
    Sealed(_table(Person), ("name_sealed",)),
    Sealed(_table(Address), ("address_sealed",), lookup=True),
    Sealed(_table(Conversation), ("said_by_sealed", "name_hint_sealed")),
    Sealed(_table(Answer), ("text_sealed", "said_by_sealed")),
    Sealed(_table(ProcessedMessage), ("replies_sealed",), skip=frozenset({"[]"})),
    Sealed(_table(PersonPhoto), ("photo_sealed",), blobs=True),
    Sealed(_table(VoiceNote), ("audio_sealed",), blobs=True),
    Sealed(_table(OutboxMessage), ("address_sealed", "reply_sealed"), lookup=True),
    Sealed(_table(Access), ("name_sealed",)),
    Sealed(_table(ConsentRecord), ("by_sealed", "reason_sealed")),
    Sealed(_table(AuditEvent), ("actor_sealed",)),
    Sealed(_table(LiveGroup), ("name_sealed",)),
    Sealed(_table(LivePractice), ("text_sealed",)),
)


def _stale(spec: Sealed, keys: Keyring) -> ColumnElement[bool]:
    """Rows with a value not sealed under the current key (blank and empty values aside)."""
    mark = keys.mark
    return or_(
        *(
            and_(
                spec.table.c[name].is_not(None),
                spec.table.c[name].not_in(["", *spec.skip]),
                func.substr(spec.table.c[name], 1, len(mark)) != mark,
            )
            for name in spec.columns
        )
    )


def _resealed(spec: Sealed, row: Any, keys: Keyring) -> dict[str, str]:
    values: dict[str, str] = {}
    for name in spec.columns:
        value = getattr(row, name)
        if value is None or value in spec.skip or value == "" or keys.is_current(value):
            continue
        values[name] = seal_bytes(unseal_bytes(value)) if spec.blobs else seal(unseal(value))
    if spec.lookup and row.address_sealed:
        values["lookup"] = keys.lookup(plain_lookup(row.channel, unseal(row.address_sealed)))
    return values


def reseal_batch(session: Any, spec: Sealed, limit: int) -> int:
    """Re-seal up to ``limit`` rows of one table in the caller's transaction; how many."""
    keys = current_keys()
    if keys is None:
        raise StorageError("There is no key to seal with: set PLANBOT_SECRET_KEY")
    key = next(iter(spec.table.primary_key.columns))
    wanted = [key, *(spec.table.c[n] for n in spec.columns)]
    if spec.lookup:
        wanted.append(spec.table.c["channel"])
    query = select(*wanted).where(_stale(spec, keys)).order_by(key).limit(limit)
    rows = session.execute(query.with_for_update()).all()
    for row in rows:
        values = _resealed(spec, row, keys)
        session.execute(update(spec.table).where(key == row[0]).values(**values))
    return len(rows)


def rotate(
    db: Database,
    *,
    batch: int = BATCH_ROWS,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Re-seal every value not under the current key; rows re-sealed per table.

    Each batch is committed before the next is read: stopped at any point, a second run
    carries on where the first stopped. ``progress(table, rows so far)`` after each batch.
    """
    done: dict[str, int] = {}
    for spec in SEALED:
        limit = min(batch, BLOB_BATCH) if spec.blobs else batch
        done[spec.name] = 0
        while True:
            with db.transaction() as session:
                count = reseal_batch(session, spec, limit)
            if not count:
                break
            done[spec.name] += count
            if progress is not None:
                progress(spec.name, done[spec.name])
    return done


def not_current(db: Database) -> dict[str, int]:
    """How many rows of each table hold a value not sealed under the current key."""
    with db.transaction() as session:
        keys = current_keys()
        if keys is None:
            raise StorageError("There is no key to seal with: set PLANBOT_SECRET_KEY")
        return {
            spec.name: int(
                session.execute(
                    select(func.count()).select_from(spec.table).where(_stale(spec, keys))
                ).scalar_one()
            )
            for spec in SEALED
        }
