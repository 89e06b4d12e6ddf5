"""The cost of the rate limit's check, alone: one text's count (one upsert that commits itself).

Run: ``.venv/bin/python bench/rate_limits.py`` (``--database-url`` for PostgreSQL, ``--checks``).
It counts texts from 50 numbers in turn on a fresh SQLite file, as the SMS webhook does
before anything else, and prints the time and the CPU time per check. Compare with
``bench/sms_load.py``'s server CPU per text (a few milliseconds) to see its share.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

import storage
from bot._limits import RateLimits
from planbot.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checks", type=int, default=5000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="planbot-bench-") as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        schema = f"bench_{uuid.uuid4().hex[:12]}"  # PostgreSQL: a schema of its own, dropped after
        if args.database_url:
            with create_engine(url, isolation_level="AUTOCOMMIT").connect() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        env = {"PLANBOT_DATA_DIR": folder, "PLANBOT_SECRET_KEY": "bench-" + "k" * 32}
        # Texts under the limit, as nearly all are: the check is the count alone.
        env |= {"PLANBOT_MESSAGES_PER_MINUTE": "1000000", "PLANBOT_MESSAGES_PER_DAY": "1000000"}
        settings = Settings.from_env(env)
        options = {"connect_args": {"options": f"-csearch_path={schema}"}}
        db = storage.Database(url, engine_options=options if args.database_url else None)
        db.migrate()
        limits = RateLimits(db, settings)
        numbers = [f"+4477009{n:05d}" for n in range(50)]
        for n in range(200):  # warm up: the rows exist, as for people texting on
            limits.message("sms", numbers[n % 50], f"warm{n}")
        wall, cpu = time.perf_counter(), time.process_time()
        for n in range(args.checks):
            limits.message("sms", numbers[n % 50], f"SM{n}")
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        db.dispose()
        if args.database_url:
            with create_engine(url, isolation_level="AUTOCOMMIT").connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    kind = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"{args.checks} checks on {kind}: {1e6 * wall / args.checks:.0f} us each, "
        f"{1e6 * cpu / args.checks:.0f} us of CPU each"
    )


if __name__ == "__main__":
    main()
