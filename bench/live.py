"""Planning Live with a full group: a facilitator, 10 participants and 5 allies driven through
the whole agenda by SMS; how long NEXT takes to reach the last participant, and CPU per message.

Run: ``.venv/bin/python bench/live.py`` (``--participants 10 --allies 5``; ``--postgres`` to
run on PostgreSQL too, at ``--database-url`` or PLANBOT_TEST_DATABASE_URL, in a fresh schema
dropped after; with PLANBOT_TEST_DATABASE_URL set, PostgreSQL runs without ``--postgres``).

Everything is real but the network: ``Engine.handle()`` on a migrated database sealed with a
fresh key (an SQLite file in a temp folder, WAL, as ``planbot serve`` has it), and the outbox
sent by ``bot.OutboxSender`` through a channel sender of its own that only notes when each
message was handed to it (``time.perf_counter()``), where Twilio's REST call would start.

The session, as a group meets: LIVE and the group's name; each participant texts JOIN and the
code and answers the joining questions (own plan, consent, who is typing, their name); each
ally texts JOIN, "to help someone", picks a participant, says yes, their name and "family",
and the participant says yes to "Is that OK?"; PRACTICE (each participant answers the two
questions about Helen); then for each of the 6 topics: NEXT, each participant answers each
question of the topic (2 or 3 things, then "done"), and BOARD. NUDGE once, in the middle
topic while half the group has not answered yet; FINISH at the end (on SMS the facilitator
is told FINISH: Twilio takes END as an opt-out). A smaller group goes through one topic first
in the same database, so caches and connections are warm.

Figures, per database:

- *NEXT to the last question handed*: from just before ``engine.handle("next")`` until the
  channel sender has been handed the topic's question for the last participant (the engine's
  transaction, which moves every conversation and queues one outbox row each, then
  ``OutboxSender.send_due()``), per topic and as median and max;
- *CPU per NEXT*: ``time.process_time()`` around the facilitator's ``engine.handle("next")``;
- *CPU per answer*: ``time.process_time()`` around every participant's answer during the
  topics (the things and each "done"), divided by their number.

On PostgreSQL, process CPU is the client's only: the server's backends (their pids asked once
per connection, their CPU read from /proc where it is readable, 10 ms ticks) are added as
"server CPU", for the whole run's answers and NEXTs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout too

import storage  # noqa: E402
from bot import OutboxSender  # noqa: E402
from dialogues import Engine, Incoming, Reply  # noqa: E402
from dialogues._live_agenda import agenda  # noqa: E402
from planbot.settings import Settings  # noqa: E402
from tests.auxil.databases import bench_database  # noqa: E402

POSTGRES_ENV = "PLANBOT_TEST_DATABASE_URL"
NAMES = ["Dev", "Amy", "Bilal", "Carys", "Dean", "Esme", "Femi", "Gail", "Hari", "Iris"]
NAMES += [f"Person{n}" for n in range(10, 100)]
ALLIES = ["Sam", "Jo", "Kit", "Lou", "Mo", "Ned", "Oona", "Pat", "Raj", "Sue"]
ALLIES += [f"Ally{n}" for n in range(10, 100)]
# Things people say at each question (2 or 3 of them, then "done").
THINGS = {
    "like_admire": ["I am kind", "I make people laugh", "good at fixing bikes"],
    "good_day": ["a lie in", "swimming with my mate", "fish and chips on Friday"],
    "bad_day": ["the bus is late", "staff I do not know", "noise at night"],
    "important_to": ["my dog Tango", "seeing my mum on Sundays", "my football team"],
    "working": ["my job at the cafe", "my flat", "my new phone"],
    "not_working": ["my staff change a lot", "money for trips", "my back hurts"],
    "in_12_months": ["learn to cook", "go on holiday with friends", "a paid job"],
    # As the question's example has it: with commas, one action is kept as three things.
    "actions": [
        "find a cooking class. Mum will help. By March.",
        "save for a holiday. By June.",
        "ask about jobs. My support worker will help.",
    ],
}
PRACTICE_THINGS = ["she likes her flat", "she is bored at the day centre"]


class RecordingSender:
    """The SMS channel's sender, but it only notes when each message is handed to it."""

    channel = "sms"

    def __init__(self) -> None:
        self.handed: list[tuple[float, str, str]] = []  # (perf_counter, address, text)

    async def deliver(self, address: str, reply: Reply) -> str:
        self.handed.append((time.perf_counter(), address, reply.text))
        return "sent"


