"""Files and folders only planbot's own user can open: everything planbot keeps is personal.

Why explicit modes and not the umask: a host's usual umask (022) lets every user read new
files, and the database (with its -wal and -shm), the sound cache and the rendered profiles
hold people's words. Folders are 0700 and files 0600, whatever the umask.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def private_folder(path: Path) -> Path:
    """Make ``path`` (and any missing folders above it) 0700; an existing ``path`` is tightened.

    Only ``path`` and the folders made here change: a folder above that was already there
    (a home folder, /srv) is not planbot's to change.
    """
    path = Path(path)
    made = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(parents=True, exist_ok=True)
    for folder in {path, *made}:
        os.chmod(folder, FOLDER_MODE)
    return path


def new_private_folder(path: Path) -> Path:
    """Like ``private_folder``, but a folder that was already there keeps its mode (the folder
    of a database file named in ``PLANBOT_DATABASE_URL`` may be shared, like /tmp)."""
    path = Path(path)
    made = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(parents=True, exist_ok=True)
    for folder in made:
        os.chmod(folder, FOLDER_MODE)
    return path


def private_file(path: Path) -> Path:
    """Make ``path`` 0600 if it is there (after a library wrote it with the umask's mode)."""
    with contextlib.suppress(FileNotFoundError):
        os.chmod(path, FILE_MODE)
    return Path(path)


def touch_private(path: Path) -> Path:
    """Create ``path`` empty and 0600 unless it is there; either way it ends up 0600."""
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, FILE_MODE)
    os.close(fd)
    return private_file(path)
