"""Load on the SMS webhook: the most ``planbot serve`` takes, against a bare signed webhook.

Run: ``.venv/bin/python bench/sms_load.py`` (options: ``--seconds 10 --connections 50
--numbers 500 --paced 1 --postgres URL --http h11 --loop asyncio --compare-encryption``).
Everything stays on 127.0.0.1. With ``--postgres`` (or PLANBOT_TEST_DATABASE_URL set) it runs
on fresh schemas of that PostgreSQL server too (one for each run), with 1 and with 2 workers.

The ceiling is a bare FastAPI app under uvicorn, started as ``planbot serve`` starts uvicorn
(factory, no access log, the same workers), whose ``/sms`` reads the form, checks the Twilio
signature as planbot does (``RequestValidator(token).validate`` against the public address)
and answers a tiny TwiML.

"Flat out" is measured with ``wrk`` (a C load generator; Debian package ``wrk``), which costs
the shared cores little: 50 connections post pre-signed webhooks, every one different (its
own MessageSid), from a Lua script the bench writes into a temporary folder. The load is
list answers: before the timed run, the Python client brings each of ``--numbers`` phone
numbers to the first list question (hello, yes, who, a name), then wrk sends each of them
things for that list, in turn. Without wrk the Python client drives the flat-out run (a real
conversation per texter) and a note says so: on the same 2 cores it holds the bare app to
about a sixth of what it takes, so it understates the ceiling and overstates planbot's share.

"Paced" stays with the Python client: each texter waits a random time between texts,
``--paced`` seconds on average (exponential, as for independent people), and goes through a
real conversation: p99 there is the delay a person would see (50 texters at 1 s: about 50
texts/s).

Figures: texts per second, p50/p99 of the time from sending a text to having the TwiML, and
the server's CPU time per text (utime + stime from /proc, of the server and its workers,
before and after the run, over the texts answered: steadier than wall-clock figures on a
machine whose cores the client shares). Printed last: planbot against the bare app
(throughput and CPU per text), and PostgreSQL's CPU per text against SQLite's.

``--http``/``--loop`` are given to uvicorn for every server (planbot serve's own choice
otherwise), to compare uvicorn's h11/asyncio with httptools/uvloop. planbot serve runs with a
key (``PLANBOT_SECRET_KEY``), as a deployment must; with ``--compare-encryption`` a
``planbot serve --insecure-no-encryption`` on SQLite takes the same load, and the extra
server CPU per text of encryption is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

import httpx
from fastapi import FastAPI, Request, Response
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
PUBLIC_URL = "https://planbot.bench.invalid"
TOKEN = "bench-auth-token"
ACCOUNT_SID = "AC" + "0" * 32
TO_NUMBER = "+447700900000"
WARM_UP = 3
BARE_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>OK</Message></Response>'
REQUESTS_PER_SECOND = 4000  # pre-signed requests made per second of --seconds: more than any
# server here answers, so planbot never gets a MessageSid twice (a retry is cheaper to answer)

# wrk's script: each thread takes every n-th pre-signed request of the file, formats each
# once at start, then hands them out in turn (one table look-up per request).
WRK_LUA = """
local path, threads, counter = %(path)s, %(threads)d, 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end
local requests, n, i = {}, 0, 0
function init(args)
  local k = 0
  for line in io.lines(path) do
    if k %% threads == id then
      local signature, body = line:match("^([^\t]*)\t(.*)$")
      n = n + 1
      requests[n] = wrk.format("POST", "/sms", {
        ["Host"] = wrk.headers["Host"],
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["X-Twilio-Signature"] = signature,
      }, body)
    end
    k = k + 1
  end
end
function request()
  i = i %% n + 1
  return requests[i]
