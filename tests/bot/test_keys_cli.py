"""Keys from the command line, as real processes: serve without a key, the local key of
the demo and chat, and ``planbot keys rotate`` killed halfway and run again."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

import storage
from bot._keys import KEY_FILE
from easyread.speech import synthesize
from planbot.settings import Settings
from tests.auxil.leftovers import every_file
from tests.bot.test_terminal import planbot_command
from tests.storage.test_keys import NEW, OLD, PHOTO, keyed, plain_values

ANSWERS = 600


def env_for(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLANBOT_", "TWILIO_"))}
    return env | {"PLANBOT_DATA_DIR": str(data_dir), "PLANBOT_TTS": "off", **extra}


def planbot(
    data_dir: Path, *args: str, stdin: str = "", **extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [planbot_command(), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env_for(data_dir, **extra),
        timeout=120,
    )


def test_serve_without_a_key_refuses_in_one_line(tmp_path: Path) -> None:
    done = planbot(tmp_path / "data", "serve")
    assert done.returncode == 1
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("PLANBOT_SECRET_KEY is not set") and "--insecure-no-encryption" in line
    assert not (tmp_path / "data").exists()  # nothing made, nothing stored


def test_serve_with_the_flag_goes_on_to_its_other_checks(tmp_path: Path) -> None:
    done = planbot(tmp_path / "data", "serve", "--insecure-no-encryption")
    assert done.returncode == 1  # no Twilio or Telegram settings: the next check stops it
    assert "PLANBOT_SECRET_KEY" not in done.stderr and done.stderr.strip()


def test_a_short_key_is_refused_with_how_to_make_one(tmp_path: Path) -> None:
    done = planbot(tmp_path / "data", "serve", PLANBOT_SECRET_KEY="hunter2")
    assert done.returncode == 1 and "planbot keys new" in done.stderr
    made = planbot(tmp_path / "data", "keys", "new")
    assert made.returncode == 0 and len(made.stdout.strip()) >= 43


@pytest.mark.slow
def test_chat_keeps_its_own_key_and_nothing_readable(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = planbot(data, "chat", "--person", "Philippa", stdin="yes\n1\nbakes lemon cake\n")
    assert first.returncode == 0, first.stderr
    key = data / KEY_FILE
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    written = key.read_text()
    raw = b"".join(p.read_bytes() for p in data.glob("planbot.sqlite3*"))
    assert b"Philippa" not in raw and b"lemon cake" not in raw
    again = planbot(data, "export", "Philippa")  # a later command finds the same key
    assert again.returncode == 0, again.stderr
    assert "bakes lemon cake" in again.stdout and key.read_text() == written
    status = planbot(data, "keys", "status")
    assert "Everything is sealed with the current key." in status.stdout


def subprocess_url(db: storage.Database) -> str:
    """The test database's URL for another process (PostgreSQL: with the test's schema)."""
    if db.is_sqlite:
        return db.url
    with db.engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    return (
        make_url(db.url)
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )


@pytest.mark.slow
def test_rotate_killed_halfway_then_run_again_loses_nothing(
    db: storage.Database, tmp_path: Path
) -> None:
    old = keyed(db, storage.Keyring(OLD))
    with old.transaction() as session:
        person = storage.create_person(session, "Ottoline Frame")
        address = storage.get_or_create_address(session, "sms", "+447700900777")
        storage.link_person(session, person, address)
        for n in range(ANSWERS):
            storage.add_answer(
                session, person, None, "like", f"thing number {n}", said_by="Ottoline Frame",
                perspective="person",
            )  # fmt: skip
        storage.set_person_photo(session, person, PHOTO, "image/png")
    before = plain_values(db, storage.Keyring(OLD))
    env = env_for(
        tmp_path / "data",
        PLANBOT_DATABASE_URL=subprocess_url(db),
        PLANBOT_SECRET_KEY=NEW,
        PLANBOT_OLD_SECRET_KEYS=OLD,
    )
    both = keyed(db, storage.Keyring(NEW, [OLD]))

    with subprocess.Popen(
        [planbot_command(), "keys", "rotate", "--batch", "5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    ) as rotating:
        assert rotating.stdout is not None
        for line in rotating.stdout:
            if line.startswith("answer:"):  # answers are being re-sealed: stop it right here
                rotating.send_signal(signal.SIGKILL)
                break
        rotating.wait(timeout=30)
    assert rotating.returncode == -signal.SIGKILL
    left = storage.not_current(both)
    assert 0 < left["answer"] < ANSWERS  # stopped halfway: some under each key
    assert left["person"] == 0 and left["address"] == 0
    assert plain_values(db, storage.Keyring(NEW, [OLD])) == before  # nothing lost meanwhile

    again = subprocess.run(
        [planbot_command(), "keys", "rotate"], capture_output=True, text=True, env=env, timeout=120
    )
    assert again.returncode == 0, again.stderr
    assert "Done:" in again.stdout
    assert set(storage.not_current(both).values()) == {0}
    assert plain_values(db, storage.Keyring(NEW)) == before  # every value, every byte
    status = subprocess.run(
        [planbot_command(), "keys", "status"], capture_output=True, text=True, env=env, timeout=120
    )
    assert "Everything is sealed with the current key." in status.stdout


def test_status_and_rotate_say_what_waits_and_what_went_wrong(
    db: storage.Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from bot.cli import app as cli

    with keyed(db, storage.Keyring(OLD)).transaction() as session:
        storage.create_person(session, "Ottoline Frame")
    monkeypatch.setenv("PLANBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PLANBOT_DATABASE_URL", subprocess_url(db))
    monkeypatch.setenv("PLANBOT_SECRET_KEY", NEW)
    monkeypatch.delenv("PLANBOT_OLD_SECRET_KEYS", raising=False)
    runner = CliRunner()
    lost = runner.invoke(cli, ["keys", "rotate"])  # the old key not given: nothing opens
    assert lost.exit_code == 1 and "PLANBOT_OLD_SECRET_KEYS" in lost.output
    monkeypatch.setenv("PLANBOT_OLD_SECRET_KEYS", OLD)
    waiting = runner.invoke(cli, ["keys", "status"])
    new_id, old_id = storage.Keyring(NEW).key_id, storage.Keyring(OLD).key_id
    assert f"Current key: {new_id}; old keys: {old_id}." in waiting.output
    assert "Rows to re-seal (run planbot keys rotate): person 1." in waiting.output
    done = runner.invoke(cli, ["keys", "rotate"])
    assert done.exit_code == 0 and "person: 1 rows re-sealed" in done.output
    assert "Everything is sealed" in runner.invoke(cli, ["keys", "status"]).output


def test_rotate_drops_the_files_cached_under_the_old_key(
    db: storage.Database, tmp_path: Path
) -> None:
    """The sound cache and the kept rendered files were sealed with the old key: once it is
    removed they could never open, so the rotation takes them away (made again when asked)."""
    data = tmp_path / "data"
    old = Settings.from_env({"PLANBOT_DATA_DIR": str(data), "PLANBOT_SECRET_KEY": OLD})
    synthesize(["Ottoline likes herons."], tmp_path / "said.wav", "wav", "espeak", old)
    sealed = storage.seal_file(b"%PDF Ottoline likes herons", storage.keys_of(old))
    storage.keep_render(data, 1, "profile", "c0ffee", "pdf", sealed, limit_bytes=10**6)
    assert len(every_file(data / "cache")) == 2
    done = planbot(
        data,
        "keys",
        "rotate",
        PLANBOT_DATABASE_URL=subprocess_url(db),
        PLANBOT_SECRET_KEY=NEW,
        PLANBOT_OLD_SECRET_KEYS=OLD,
    )
    assert done.returncode == 0, done.stderr
    assert "Cached files dropped (made again when next asked for): 2." in done.stdout
    assert every_file(data / "cache") == []
