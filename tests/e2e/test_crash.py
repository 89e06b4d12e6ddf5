"""The crash test: 50 texters, ``planbot serve`` killed with SIGKILL 5 times under their load.

Afterwards every text that got a 200 is stored exactly once, in its topic and order, and
every conversation carries on where it was. On SQLite with 1 worker, and on PostgreSQL with 2
workers where PLANBOT_TEST_DATABASE_URL is set. ``bench/crash.py`` prints the same figures.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.auxil.crash import CrashResult, crash_run
from tests.auxil.databases import POSTGRES_ENV, postgres_schema

pytestmark = pytest.mark.slow


def check(result: CrashResult) -> None:
    said = "\n".join(result.problems[:10])
    assert result.kills == 5, said
    assert result.retried > 0, "no text was caught by a kill: the test tested nothing"
    assert (result.lost, result.duplicated, result.misplaced) == (0, 0, 0), said
    assert result.failed == 0, said  # no 500 after a crash, only a closed door
    assert result.not_carried_on == 0, said
    assert "Traceback" not in result.log, result.log[-3000:]
    # No worker was given up on by uvicorn's supervisor for starting slowly.
    assert " died" not in result.log, result.log[-3000:]


def test_sqlite_one_worker_loses_and_doubles_nothing(tmp_path: Path) -> None:
    check(crash_run(tmp_path, workers=1))


@pytest.mark.skipif(not os.environ.get(POSTGRES_ENV), reason=f"{POSTGRES_ENV} is not set")
def test_postgresql_two_workers_lose_and_double_nothing(tmp_path: Path) -> None:
    with postgres_schema() as (url, schema):
        in_schema = f"{url}{'&' if '?' in url else '?'}options={quote(f'-csearch_path={schema}')}"
        check(crash_run(tmp_path, database_url=in_schema, workers=2))
