"""How much guessing invite codes costs, and whether it slows the person: milliseconds per
message through ``Engine.handle()`` (p50/p99), on SQLite on disk or a PostgreSQL URL.

Run: ``.venv/bin/python bench/codes.py`` (``--guesses 2000``, ``--database-url
postgresql+psycopg://...`` for a server: its tables are made in a fresh schema, dropped
after). Four figures:

- *one phone*: wrong codes from one sender; after the 5th, each is refused without a look at
  the codes (the limit's row is read, nothing else is written but the kept reply);
- *many phones*: one wrong code from each of as many new senders (each a new address made
  and removed again, and a wrong-code row kept);
- *the person, alone* and *the person, during the flood*: the plan's holder adding things to
  their plan, with and without a guess from a new phone between each two of their messages.

The tests (tests/bot/test_codes_guessing.py) check only that everything is answered rightly.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from itertools import count
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dialogues import Engine, Incoming  # noqa: E402
from planbot.settings import Settings  # noqa: E402
from tests.auxil.databases import bench_database  # noqa: E402

IDS = count()


def send(engine: Engine, address: str, text: str) -> str:
    incoming = Incoming(channel="sms", address=address, message_id=f"m{next(IDS)}", text=text)
    return "\n".join(r.text for r in engine.handle(incoming))


def timed(work: Callable[[], str]) -> tuple[float, str]:
    start = time.perf_counter()
    said = work()
    return (time.perf_counter() - start) * 1000, said


def line(name: str, ms: list[float]) -> str:
    ordered = sorted(ms)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"{name:<28} {len(ms):>6} messages  p50 {statistics.median(ms):6.2f} ms  p99 {p99:6.2f} ms"
    )


def run(url: str | None, guesses: int) -> None:
    with tempfile.TemporaryDirectory() as folder, bench_database(
        url, Path(folder) / "codes.sqlite3"
    ) as db:
        settings = Settings.from_env(
            {
                "PLANBOT_DATA_DIR": folder,
                "PLANBOT_SECRET_KEY": "bench-key-0123456789-abcdefghijklmnop",
                "PLANBOT_TTS": "off",
            }
        )
        engine = Engine(db, settings)
        dev = "+447700900123"
        for text in ("hello", "yes", "1", "Dev"):
            send(engine, dev, text)
        invite = send(engine, dev, "INVITE")
        code = invite.split("JOIN ", 1)[1][:6]
        wrong = lambda n: f"{(int(code) + 1 + n) % 1_000_000:06d}"  # noqa: E731

        one = [
            timed(lambda n=n: send(engine, "+447700900666", f"JOIN {wrong(n)}"))[0]
            for n in range(guesses)
        ]
        many = [
            timed(lambda n=n: send(engine, f"+4477{n:09d}", f"JOIN {wrong(n)}"))[0]
            for n in range(guesses)
        ]
        alone = [
            timed(lambda n=n: send(engine, dev, f"alone {n}"))[0] for n in range(guesses // 10)
        ]
        during: list[float] = []
        for n in range(guesses // 10):
            send(engine, f"+4478{n:09d}", f"JOIN {wrong(n)}")
            ms, said = timed(lambda n=n: send(engine, dev, f"during {n}"))
            assert f"- during {n}" in said, said
            during.append(ms)
        backend = "PostgreSQL" if url else "SQLite"
        print(f"Invite codes guessed, through Engine.handle() on {backend}:")
        print(line("one phone, wrong codes", one))
        print(line("many phones, a wrong code", many))
        print(line("the person, alone", alone))
        print(line("the person, during a flood", during))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guesses", type=int, default=1000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    run(args.database_url, args.guesses)


if __name__ == "__main__":
    main()
