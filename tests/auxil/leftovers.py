"""What is left on disk: every byte of every file in a folder, searched for words or bytes.

Why every byte: an erase that leaves words in the SQLite WAL, a free page, a cache or a
rendered file is not an erase, and only reading the files themselves shows it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from pathlib import Path


def every_file(folder: Path) -> list[Path]:
    """Every file under ``folder`` (the database, its -wal and -shm, caches, rendered files)."""
    return sorted(p for p in folder.rglob("*") if p.is_file())


def where_found(folder: Path, needles: Iterable[str | bytes]) -> dict[str | bytes, list[str]]:
    """Each needle found anywhere under ``folder`` (text as UTF-8), with the files it is in
    (a file removed while the folder is read is not there)."""
    contents = {}
    for path in every_file(folder):
        with contextlib.suppress(FileNotFoundError):
            contents[path] = path.read_bytes()
    found: dict[str | bytes, list[str]] = {}
    for needle in needles:
        raw = needle.encode("utf-8") if isinstance(needle, str) else needle
        files = [str(p.relative_to(folder)) for p, data in contents.items() if raw in data]
        if files:
            found[needle] = files
    return found
