"""A reworded script never strands a conversation halfway.

Each conversation records its flow and the version of the flow's script. When planbot starts
with a new version, a conversation saved at a step that was renamed carries on at the new id;
one saved at a step that is gone carries on at the first topic with nothing in it yet. The new
versions are real copies of the profile flow folder, loaded through the real loader.
"""

from __future__ import annotations

from pathlib import Path

import storage
from dialogues import Engine, Incoming
from dialogues._flows import Flows
from dialogues._script import read_flow, scripts_folder
from planbot.settings import Settings
from tests.auxil.replies import shown
from tests.conftest import Clock

ADDRESS = "07700 900777"


def _version_2(tmp_path: Path, *changes: tuple[str, str]) -> Flows:
    """The profile flow one version on (3; it ships at 2), with ``changes`` to its flow.toml."""
    folder = tmp_path / "profile"
    folder.mkdir()
    text = scripts_folder().joinpath("profile", "flow.toml").read_text("utf-8")
    for old, new in (("\nversion = 2", "\nversion = 3"), *changes):
        assert old in text, old
        text = text.replace(old, new, 1)
    (folder / "flow.toml").write_text(text, "utf-8")
    return Flows({"profile": read_flow(folder, shared=scripts_folder())})


def _say(engine: Engine, text: str, n: int) -> str:
    incoming = Incoming("test", ADDRESS, f"m{n}", text, opening=not text)
    return shown(engine.handle(incoming))


def _to_readback(engine: Engine) -> int:
    """Consent, a name, one thing, then every other topic skipped: at the read-back."""
    said = ["", "yes", "1", "Dev", "kind", "done", *["skip"] * 8]
    for n, text in enumerate(said):
        _say(engine, text, n)
    return len(said)


def _conversation(db: storage.Database) -> tuple[str, str, int]:
    with db.transaction() as session:
        address = storage.find_address(session, "test", ADDRESS)
        assert address is not None
        person = storage.people_for_address(session, address)[0]
        conv = storage.conversation_for(session, address, person)
        assert conv is not None
        return conv.state, conv.flow, conv.flow_version


def test_a_new_conversation_records_its_flow_and_version(
    engine: Engine, db: storage.Database
) -> None:
    _to_readback(engine)
    assert _conversation(db) == ("readback", "profile", 2)


def test_a_renamed_step_carries_on_at_its_new_id(
    engine: Engine, db: storage.Database, settings: Settings, clock: Clock, tmp_path: Path
) -> None:
    n = _to_readback(engine)
    flows = _version_2(
        tmp_path,
        ('id = "readback"', 'id = "check_answers"'),
        ("\n[renamed]\n", '\n[renamed]\nreadback = "check_answers"\n'),
    )
    newer = Engine(db, settings, clock=clock, flows=flows)
    said = _say(newer, "no", n)
    assert "Your profile is ready" in said
    assert _conversation(db) == ("finished", "profile", 3)


def test_a_step_that_is_gone_carries_on_at_the_first_empty_topic(
    engine: Engine, db: storage.Database, settings: Settings, clock: Clock, tmp_path: Path
) -> None:
    for n, text in enumerate(["", "yes", "1", "Dev"]):
        said = engine.handle(Incoming("test", ADDRESS, f"m{n}", text, takes_photos=True))
    assert "Would you like a photo of you on your profile?" in shown(said)
    # Version 3 has no photo question: Dev's conversation was at it.
    flow = scripts_folder().joinpath("profile", "flow.toml").read_text("utf-8")
    photo = flow[flow.index('[[step]]\nid = "photo"') : flow.index('[[step]]\nid = "like_admire"')]
    flows = _version_2(tmp_path, (photo, ""))
    assert "photo" not in flows.default.script.by_id
    newer = Engine(db, settings, clock=clock, flows=flows)
    said_now = _say(newer, "kind", 9)
    assert "I have saved:\n- kind" in said_now
    assert _conversation(db) == ("like_admire", "profile", 3)
    with db.transaction() as session:
        person = storage.find_people(session, "Dev")[0]
        assert [(a.section, a.text) for a in storage.answers_for(session, person)] == [
            ("like_admire", "kind")
        ]
