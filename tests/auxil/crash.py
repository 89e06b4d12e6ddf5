"""The crash test: ``planbot serve`` under load, killed with SIGKILL and started again.

Why here: the test (tests/e2e/test_crash.py) asserts nothing is lost or doubled, and the bench
(bench/crash.py) prints the same run's figures; both drive it from this one place.

Each simulated texter has its own number and its own connection and goes through a real
conversation (hello, yes, who, a name, then things for the topics with "done" now and then),
every webhook signed with Twilio's algorithm. A text that gets no 200 (the server died under
it, or was not up yet) is delivered again with the same MessageSid, as a retry would be: it
may or may not have been saved before the kill, and either way it must end up stored once.
The server (its whole process group, workers too) is killed with SIGKILL each time the count
of answered texts passes a random point in the load, then started again at once.

Afterwards, every texter sends one more thing, which must be read back at once (the
conversation carries on where it was), and the stored answers of each person are compared
with what they said: each thing once, in its topic, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

import storage
from tests.auxil.databases import TEST_KEY, TEST_KEYS
from tests.auxil.servers import free_port
from tests.auxil.twilio import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL, read_twiml, sign, sms_form

TOPICS = ("like_admire", "important_to", "best_support", "good_day", "bad_day")
START_TIMEOUT = 60.0


def script(n: int, things: int) -> list[str]:
    """What texter ``n`` says: the start of a plan, then ``things`` things and a "done" after
    every 3 (so each topic gets 3 things, and the next topic comes)."""
    said = ["hello", "yes", "1", name_of(n)]
    for k in range(1, things + 1):
        said.append(thing(n, k))
        if k % 3 == 0:
            said.append("done")
    return said


def name_of(n: int) -> str:
    return f"Texter {n}"


def thing(n: int, k: int) -> str:
    return f"thing {k} of texter {n}"


def expected(n: int, things: int) -> list[tuple[str, str]]:
    """(topic, words) of each thing texter ``n`` said, in order."""
    return [(TOPICS[(k - 1) // 3], thing(n, k)) for k in range(1, things + 1)]


@dataclass
class CrashResult:
    """What one crash run did and found."""

    backend: str
    workers: int
    texters: int
    kills: int = 0
    answered: int = 0  # texts that got a 200 (retries included)
    retried: int = 0  # deliveries again after no answer
    failed: int = 0  # HTTP answers other than 200 (a 500 would be a bug)
    lost: int = 0  # things that got a 200 but are not stored
    duplicated: int = 0  # things stored more than once
    misplaced: int = 0  # things stored in another topic or order than said
    not_carried_on: int = 0  # texters whose last thing was not read back at once
    seconds: float = 0.0
    starts: list[float] = field(default_factory=list)  # seconds each start took
    problems: list[str] = field(default_factory=list)
    log: str = ""

    @property
    def ok(self) -> bool:
        return not (
            self.lost or self.duplicated or self.misplaced or self.not_carried_on or self.failed
        )

    def line(self) -> str:
        return (
            f"{self.backend:10} {self.workers:7d} {self.texters:7d} {self.kills:5d} "
            f"{self.answered:8d} {self.retried:7d} {self.lost:4d} {self.duplicated:10d} "
            f"{self.misplaced:9d} {self.not_carried_on:14d} {self.failed:6d} {self.seconds:7.1f}"
        )


HEADER = (
    f"{'database':10} {'workers':>7} {'texters':>7} {'kills':>5} {'answered':>8} "
    f"{'retried':>7} {'lost':>4} {'duplicated':>10} {'misplaced':>9} {'not carried on':>14} "
    f"{'failed':>6} {'seconds':>7}"
)


def planbot_command() -> list[str]:
    script_ = Path(sys.executable).with_name("planbot")
    return [str(script_)] if script_.exists() else [sys.executable, "-m", "bot.cli"]


class Server:
    """``planbot serve`` in a process group of its own, so SIGKILL takes its workers too."""

    def __init__(self, env: dict[str, str], workers: int, folder: Path) -> None:
        self.env, self.workers, self.folder = env, workers, folder
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def log_path(self) -> Path:
        return self.folder / f"serve-{self.starts}.log"

    async def start(self) -> float:
        """Start it and wait until /healthz answers; return how long that took."""
        self.starts += 1
        began = time.monotonic()
        cmd = [*planbot_command(), "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        cmd += ["--workers", str(self.workers)]
        with self.log_path.open("wb") as out:
            self.process = subprocess.Popen(
                cmd, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        async with httpx.AsyncClient(timeout=1.0) as client:
            while time.monotonic() - began < START_TIMEOUT:
                if self.process.poll() is not None:
                    raise RuntimeError(f"planbot serve stopped:\n{self.log_path.read_text()}")
                try:
                    if (await client.get(f"{self.base}/healthz")).status_code == 200:
                        return time.monotonic() - began
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)
        self.kill()
        raise RuntimeError(f"planbot serve did not start:\n{self.log_path.read_text()}")

    def kill(self) -> None:
        """SIGKILL the server and every worker, as a power cut to the process would."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        """Stop it kindly (SIGTERM to the group), or kill it when it does not stop."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    def logs(self) -> str:
        return "\n".join(
            p.read_text("utf-8", "replace") for p in sorted(self.folder.glob("serve-*.log"))
        )