end
"""


def bare_app() -> FastAPI:
    """The ceiling: ``/sms`` reads the form, checks the signature as planbot does (against the
    public address, with twilio's validator) and answers a tiny TwiML."""
    app = FastAPI()
    token, base = os.environ["TWILIO_AUTH_TOKEN"], os.environ["PLANBOT_PUBLIC_URL"]

    @app.post("/sms")
    async def sms(request: Request) -> Response:
        form = await request.form()
        signature = request.headers.get("x-twilio-signature", "")
        url = base.rstrip("/") + request.url.path
        if not signature or not RequestValidator(token).validate(url, form, signature):
            return Response(status_code=403)
        return Response(BARE_TWIML, media_type="application/xml")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def planbot_env(folder: Path) -> dict[str, str]:
    """planbot's settings for a bench run whose files go in ``folder`` (SQLite there unless
    PLANBOT_DATABASE_URL is set too), as ``bench/app_instructions.py`` uses them as well."""
    return {
        "PLANBOT_DATA_DIR": str(folder),
        "PLANBOT_PUBLIC_URL": PUBLIC_URL,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "PLANBOT_TTS": "off",
        "PLANBOT_SECRET_KEY": secrets.token_urlsafe(32),
        # Far faster than a person: each text is still counted (the rate limit's upsert),
        # but the limit is set out of its way.
        "PLANBOT_MESSAGES_PER_MINUTE": "1000000",
        "PLANBOT_MESSAGES_PER_DAY": "1000000",
    }


def uvicorn_choice(args: argparse.Namespace) -> dict[str, str]:
    """uvicorn's HTTP parser and event loop when given (planbot serve's own choice otherwise)."""
    chosen = {"http": args.http, "loop": args.loop}
    return {k: v for k, v in chosen.items() if v}


def bare_server(port: int, workers: int, args: argparse.Namespace) -> None:
    import uvicorn

    sys.path.insert(0, str(ROOT))
    from bot.web.serve import uvicorn_options  # as planbot serve runs

    options = {**uvicorn_options(HOST, port, workers), **uvicorn_choice(args)}
    uvicorn.run("bench.sms_load:bare_app", **options)


# planbot serve with uvicorn's HTTP parser and event loop chosen (argv: http, loop, serve ...)
SERVE_WITH = """
import sys, uvicorn
from bot.cli import app
run, http, loop = uvicorn.run, sys.argv[1], sys.argv[2]
chosen = {k: v for k, v in (("http", http), ("loop", loop)) if v}
uvicorn.run = lambda *a, **k: run(*a, **{**k, **chosen})
sys.argv = ["planbot", *sys.argv[3:]]
app()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def start(cmd: list[str], env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    """Start a server (its log goes to a file: a full pipe would stall it) and wait for it."""
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
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
    """One server's run: from wrk's summary or the Python client's own timings."""

    name: str
    texts: int
    seconds: float
    errors: int
    p50: float  # ms
    p99: float  # ms
    cpu: float = 0.0  # the server's CPU seconds over the run
    client: str = "wrk"

    @property
    def cpu_ms_per_text(self) -> float:
        return 1000 * self.cpu / self.texts if self.texts else float("nan")

    @property
    def rate(self) -> float:
        return self.texts / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        return (
            f"{self.name:30} {self.client:6} {self.texts:7d} {self.rate:8.1f} {self.p50:7.1f} "
            f"{self.p99:7.1f} {self.errors:6d} {self.cpu_ms_per_text:11.2f}"
        )


HEADER = (
    f"{'server':30} {'client':6} {'texts':>7} {'texts/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
    f"{'errors':>6} {'CPU ms/text':>11}"
)


def from_latencies(
    name: str, latencies: list[float], seconds: float, errors: int, cpu: float
) -> Result:
    ordered = sorted(latencies) or [float("nan")]

    def pct(p: float) -> float:
        return 1000 * ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    return Result(name, len(latencies), seconds, errors, pct(50), pct(99), cpu, "python")


def form_of(number: str, body: str, sid: str | None = None) -> dict[str, str]:
    return {
        "From": number,
        "To": TO_NUMBER,
        "Body": body,
        "NumMedia": "0",
        "MessageSid": sid or f"SM{os.urandom(16).hex()}",
        "AccountSid": ACCOUNT_SID,
    }


def number_of(n: int) -> str:
    return f"+4477009{n:05d}"


async def bring_to_list(base: str, numbers: int, connections: int) -> int:
    """Each number through hello, yes, who and a name: to the first list question. Returns the
    count of failed texts."""
    validator = RequestValidator(TOKEN)
    failed = 0
    todo = list(range(numbers))

    async def one(client: httpx.AsyncClient) -> None:
        nonlocal failed
        while todo:
            n = todo.pop()
            for said in script(n, 4):
                form = form_of(number_of(n), said)
                signature = validator.compute_signature(PUBLIC_URL + "/sms", form)
                response = await client.post(
                    "/sms", data=form, headers={"X-Twilio-Signature": signature}
                )
                failed += response.status_code != 200

    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        await asyncio.gather(*(one(client) for _ in range(connections)))
    return failed


def signed_requests(path: Path, count: int, numbers: int) -> None:
    """``count`` list answers, each with its own MessageSid, signed; the numbers in turn."""
    validator = RequestValidator(TOKEN)
    with path.open("w") as out:
        for k in range(count):
            form = form_of(number_of(k % numbers), f"thing {k // numbers + 1}", f"SM{k:032x}")
            signature = validator.compute_signature(PUBLIC_URL + "/sms", form)
            out.write(f"{signature}\t{urlencode(form)}\n")


def milliseconds(figure: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", figure)
    if not match:
        return float("nan")
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[match.group(2)]
    return float(match.group(1)) * scale


def run_wrk(
    name: str, base: str, pid: int, lua: Path, args: argparse.Namespace, folder: Path
) -> Result:
    """wrk flat out on ``base``/sms for ``--seconds``, with the server's CPU over the run."""
    cmd = ["wrk", f"-t{args.wrk_threads}", f"-c{args.connections}", f"-d{args.seconds:g}s"]
    cmd += ["--latency", "--timeout", "30s", "-s", str(lua), f"{base}/sms"]
    cpu_before = cpu_seconds(pid)
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    cpu = cpu_seconds(pid) - cpu_before
    (folder / f"wrk-{name.replace(' ', '-')}.txt").write_text(out)
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", out)
    if not done:
        raise SystemExit(f"wrk said:\n{out}")
    texts, seconds = int(done.group(1)), milliseconds(done.group(2) + done.group(3)) / 1000
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.MULTILINE))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    errors = (int(bad.group(1)) if bad else 0) + (sum(map(int, sockets.groups())) if sockets else 0)
    p50, p99 = (milliseconds(latency.get(p, "")) for p in ("50", "99"))
    return Result(name, texts, seconds, errors, p50, p99, cpu)