@dataclass
class Figures:
    """One database's run."""

    backend: str
    topics: list[tuple[int, str, int, float, float, float, float]] = field(default_factory=list)
    # (number, title, questions handed, engine ms, NEXT to the first handed ms, to the last
    # handed ms, NEXT CPU ms)
    answers: int = 0
    answers_cpu: float = 0.0  # seconds
    answers_wall: float = 0.0
    answers_server: float | None = None
    next_server: float | None = None
    nudge_ms: float = 0.0
    nudged: int = 0
    others: dict[str, float] = field(default_factory=dict)  # other words: wall ms

    @property
    def cpu_per_answer(self) -> float:
        return 1000 * self.answers_cpu / self.answers

    @property
    def cpu_per_next(self) -> float:
        return statistics.mean(t[6] for t in self.topics)

    @property
    def to_last(self) -> list[float]:
        return [t[5] for t in self.topics]

    @property
    def with_server(self) -> tuple[float, float] | None:
        """CPU ms per answer and per NEXT, this process's and the database server's."""
        if self.answers_server is None or self.next_server is None:
            return None
        answer = self.cpu_per_answer + 1000 * self.answers_server / self.answers
        return answer, self.cpu_per_next + 1000 * self.next_server / len(self.topics)


class ServerCpu:
    """PostgreSQL's backends for this run's connections, and their CPU from /proc."""

    def __init__(self, db: storage.Database) -> None:
        from sqlalchemy import event

        self.pids: set[int] = set()

        def noted(dbapi_connection: Any, _record: Any) -> None:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.pids.add(int(cursor.fetchone()[0]))
            dbapi_connection.commit()

        event.listen(db.engine, "connect", noted)
        db.engine.dispose()  # the pool's connections (the migration's) come again, noted

    def seconds(self) -> float | None:
        """The backends' CPU so far (None when /proc does not show them)."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        try:
            for pid in self.pids:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            return None
        return total / ticks


class Group:
    """Drives one group's session through the engine, and the outbox through the sender."""

    def __init__(self, engine: Engine, outbox: OutboxSender, sender: RecordingSender) -> None:
        self.engine, self.outbox, self.sender = engine, outbox, sender
        self.ids = count()

    def say(self, address: str, text: str) -> str:
        incoming = Incoming("sms", address, f"SM{next(self.ids):06d}", text)
        return "\n".join(r.text for r in self.engine.handle(incoming))

    def expect(self, address: str, text: str, wanted: str) -> str:
        said = self.say(address, text)
        if wanted not in said:
            raise SystemExit(f"{address} said {text!r} and got, not {wanted!r}:\n{said}")
        return said

    async def flush(self) -> list[tuple[float, str, str]]:
        """Send what the outbox holds now; what was handed to the sender."""
        before = len(self.sender.handed)
        await self.outbox.send_due()
        return self.sender.handed[before:]


@dataclass
class People:
    facilitator: str
    participants: list[str]
    allies: list[str]

    @classmethod
    def numbered(cls, prefix: str, participants: int, allies: int) -> People:
        return cls(
            f"+44770{prefix}0000",
            [f"+44770{prefix}1{n:03d}" for n in range(participants)],
            [f"+44770{prefix}2{n:03d}" for n in range(allies)],
        )


async def gather(group: Group, people: People, name: str) -> None:
    """LIVE, the participants joining, the allies joining and their participants' yes."""
    f = people.facilitator
    group.expect(f, "LIVE", "name of your group")
    ready = group.expect(f, name, "JOIN")
    found = re.search(r"JOIN (\d{6})", ready)
    assert found is not None, ready
    code = found.group(1)
    for n, address in enumerate(people.participants):
        group.expect(address, f"JOIN {code}", "own plan")
        group.expect(address, "my own plan", "keep your answers safe")
        group.expect(address, "yes", "Who is typing")
        group.expect(address, "me", "What should I call you")
        group.expect(address, NAMES[n], "wait for the first topic")
    for n, address in enumerate(people.allies):
        helped = n % len(people.participants)
        group.expect(address, f"JOIN {code}", "own plan")
        group.expect(address, "to help someone", "Who did you come with")
        group.expect(address, NAMES[helped], "Can I keep your name")
        group.expect(address, "yes", "What is your name")
        group.expect(address, ALLIES[n], "How do you know")
        group.expect(address, "family", "I have asked")
        asked = await group.flush()
        assert [a for _, a, t in asked if "Is that OK?" in t] == [people.participants[helped]]
        group.expect(people.participants[helped], "yes", "can see your plan now")
        await group.flush()  # the ally hears the yes


