"""How fast the conversation engine answers: messages per second and p50/p99 milliseconds per
message through ``Engine.handle()``, on SQLite on disk (WAL), for 1, 10 and 100 conversations
going on at once.

Run: ``.venv/bin/python bench/engine.py`` (``--messages 2000``, ``--profile`` to print where the
time goes for 100 conversations). Each configuration gets a fresh database in a temp folder.

"At once" is measured two ways. *Interleaved*: one worker takes the conversations in turn, one
message each (what one web worker sees). *4 threads*: four workers, each with its own share of
the conversations, all writing to the same SQLite file; SQLite lets one writer in at a time, so
this shows the cost of waiting for the lock. A conversation that reaches its end is replaced by
a new one on a new address, so every configuration handles the same number of messages.
Target (issue 2): p99 under 10 ms per message for 100 conversations.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dialogues import Engine

TARGET_P99_MS = 10.0
CONVERSATIONS = (1, 10, 100)
WORKERS = 4

# One whole conversation, as people type it: consent, who, a name, two things and "done" for
# each of the nine topics (with a "dunno", a "back" and "my answers" on the way), then "no".
TOPIC_ANSWERS = [
    "bubbly, my laugh is infectious",
    "my lurcher Tango - he is my sunshine!",
    "listen to me; respect my privacy",
    "wake up in MY house not mums\nchair charged n ready\npopcorn + dvd w/ a mate 🍿",
    "some1 picks my clothes",
    "dunno",
    "agency staff change all the time",
    "I want to move into my own home with a garden",
    "my tablets at 8, walking the dog",
]


def conversation(name: str) -> list[str]:
    lines = ["hello", "yes", "1", name]
    for number, answer in enumerate(TOPIC_ANSWERS):
        lines.append(answer)
        if answer != "dunno":  # "dunno" already moves on
            lines.append("done")
        if number == 2:
            lines += ["back", "done", "my answers"]
    return [*lines, "no"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


@dataclass
class Result:
    conversations: int
    mode: str
    messages: int
    seconds: float
    timings: list[tuple[float, float]]  # (wall ms, CPU ms) per message

    def row(self) -> str:
        wall = [w for w, _ in self.timings]
        cpu = [c for _, c in self.timings]
        return (
            f"{self.conversations:>13}  {self.mode:<12} {self.messages:>8} "
            f"{self.messages / self.seconds:>7.0f} {statistics.median(wall):>7.2f} "
            f"{self.p99:>7.2f} {max(wall):>7.1f} {statistics.median(cpu):>8.2f} "
            f"{percentile(cpu, 0.99):>8.2f}"
        )

    @property
    def p99(self) -> float:
        return percentile([w for w, _ in self.timings], 0.99)


class Slots:
    """``n`` conversations going on at once; one that ends is replaced by a new one."""

    def __init__(self, n: int, prefix: str) -> None:
        self._ids = count()
        self.prefix = prefix
        self.slots = [self._new() for _ in range(n)]

    def _new(self) -> tuple[str, Iterator[str]]:
        number = next(self._ids)
        return f"{self.prefix}-{number}", iter(conversation(f"Person {number}"))

    def next_message(self, slot: int) -> tuple[str, str]:
        address, lines = self.slots[slot]
        for line in lines:
            return address, line
        self.slots[slot] = self._new()
        return self.next_message(slot)


def make_engine(folder: Path) -> Engine:
    import storage
    from dialogues import Engine
    from planbot.settings import Settings

    db = storage.open_database(f"sqlite:///{folder / 'planbot.sqlite3'}")
    return Engine(db, Settings.from_env({"PLANBOT_DATA_DIR": str(folder)}))


def send(engine: Engine, address: str, text: str, message_id: str) -> tuple[float, float]:
    """Handle one message: (wall-clock ms, this thread's CPU ms)."""
    from dialogues import Incoming

    start, cpu = time.perf_counter(), time.thread_time()
    replies = engine.handle(Incoming("sms", address, message_id, text))
    took = (time.perf_counter() - start) * 1000, (time.thread_time() - cpu) * 1000
    assert replies and replies[0].text, (address, text)
    return took


def warm_up(engine: Engine) -> None:
    for n, line in enumerate(conversation("Warm") * 3):
        send(engine, "warm-up", line, f"warm-{n}")


def run_interleaved(engine: Engine, n: int, messages: int) -> Result:
    slots = Slots(n, f"i{n}")
    latencies: list[tuple[float, float]] = []
    start = time.perf_counter()
    for i in range(messages):
        address, text = slots.next_message(i % n)
        latencies.append(send(engine, address, text, f"i{n}-{i}"))
    return Result(n, "interleaved", messages, time.perf_counter() - start, latencies)


def run_threads(engine: Engine, n: int, messages: int) -> Result:
    workers = min(WORKERS, n)
    latencies: list[list[tuple[float, float]]] = [[] for _ in range(workers)]
    per_worker = messages // workers

    def work(worker: int) -> None:
        # Each worker owns its own conversations, so each conversation stays in order.
        mine = Slots(max(1, n // workers), f"t{n}-{worker}")
        for i in range(per_worker):
            address, text = mine.next_message(i % len(mine.slots))
            latencies[worker].append(send(engine, address, text, f"t{n}-{worker}-{i}"))

    threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    flat = [x for per in latencies for x in per]
    return Result(n, f"{workers} threads", len(flat), seconds, flat)


def profile_interleaved(messages: int) -> str:
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(Path(folder))
        warm_up(engine)
        profiler = cProfile.Profile()
        profiler.enable()
        run_interleaved(engine, 100, messages)
        profiler.disable()
        engine.db.dispose()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative")
    stats.print_stats(30)
    out.write("\n--- by own time ---\n")
    stats.sort_stats("tottime").print_stats(20)
    return out.getvalue()


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout too
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000, help="messages per configuration")
    parser.add_argument("--profile", action="store_true", help="profile 100 interleaved")
    args = parser.parse_args()

    print(f"Engine.handle() on SQLite on disk (WAL), {args.messages} messages per row")
    print(f"Python {sys.version.split()[0]}, {sys.platform}\n")
    print(" " * 37 + "---- wall clock ms ---- -- CPU ms (this thread) --")
    print(
        f"{'conversations':>13}  {'mode':<12} {'messages':>8} {'msgs/s':>7} "
        f"{'p50':>7} {'p99':>7} {'max':>7} {'p50':>8} {'p99':>8}"
    )
    results = []
    for n in CONVERSATIONS:
        for runner in (run_interleaved, run_threads):
            with tempfile.TemporaryDirectory() as folder:
                engine = make_engine(Path(folder))
                warm_up(engine)
                result = runner(engine, n, args.messages)
                engine.db.dispose()
            results.append(result)
            print(result.row(), flush=True)

    hundred = next(r for r in results if r.conversations == 100 and r.mode == "interleaved")
    verdict = "met" if hundred.p99 < TARGET_P99_MS else "MISSED"
    print(
        f"\nTarget: p99 under {TARGET_P99_MS:.0f} ms for 100 conversations (interleaved): "
        f"{verdict} ({hundred.p99:.2f} ms)."
    )
    if args.profile:
        print("\n" + profile_interleaved(args.messages))


if __name__ == "__main__":
    main()
