"""A served worker tunes Python's cycle collector once it has started and warmed up
(``bot.web.heap``); an app made any other way (tests, scripts) leaves it as Python has it.

In a process of its own: freezing the heap is for good, and this test process must keep
the defaults.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.auxil.twilio import sms_env

SERVED = """
import asyncio, gc, sys
from bot.web import heap
from bot.web.app import app_from_env, create_app
from planbot.settings import Settings

async def made() -> tuple[int, int]:
    app = create_app(Settings.from_env())
    async with app.router.lifespan_context(app):
        pass  # the warm-up ends here (it is cancelled), as it would end in a served worker
    await asyncio.sleep(0.1)
    return gc.get_freeze_count(), gc.get_threshold()[0]

async def served() -> tuple[int, int]:
    app = app_from_env()
    async with app.router.lifespan_context(app):
        for _ in range(1200):  # the warm-up runs in a thread: settled once it is done
            if gc.get_freeze_count():
                break
            await asyncio.sleep(0.05)
        return gc.get_freeze_count(), gc.get_threshold()[0]

made, served = asyncio.run(made()), asyncio.run(served())
print(made[0] == 0 and made[1] == 700, served[0] > 1000 and served[1] == heap.YOUNG)
"""


def test_a_served_worker_settles_its_heap_and_other_apps_do_not(tmp_path: Path) -> None:
    env = {
        **os.environ,
        **sms_env(tmp_path),
        "PLANBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'planbot.sqlite3'}",
    }
    done = subprocess.run(
        [sys.executable, "-c", SERVED], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["True", "True"]