async def drive(name: str, base: str, args: argparse.Namespace, run: str, pid: int) -> Result:
    """The Python client: every texter at once, each with its own connection and a real
    conversation; ``args.think`` seconds between texts on average (0: flat out)."""
    validator = RequestValidator(TOKEN)
    latencies: list[float] = []
    errors = 0

    async def text(client: httpx.AsyncClient, number: str, body: str, count: bool) -> None:
        nonlocal errors
        form = form_of(number, body)
        signature = validator.compute_signature(PUBLIC_URL + "/sms", form)
        began = time.perf_counter()
        response = await client.post("/sms", data=form, headers={"X-Twilio-Signature": signature})
        took = time.perf_counter() - began
        if response.status_code != 200 or "<Response" not in response.text:
            errors += 1
        elif count:
            latencies.append(took)

    async def texter(n: int, stop_at: float) -> None:
        number = f"+4478{run}{n:06d}"
        gaps = random.Random(n)  # paced texters are independent people: not in step
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
            await text(warm, f"+4478{run}9{w:05d}", "hello", count=False)
    ready = asyncio.Event()
    stop_at = time.perf_counter() + 10 + args.seconds
    tasks = [asyncio.create_task(texter(n, stop_at)) for n in range(args.connections)]
    await asyncio.sleep(1.0)  # let every texter connect
    began, cpu_before = time.perf_counter(), cpu_seconds(pid)
    ready.set()
    await asyncio.gather(*tasks)
    seconds, cpu = time.perf_counter() - began, cpu_seconds(pid) - cpu_before
    return from_latencies(name, latencies, seconds, errors, cpu)


@dataclass
class Server:
    name: str
    cmd: list[str]
    env: dict[str, str]
    planbot: bool
    database: str = "SQLite"
    workers: int = 1
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, folder: Path) -> None:
        cmd = [*self.cmd, "--host", HOST, "--port", str(self.port), "--workers", str(self.workers)]
        log = folder / f"{self.name.replace(' ', '-')}.log"
        self.process = start(cmd, self.env, self.port, log)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.process = None


