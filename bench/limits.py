"""PROFILE for a person at each limit, and what another texter waits meanwhile.

Run: ``.venv/bin/python bench/limits.py`` (options: ``--texters 20 --paced 1 --repeat 5``).
Everything stays on 127.0.0.1.

It starts ``planbot serve`` (SQLite in a fresh folder, 1 worker, speech off) and keeps
``--texters`` people texting it (each waits ``--paced`` seconds between texts on average, as
in ``bench/sms_load.py``). Then, one after another, a person of each kind below texts
PROFILE ``--repeat`` times:

- typical: 3 topics of 5 short things;
- at the topic limit: 9 topics of 40 short things (the most a topic keeps);
- at every limit: 9 topics of 40 things of 500 characters each;
- stored before the limits: 3,155 things in 3 topics (what once took 18.3 s to fit into
  texts, with every other texter waiting).

Figures for each: PROFILE's time (median and slowest), the other texters' p99 while it ran
(and their p99 with nobody asking for a profile, to compare), and the PDF behind the link,
made once (the first time) and then kept (the second time).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parents[1]
KEY = secrets.token_urlsafe(32)  # this run's key: the data are sealed with it
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))  # run from a checkout too

import storage  # noqa: E402
from bench.sms_load import (  # noqa: E402
    ACCOUNT_SID,
    HOST,
    PUBLIC_URL,
    TOKEN,
    free_port,
    script,
    start,
)

SENTENCE = "I like going swimming on a Saturday with my friend Sam and a hot chocolate. "
SECTIONS = (
    "like_admire",
    "important_to",
    "best_support",
    "good_day",
    "bad_day",
    "working",
    "not_working",
    "want_to_change",
    "healthy_safe",
)


@dataclass(frozen=True)
class Person:
    name: str
    number: str
    topics: int
    things: int  # a topic
    chars: int  # a thing


PEOPLE = (
    Person("typical", "+447700800001", 3, 5, 30),
    Person("at the topic limit", "+447700800002", 9, 40, 30),
    Person("at every limit", "+447700800003", 9, 40, 500),
    Person("stored before the limits", "+447700800004", 3, 1052, 30),
)


def thing(n: int, chars: int) -> str:
    return f"{n} {SENTENCE * (chars // len(SENTENCE) + 1)}"[:chars].rstrip()


def add_people(url: str) -> None:
    """Each person with their things, stored as the engine stores answers."""
    db = storage.open_database(url, keys=storage.Keyring(KEY, ()))
    with db.transaction() as session:
        for who in PEOPLE:
            person = storage.create_person(session, who.name)
            address = storage.get_or_create_address(session, "sms", who.number)
            storage.link_person(session, person, address)
            for key in SECTIONS[: who.topics]:
                for n in range(who.things):
                    storage.add_answer(
                        session,
                        person,
                        None,
                        key,
                        thing(n, who.chars),
                        said_by=who.name,
                        perspective="person",
                    )


@dataclass
class Load:
    """The other texters' times: (when the text was sent, how long its answer took)."""

    times: list[tuple[float, float]] = field(default_factory=list)
    errors: int = 0

    def p99(self, began: float, ended: float) -> float:
        took = sorted(t for at, t in self.times if began <= at <= ended)
        if not took:
            return float("nan")
        return 1000 * took[min(len(took) - 1, int(0.99 * len(took)))]


async def sms(client: httpx.AsyncClient, number: str, body: str) -> httpx.Response:
    form = {
        "From": number,
        "To": "+447700900000",
        "Body": body,
        "NumMedia": "0",
        "MessageSid": f"SM{os.urandom(16).hex()}",
        "AccountSid": ACCOUNT_SID,
    }
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC_URL + "/sms", form)
    return await client.post("/sms", data=form, headers={"X-Twilio-Signature": signature})


