"""Private links in storage (both backends) and ``planbot links`` on the command line."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

import storage
from bot.cli import app as cli
from easyread.speech import synthesize
from planbot.settings import Settings
from tests.auxil.twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, PUBLIC_URL, fake_twilio
from tests.conftest import Clock


def make_person(db: storage.Database, name: str = "Dev", number: str | None = None) -> int:
    with db.transaction() as session:
        person = storage.create_person(session, name)
        if number:
            storage.link_person(
                session, person, storage.get_or_create_address(session, "sms", number)
            )
        assert person.id is not None
        return person.id


def new_token(db: storage.Database, person_id: int, clock: Clock, **where: str) -> str:
    with db.transaction() as session:
        person = storage.person_by_id(session, person_id)
        assert person is not None
        return storage.new_link(session, person, days=30, now=clock(), **where)


def opens(db: storage.Database, token: str, clock: Clock) -> int | None:
    with db.transaction() as session:
        person = storage.person_for_token(session, token, clock())
        return person.id if person else None


def test_a_token_is_random_long_and_stored_only_as_a_hash(
    db: storage.Database, clock: Clock
) -> None:
    pid = make_person(db)
    tokens = {new_token(db, pid, clock) for _ in range(20)}
    assert len(tokens) == 20
    assert all(len(t) >= 43 for t in tokens)  # 32 random bytes: 256 bits
    with db.engine.connect() as conn:
        stored = " ".join(
            str(v) for row in conn.execute(text("SELECT * FROM profile_link")) for v in row
        )
    assert not any(t in stored for t in tokens)
    assert all(storage.token_hash(t) in stored for t in tokens)
    assert all(opens(db, t, clock) == pid for t in tokens)


def test_links_expire_and_can_be_revoked(db: storage.Database, clock: Clock) -> None:
    pid = make_person(db)
    token = new_token(db, pid, clock)
    later = new_token(db, pid, clock)
    clock.advance(days=30)
    assert opens(db, token, clock) is None
    clock.advance(days=-1)
    assert opens(db, token, clock) == pid
    with db.transaction() as session:
        person = storage.person_by_id(session, pid)
        assert person is not None
        assert storage.revoke_links(session, person, clock()) == 2
        assert storage.revoke_links(session, person, clock()) == 0
        statuses = [v.status(clock()) for v in storage.links_for(session, person)]
    assert statuses == ["revoked", "revoked"]
    assert opens(db, later, clock) is None
    assert opens(db, "", clock) is None and opens(db, "x" * 500, clock) is None


def test_one_message_makes_one_link_and_a_repeat_changes_its_token(
    db: storage.Database, clock: Clock
) -> None:
    pid = make_person(db)
    first = new_token(db, pid, clock, channel="sms", message_id="SM1")
    second = new_token(db, pid, clock, channel="sms", message_id="SM1")
    assert first != second
    assert opens(db, first, clock) is None and opens(db, second, clock) == pid
    with db.transaction() as session:
        person = storage.person_by_id(session, pid)
        assert person is not None
        assert len(storage.links_for(session, person)) == 1


def test_forgetting_a_person_erases_links_and_photo(db: storage.Database, clock: Clock) -> None:
    pid = make_person(db, number="+447700900123")
    token = new_token(db, pid, clock)
    with db.transaction() as session:
        person = storage.person_by_id(session, pid)
        assert person is not None
        storage.set_person_photo(session, person, b"\x89PNG\r\n\x1a\n", "image/png", "MM1")
        storage.erase_person(session, person)
    assert opens(db, token, clock) is None
    with db.engine.connect() as conn:
        for table in ("profile_link", "person_photo"):
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> storage.Database:
    """Environment for ``planbot`` commands, on an SQLite file they and the test share."""
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    env = {
        "PLANBOT_DATABASE_URL": url,
        "PLANBOT_DATA_DIR": str(tmp_path / "data"),
        "PLANBOT_PUBLIC_URL": PUBLIC_URL,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": FROM_NUMBER,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TWILIO_MESSAGING_SERVICE_SID", raising=False)
    return storage.open_database(url)


def test_links_new_list_and_revoke(cli_env: storage.Database) -> None:
    make_person(cli_env)
    runner = CliRunner()
    made = runner.invoke(cli, ["links", "new", "Dev"])
    assert made.exit_code == 0, made.output
    url = made.output.strip()
    assert url.startswith(f"{PUBLIC_URL}/p/")
    listed = runner.invoke(cli, ["links", "list", "dev"])
    assert listed.exit_code == 0 and "active" in listed.output
    assert url.rsplit("/", 1)[1] not in listed.output  # the token is never shown again
    settings = Settings.from_env()
    synthesize(["Dev likes tea."], settings.data_dir / "page.mp3", "mp3", "espeak", settings)
    cached = settings.data_dir / "cache" / "audio"
    assert len(list(cached.iterdir())) == 1  # the page's sound, as a visit to the link left it
    revoked = runner.invoke(cli, ["links", "revoke", "Dev"])
    assert revoked.output.strip() == "Turned off 1 link to Dev's profile."
    assert list(cached.iterdir()) == []  # it went with the links
    assert "revoked" in runner.invoke(cli, ["links", "list", "Dev"]).output
    missing = runner.invoke(cli, ["links", "list", "Nobody"])
    assert missing.exit_code == 1 and "Nobody" in missing.output


def test_links_send_texts_a_new_link(cli_env: storage.Database) -> None:
    make_person(cli_env, number="+447700900123")
    with fake_twilio() as twilio:
        result = CliRunner().invoke(cli, ["links", "send", "Dev"])
    assert result.exit_code == 0, result.output
    assert len(twilio.sent) == 1 and twilio.sent[0]["To"] == "+447700900123"
    body = twilio.sent[0]["Body"]
    assert "It works for 30 days." in body and f"{PUBLIC_URL}/p/" in body
    token = body.rsplit("/p/", 1)[1].strip()
    with cli_env.transaction() as session:
        assert storage.person_for_token(session, token) is not None
        assert (
            storage.person_for_token(session, token, storage.utcnow() + timedelta(days=31)) is None
        )


def test_links_send_texts_the_person_not_their_supporters(cli_env: storage.Database) -> None:
    """Sam helps with Dev's plan from his own phone: the link is Dev's, and a link sent to
    Sam would outlive Sam's removal (only links Sam asked for are turned off then)."""
    with cli_env.transaction() as session:
        dev = storage.create_person(session, "Dev")
        home = storage.get_or_create_address(session, "sms", "+447700900123")
        storage.link_person(session, dev, home)
        storage.add_holder(session, dev, home, storage.utcnow())
        sam = storage.get_or_create_address(session, "sms", "+447700900456")
        access = storage.start_joining(session, dev, sam, storage.utcnow())
        storage.finish_joining(session, access, "Sam", "friend")
        storage.approve_access(session, access, storage.utcnow())
    with fake_twilio() as twilio:
        result = CliRunner().invoke(cli, ["links", "send", "Dev"])
    assert result.exit_code == 0, result.output
    assert [m["To"] for m in twilio.sent] == ["+447700900123"]


def test_links_send_skips_opted_out_numbers(cli_env: storage.Database) -> None:
    make_person(cli_env, number="+447700900123")
    with cli_env.transaction() as session:
        storage.set_opted_out(session, "sms", "+447700900123", True)
    with fake_twilio() as twilio:
        result = CliRunner().invoke(cli, ["links", "send", "Dev"])
    assert result.exit_code == 1 and "no phone number" in result.output
    assert twilio.sent == []