class Load:
    """The texters: each texts its script, delivering a text again until it gets a 200."""

    def __init__(self, server: Server, result: CrashResult, things: int) -> None:
        self.server, self.result, self.things = server, result, things
        self.up = asyncio.Event()

    async def deliver(self, client: httpx.AsyncClient, form: dict[str, str]) -> list[str]:
        headers = {"X-Twilio-Signature": sign(PUBLIC_URL + "/sms", form, AUTH_TOKEN)}
        first = True
        while True:
            if not first:
                self.result.retried += 1
            first = False
            await self.up.wait()
            try:
                response = await client.post(f"{self.server.base}/sms", data=form, headers=headers)
            except httpx.TransportError:
                await asyncio.sleep(0.05)
                continue
            if response.status_code != 200:
                self.result.failed += 1
                self.result.problems.append(f"HTTP {response.status_code}: {response.text[:200]}")
                await asyncio.sleep(0.05)
                continue
            self.result.answered += 1
            return read_twiml(response.text)

    async def texter(self, n: int, number: str) -> None:
        limits = httpx.Limits(max_connections=1)
        async with httpx.AsyncClient(timeout=30.0, limits=limits) as client:
            for said in script(n, self.things):
                await self.deliver(client, sms_form(number, said))

    async def carry_on(self, n: int, number: str) -> bool:
        """One more thing, after the crashes: read back at once, as the next thing said."""
        last = f"one more thing of texter {n}"
        async with httpx.AsyncClient(timeout=30.0) as client:
            bodies = await self.deliver(client, sms_form(number, last))
        return bool(bodies) and f"- {last}" in bodies[0]


def number_of(n: int) -> str:
    return f"+4477009{n:05d}"


async def _run(
    result: CrashResult, server: Server, things: int, kills: int, rng: random.Random
) -> None:
    load = Load(server, result, things)
    result.starts.append(await server.start())
    load.up.set()
    texts = result.texters * len(script(0, things))
    # Kill at a random point in each sixth of the load, so every kill comes under load.
    points = sorted(int(texts * (i + rng.random()) / (kills + 1)) for i in range(kills))
    texters = [asyncio.create_task(load.texter(n, number_of(n))) for n in range(result.texters)]
    try:
        for point in points:
            while result.answered < point and not all(t.done() for t in texters):
                await asyncio.sleep(0.001)
            load.up.clear()
            server.kill()
            result.kills += 1
            result.starts.append(await server.start())
            load.up.set()
        await asyncio.gather(*texters)
        went_on = await asyncio.gather(
            *(load.carry_on(n, number_of(n)) for n in range(result.texters))
        )
        result.not_carried_on = went_on.count(False)
    finally:
        for task in texters:
            task.cancel()


def _compare(result: CrashResult, url: str, things: int, options: dict[str, object]) -> None:
    """Count what is lost, doubled or out of place, person by person."""
    db = storage.Database(url, keys=TEST_KEYS, engine_options=options)
    try:
        with db.transaction() as session:
            for n in range(result.texters):
                want = [
                    *expected(n, things),
                    (TOPICS[things // 3], f"one more thing of texter {n}"),
                ]
                people = storage.find_people(session, name_of(n))
                got = (
                    [(a.section, a.text) for a in storage.answers_for(session, people[0])]
                    if len(people) == 1
                    else []
                )
                if len(people) != 1:
                    result.problems.append(f"{len(people)} people named {name_of(n)}")
                result.lost += sum(1 for item in set(want) if item not in got)
                result.duplicated += len(got) - len(set(got))
                if got != want and len(got) == len(set(got)) and set(got) == set(want):
                    result.misplaced += 1
                if got and got != want:
                    result.problems.append(f"{name_of(n)}: stored {got}, said {want}")
    finally:
        db.dispose()


def crash_run(
    folder: Path,
    *,
    database_url: str | None = None,
    engine_options: dict[str, object] | None = None,
    workers: int = 1,
    texters: int = 50,
    things: int = 3,
    kills: int = 5,
    seed: int | None = None,
) -> CrashResult:
    """One crash run on ``database_url`` (a fresh SQLite file in ``folder`` by default).

    ``things`` per texter (plus the 4 texts that start a plan and a "done" after every 3).
    """
    url = database_url or f"sqlite:///{folder / 'crash.sqlite3'}"
    backend = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PLANBOT_", "TWILIO_"))},
        "PLANBOT_DATA_DIR": str(folder / "data"),
        "PLANBOT_DATABASE_URL": url,
        "PLANBOT_PUBLIC_URL": PUBLIC_URL,
        "PLANBOT_TTS": "off",
        "PLANBOT_SECRET_KEY": TEST_KEY,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
    }
    result = CrashResult(backend, workers, texters)
    server = Server(env, workers, folder)
    rng = random.Random(seed)
    began = time.monotonic()
    try:
        asyncio.run(_run(result, server, things, kills, rng))
    finally:
        server.stop()
        result.seconds = time.monotonic() - began
        result.log = server.logs()
    _compare(result, url, things, engine_options or {})
    return result
