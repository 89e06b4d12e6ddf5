"""The audit log: who saw, added, changed, shared or deleted what, never the words. Written
by the real engine, the web pages behind a link and the command line; read by the holder in
the chat ("who looked at my plan"), by `planbot audit NAME`, and in the export; erased with
the person. On every backend."""

from __future__ import annotations

import json

import httpx
from typer.testing import CliRunner

import storage
from bot.cli import app as cli
from dialogues import Engine
from tests.bot.test_access_cli import DEV, SAM, engine, runner, sam_helps_dev, say  # noqa: F401
from tests.conftest import Clock

WORDS = ("kind", "always on time", "tidy")


def _events(db: storage.Database) -> list[tuple[str | None, str, str, str, int]]:
    with db.transaction() as session:
        (dev,) = storage.find_people(session, "Dev")
        return [
            (e.actor, e.actor_role, e.action, e.what, e.count)
            for e in reversed(storage.audit_of(session, dev))
        ]


def test_what_people_did_is_logged_without_the_words(
    engine: Engine,  # noqa: F811
    db: storage.Database,
    runner: CliRunner,  # noqa: F811
) -> None:
    sam_helps_dev(engine)
    say(engine, SAM, "always on time, tidy")
    say(engine, SAM, "my answers")
    assert "Sam said about you: always on time." in say(engine, DEV, "done")
    assert "Sam said about you: tidy." in say(engine, DEV, "yes")
    say(engine, DEV, "no")
    events = _events(db)
    assert ("Dev", "person", "added", "like_admire", 1) in events
    assert ("Dev", "person", "let_in", "plan", 1) in events
    assert ("Sam", "family", "added", "like_admire", 2) in events
    assert ("Sam", "family", "saw", "answers", 1) in events
    assert ("Dev", "person", "agreed", "like_admire", 1) in events
    assert ("Dev", "person", "declined", "like_admire", 1) in events

    result = runner.invoke(cli, ["audit", "Dev"])
    assert result.exit_code == 0, result.output
    assert "Sam  family  added  like_admire x2  sms" in result.output
    exported = runner.invoke(cli, ["export", "Dev"])
    log = json.loads(exported.output)["audit"]
    seen = {"by": "Sam", "by_role": "family", "action": "saw", "what": "answers"}
    assert any(seen.items() <= event.items() for event in log)
    assert not any(words in json.dumps(log) for words in WORDS)
    after = runner.invoke(cli, ["audit", "Dev"]).output.splitlines()
    assert after[-1].endswith("admin  admin  exported  data  cli")  # the export itself
    with db.engine.connect() as conn:
        raw = " ".join(
            str(v) for row in conn.exec_driver_sql("SELECT * FROM audit_event") for v in row
        )
    assert not any(words in raw for words in WORDS)


async def test_the_holder_hears_who_opened_a_private_link(
    engine: Engine,  # noqa: F811
    db: storage.Database,
    client: httpx.AsyncClient,
    clock: Clock,
) -> None:
    for words in ("hello", "yes", "1", "Dev", "kind"):
        say(engine, DEV, words)
    assert "Nobody else has used your plan yet." in say(engine, DEV, "who looked at my plan")
    with db.transaction() as session:
        (dev,) = storage.find_people(session, "Dev")
        token = storage.new_link(session, dev, days=30, now=clock())
    assert (await client.get(f"/p/{token}")).status_code == 200
    assert (await client.get(f"/p/{token}.txt")).status_code == 200
    assert (await client.get("/p/not-a-token")).status_code == 404
    said = say(engine, DEV, "who looked at my plan")
    assert "23 November 2026: Someone with a private link looked at your profile." in said
    assert said.count("looked at your profile") == 2
    assert ("Dev", "person", "added", "like_admire", 1) in _events(db)


def test_erasing_a_person_erases_their_log(
    engine: Engine,  # noqa: F811
    db: storage.Database,
) -> None:
    for words in ("hello", "yes", "1", "Dev", "kind"):
        say(engine, DEV, words)
    with db.transaction() as session:
        (dev,) = storage.find_people(session, "Dev")
        assert storage.audit_of(session, dev)
        storage.erase_person(session, dev)
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM audit_event").scalar() == 0
