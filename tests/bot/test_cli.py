"""The ``planbot`` command line, run as a real process: demo, export and forget.

Why a real process: exit codes, what goes to stdout and stderr, and "no keyboard" behaviour are
what scripts and people rely on, and only a real run shows them.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from sqlmodel import select

import storage
from dialogues import Engine, Incoming
from planbot.settings import Settings
from tests.bot.test_terminal import run_planbot


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
    assert "2 answers" in done.stdout and "1 conversations" in done.stdout
    assert "1 addresses" in done.stdout
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
