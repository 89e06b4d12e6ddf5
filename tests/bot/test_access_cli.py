"""``planbot access list NAME`` and ``planbot access remove NAME SUPPORTER``, through the real
CLI (Typer's runner), on a plan a supporter joined through the real engine."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from itertools import count
from pathlib import Path
from typing import Any

import pytest
import typer.main
from sqlalchemy import text
from typer.testing import CliRunner

import storage
from bot.cli import app as cli
from dialogues import Engine, Incoming
from planbot.settings import Settings
from tests.auxil.databases import TEST_KEY
from tests.conftest import Clock

DEV, SAM = "+447700900123", "+447700900456"
_IDS = count()


def say(engine: Engine, address: str, words: str) -> str:
    incoming = Incoming("sms", address, f"SM{next(_IDS)}", words)
    return "\n".join(r.text for r in engine.handle(incoming))


def database_url(db: storage.Database) -> str:
    """The URL the CLI opens the same database (and PostgreSQL schema) with."""
    if db.is_sqlite:
        return db.url
    with db.engine.connect() as conn:
        path = conn.execute(text("SHOW search_path")).scalar()
    return f"{db.url}?options=-csearch_path%3D{path}"


@pytest.fixture
def engine(db: storage.Database, tmp_path: Path, clock: Clock) -> Engine:
    settings = Settings.from_env(
        {
            "PLANBOT_DATA_DIR": str(tmp_path / "data"),
            "PLANBOT_SECRET_KEY": "cli-secret-0123456789-abcdefghijklmnop",
        }
    )
    return Engine(db, settings, clock=clock)


@pytest.fixture
def runner(db: storage.Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("PLANBOT_DATABASE_URL", database_url(db))
    monkeypatch.setenv("PLANBOT_SECRET_KEY", TEST_KEY)
    monkeypatch.setenv("PLANBOT_DATA_DIR", str(tmp_path / "data"))
    return CliRunner()


def sam_helps_dev(engine: Engine) -> None:
    """Dev's plan on SMS; Sam joins with the code; Dev says yes (asked after a reply)."""
    for words in ("hello", "yes", "1", "Dev", "kind"):
        say(engine, DEV, words)
    found = re.search(r"JOIN (\d{6})", say(engine, DEV, "invite"))
    assert found
    for words in (f"JOIN {found.group(1)}", "yes", "Sam", "family"):
        say(engine, SAM, words)
    assert "Sam says they are in your family." in say(engine, DEV, "funny")
    assert "Sam can see your plan now" in say(engine, DEV, "yes")
    assert "What do you like about Dev?" in say(engine, SAM, "hi")


def test_access_list_and_remove_from_the_command_line(engine: Engine, runner: CliRunner) -> None:
    sam_helps_dev(engine)
    listed = runner.invoke(cli, ["access", "list", "Dev"])
    assert listed.exit_code == 0, listed.output
    assert listed.output.splitlines() == [
        "Dev  holder  active  since 2026-11-23",
        "Sam  family  active  since 2026-11-23",
    ]
    assert "7700" not in listed.output  # no numbers

    removed = runner.invoke(cli, ["access", "remove", "Dev", "sam"])
    assert removed.exit_code == 0, removed.output
    assert removed.output == "sam cannot see Dev's plan now.\n"
    after = runner.invoke(cli, ["access", "list", "Dev"]).output.splitlines()
    assert after[0] == "Dev  holder  active  since 2026-11-23"
    assert after[1].startswith("Sam  family  removed  since 2026-11-23, ended ")

    told = say(engine, SAM, "always on time")  # Sam is told at their next message...
    assert told.startswith("Dev has ended your help with their plan.")
    assert "kind" not in told and "funny" not in told
    assert "Sam, since" not in say(engine, DEV, "who can see my plan")  # ...and Dev sees it
    with engine.db.transaction() as session:
        dev = storage.get_person(session, "Dev")
        assert "always on time" not in [a.text for a in storage.answers_for(session, dev)]

    again = runner.invoke(cli, ["access", "remove", "Dev", "Sam"])
    assert again.exit_code == 1
    assert "No supporter called 'Sam' can see Dev's plan." in again.output


def test_access_for_nobody_or_a_plan_only_its_holder_sees(
    engine: Engine, runner: CliRunner
) -> None:
    for words in ("hello", "yes", "1", "Dev"):
        say(engine, DEV, words)
    listed = runner.invoke(cli, ["access", "list", "Dev"])
    assert listed.exit_code == 0 and listed.output == "Dev  holder  active  since 2026-11-23\n"
    nobody = runner.invoke(cli, ["access", "list", "Kim"])
    assert nobody.exit_code == 1 and "Kim" in nobody.output
    assert runner.invoke(cli, ["access", "remove", "Kim", "Sam"]).exit_code == 1
    assert runner.invoke(cli, ["access"]).exit_code in (0, 2)  # the help, no traceback


def test_a_plan_held_by_mum_lists_mum_as_its_holder(engine: Engine, runner: CliRunner) -> None:
    """Pat makes the plan for Amy, who does not use a phone: Pat holds it, and the list (and
    the export) name Pat, not Amy, as the one who decides."""
    for words in ("hello", "yes", "3", "Pat", "Amy", "she said yes", "kind"):
        say(engine, DEV, words)
    listed = runner.invoke(cli, ["access", "list", "Amy"])
    assert listed.exit_code == 0, listed.output
    assert listed.output.splitlines() == ["Pat  holder  active  since 2026-11-23"]
    exported = runner.invoke(cli, ["export", "Amy"])
    assert '"name": "Pat"' in exported.output and '"role": "holder"' in exported.output


def _commands(command: Any, path: str = "planbot") -> Iterator[tuple[str, Any]]:
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, f"{path} {name}")


def test_every_commands_help_keeps_its_sentences_whole() -> None:
    """Typer keeps a line break inside a help paragraph (in the list of commands too): each
    paragraph of a command's docstring is one line, so the help wraps only where the screen
    ends."""
    broken = [
        f"{path}: {paragraph!r}"
        for path, command in _commands(typer.main.get_command(cli))
        for paragraph in inspect.cleandoc(command.help or "").split("\n\n")
        if "\n" in paragraph
    ]
    assert broken == []


def test_access_remove_help_reads_as_whole_sentences() -> None:
    wide = {"COLUMNS": "200"}
    listed = CliRunner().invoke(cli, ["access", "--help"], env=wide)
    summary = r"remove +End a supporter's access to a person's plan at once\. +│"
    assert re.search(summary, listed.output), listed.output
    shown = CliRunner().invoke(cli, ["access", "remove", "--help"], env=wide)
    assert shown.exit_code == 0, shown.output
    lines = [line.strip() for line in shown.output.splitlines()]
    assert "End a supporter's access to a person's plan at once." in lines
    assert "They are told at their next message. What they added stays on the plan." in lines
