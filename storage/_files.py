"""The one way planbot writes and reads a file it keeps for later (rendered files for now).

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