def answer_question(group: Group, address: str, step: str, things: int, fig: Figures) -> None:
    """A participant's things for one question, then "done"; each one timed."""
    texts = [*THINGS[step][:things], "done"]
    for text in texts:
        wall, cpu = time.perf_counter(), time.process_time()
        said = group.say(address, text)
        fig.answers_cpu += time.process_time() - cpu
        fig.answers_wall += time.perf_counter() - wall
        fig.answers += 1
        if text != "done" and "I have saved" not in said:
            raise SystemExit(f"{address} said {text!r} at {step} and got:\n{said}")


async def run_session(
    group: Group, people: People, fig: Figures, server: ServerCpu | None, topics: int
) -> None:
    f = people.facilitator
    await gather(group, people, "Bench group")
    group.expect(f, "practice", "Practice sent to")
    await group.flush()
    for address in people.participants:
        group.expect(address, PRACTICE_THINGS[0], "I have saved")
        group.expect(address, "done", "not working for Helen")
        group.expect(address, PRACTICE_THINGS[1], "I have saved")
        group.expect(address, "done", "wait")
    await group.flush()
    everyone = set(people.participants)
    middle = (topics + 1) // 2
    for topic in agenda()[:topics]:
        before = server.seconds() if server else None
        start, cpu = time.perf_counter(), time.process_time()
        said = group.say(f, "next")
        cpu_next = time.process_time() - cpu
        engine_ms = 1000 * (time.perf_counter() - start)
        handed = await group.flush()
        if server is not None and before is not None and (after := server.seconds()) is not None:
            fig.next_server = (fig.next_server or 0.0) + after - before
        assert f"Topic {topic.number} of" in said, said
        questions = [(t, a) for t, a, text in handed if text.startswith(f"Topic {topic.number} ")]
        if sorted(a for _, a in questions) != sorted(everyone):
            raise SystemExit(f"topic {topic.number}: questions went to {len(questions)} people")
        first = 1000 * (min(t for t, _ in questions) - start)
        last = 1000 * (max(t for t, _ in questions) - start)
        fig.topics.append(
            (topic.number, topic.title, len(questions), engine_ms, first, last, 1000 * cpu_next)
        )
        before = server.seconds() if server else None
        for n, address in enumerate(people.participants):
            if topic.number == middle and n == len(people.participants) // 2:
                start = time.perf_counter()
                group.expect(f, "nudge", "reminder went to")
                nudges = await group.flush()
                fig.nudge_ms = 1000 * (max(t for t, _, _ in nudges) - start)
                fig.nudged = len(nudges)
            for step in topic.steps:
                answer_question(group, address, step, 2 + n % 2, fig)
        if server is not None and before is not None and (after := server.seconds()) is not None:
            fig.answers_server = (fig.answers_server or 0.0) + after - before
        start = time.perf_counter()
        group.expect(f, "board", "How many things each person said")
        board_ms = 1000 * (time.perf_counter() - start)
        fig.others["BOARD"] = max(fig.others.get("BOARD", 0.0), board_ms)
        await group.flush()
    start = time.perf_counter()
    group.expect(f, "who", "In the Bench group")
    fig.others["WHO"] = 1000 * (time.perf_counter() - start)
    start = time.perf_counter()
    group.expect(f, "finish", "The session has ended")
    ended = await group.flush()
    fig.others["FINISH, to last handed"] = 1000 * (max(t for t, _, _ in ended) - start)
    assert {a for _, a, _ in ended} == everyone, "each participant hears the session ended"


async def run(url: str | None, participants: int, allies: int, topics: int) -> Figures:
    secret = storage.new_secret()
    with tempfile.TemporaryDirectory(prefix="planbot-live-") as folder:
        settings = Settings.from_env(
            {
                "PLANBOT_DATA_DIR": folder,
                "PLANBOT_PUBLIC_URL": "https://planbot.bench.invalid",
                "PLANBOT_SECRET_KEY": secret,
            }
        )
        keys = storage.Keyring(secret)
        with bench_database(url, Path(folder) / "live.sqlite3", keys) as db:
            server = ServerCpu(db) if url else None
            sender = RecordingSender()
            group = Group(Engine(db, settings), OutboxSender(db, [sender]), sender)
            warm = People.numbered("901", 2, 1)
            await run_session(group, warm, Figures("warm-up"), None, 1)
            fig = Figures("PostgreSQL" if url else "SQLite")
            people = People.numbered("900", participants, allies)
            await run_session(group, people, fig, server, topics)
    return fig


