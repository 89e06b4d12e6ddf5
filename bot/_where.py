"""Where planbot keeps its data, and how to run it again, said so a newcomer can act on it.

Why: the demo keeps its answers in a database of its own, so ``planbot export Gemma`` after
the demo finds no one unless it is pointed there; and ``planbot`` is not on the PATH until the
virtual environment is activated. Both are said plainly instead of leaving a dead end.
"""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from planbot.settings import Settings

DEMO_FILE = "demo.sqlite3"


def demo_database(settings: Settings) -> Path:
    """The SQLite file ``planbot demo`` writes (made fresh at each demo)."""
    return settings.data_dir / DEMO_FILE


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def database_place(url: str) -> str:
    """The database as a person would name it: a file's path, or the URL without a password."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return url
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        return parsed.database
    return parsed.render_as_string(hide_password=True)


def not_found_hint(settings: Settings, args: list[str]) -> str:
    """Where a name was looked for, and the command (``args``) again on the demo's own file."""
    place = database_place(settings.database_url)
    lines = [
        f"I looked in {place}. PLANBOT_DATA_DIR or PLANBOT_DATABASE_URL can point somewhere else."
    ]
    demo = demo_database(settings)
    if demo.is_file() and place != str(demo):
        url = shlex.quote(sqlite_url(demo))
        lines.append(f"The demo keeps its answers in its own file: {demo}")
        lines.append(
            f"To look there, run: PLANBOT_DATABASE_URL={url} {planbot_command()} {shlex.join(args)}"
        )
    return "\n".join(lines)


def planbot_command() -> str:
    """How to run this planbot again from the current folder.

    ``planbot`` when that name finds this very program on the PATH; otherwise its path,
    short when it is under the current folder (``.venv/bin/planbot``).
    """
    running = Path(sys.argv[0])
    if running.name != "planbot":  # `python -m bot.cli`, or a test runner
        running = Path(sys.executable).with_name("planbot")
    found = shutil.which("planbot")
    if found and Path(found).resolve() == running.resolve():
        return "planbot"
    try:
        return shlex.quote(str(running.resolve().relative_to(Path.cwd().resolve())))
    except ValueError:
        return shlex.quote(str(running.resolve()))
