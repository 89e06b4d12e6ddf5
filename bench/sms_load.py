"""Load on the SMS webhook: N people texting at once, against ``planbot serve`` and a bare app.

Run: ``.venv/bin/python bench/sms_load.py`` (options: ``--texters 50 --messages 24
--seconds 60 --paced 1 --compare-encryption``). Everything stays on 127.0.0.1.

It starts ``planbot serve`` (SQLite in a fresh folder, 1 worker) and, beside it, a bare
FastAPI app under uvicorn whose ``/sms`` only reads the form and answers fixed TwiML: the
ceiling for one worker on this machine. Each simulated texter has its own number, its own
connection, and goes through a real conversation (hello, yes, who, name, then things for the
topics, "done" now and then), every webhook signed with Twilio's algorithm.

Two runs against each server. "Flat out": a texter sends its next text as soon as the answer
to the last one arrives, which measures the most a server can take (and, with 50 texters
queued, latency is about 50 times the time per text). "Paced": each texter waits a random
time between texts, ``--paced`` seconds on average (exponential, as for independent people;
real people take longer), which measures the delay a person would see.
Figures: texts per second and p50/p95/p99 of the time from sending a text to having the TwiML,
and the server's own CPU time per text (read from /proc: steadier than wall-clock figures on
a machine whose cores the client shares).

planbot serve runs with a key (``PLANBOT_SECRET_KEY``), as a deployment must. With
``--compare-encryption`` a second ``planbot serve --insecure-no-encryption`` (its own SQLite
file) takes the same load in the same runs, and the cost of encryption is printed: the extra
server CPU per text.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI, Request, Response
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
PUBLIC_URL = "https://planbot.bench.invalid"
TOKEN = "bench-auth-token"
ACCOUNT_SID = "AC" + "0" * 32
WARM_UP = 3
BARE_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>OK</Message></Response>'


def bare_server(port: int) -> None:
    """The ceiling: a FastAPI ``/sms`` that reads the form and answers fixed TwiML."""
    import uvicorn

    app = FastAPI()

    @app.post("/sms")
    async def sms(request: Request) -> Response:
        await request.form()
        return Response(BARE_TWIML, media_type="application/xml")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    uvicorn.run(app, host=HOST, port=port, access_log=False, log_level="warning")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def start(cmd: list[str], env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    """Start a server (its log goes to a file: a full pipe would stall it) and wait for it."""
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{cmd[0]} stopped:\n{log.read_text()}")
        try:
            if httpx.get(f"http://{HOST}:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{cmd[0]} did not start")


def script(n: int, messages: int) -> list[str]:
    """What texter ``n`` says: a real conversation, a few things per topic."""
    said = ["hello", "yes", "1", f"Person {n}"]
    k = 0
    while len(said) < messages:
        k += 1
        said.append("done" if k % 4 == 0 else f"thing {k} for person {n}")
    return said[:messages]


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by a process and all its children (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    used: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended while we looked
        this = int(stat.parent.name)
        children.setdefault(int(fields[1]), []).append(this)
        used[this] = (int(fields[11]) + int(fields[12])) / ticks
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += used.get(current, 0.0)
        todo += children.get(current, [])
    return total


@dataclass
class Result:
    name: str
    latencies: list[float]
    seconds: float
    errors: int
    cpu: float = 0.0  # the server's CPU seconds over the run

    @property
    def cpu_ms_per_text(self) -> float:
        return 1000 * self.cpu / len(self.latencies) if self.latencies else float("nan")

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        ordered = sorted(self.latencies) or [float("nan")]
        return 1000 * ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    def line(self) -> str:
        return (
            f"{self.name:16} {len(self.latencies):6d} {self.rate:9.1f} {self.pct(50):8.1f} "
            f"{self.pct(95):8.1f} {self.pct(99):8.1f} {self.errors:6d} {self.cpu_ms_per_text:8.2f}"
        )


async def drive(
    name: str, base: str, args: argparse.Namespace, run: str, server_pid: int
) -> Result:
    """Every texter at once, each with its own connection (one shared pool of 50 connections
    costs httpx more than the bare server costs to answer)."""
    validator = RequestValidator(TOKEN)
    latencies: list[float] = []
    errors = 0

    async def text(client: httpx.AsyncClient, number: str, body: str, count: bool) -> None:
        nonlocal errors
        form = {
            "From": number,
            "To": "+447700900000",
            "Body": body,
            "NumMedia": "0",
            "MessageSid": f"SM{os.urandom(16).hex()}",
            "AccountSid": ACCOUNT_SID,
        }
        signature = validator.compute_signature(PUBLIC_URL + "/sms", form)
        began = time.perf_counter()
        response = await client.post("/sms", data=form, headers={"X-Twilio-Signature": signature})
        took = time.perf_counter() - began
        if response.status_code != 200 or "<Response" not in response.text:
            errors += 1
        elif count:
            latencies.append(took)

    async def texter(n: int, stop_at: float) -> None:
        number = f"+4477{run}{n:06d}"
        # Paced texters are independent people: random gaps (mean ``think``), not in step.
        gaps = random.Random(n)
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            await client.get("/healthz")  # connect before the clock starts
            await ready.wait()
            if args.think:
                await asyncio.sleep(gaps.uniform(0, args.think))
            for body in script(n, args.messages):
                if time.perf_counter() > stop_at:
                    return
                await text(client, number, body, count=True)
                if args.think:
                    await asyncio.sleep(gaps.expovariate(1 / args.think))

    async with httpx.AsyncClient(base_url=base, timeout=30) as warm:
        for w in range(WARM_UP):
            await text(warm, f"+44770090{w:04d}", "hello", count=False)
    ready = asyncio.Event()
    stop_at = time.perf_counter() + 10 + args.seconds
    tasks = [asyncio.create_task(texter(n, stop_at)) for n in range(args.texters)]
    await asyncio.sleep(1.0)  # let every texter connect
    began, cpu_before = time.perf_counter(), cpu_seconds(server_pid)
    ready.set()
    await asyncio.gather(*tasks)
    seconds, cpu = time.perf_counter() - began, cpu_seconds(server_pid) - cpu_before
    return Result(name, latencies, seconds, errors, cpu)


def report(title: str, bare: Result, ours: Result, target: str, plain: Result | None) -> None:
    """The servers side by side, and the figure this run is for (``target``)."""
    print(f"\n{title}")
    print(
        f"{'server':16} {'texts':>6} {'texts/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'errors':>6} {'CPU ms/text':>11}"
    )
    print(bare.line())
    if plain is not None:
        print(plain.line())
    print(ours.line())
    if plain is not None:
        extra = ours.cpu_ms_per_text / plain.cpu_ms_per_text - 1
        print(
            f"encryption: server CPU per text {plain.cpu_ms_per_text:.2f} ms unencrypted, "
            f"{ours.cpu_ms_per_text:.2f} ms encrypted: {100 * extra:+.1f}% (target under 10%)"
        )
    cpu = ours.cpu_ms_per_text / bare.cpu_ms_per_text
    if target == "throughput":
        print(
            f"planbot: {100 * ours.rate / bare.rate:.0f}% of the bare throughput (target >= 40%); "
            f"server CPU per text {cpu:.1f} times the bare one"
        )
    else:
        print(
            f"planbot: p99 {ours.pct(99):.0f} ms (target < 100 ms), "
            f"{100 * ours.rate / bare.rate:.0f}% of the bare throughput"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texters", type=int, default=50)
    parser.add_argument("--messages", type=int, default=24, help="texts per texter")
    parser.add_argument("--seconds", type=float, default=60.0, help="stop sending after this")
    parser.add_argument(
        "--paced",
        type=float,
        default=1.0,
        help="seconds each texter waits between texts in the paced run",
    )
    parser.add_argument(
        "--compare-encryption",
        action="store_true",
        help="also run planbot serve unencrypted, beside the encrypted one, and compare",
    )
    parser.add_argument("--bare-server", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server:
        bare_server(args.bare_server)
        return
    with tempfile.TemporaryDirectory(prefix="planbot-bench-") as folder:
        env = {
            **os.environ,
            "PLANBOT_DATA_DIR": folder,
            "PLANBOT_PUBLIC_URL": PUBLIC_URL,
            "PLANBOT_DATABASE_URL": f"sqlite:///{Path(folder) / 'bench.sqlite3'}",
            "TWILIO_AUTH_TOKEN": TOKEN,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "PLANBOT_TTS": "off",
            "PLANBOT_SECRET_KEY": secrets.token_urlsafe(32),
            "PYTHONPATH": str(ROOT),
            # A simulated texter sends far faster than a person: each text is still counted
            # (the rate limit's upsert), but the limit is set out of its way.
            "PLANBOT_MESSAGES_PER_MINUTE": "1000000",
            "PLANBOT_MESSAGES_PER_DAY": "1000000",
        }
        planbot = [str(Path(sys.executable).with_name("planbot")), "serve"]
        ports = free_port(), free_port(), free_port()
        logs = [Path(folder) / f"{name}.log" for name in ("planbot", "bare", "plain")]
        servers = [
            start([*planbot, "--host", HOST, "--port", str(ports[0])], env, ports[0], logs[0]),
            start(
                [sys.executable, __file__, "--bare-server", str(ports[1])], env, ports[1], logs[1]
            ),
        ]
        if args.compare_encryption:
            plain_env = {k: v for k, v in env.items() if k != "PLANBOT_SECRET_KEY"}
            plain_env["PLANBOT_DATABASE_URL"] = f"sqlite:///{Path(folder) / 'plain.sqlite3'}"
            plain_cmd = [*planbot, "--insecure-no-encryption", "--port", str(ports[2])]
            servers.append(start([*plain_cmd, "--host", HOST], plain_env, ports[2], logs[2]))
        urls = [f"http://{HOST}:{port}" for port in ports]
        results = []
        try:
            for run, think in enumerate((0.0, args.paced)):
                args.think = think
                bare = asyncio.run(
                    drive("bare FastAPI", urls[1], args, f"{2 * run + 1}", servers[1].pid)
                )
                plain = None
                if args.compare_encryption:
                    plain = asyncio.run(
                        drive("planbot plain", urls[2], args, f"{2 * run + 2}", servers[2].pid)
                    )
                ours = asyncio.run(
                    drive("planbot serve", urls[0], args, f"{2 * run + 2}", servers[0].pid)
                )
                results.append((bare, ours, plain))
        finally:
            for server in servers:
                server.terminate()
                try:
                    server.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    server.kill()
    print(
        f"{args.texters} texters, {args.messages} texts each; planbot serve on SQLite, "
        f"1 worker; {os.cpu_count()} CPUs shared with this client; loopback"
    )
    report(
        "Flat out: each texter sends again as soon as it has the answer",
        *results[0][:2],
        target="throughput",
        plain=results[0][2],
    )
    report(
        f"Paced: each texter waits {args.paced:g} s between texts on average",
        *results[1][:2],
        target="latency",
        plain=results[1][2],
    )
    failed = sum(r.errors for run in results for r in run if r is not None)
    if failed:
        print(f"warning: {failed} requests failed")


if __name__ == "__main__":
    main()
