"""Rendered files (pages, PDFs, pictures, sound) kept by what they show, so they are made once.

Why: a PDF, a picture or the sound of a full plan takes seconds to make, and anyone holding a
link can ask for it again and again. A file is kept under a hash of everything it shows (the
``content`` key: the document, its photo, planbot's version) and which form it is (the
``variant``: "pdf", "png", ...), in a folder for its person and document:
``<data dir>/cache/renders/<person id>/<document>/<content>.<variant>``.

- When the answers change the content key changes, so an old file is never served; it goes
  as soon as a file for the new content is kept, and all of a person's files go at once with
  ``drop_renders`` (after each of their messages, and when they are erased).
- The whole cache stays under a size limit: the files used longest ago go first.
- Every byte goes through ``storage._files`` (0600 files, 0700 folders), the one place that
  encryption at rest wraps.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import shutil
from pathlib import Path

from storage._files import read_file, trim_cache, write_file

RENDERS = Path("cache") / "renders"


def render_key(*parts: str | bytes) -> str:
    """A hash of ``parts`` (each one's length is hashed too, so no two lists give one key)."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()[:40]


def _folder(data_dir: Path, person_id: int, document: str) -> Path:
    return data_dir / RENDERS / str(int(person_id)) / render_key(document)[:16]


def cached_render(
    data_dir: Path, person_id: int, document: str, content: str, variant: str
) -> bytes | None:
    """The kept file for this content and variant, or None (then make it, and keep it)."""
    path = _folder(data_dir, person_id, document) / f"{content}.{variant}"
    data = read_file(path)
    if data is not None:
        with contextlib.suppress(OSError):
            os.utime(path)  # used now: the last to go when the cache is trimmed
    return data


def keep_render(
    data_dir: Path,
    person_id: int,
    document: str,
    content: str,
    variant: str,
    data: bytes,
    *,
    limit_bytes: int,
) -> None:
    """Keep a file just made; files of this document with other content go (they are old)."""
    folder = _folder(data_dir, person_id, document)
    if folder.is_dir():
        for old in folder.iterdir():
            if not old.name.startswith(f"{content}."):
                old.unlink(missing_ok=True)
    write_file(folder / f"{content}.{variant}", data)
    trim_renders(data_dir, limit_bytes)


def drop_renders(data_dir: Path, person_id: int) -> int:
    """Remove every kept file of a person (their answers changed, or they were erased)."""
    # Called after every message, and most people have no kept file: the look is os.path's
    # (pathlib's joining costs more than the look itself), in the folder of renders joined
    # once: joining the data folder's Path and RENDERS each time cost about 12,000
    # instructions a message (callgrind on bench/list_answer.py).
    if not os.path.isdir(f"{_renders_root(data_dir)}{os.sep}{int(person_id)}"):
        return 0
    folder = data_dir / RENDERS / str(int(person_id))
    count = sum(1 for path in folder.rglob("*") if path.is_file())
    shutil.rmtree(folder, ignore_errors=True)
    return count


@functools.lru_cache(maxsize=16)
def _renders_root(data_dir: Path) -> str:
    """``<data dir>/cache/renders``, as ``os.path.join`` gives it (RENDERS is relative, so
    a person's folder is this, the separator and the id, as joining it would give)."""
    return os.path.join(data_dir, RENDERS)


def drop_every_render(data_dir: Path) -> int:
    """Remove every kept file of everyone: after an erase that cannot say whose files hold the
    words (a kept file is made again when it is next asked for)."""
    root = data_dir / RENDERS
    if not root.is_dir():
        return 0
    count = sum(1 for path in root.rglob("*") if path.is_file())
    shutil.rmtree(root, ignore_errors=True)
    return count


def trim_renders(data_dir: Path, limit_bytes: int) -> int:
    """Remove the files used longest ago until the cache is at most ``limit_bytes``."""
    return trim_cache(data_dir / RENDERS, limit_bytes)