@contextmanager
def postgres_url(server: str | None) -> Iterator[str | None]:
    """A fresh schema on the PostgreSQL ``server`` (dropped afterwards), as a database URL
    whose connections use it (``search_path``, as bench/crash.py does), or None."""
    if not server:
        yield None
        return
    sys.path.insert(0, str(ROOT))
    from tests.auxil.databases import postgres_schema

    with postgres_schema(server) as (url, schema):
        joiner = "&" if "?" in url else "?"
        yield f"{url}{joiner}options={quote(f'-csearch_path={schema}')}"


def servers_for(
    args: argparse.Namespace, folder: Path, env: dict[str, str], postgres: list[str]
) -> list[Server]:
    """The bare app and planbot serve: SQLite with 1 worker; PostgreSQL with 1 and 2, each
    on a fresh schema of its own (a run on the tables an earlier run filled would measure a
    different load: longer lists, bigger indexes)."""
    choice = [args.http or "", args.loop or ""]
    planbot = [sys.executable, "-c", SERVE_WITH, *choice, "serve"]
    bare_cmd = [sys.executable, __file__, *(f"--{k}={v}" for k, v in uvicorn_choice(args).items())]
    bare = [*bare_cmd, "--bare-server"]
    sqlite = {**env, "PLANBOT_DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}"}
    servers = [
        Server("bare FastAPI, 1 worker", bare, env, planbot=False),
        Server("planbot SQLite, 1 worker", planbot, sqlite, planbot=True),
    ]
    if args.compare_encryption:
        plain = {k: v for k, v in sqlite.items() if k != "PLANBOT_SECRET_KEY"}
        plain["PLANBOT_DATABASE_URL"] = f"sqlite:///{folder / 'plain.sqlite3'}"
        cmd = [*planbot, "--insecure-no-encryption"]
        servers.append(Server("planbot SQLite unencrypted", cmd, plain, planbot=True))
    if postgres:
        one, two = ({**env, "PLANBOT_DATABASE_URL": url} for url in postgres)
        servers.append(Server("planbot PostgreSQL, 1 worker", planbot, one, True, "PostgreSQL"))
        servers.append(Server("bare FastAPI, 2 workers", bare, env, planbot=False, workers=2))
        servers.append(Server("planbot PostgreSQL, 2 workers", planbot, two, True, "PostgreSQL", 2))
    return servers


def flat_out(
    server: Server, args: argparse.Namespace, folder: Path, lua: Path | None, run: int
) -> Result:
    """The most ``server`` takes: wrk on list answers, or the Python client without wrk."""
    if lua is None:
        args.think = 0.0
        return asyncio.run(drive(server.name, server.base, args, f"{run}", server.pid))
    if server.planbot:
        failed = asyncio.run(bring_to_list(server.base, args.numbers, args.connections))
        if failed:
            print(f"warning: {failed} texts failed while bringing the numbers to a list")
    return run_wrk(server.name, server.base, server.pid, lua, args, folder)


