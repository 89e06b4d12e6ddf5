"""The ``planbot`` command line, run as a real process: demo, export and forget.

Why a real process: exit codes, what goes to stdout and stderr, and "no keyboard" behaviour are
what scripts and people rely on, and only a real run shows them.
"""

from __future__ import annotations

import contextlib
import json
import os
import select as io_select
import stat
import subprocess
import time
import tomllib
import uuid
from pathlib import Path

import pytest
from sqlmodel import select

import storage
from dialogues import Engine, Incoming
from planbot.settings import Settings
from tests.bot.test_terminal import planbot_command, run_planbot

ROOT = Path(__file__).resolve().parents[2]


def seed(data_dir: Path, name: str, lines: list[str], address: str = "terminal") -> None:
    """A conversation stored the way ``planbot chat`` stores it, without a process."""
    settings = Settings.from_env({"PLANBOT_DATA_DIR": str(data_dir)})
    db = storage.open_database(settings.database_url)
    try:
        engine = Engine(db, settings)
        for n, line in enumerate(["", *lines]):
            engine.handle(
                Incoming("terminal", address, uuid.uuid4().hex, line, person=name, opening=n == 0)
            )
    finally:
        db.dispose()


def stored_names(data_dir: Path) -> list[str | None]:
    db = storage.Database(Settings.from_env({"PLANBOT_DATA_DIR": str(data_dir)}).database_url)
    try:
        with db.transaction() as session:
            return [storage.person_name(p) for p in session.exec(select(storage.Person))]
    finally:
        db.dispose()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def test_demo_without_a_keyboard_plays_the_sample_and_shows_the_profile(data_dir: Path) -> None:
    done = run_planbot(data_dir, "demo")
    out = done.stdout
    assert "playing a sample conversation" in out
    assert "> wake up in MY house not mums\n> chair charged n ready" in out
    assert "Thank you, Gemma. Your profile is ready." in out
    assert "All about Gemma" in out
    assert "- popcorn + dvd w/ a mate 🍿" in out
    assert f"Your answers are stored in: {data_dir / 'demo.sqlite3'}" in out
    assert (data_dir / "demo.sqlite3").is_file()
    # Sealed with the demo's own key, kept beside it for its owner only.
    assert stat.S_IMODE((data_dir / "secret.key").stat().st_mode) == 0o600
    stored = b"".join(p.read_bytes() for p in data_dir.glob("demo.sqlite3*"))
    assert b"Gemma" not in stored and b"popcorn" not in stored


def test_export_prints_everything_as_json(data_dir: Path) -> None:
    seed(data_dir, "Dev", ["yes", "1", "kind; <b>bold</b>", "done", "🎶🕺🐶"])
    data = json.loads(run_planbot(data_dir, "export", "dev").stdout)
    assert data["person"]["name"] == "Dev"
    assert [(a["section"], a["text"]) for a in data["answers"]] == [
        ("like_admire", "kind"),
        ("like_admire", "<b>bold</b>"),
        ("important_to", "🎶🕺🐶"),
    ]


def test_forget_with_yes_erases_and_says_what_went(data_dir: Path) -> None:
    seed(data_dir, "Dev", ["yes", "1", "kind, funny"])
    seed(data_dir, "Sam", ["yes", "1", "tall"], address="sam")

    done = run_planbot(data_dir, "forget", "Dev", "--yes")
    assert "Erased Dev:" in done.stdout
    assert "2 answers" in done.stdout and "1 conversation," in done.stdout
    assert "1 address," in done.stdout and "1 addresses" not in done.stdout
    assert stored_names(data_dir) == ["Sam"]

    gone = run_planbot(data_dir, "export", "Dev", check=False)
    assert gone.returncode == 1
    assert "No one called 'Dev' is stored." in gone.stderr
    assert gone.stdout == ""


def test_forget_without_yes_and_without_a_keyboard_refuses(data_dir: Path) -> None:
    seed(data_dir, "Dev", ["yes", "1", "kind"])
    refused = run_planbot(data_dir, "forget", "Dev", check=False)
    assert refused.returncode == 1
    assert "--yes" in refused.stderr
    assert stored_names(data_dir) == ["Dev"]


def test_forget_someone_unknown_fails_clearly(data_dir: Path) -> None:
    seed(data_dir, "Dev", ["yes"])
    unknown = run_planbot(data_dir, "forget", "Kim", "--yes", check=False)
    assert unknown.returncode == 1
    assert "No one called 'Kim' is stored." in unknown.stderr
    assert stored_names(data_dir) == ["Dev"]


def test_version_says_which_planbot_this_is(data_dir: Path) -> None:
    from importlib import metadata

    done = run_planbot(data_dir, "--version")
    assert done.stdout == f"planbot {metadata.version('planbot')}\n"


def test_profile_without_a_format_prints_the_text_profile(data_dir: Path) -> None:
    seed(data_dir, "Dev", ["yes", "1", "kind, funny"])
    out = run_planbot(data_dir, "profile", "Dev").stdout
    assert out.startswith("All about Dev\n")
    assert "- kind" in out
    assert "<" not in out and "{" not in out  # no HTML, no CSS


