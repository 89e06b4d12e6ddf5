"""Renders (text, page, PDF, picture, sound) off the event loop and bounded in time.

Why a child process for each: a thread cannot be stopped, and a long layout in a thread still
takes turns at the interpreter with the event loop, so every other texter waits a little.
A child process runs on its own, and when it takes longer than ``settings.render_seconds``
it is killed: the caller gets ``RenderTimeout`` and gives a kind answer (or a 503), and
nobody else waits for it. At most ``RENDERS_AT_ONCE`` run at a time (a flood of requests
for PDFs waits its turn, within the same time limit, instead of starting 100 layouts). A
page's file that ran out of time is not tried again for ``TRY_AGAIN_AFTER`` (unless what it
shows changes): asking for it again and again costs nothing.

A file made is kept only while it still shows what is stored: a render takes seconds, and a
person can be erased (or delete a thing) meanwhile, after their kept files were dropped. So
``keep`` reads the document afresh before and after it writes the file, and keeps nothing of
a person who is gone or of words that changed.

Each render works in a private folder under the data folder (``bot._scratch``): the parent
makes it before the child starts and removes it after the child has ended, so a render
killed for time leaves no photo and no words behind, and none ever go to the system's /tmp.

The children come from a fork server that has already loaded the renderers, so a child
starts in milliseconds. ``render_bounded`` blocks: call it from a worker thread (the web
app's ``render`` does), or from code already off the loop (the Telegram engine thread).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar

import storage
from bot._scratch import scratch_folder
from easyread import build_profile, build_review
from easyread.files import fingerprint
from planbot.errors import PlanbotError, RenderBusy, RenderError, RenderTimeout, SealError
from planbot.settings import Settings

log = logging.getLogger("planbot.render")

T = TypeVar("T")
RENDERS_AT_ONCE = 2  # this many layouts at a time; more would only share the same cores
TRY_AGAIN_AFTER = 600.0  # seconds before a file that took too long to make is tried again
_CONTEXT = multiprocessing.get_context("forkserver")
# Loaded once in the fork server, so no child loads them again.
_CONTEXT.set_forkserver_preload(["easyread.files", "easyread.text", "bot.web.pages"])
# Texts (the SMS short form) have slots of their own: they take milliseconds, and must never
# wait behind PDFs that take seconds (Twilio waits 15 seconds for an answer).
_SLOTS = {
    "files": threading.BoundedSemaphore(RENDERS_AT_ONCE),
    "text": threading.BoundedSemaphore(RENDERS_AT_ONCE),
}


def render_bounded(
    work: Callable[..., T], *args: Any, seconds: float, data_dir: Path, slots: str = "files"
) -> T:
    """``work(*args)`` in a child process, waiting at most ``seconds`` in all (for a free
    slot too: ``slots`` "text" for the SMS short form, "files" for the rest). ``work`` and
    its arguments must pickle (a module's function, dataclasses). Its temporary files go in
    a private folder under ``data_dir``, removed when it ends.

    Raises ``RenderTimeout`` when time runs out (the child is killed), ``RenderError`` when
    the child fails; a ``PlanbotError`` the work raised comes back as a ``RenderError`` with
    its words.
    """
    deadline = time.monotonic() + seconds
    pool = _SLOTS[slots]
    if not pool.acquire(timeout=seconds):
        raise RenderBusy(f"no free slot to render within {seconds:g} s")
    try:
        with scratch_folder(data_dir) as folder:
            return _in_child(work, args, deadline, folder)
    finally:
        pool.release()


@dataclass(frozen=True)
class Kept:
    """Where a rendered file is kept: its person, document ("profile", "review") and the
    fingerprint of what it shows (``easyread.files.fingerprint``; ``with_photo``: of the
    photo too, as a page shows it; a chat's files show none)."""

    person_id: int
    document: str
    content: str
    with_photo: bool = False


def kept_render(settings: Settings, kept: Kept, variant: str) -> bytes | None:
    """The file kept for this content and variant ("pdf", "png", ...), or None. Kept files
    are sealed with the key, as the database is (one that does not open is not kept)."""
    blob = storage.cached_render(
        settings.data_dir, kept.person_id, kept.document, kept.content, variant
    )
    if blob is None:
        return None
    try:
        return storage.open_file(blob, storage.keys_of(settings))
    except SealError:
        return None


def keep(db: storage.Database, settings: Settings, kept: Kept, variant: str, data: bytes) -> None:
    """Keep a file just made for next time, if it still shows what is stored (a cache that
    cannot be written stops nothing).

    Checked before the file is written, and again after: an erase that drops every kept file
    between the first check and the write is seen by the second, and the file goes.
    """
    if not shows_now(db, settings, kept):
        log.info("rendered file not kept: what it shows changed while it was made")
        return
    _store(settings, kept, variant, data)
    if not shows_now(db, settings, kept):
        storage.drop_renders(settings.data_dir, kept.person_id)


def shows_now(db: storage.Database, settings: Settings, kept: Kept) -> bool:
    """True while the person is there and their document, as stored now, has the content
    key ``kept.content``."""
    build = build_review if kept.document == "review" else build_profile
    with db.transaction() as session:
        person = storage.person_by_id(session, kept.person_id)
        if person is None:
            return False
        document = build(session, person)
        photo = storage.person_photo(session, person) if kept.with_photo else None
    return fingerprint(document, photo.data if photo else b"", settings) == kept.content


def _store(settings: Settings, kept: Kept, variant: str, data: bytes) -> None:
    try:
        storage.keep_render(
            settings.data_dir,
            kept.person_id,
            kept.document,
            kept.content,
            variant,
            storage.seal_file(data, storage.keys_of(settings)),
            limit_bytes=settings.render_cache_mb * 1024 * 1024,
        )
    except OSError as exc:
        log.warning("rendered file not kept: %s", exc.strerror)


def too_slow_lately(settings: Settings, kept: Kept, variant: str) -> bool:
    """True when making this very file ran out of time a short while ago: asked for again
    (a link can be asked for over and over), it gets its 503 at once, without a new try."""
    found = kept_render(settings, kept, f"{variant}.slow")
    try:
        return found is not None and time.time() - float(found) < TRY_AGAIN_AFTER
    except ValueError:
        return False


def mark_too_slow(settings: Settings, kept: Kept, variant: str) -> None:
    """Remember that making this file ran out of time (until the content changes). Only a
    time: no words, so no check of what is stored."""
    _store(settings, kept, f"{variant}.slow", str(time.time()).encode())


def warm_up(data_dir: Path) -> None:
    """Start the fork server now (it loads the renderers: seconds), not at the first render,
    which would then keep a person waiting for it."""
    try:
        render_bounded(len, "", seconds=120, data_dir=data_dir)
    except Exception as exc:  # a warm-up is a nicety: it never stops a start or a stop
        log.warning("renders not warmed up: %s", type(exc).__name__)


def _in_child(work: Callable[..., T], args: tuple[Any, ...], deadline: float, folder: Path) -> T:
    receiver, sender = _CONTEXT.Pipe(duplex=False)
    child = _CONTEXT.Process(target=_run, args=(sender, work, args, str(folder)), daemon=True)
    started = False
    try:
        child.start()
        started = True
        sender.close()
        if not receiver.poll(max(deadline - time.monotonic(), 0.0)):
            log.warning("render %s stopped: it took too long", getattr(work, "__name__", "?"))
            raise RenderTimeout("the render took too long")
        outcome, value = receiver.recv()
    except EOFError as exc:  # the child died without an answer
        raise RenderError("the render stopped without a result") from exc
    except OSError as exc:  # no child could start (the fork server is gone: shutting down)
        raise RenderError(f"no render could start: {type(exc).__name__}") from exc
    finally:
        if started:
            if child.is_alive():
                child.kill()
            child.join()
        sender.close()
        receiver.close()
    if outcome == "ok":
        return value
    raise RenderError(value)


def _run(sender: Connection, work: Callable[..., Any], args: tuple[Any, ...], folder: str) -> None:
    """In the child: the work's result, or what went wrong (never the person's words). Every
    temporary file it makes (ours and the libraries') goes in ``folder``."""
    tempfile.tempdir = folder
    os.environ["TMPDIR"] = folder
    try:
        result: tuple[str, Any] = ("ok", work(*args))
    except PlanbotError as exc:
        result = ("error", str(exc))
    except Exception as exc:  # a renderer's library failed: its message may hold words
        result = ("error", f"the renderer failed: {type(exc).__name__}")
    try:
        sender.send(result)
        sender.close()
    except OSError:  # the waiting side stopped (time ran out, or the server is stopping)
        pass