def show(results: list[Result], title: str) -> None:
    print(f"\n{title}")
    print(HEADER)
    for result in results:
        print(result.line())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each run")
    parser.add_argument("--connections", type=int, default=50, help="connections (texters)")
    parser.add_argument("--numbers", type=int, default=500, help="phone numbers wrk texts")
    parser.add_argument("--messages", type=int, default=24, help="texts per Python texter")
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument(
        "--paced", type=float, default=1.0, help="mean seconds between a paced texter's texts"
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("PLANBOT_TEST_DATABASE_URL"),
        help="a PostgreSQL server to run on too (a fresh schema): 1 and 2 workers",
    )
    parser.add_argument("--http", help="uvicorn's HTTP protocol (h11, httptools)")
    parser.add_argument("--loop", help="uvicorn's event loop (asyncio, uvloop)")
    parser.add_argument(
        "--compare-encryption",
        action="store_true",
        help="also run planbot serve unencrypted on SQLite, and compare",
    )
    parser.add_argument("--no-wrk", action="store_true", help="the Python client even with wrk")
    parser.add_argument("--bare-server", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--host", default=HOST, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server:
        bare_server(args.port, args.workers, args)
        return
    wrk = None if args.no_wrk else shutil.which("wrk")
    with (
        tempfile.TemporaryDirectory(prefix="planbot-bench-") as name,
        postgres_url(args.postgres) as postgres_one,
        postgres_url(args.postgres) as postgres_two,
    ):
        folder = Path(name)
        env = {**os.environ, **planbot_env(folder), "PYTHONPATH": str(ROOT)}
        lua = None
        if wrk:
            requests = folder / "requests.txt"
            signed_requests(requests, int(args.seconds * REQUESTS_PER_SECOND), args.numbers)
            lua = folder / "list_answers.lua"
            lua.write_text(WRK_LUA % {"path": f'"{requests}"', "threads": args.wrk_threads})
        flat: list[Result] = []
        paced: list[Result] = []
        schemas = [url for url in (postgres_one, postgres_two) if url]
        for run, server in enumerate(servers_for(args, folder, env, schemas), start=1):
            server.start(folder)
            try:
                flat.append(flat_out(server, args, folder, lua, run))
                if server.planbot:
                    args.think = args.paced
                    paced.append(
                        asyncio.run(drive(server.name, server.base, args, f"{run}", server.pid))
                    )
            finally:
                server.stop()
    report(args, flat, paced, wrk is not None)


def report(args: argparse.Namespace, flat: list[Result], paced: list[Result], wrk: bool) -> None:
    print(
        f"{os.cpu_count()} CPUs shared with the client; loopback; uvicorn "
        f"{uvicorn_choice(args) or 'as planbot serve chooses'}"
    )
    if wrk:
        title = (
            f"Flat out (wrk, {args.connections} connections, {args.seconds:g} s): pre-signed "
            f"list answers to {args.numbers} numbers (bare: the same requests)"
        )
    else:
        title = f"Flat out (Python client, {args.connections} texters: a real conversation each)"
        print(
            "Note: wrk is not installed (Debian package wrk): the Python client drives the "
            "flat-out run, and on the same cores it holds the bare app to a fraction of what "
            "it takes: the ceiling is understated, and planbot's share of it overstated."
        )
    show(flat, title)
    show(paced, f"Paced (Python client, {args.connections} texters, {args.paced:g} s apart)")
    by_name = {r.name: r for r in flat}
    failed = sum(r.errors for r in flat + paced)
    if failed:
        print(f"warning: {failed} requests failed")
    made = args.seconds * REQUESTS_PER_SECOND
    if wrk and any(r.name.startswith("planbot") and r.texts >= made for r in flat):
        print("warning: planbot got some MessageSids twice (raise REQUESTS_PER_SECOND)")
    plain = by_name.get("planbot SQLite unencrypted")
    ours = by_name["planbot SQLite, 1 worker"]
    if plain is not None:
        extra = ours.cpu_ms_per_text / plain.cpu_ms_per_text - 1
        print(f"encryption: {100 * extra:+.1f}% server CPU per text (target under 10%)")
    print()
    for p in paced:
        print(f"paced p99: {p.p99:.0f} ms on {p.name} (target under 50 ms)")
    pg = by_name.get("planbot PostgreSQL, 1 worker")
    if pg is not None:
        two = by_name["planbot PostgreSQL, 2 workers"]
        print(
            f"PostgreSQL: {pg.cpu_ms_per_text / ours.cpu_ms_per_text:.2f} times SQLite's CPU "
            f"per text (target at most 1.6); 2 workers take {two.rate / pg.rate:.2f} times "
            f"1 worker's texts/s"
        )
        bare2 = by_name["bare FastAPI, 2 workers"]
        cpu2 = two.cpu_ms_per_text / bare2.cpu_ms_per_text
        print(
            f"planbot PostgreSQL, 2 workers / bare, 2 workers: throughput "
            f"{two.rate / bare2.rate:.2f}, CPU per text {cpu2:.2f}"
        )
    bare = by_name["bare FastAPI, 1 worker"]
    print(
        f"planbot SQLite / bare, 1 worker: throughput {ours.rate / bare.rate:.2f} "
        f"(target at least 0.45), CPU per text {ours.cpu_ms_per_text / bare.cpu_ms_per_text:.2f} "
        f"({ours.cpu_ms_per_text:.2f} ms against {bare.cpu_ms_per_text:.2f}; target at most 1.0 ms)"
    )


if __name__ == "__main__":
    main()
