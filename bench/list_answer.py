"""CPU per list answer through ``Engine.handle()`` alone, and the statements one answer sends.

Run: ``PLANBOT_SECRET_KEY=$(.venv/bin/planbot keys new | tail -1) .venv/bin/python
bench/list_answer.py`` (``--answers 1000``, ``--rounds 5``, ``--profile`` for where the time
goes, ``--database-url postgresql+psycopg://...`` for PostgreSQL, on a fresh schema that is
dropped afterwards).

Why beside ``bench/engine.py``: the most common message is a thing said for a topic, and its
cost is mostly the database layer's own (building, caching and running statements), not the
words. Here 50 people each answer the same topic over and over; the figure is this process's
CPU time per answer, the best of a few rounds (the machine is shared: the best round is the
one least disturbed). The statements of one answer are printed, with BEGIN and COMMIT, on
SQLite; on PostgreSQL, how many round trips it takes (tests/auxil/wire.py).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time
from itertools import count
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import storage
from dialogues import Engine, Incoming
from planbot.settings import Settings
from tests.auxil.databases import bench_database
from tests.auxil.wire import watching

PEOPLE = 50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    keys = os.environ.get("PLANBOT_SECRET_KEY")
    with bench_database(
        args.database_url, folder / "bench.sqlite3", storage.Keyring(keys) if keys else None
    ) as db:
        measure(db, folder, args, keys)


def measure(db: storage.Database, folder: Path, args: argparse.Namespace, keys: str | None) -> None:
    engine = Engine(db, Settings.from_env({"PLANBOT_DATA_DIR": str(folder)}))
    ids = count()
    addresses = [f"+4477009{n:05d}" for n in range(PEOPLE)]
    for address in addresses:  # hello, consent, who is typing, a name: at the first topic
        for text in ("hello", "yes", "1", "Dev"):
            engine.handle(Incoming("sms", address, f"m{next(ids)}", text))

    def answer(n: int) -> None:
        for i in range(n):
            address = addresses[i % PEOPLE]
            engine.handle(Incoming("sms", address, f"m{next(ids)}", f"thing {i}"))

    answer(200)  # warm: statements compiled and cached
    print(f"keys: {'yes' if keys else 'no (set PLANBOT_SECRET_KEY)'}; {db.engine.dialect.name}")
    print("one answer:", *statements_of(engine, db, addresses[0], f"m{next(ids)}"), sep="\n  ")
    if args.profile:
        profile = cProfile.Profile(time.process_time)
        profile.enable()
        answer(args.answers)
        profile.disable()
        pstats.Stats(profile).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(40)
        return
    best = []
    for _round in range(args.rounds):
        began = time.process_time()
        answer(args.answers)
        best.append((time.process_time() - began) / args.answers * 1000)
    print(f"CPU per answer: best {min(best):.3f} ms, rounds " + ", ".join(f"{b:.3f}" for b in best))


def statements_of(engine: Engine, db: storage.Database, address: str, message: str) -> list[str]:
    """What one list answer sends: on SQLite each statement (first words), BEGIN and COMMIT
    included; on PostgreSQL how many round trips (tests/auxil/wire.py)."""
    with watching(db) as wire:
        engine.handle(Incoming("sms", address, message, "one more thing"))
    return wire.statements or [f"{wire.round_trips} round trips"]


if __name__ == "__main__":
    main()
