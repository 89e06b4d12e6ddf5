"""Renders off the event loop, bounded in time, and kept by what they show.

What a person (or anyone with a link) notices: a PDF asked for twice comes back at once the
second time and is the very same file; after a new answer it shows the new words; a render
that takes too long gets a kind text or a 503, while other texters are answered meanwhile.
"""

from __future__ import annotations

import asyncio
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

import storage
from bot._renders import RENDERS_AT_ONCE, render_bounded
from bot._scratch import SCRATCH
from bot.web.app import create_app
from bot.web.pages import UNAVAILABLE_TEXT
from easyread import Profile, ProfileItem, ProfileSection
from easyread.files import profile_bytes
from planbot.errors import RenderBusy, RenderError, RenderTimeout
from tests.auxil.twilio import PUBLIC_URL, Texter, make_settings
from tests.bot.test_sms_conversation import consent, link_in
from tests.conftest import Clock

CACHE = Path("data") / "cache" / "renders"


def kept_files(tmp_path: Path) -> list[Path]:
    root = tmp_path / CACHE
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_a_render_comes_back_from_its_child_process(tmp_path: Path) -> None:
    assert render_bounded(sorted, "cab", seconds=30, data_dir=tmp_path) == ["a", "b", "c"]
    assert list((tmp_path / SCRATCH).iterdir()) == []  # its folder went with it


@pytest.mark.slow
def test_a_render_that_runs_too_long_is_stopped(tmp_path: Path) -> None:
    with pytest.raises(RenderTimeout):
        render_bounded(time.sleep, 60, seconds=1, data_dir=tmp_path)
    # its slot is free again
    assert render_bounded(sorted, "ba", seconds=30, data_dir=tmp_path) == ["a", "b"]


