"""What encryption at rest costs the engine: CPU per message with a key and without, in turns.

Run: ``.venv/bin/python bench/at_rest.py`` (``--messages 1500 --rounds 4``).

Why beside ``bench/sms_load.py --compare-encryption``: there the server's CPU per text includes
the web stack and moves by 10-20% from run to run on a shared machine. Here one process
handles the same conversations (bench/engine.py's, 20 going on at once) through
``Engine.handle()`` on two SQLite files, one sealed with a key and one plain, taking turns
round by round so a busy moment on the machine falls on both. The figure is this thread's
CPU time per message (not wall-clock time). On a busy machine the rounds still differ by more
than encryption costs, so the encrypted run also times its own sealing, opening and hashing
(a ``Keyring`` that keeps count): that share of its CPU is the steadiest figure.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine import Slots, warm_up

import storage
from dialogues import Engine, Incoming
from planbot.settings import Settings

T = TypeVar("T")

CONVERSATIONS = 20
KEY = "bench-at-rest-key-0123456789-abcdefghijklmnop"


class TimedKeyring(storage.Keyring):
    """A keyring that adds up the CPU time of its own work (seal, open, look-up hashes)."""

    def __init__(self, current: str) -> None:
        super().__init__(current)
        self.calls, self.cpu = 0, 0.0

    def _timed(self, work: Callable[[], T]) -> T:
        began = time.thread_time()
        try:
            return work()
        finally:
            self.cpu += time.thread_time() - began
            self.calls += 1

    def seal_bytes(self, data: bytes) -> str:
        return self._timed(lambda: super(TimedKeyring, self).seal_bytes(data))

    def unseal_bytes(self, stored: str) -> bytes:
        return self._timed(lambda: super(TimedKeyring, self).unseal_bytes(stored))

    def lookups(self, plain: str) -> list[str]:
        return self._timed(lambda: super(TimedKeyring, self).lookups(plain))

    def lookup(self, plain: str) -> str:
        return self._timed(lambda: super(TimedKeyring, self).lookup(plain))


def make(folder: Path, name: str, keys: storage.Keyring | None) -> Engine:
    db = storage.open_database(f"sqlite:///{folder / name}", keys)
    return Engine(db, Settings.from_env({"PLANBOT_DATA_DIR": str(folder)}))


def cpu_per_message(engine: Engine, slots: Slots, messages: int, tag: str) -> float:
    """This thread's CPU milliseconds per message over ``messages`` messages."""
    began = time.thread_time()
    for i in range(messages):
        address, text = slots.next_message(i % len(slots.slots))
        engine.handle(Incoming("sms", address, f"{tag}-{i}", text))
    return 1000 * (time.thread_time() - began) / messages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1500, help="messages a round, each way")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="planbot-at-rest-") as folder:
        keys = TimedKeyring(KEY)
        engines = {
            "plain": make(Path(folder), "plain.sqlite3", None),
            "encrypted": make(Path(folder), "sealed.sqlite3", keys),
        }
        slots = {way: Slots(CONVERSATIONS, way) for way in engines}
        for engine in engines.values():
            warm_up(engine)
        keys.calls, keys.cpu = 0, 0.0
        figures: dict[str, list[float]] = {way: [] for way in engines}
        for round_ in range(args.rounds):
            order = list(engines) if round_ % 2 == 0 else list(reversed(engines))
            for way in order:
                tag = f"{way}-{round_}"
                figures[way].append(cpu_per_message(engines[way], slots[way], args.messages, tag))
    print(
        f"{CONVERSATIONS} conversations at once, {args.messages} messages a round each way, "
        f"{args.rounds} rounds; SQLite on disk; CPU ms per message (this thread)"
    )
    print(f"{'round':>5} {'plain':>8} {'encrypted':>10} {'cost':>7}")
    for n, (plain, sealed) in enumerate(zip(figures["plain"], figures["encrypted"], strict=True)):
        print(f"{n + 1:>5} {plain:8.3f} {sealed:10.3f} {100 * (sealed / plain - 1):+6.1f}%")
    plain, sealed = statistics.median(figures["plain"]), statistics.median(figures["encrypted"])
    print(
        f"median: {plain:.3f} ms plain, {sealed:.3f} ms encrypted: "
        f"{100 * (sealed / plain - 1):+.1f}% CPU per message (target under 10%)"
    )
    handled = args.messages * args.rounds
    own = 1000 * keys.cpu / handled
    print(
        f"the encrypted run's own crypto: {keys.calls / handled:.1f} calls and {own:.3f} ms "
        f"CPU per message, {100 * own / (sum(figures['encrypted']) / args.rounds - own):.1f}% "
        "on top of the rest of its work"
    )


if __name__ == "__main__":
    main()