async def texter(base: str, n: int, think: float, load: Load, stop: asyncio.Event) -> None:
    gaps = random.Random(n)
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        await asyncio.sleep(gaps.uniform(0, think))
        for body in script(n, 10**6):
            if stop.is_set():
                return
            began = time.perf_counter()
            response = await sms(client, f"+447711{n:06d}", body)
            if response.status_code != 200:
                load.errors += 1
            else:
                load.times.append((began, time.perf_counter() - began))
            await asyncio.sleep(gaps.expovariate(1 / think))


def link_in(twiml: str) -> str:
    words = [w for w in twiml.replace("<", " ").split() if w.startswith(f"{PUBLIC_URL}/p/")]
    return words[0].removeprefix(PUBLIC_URL) if words else ""


async def run(base: str, args: argparse.Namespace) -> None:
    load, stop = Load(), asyncio.Event()
    texters = [
        asyncio.create_task(texter(base, n, args.paced, load, stop)) for n in range(args.texters)
    ]
    await asyncio.sleep(5)  # everyone under way
    began = time.perf_counter()
    await asyncio.sleep(10)
    quiet = load.p99(began, time.perf_counter())
    print(f"{args.texters} texters, one every {args.paced:g} s each on average")
    print(f"their p99 with nobody asking for a profile: {quiet:.0f} ms\n")
    print(
        f"{'person':26} {'things':>6} {'PROFILE ms':>10} {'slowest':>8} {'others p99':>10} "
        f"{'PDF made ms':>11} {'PDF kept ms':>11}"
    )
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        for who in PEOPLE:
            took, link = [], ""
            began = time.perf_counter()
            for _ in range(args.repeat):
                start_at = time.perf_counter()
                answer = await sms(client, who.number, "PROFILE")
                took.append(1000 * (time.perf_counter() - start_at))
                link = link_in(answer.text) or link
            ended = time.perf_counter()
            pdf = []
            for _ in range(0 if args.no_pdf else 2):
                start_at = time.perf_counter()
                try:
                    got = await client.get(f"{link}.pdf")
                except httpx.TimeoutException:
                    pdf.append("> 120000")
                    continue
                pdf.append(f"{1000 * (time.perf_counter() - start_at):.0f}")
                if got.status_code != 200:
                    pdf[-1] += f" ({got.status_code})"
            pdf += ["-"] * (2 - len(pdf))
            print(
                f"{who.name:26} {who.topics * who.things:6d} {statistics.median(took):10.0f} "
                f"{max(took):8.0f} {load.p99(began, ended):10.0f} {pdf[0]:>11} {pdf[1]:>11}"
            )
    stop.set()
    await asyncio.gather(*texters)
    if load.errors:
        print(f"warning: {load.errors} texts failed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texters", type=int, default=20)
    parser.add_argument("--paced", type=float, default=1.0, help="seconds between texts")
    parser.add_argument("--repeat", type=int, default=5, help="PROFILE texts for each person")
    parser.add_argument("--no-pdf", action="store_true", help="do not ask for the PDFs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="planbot-bench-") as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        add_people(url)
        env = {
            **os.environ,
            "PLANBOT_DATA_DIR": folder,
            "PLANBOT_PUBLIC_URL": PUBLIC_URL,
            "PLANBOT_DATABASE_URL": url,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "PLANBOT_TTS": "off",
            "PYTHONPATH": str(ROOT),
            "PLANBOT_SECRET_KEY": KEY,  # encrypted at rest, as a deployment must be
        }
        port = free_port()
        planbot = [str(Path(sys.executable).with_name("planbot")), "serve"]
        server = start(
            [*planbot, "--host", HOST, "--port", str(port)], env, port, Path(folder) / "log"
        )
        try:
            asyncio.run(run(f"http://{HOST}:{port}", args))
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"\nplanbot serve on SQLite, 1 worker; {os.cpu_count()} CPUs shared with this client")


if __name__ == "__main__":
    main()