def test_a_failing_render_says_why_without_the_words(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    profile = Profile("Dev", (ProfileSection("good_day", "A good day", "", (ProfileItem("x"),)),))
    with pytest.raises(RenderError, match="Unknown format") as raised:
        render_bounded(profile_bytes, profile, "doc", settings, seconds=30, data_dir=tmp_path)
    assert not isinstance(raised.value, RenderTimeout)


def test_a_render_whose_child_never_starts_says_so_and_frees_its_slot(tmp_path: Path) -> None:
    """A child that cannot start (here: work that cannot be sent to it; at shutdown: the fork
    server gone) fails with that reason, never with a join of a process that never ran."""
    for _ in range(RENDERS_AT_ONCE + 1):  # had a slot leaked, the last try would wait
        with pytest.raises(Exception) as raised:
            render_bounded(lambda: 1, seconds=5, data_dir=tmp_path)
        assert not isinstance(raised.value, AssertionError)
        assert "lambda" in str(raised.value)
    assert render_bounded(sorted, "ba", seconds=30, data_dir=tmp_path) == ["a", "b"]
    assert list((tmp_path / SCRATCH).iterdir()) == []


@pytest.fixture
def busy_renders(tmp_path: Path) -> Iterator[None]:
    """Every render slot taken by a render that runs for a few seconds."""
    threads = [
        threading.Thread(
            target=render_bounded,
            args=(time.sleep, 4),
            kwargs={"seconds": 10, "slots": slots, "data_dir": tmp_path},
        )
        for slots in ("files", "text")
        for _ in range(RENDERS_AT_ONCE)
    ]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    yield
    for thread in threads:
        thread.join()


@pytest.mark.slow
@pytest.mark.usefixtures("busy_renders")
def test_a_render_waits_for_a_free_slot_only_within_its_time(tmp_path: Path) -> None:
    with pytest.raises(RenderBusy):
        render_bounded(sorted, "ba", seconds=1, data_dir=tmp_path)
    with pytest.raises(RenderBusy):
        render_bounded(sorted, "ba", seconds=1, slots="text", data_dir=tmp_path)


@pytest.mark.slow
def test_a_text_never_waits_behind_files(tmp_path: Path) -> None:
    files = [
        threading.Thread(
            target=render_bounded,
            args=(time.sleep, 3),
            kwargs={"seconds": 10, "data_dir": tmp_path},
        )
        for _ in range(RENDERS_AT_ONCE)
    ]
    for thread in files:
        thread.start()
    time.sleep(0.5)
    assert render_bounded(sorted, "ba", seconds=2, slots="text", data_dir=tmp_path) == ["a", "b"]
    for thread in files:
        thread.join()


@pytest.fixture
def quick_app(db: storage.Database, tmp_path: Path, clock: Clock) -> FastAPI:
    """The app with renders stopped after 1 second."""
    settings = make_settings(tmp_path, PLANBOT_RENDER_SECONDS="1")
    return create_app(settings, db, clock=clock)


@pytest.mark.slow
async def test_profile_when_every_render_is_busy_gets_a_kind_answer(
    quick_app: FastAPI, busy_renders: None
) -> None:
    transport = httpx.ASGITransport(app=quick_app)
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
        texter = Texter(client)
        await consent(texter)
        await texter.send("I am kind")
        busy = await texter.send("PROFILE")
    assert busy == ["Sorry. I cannot make your profile just now. Please try again later."]


@pytest.mark.slow
async def test_a_pdf_is_made_once_and_kept_until_the_answers_change(
    texter: Texter, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    await consent(texter)
    await texter.send("I am kind")
    link = link_in(await texter.send("PROFILE"))
    first = await client.get(link + ".pdf")
    assert first.status_code == 200 and first.content.startswith(b"%PDF")
    again = await client.get(link + ".pdf")
    assert again.content == first.content  # the kept file (a new PDF has a new date in it)
    [kept] = [p for p in kept_files(tmp_path) if p.suffix == ".pdf"]
    assert kept.read_bytes() == first.content
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    folder = kept.parent
    while folder != tmp_path / "data":
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
        folder = folder.parent

    await texter.send("I like chips")
    assert kept_files(tmp_path) == []  # the answers changed: the kept files went
    fresh = await client.get(link + ".pdf")
    assert fresh.status_code == 200 and fresh.content != first.content


@pytest.mark.slow
async def test_a_pdf_too_slow_to_make_is_a_503_and_other_texters_are_answered(
    quick_app: FastAPI, db: storage.Database, clock: Clock, tmp_path: Path
) -> None:
    """A plan at every limit takes seconds to lay out: stopped after 1 second here."""
    thing = ("I like going swimming on a Saturday with my friend Sam. " * 9)[:500]
    with db.transaction() as session:
        person = storage.create_person(session, "Dev")
        for key in ("like_admire", "important_to", "best_support", "good_day", "bad_day"):
            for n in range(40):
                storage.add_answer(
                    session, person, None, key, f"{n} {thing}", said_by="Dev", perspective="person"
                )
        token = storage.new_link(session, person, days=30, now=clock())
    transport = httpx.ASGITransport(app=quick_app)
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
        pdf = asyncio.create_task(client.get(f"/p/{token}.pdf"))
        await asyncio.sleep(0.2)
        hello = await Texter(client, number="+447700900999").send("hello")
        assert not pdf.done()  # the other texter was answered while the PDF was being made
        answer = await pdf
        assert answer.status_code == 503
        assert answer.text == UNAVAILABLE_TEXT
        assert "no-store" in answer.headers["cache-control"]
        # Remembered: asked for again, it is not laid out again (until the answers change).
        assert [p.name.split(".", 1)[1] for p in kept_files(tmp_path)] == ["pdf.slow"]
        again = await client.get(f"/p/{token}.pdf")
        assert again.status_code == 503
    assert any("Can I keep your answers safe" in body for body in hello)


def test_renders_kept_by_person_document_and_content(tmp_path: Path) -> None:
    def keep(person: int, content: str, variant: str, size: int = 10, limit: int = 10**6) -> None:
        storage.keep_render(
            tmp_path, person, "profile", content, variant, b"x" * size, limit_bytes=limit
        )

    keep(1, "aaa", "pdf")
    keep(1, "aaa", "png")
    assert storage.cached_render(tmp_path, 1, "profile", "aaa", "pdf") == b"x" * 10
    assert storage.cached_render(tmp_path, 1, "review", "aaa", "pdf") is None
    assert storage.cached_render(tmp_path, 2, "profile", "aaa", "pdf") is None
    keep(1, "bbb", "pdf")  # new content: the old files of this document go
    assert storage.cached_render(tmp_path, 1, "profile", "aaa", "png") is None
    assert storage.cached_render(tmp_path, 1, "profile", "bbb", "pdf") is not None
    keep(2, "ccc", "pdf")
    assert storage.drop_renders(tmp_path, 1) == 1
    assert storage.drop_renders(tmp_path, 1) == 0
    assert storage.cached_render(tmp_path, 2, "profile", "ccc", "pdf") is not None


def test_the_kept_renders_stay_under_their_size_limit(tmp_path: Path) -> None:
    for person in range(1, 5):
        storage.keep_render(tmp_path, person, "profile", "c", "pdf", b"x" * 1000, limit_bytes=2500)
        time.sleep(0.01)  # each file is used later than the one before
    kept = [p for p in range(1, 5) if storage.cached_render(tmp_path, p, "profile", "c", "pdf")]
    assert kept == [3, 4]  # the newest that fit; the oldest went first
    assert storage.trim_renders(tmp_path, 0) == 2
    assert storage.trim_renders(tmp_path / "none", 0) == 0
