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


def _without_made_for(tmp_path: Path) -> Flows:
    """The profile flow as version 1 was: no question of how the person agreed."""
    folder = tmp_path / "v1" / "profile"
    folder.mkdir(parents=True)
    text = scripts_folder().joinpath("profile", "flow.toml").read_text("utf-8")
    made_for = text[text.index('[[step]]\nid = "agreed"') : text.index('[[step]]\nid = "photo"')]
    text = text.replace(made_for, "").replace("\nversion = 2", "\nversion = 1", 1)
    (folder / "flow.toml").write_text(text, "utf-8")
    return Flows({"profile": read_flow(folder, shared=scripts_folder())})


def test_a_plan_family_started_before_the_question_is_asked_how_the_person_agreed(
    db: storage.Database, settings: Settings, clock: Clock, tmp_path: Path
) -> None:
    """Pat started Amy's plan under version 1 (no "How did Amy agree?"). At Pat's next
    message under version 2, the answer is kept, then the question comes once, is recorded,
    and the conversation goes back to the topic it was at."""
    older = Engine(db, settings, clock=clock, flows=_without_made_for(tmp_path))
    for n, text in enumerate(["", "yes", "mum", "Pat", "Amy", "her laugh", "done"]):
        said = _say(older, text, n)
    assert "What is important to Amy?" in said
    assert "How did Amy agree" not in said
    assert _conversation(db) == ("important_to", "profile", 1)

    newer = Engine(db, settings, clock=clock)
    said = _say(newer, "her cat Biscuit", 10)
    assert said.index("- her cat Biscuit") < said.index("How did Amy agree to this plan?")
    assert "Before we go on, I have one more question about the plan." in said
    said = _say(newer, "she said yes", 11)
    assert "I will write that Amy said yes." in said
    assert said.index("said yes") < said.index("- her cat Biscuit") < said.index("anything else?")
    assert _conversation(db)[0] == "important_to"
    said = _say(newer, "done", 12)
    assert "How did Amy agree" not in said  # asked once
    with db.transaction() as session:
        amy = storage.find_people(session, "Amy")[0]
        assert [(c.subject, c.decision, c.by) for c in storage.consents_of(session, amy)] == [
            (storage.KEEP_ANSWERS, "yes", "Pat"),
            (storage.MADE_FOR, storage.SAID_YES, "Pat"),
        ]
        assert [a.text for a in storage.answers_for(session, amy)] == [
            "her laugh",
            "her cat Biscuit",
        ]


def test_the_person_typing_their_own_plan_is_never_asked_how_they_agreed(
    db: storage.Database, settings: Settings, clock: Clock, tmp_path: Path
) -> None:
    older = Engine(db, settings, clock=clock, flows=_without_made_for(tmp_path))
    for n, text in enumerate(["", "yes", "1", "Dev", "kind", "done"]):
        _say(older, text, n)
    said = _say(Engine(db, settings, clock=clock), "my friends", 10)
    assert "- my friends" in said and "agree" not in said