def report(fig: Figures, participants: int, allies: int) -> None:
    print(f"\n{fig.backend}: 1 facilitator, {participants} participants, {allies} allies")
    print(f"{'':>49}{'-- NEXT to handed ms --':>27}")
    print(
        f"{'topic':>5}  {'title':<34} {'sent':>4} {'handle ms':>9} {'first':>8} {'last':>8} "
        f"{'CPU ms':>8}"
    )
    for number, title, sent, engine_ms, first, last, cpu in fig.topics:
        print(
            f"{number:>5}  {title:<34} {sent:>4} {engine_ms:>9.1f} {first:>8.1f} {last:>8.1f} "
            f"{cpu:>8.1f}"
        )
    print(
        f"NEXT to the last question handed: median {statistics.median(fig.to_last):.1f} ms, "
        f"max {max(fig.to_last):.1f} ms; CPU per NEXT {fig.cpu_per_next:.1f} ms"
    )
    print(
        f"participants' answers: {fig.answers} messages, {fig.cpu_per_answer:.2f} ms CPU and "
        f"{1000 * fig.answers_wall / fig.answers:.2f} ms wall each"
    )
    if fig.answers_server is not None and fig.next_server is not None:
        print(
            f"PostgreSQL server CPU: {1000 * fig.answers_server / fig.answers:.2f} ms per answer, "
            f"{1000 * fig.next_server / len(fig.topics):.1f} ms per NEXT (with its sending)"
        )
    print(f"NUDGE to the last reminder handed: {fig.nudge_ms:.1f} ms ({fig.nudged} reminders)")
    for what, ms in fig.others.items():
        print(f"{what}: {ms:.1f} ms" + (" (the slowest)" if what == "BOARD" else ""))


def table(figures: list[Figures]) -> None:
    print(
        f"\n{'database':<11} {'NEXT to last, median ms':>23} {'max ms':>7} {'CPU/NEXT ms':>11} "
        f"{'CPU/answer ms':>13}"
    )
    for fig in figures:
        print(
            f"{fig.backend:<11} {statistics.median(fig.to_last):>23.1f} {max(fig.to_last):>7.1f} "
            f"{fig.cpu_per_next:>11.1f} {fig.cpu_per_answer:>13.2f}"
        )
    if len(figures) != 2:
        return
    sqlite, postgres = figures
    answer = postgres.cpu_per_answer / sqlite.cpu_per_answer
    per_next = postgres.cpu_per_next / sqlite.cpu_per_next
    print(
        f"PostgreSQL/SQLite CPU per answer: {answer:.2f}, per NEXT: {per_next:.2f} "
        "(this process's CPU)"
    )
    both = postgres.with_server
    if both is not None:
        print(
            f"with the PostgreSQL server's CPU added: {both[0] / sqlite.cpu_per_answer:.2f} per "
            f"answer ({both[0]:.2f} ms), {both[1] / sqlite.cpu_per_next:.2f} per NEXT "
            f"({both[1]:.1f} ms)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=10)
    parser.add_argument("--allies", type=int, default=5)
    parser.add_argument("--topics", type=int, default=len(agenda()), help="how many to run")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL as well as SQLite")
    parser.add_argument("--database-url", default=os.environ.get(POSTGRES_ENV, ""))
    args = parser.parse_args()
    if not 1 <= args.participants <= storage.live.MAX_PARTICIPANTS:
        parser.error(f"--participants: 1 to {storage.live.MAX_PARTICIPANTS}")
    if not 1 <= args.topics <= len(agenda()):
        parser.error(f"--topics: 1 to {len(agenda())}")
    use_postgres = args.postgres or bool(os.environ.get(POSTGRES_ENV))
    if use_postgres and not args.database_url:
        parser.error(f"--postgres needs --database-url or {POSTGRES_ENV}")
    version = sys.version.split()[0]
    print(f"Planning Live through Engine.handle() and OutboxSender; Python {version}")
    urls = [None, args.database_url] if use_postgres else [None]
    figures = []
    for url in urls:
        fig = asyncio.run(run(url, args.participants, args.allies, args.topics))
        report(fig, args.participants, args.allies)
        figures.append(fig)
    table(figures)


if __name__ == "__main__":
    main()
