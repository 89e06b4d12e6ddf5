"""Private scratch folders for renders, under the data folder, gone when the render is.

Why: while a render works it writes the person's photo, the PDF or the sound to disk. In the
system's temporary folder those files sat outside planbot's care, and a render stopped for
taking too long is killed at once (SIGKILL), so its own clean-up never ran: the photo and the
words stayed there. Now the parent process makes each render's folder
(``<data dir>/scratch/render-*``, 0700), the child writes only there (its temporary folder
is set to it), and the parent removes the folder once the child has ended, killed or not.

While in use, a folder is locked (``flock``) by the process that made it; the lock goes
when that process ends, however it ends. A folder whose lock is free was left by a process
that died (a crash, a kill, a power cut): ``clear_leftovers`` removes those, at start and at
each hourly tidy and after every erase, and never a folder another worker is rendering in.
They also remove ``telegram-outbox``, where Telegram's files once waited to be sent (they
go from memory now): a planbot stopped mid-send left the person's files there.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from planbot.private import private_folder

log = logging.getLogger("planbot.scratch")

SCRATCH = "scratch"
# Where files waited to be sent in earlier versions: only ever leftovers now.
OLD_FOLDERS = ("telegram-outbox",)


@contextlib.contextmanager
def scratch_folder(data_dir: Path) -> Iterator[Path]:
    """A new private folder for one render, locked by this process while in use; removed
    with all it holds at the end (after the child that used it has ended)."""
    root = private_folder(Path(data_dir) / SCRATCH)
    while True:
        folder = Path(tempfile.mkdtemp(prefix="render-", dir=root))  # 0700
        handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        # Blocks only while a clearing holds the lock: then the folder is gone, try again.
        fcntl.flock(handle, fcntl.LOCK_EX)
        if _still_there(folder, handle):
            break
        os.close(handle)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        os.close(handle)


def clear_leftovers(data_dir: Path) -> int:
    """Remove the render folders no living process uses, and the old outbox folder; how
    many folders went."""
    removed = 0
    root = Path(data_dir) / SCRATCH
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        try:
            handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:  # gone meanwhile, or not a folder
            continue
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # a render is working in it
            os.close(handle)
            continue
        try:
            shutil.rmtree(folder, ignore_errors=True)  # under the lock: see scratch_folder
            removed += 1
        finally:
            os.close(handle)
    for name in OLD_FOLDERS:
        if (Path(data_dir) / name).exists():
            shutil.rmtree(Path(data_dir) / name, ignore_errors=True)
            removed += 1
    if removed:
        log.info("removed %d folders left by renders or sends that stopped", removed)
    return removed


def _still_there(folder: Path, handle: int) -> bool:
    """True when ``folder`` is still the folder ``handle`` opened (not removed by a clearing)."""
    try:
        return os.stat(folder).st_ino == os.fstat(handle).st_ino
    except FileNotFoundError:
        return False
