"""A render leaves nothing behind: not when it is stopped for taking too long, not when the
process that ran it dies, not when the person is erased while it is made.

What someone with the server's disk would notice: while a profile's PDF is made, its photo
and words sit in a private folder under the data folder (never the system's /tmp), and once
the render has ended (killed or not) no file anywhere holds them; a PDF that finishes after
its person was erased, or after a thing in it was deleted, is not kept.
"""

from __future__ import annotations

import asyncio
import io
import os
import random
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image

import storage
from bot._renders import warm_up
from bot._scratch import SCRATCH, clear_leftovers, scratch_folder
from bot._tidy import forget_old_replies
from bot.web.app import create_app
from tests.auxil.leftovers import every_file, where_found
from tests.auxil.twilio import PUBLIC_URL, make_settings
from tests.conftest import Clock

ROOT = Path(__file__).resolve().parents[2]
THING = "zanzibarflute on a Saturday with my friend Sam, " * 10  # 500 letters: slow to lay out
SECTIONS = ("like_admire", "important_to", "best_support", "good_day", "bad_day")


def noise_photo() -> bytes:
    """A PNG of random pixels: bytes found on disk only where this photo was written."""
    pixels = bytes(random.getrandbits(8) for _ in range(96 * 96 * 3))
    out = io.BytesIO()
    Image.frombytes("RGB", (96, 96), pixels).save(out, "PNG")
    return out.getvalue()


def full_plan(db: storage.Database, clock: Clock, photo: bytes) -> str:
    """A plan at every limit (seconds to lay out as a PDF), with a photo; its link's token."""
    with db.transaction() as session:
        person = storage.create_person(session, "Dev")
        storage.set_person_photo(session, person, photo, "image/png")
        for key in SECTIONS:
            for n in range(40):
                text = f"{n} {THING}"[:500]
                storage.add_answer(
                    session, person, None, key, text, said_by="Dev", perspective="person"
                )
        return storage.new_link(session, person, days=30, now=clock())


def kept_files(data_dir: Path) -> list[Path]:
    """The rendered files kept for reuse."""
    return every_file(data_dir / "cache" / "renders") if data_dir.exists() else []


def planbot_temp_files() -> set[Path]:
    """What planbot's names hold in the system's temporary folder."""
    return {p for p in Path(tempfile.gettempdir()).glob("planbot-*")}


async def until(found: Callable[[], list[Path]], seconds: float = 20.0) -> list[Path]:
    deadline = time.monotonic() + seconds
    while not (paths := found()):
        assert time.monotonic() < deadline, "nothing appeared in time"
        await asyncio.sleep(0.02)
    return paths


@pytest.fixture
def quick_app(db: storage.Database, tmp_path: Path, clock: Clock) -> FastAPI:
    """The app with renders stopped after 1 second."""
    return create_app(make_settings(tmp_path, PLANBOT_RENDER_SECONDS="1"), db, clock=clock)


@pytest.mark.slow
async def test_a_render_stopped_for_time_leaves_nothing_behind(
    quick_app: FastAPI, db: storage.Database, clock: Clock, tmp_path: Path
) -> None:
    photo = noise_photo()
    token = full_plan(db, clock, photo)
    data = tmp_path / "data"
    warm_up(data)  # the fork server is up: the second given is the render's own
    scratch = data / SCRATCH
    before = planbot_temp_files()
    transport = httpx.ASGITransport(app=quick_app)
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
        pdf = asyncio.create_task(client.get(f"/p/{token}.pdf"))
        # While it is made, the photo is in the render's own folder, private, under the data
        # folder (the child writes it there first).
        [written] = await until(lambda: list(scratch.rglob("photo.*")))
        assert written.read_bytes() == photo
        folder = written.parent
        while folder != data:
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
            folder = folder.parent
        answer = await pdf
    assert answer.status_code == 503  # killed for taking too long
    assert list(scratch.iterdir()) == []
    assert where_found(data, [photo, "zanzibarflute"]) == {}
    # Nothing of it in the system's temporary folder either (other tests may make planbot-*
    # folders there meanwhile: what matters is that none holds this photo or these words).
    new = planbot_temp_files() - before
    assert [p for p in new if where_found(p, [photo, "zanzibarflute"])] == []


def test_folders_of_a_dead_process_go_at_the_tidy_and_folders_in_use_stay(
    db: storage.Database, tmp_path: Path, clock: Clock
) -> None:
    """A server killed mid-render (a crash, a power cut) leaves its render's folder: the tidy
    run at start and every hour removes it, but never a folder a living render works in."""
    settings = make_settings(tmp_path)
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from bot._scratch import scratch_folder\n"
        "with scratch_folder(Path(sys.argv[1])) as folder:\n"
        "    (folder / 'photo.png').write_bytes(b'zanzibarflute')\n"
        "    print(folder, flush=True)\n"
        "    time.sleep(60)\n"
    )
    server = subprocess.Popen(
        [sys.executable, "-c", script, str(settings.data_dir)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    left = Path(server.stdout.readline().strip())
    os.kill(server.pid, signal.SIGKILL)
    server.wait()
    server.stdout.close()
    assert (left / "photo.png").exists()  # killed: its own clean-up never ran

    with scratch_folder(settings.data_dir) as busy:
        (busy / "page.pdf").write_bytes(b"%PDF")
        forget_old_replies(db, settings, clock())
        assert not left.exists()
        assert (busy / "page.pdf").exists()  # a render still working keeps its folder
        assert clear_leftovers(settings.data_dir) == 0
    assert every_file(settings.data_dir / SCRATCH) == []


@pytest.mark.slow
@pytest.mark.parametrize("erase", ["forget", "delete last"])
async def test_a_pdf_finished_after_an_erase_is_not_kept(
    db: storage.Database, clock: Clock, tmp_path: Path, erase: str
) -> None:
    """The erase drops every kept file at once; the PDF being made meanwhile (from the words
    read before) still goes to whoever asked, but is not kept after it."""
    photo = noise_photo()
    token = full_plan(db, clock, photo)
    data = tmp_path / "data"
    warm_up(data)
    app = create_app(make_settings(tmp_path), db, clock=clock)  # renders get 60 seconds
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
        pdf = asyncio.create_task(client.get(f"/p/{token}.pdf"))
        await until(lambda: list((data / SCRATCH).rglob("photo.*")))  # it is being made
        with db.transaction() as session:
            dev = storage.get_person(session, "Dev")
            if erase == "forget":
                storage.erase_person(session, dev)
            else:
                assert storage.delete_last_answer(session, dev) is not None
        answer = await pdf
    assert answer.status_code == 200 and answer.content.startswith(b"%PDF")
    assert kept_files(data) == []
    if erase == "forget":
        assert where_found(data, [photo, "zanzibarflute"]) == {}
