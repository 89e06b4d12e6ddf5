"""The one way planbot writes and reads a file it keeps for later (rendered files for now),
and how a folder of such files is kept under a size limit.

Why one place: these files hold people's words. Whatever protects them at rest (encryption,
which can wrap ``write_file`` and ``read_file`` here and nowhere else) must see every byte
that goes to or comes from the disk. Files are readable by their owner only (0600), folders
too (0700), and a file is written whole or not at all (a new name, then a rename), so a
reader never sees half of one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from planbot.private import private_folder

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def write_file(path: Path, data: bytes) -> None:
    """Keep ``data`` at ``path`` (0600, in a 0700 folder), whole or not at all."""
    private_folder(path.parent)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".new-")
    try:
        with os.fdopen(handle, "wb") as out:  # mkstemp makes it 0600
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_file(path: Path) -> bytes | None:
    """What ``write_file`` kept at ``path``; None when there is none (or it cannot be read)."""
    try:
        return path.read_bytes()
    except OSError:
        return None


def trim_cache(folder: Path, limit_bytes: int) -> int:
    """Remove the files under ``folder`` used longest ago (by their time, which a cache sets
    when it uses a file) until they take at most ``limit_bytes``; how many went.

    Why: a cache (rendered files, sound) grows with every new wording and would otherwise
    fill the disk; the files used lately are the ones worth keeping.
    """
    if not folder.is_dir():
        return 0
    files = []
    for path in folder.rglob("*"):
        try:
            if path.is_file():
                info = path.stat()
                files.append((info.st_mtime, info.st_size, path))
        except OSError:
            continue
    total = sum(size for _, size, _ in files)
    removed = 0
    for _, size, path in sorted(files, key=lambda f: f[0]):
        if total <= limit_bytes:
            break
        path.unlink(missing_ok=True)
        total -= size
        removed += 1
    return removed
