"""The crash test's figures: texts lost and doubled when ``planbot serve`` is killed under load.

Run: ``.venv/bin/python bench/crash.py`` (options: ``--texters 50 --things 3 --kills 5
--runs 1``). With PLANBOT_TEST_DATABASE_URL set it runs on PostgreSQL (2 workers) as well as
on SQLite (1 worker). Everything stays on 127.0.0.1.

Each run starts ``planbot serve``, lets the simulated texters text it (signed Twilio
webhooks, a real conversation each), kills the server and its workers with SIGKILL at a
random point in each part of the load, starts it again at once, and at the end compares what
is stored with what was said (``tests/auxil/crash.py`` says how; ``tests/e2e/test_crash.py``
asserts the same). "answered": texts that got a 200; "retried": deliveries again after a kill
left a text unanswered (each may or may not have been saved before the kill); "lost": things
that got a 200 and are not stored; "duplicated": things stored twice; "start s": how long
``planbot serve`` took to answer /healthz after each start (the median).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout too
    from tests.auxil.crash import HEADER, crash_run
    from tests.auxil.databases import POSTGRES_ENV, postgres_schema

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texters", type=int, default=50)
    parser.add_argument("--things", type=int, default=3, help="things each texter says")
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--runs", type=int, default=1, help="runs on each database")
    args = parser.parse_args()
    options = {"texters": args.texters, "things": args.things, "kills": args.kills}

    results = []
    for run in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="planbot-crash-") as folder:
            results.append(crash_run(Path(folder), workers=1, seed=run, **options))
        if os.environ.get(POSTGRES_ENV):
            with (
                tempfile.TemporaryDirectory(prefix="planbot-crash-") as folder,
                postgres_schema() as (url, schema),
            ):
                joiner = "&" if "?" in url else "?"
                in_schema = f"{url}{joiner}options={quote(f'-csearch_path={schema}')}"
                results.append(
                    crash_run(Path(folder), database_url=in_schema, workers=2, seed=run, **options)
                )
    print(f"{os.cpu_count()} CPUs shared with the texters; loopback; SIGKILL to the whole server")
    print(f"{HEADER} {'start s':>7}")
    for result in results:
        print(f"{result.line()} {statistics.median(result.starts):7.1f}")
    for result in results:
        for problem in result.problems[:5]:
            print(f"{result.backend}: {problem}")
    lost = sum(r.lost for r in results)
    doubled = sum(r.duplicated for r in results)
    print(f"In all: {lost} lost, {doubled} duplicated (target 0 and 0).")


if __name__ == "__main__":
    main()