def test_a_name_not_found_says_where_planbot_looked_and_where_the_demo_keeps_its_own(
    data_dir: Path,
) -> None:
    run_planbot(data_dir, "demo")
    done = run_planbot(data_dir, "export", "Gemma", check=False)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines[0] == "No one called 'Gemma' is stored."
    assert lines[1].startswith(f"I looked in {data_dir / 'planbot.sqlite3'}.")
    assert lines[2] == f"The demo keeps its answers in its own file: {data_dir / 'demo.sqlite3'}"
    command = lines[3].removeprefix("To look there, run: ")
    assert command.startswith(f"PLANBOT_DATABASE_URL=sqlite:///{data_dir / 'demo.sqlite3'} ")
    assert command.endswith(" export Gemma")
    again = subprocess.run(
        ["bash", "-c", command], env=_bare_env(data_dir), capture_output=True, text=True
    )
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["person"]["name"] == "Gemma"


def _bare_env(data_dir: Path) -> dict[str, str]:
    """A fresh shell's environment: the virtual environment is not on the PATH."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/tmp"),
        "PLANBOT_DATA_DIR": str(data_dir),
        "PLANBOT_TTS": "off",
        "PYTHONIOENCODING": "utf-8",
    }


@pytest.mark.parametrize("where", ["project folder", "elsewhere"])
def test_the_demos_last_line_runs_exactly_as_printed(data_dir: Path, where: str) -> None:
    """What ``python3 tasks.py demo`` prints last works when pasted into a fresh shell."""
    cwd = ROOT if where == "project folder" else data_dir.parent
    demo = subprocess.run(
        [planbot_command(), "demo", "--sample"],
        env=_bare_env(data_dir),
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
    )
    assert demo.returncode == 0, demo.stderr
    last = demo.stdout.strip().splitlines()[-1]
    assert last.startswith("See them with: ")
    command = last.removeprefix("See them with: ")
    if where == "project folder":
        assert " .venv/bin/planbot export Gemma" in command
    done = subprocess.run(
        ["bash", "-c", command],
        env=_bare_env(data_dir),
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["person"]["name"] == "Gemma"


def _read_all(fd: int, until: float) -> bytes:
    """What the terminal shows, until the program closes it or ``until`` (a monotonic time)."""
    output = b""
    while time.monotonic() < until:
        ready, _, _ = io_select.select([fd], [], [], 0.5)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the program ended and closed its terminal
            break
        if not chunk:
            break
        output += chunk
    return output


def test_the_typed_demo_ends_when_the_profile_is_ready_and_writes_the_files(
    data_dir: Path,
) -> None:
    """Typed at a keyboard (a real terminal), the demo needs no Ctrl-D once the plan is done."""
    import pty

    sample = tomllib.loads((ROOT / "dialogues/scripts/demo.toml").read_text("utf-8"))["lines"]
    typed = [line for message in sample for line in message.split("\n")]  # a line a message
    fd, terminal = pty.openpty()
    # subprocess starts the child safely even when the tests have threads running.
    child = subprocess.Popen(
        [planbot_command(), "demo"],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=_bare_env(data_dir) | {"TERM": "dumb"},
        start_new_session=True,
    )
    os.close(terminal)
    output = b""
    try:
        for line in typed:
            if child.poll() is not None:  # the demo has ended already
                break
            os.write(fd, line.encode() + b"\n")
            output += _read_all(fd, time.monotonic() + 0.3)
        output += _read_all(fd, time.monotonic() + 240)
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=30)
    finally:
        ended = child.poll() is not None
        if not ended:  # still waiting for input: it did not end by itself
            child.kill()
            child.wait()
        os.close(fd)
    text = output.decode("utf-8", "replace")
    assert ended, f"the demo did not end at the profile:\n{text[-2000:]}"
    assert child.returncode == 0, text[-2000:]
    assert "The demo ends when your profile is ready." in text
    assert "Your profile is ready, so the demo has finished." in text
    assert (data_dir / "demo-profile" / "profile.pdf").is_file()
    assert "See them with: " in text


def test_help_without_a_contact_set_reads_as_one_plain_sentence(data_dir: Path) -> None:
    out = run_planbot(data_dir, "chat", "--person", "Dev", stdin="help\n").stdout
    assert "To talk to a real person, ask the person who told you about planbot." in out
    assert "real person: Ask" not in out


def test_links_for_a_name_not_found_say_where_planbot_looked(data_dir: Path) -> None:
    done = run_planbot(data_dir, "links", "list", "Nobody", check=False)
    assert done.returncode == 1
    assert done.stderr.splitlines()[:2] == [
        "No one called 'Nobody' is stored.",
        f"I looked in {data_dir / 'planbot.sqlite3'}. "
        "PLANBOT_DATA_DIR or PLANBOT_DATABASE_URL can point somewhere else.",
    ]
