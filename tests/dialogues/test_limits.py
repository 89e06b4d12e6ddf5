"""The limits on what one person keeps, where a transcript cannot reach: voice notes count
towards a full topic, and a rendered file kept for a person goes after their next message.

The limits for words are transcript cases (``cases/limit_*.toml``).
"""

from __future__ import annotations

import dataclasses

import storage
from dialogues import Engine, ReceivedVoice
from dialogues.steps.list import MAX_ITEMS_PER_MESSAGE, MAX_ITEMS_PER_TOPIC
from planbot.settings import Settings
from tests.auxil.replies import shown
from tests.dialogues.test_engine import Chat

VOICE = ReceivedVoice(b"OggS" + b"\0" * 60, "audio/ogg", 2.0)


def voice_note(chat: Chat) -> str:
    chat.sent += 1
    incoming = dataclasses.replace(chat.incoming(""), voice_note=True, voice=VOICE)
    return shown(chat.engine.handle(incoming))


def kept(db: storage.Database, section: str) -> list[storage.AnswerView]:
    with db.transaction() as session:
        person = storage.get_person(session, "Dev")
        return storage.answers_for(session, person, section)


def test_a_voice_note_fills_a_topic_and_none_is_kept_past_it(
    engine: Engine, db: storage.Database
) -> None:
    chat = Chat(engine)
    chat.start()
    for first in range(1, MAX_ITEMS_PER_TOPIC, MAX_ITEMS_PER_MESSAGE):
        last = min(first + MAX_ITEMS_PER_MESSAGE, MAX_ITEMS_PER_TOPIC)
        said = chat.send("; ".join(f"thing {n}" for n in range(first, last)))
        assert "Is there anything else?" in said
    assert len(kept(db, "like_admire")) == MAX_ITEMS_PER_TOPIC - 1

    filled = voice_note(chat)  # the 40th thing: kept, and the topic is full
    assert "This topic is full now. It can have 40 things." in filled
    assert "What is important to you?" in filled
    assert len(kept(db, "like_admire")) == MAX_ITEMS_PER_TOPIC

    chat.send("change 1")
    refused = voice_note(chat)
    assert "This topic is full now." in refused
    assert len(kept(db, "like_admire")) == MAX_ITEMS_PER_TOPIC


def test_a_persons_kept_renders_go_after_their_next_message(
    engine: Engine, db: storage.Database, settings: Settings
) -> None:
    chat = Chat(engine)
    chat.start()
    chat.send("swimming")
    with db.transaction() as session:
        person_id = storage.get_person(session, "Dev").id
    assert person_id is not None
    storage.keep_render(
        settings.data_dir, person_id, "profile", "c", "pdf", b"%PDF", limit_bytes=99
    )
    assert storage.cached_render(settings.data_dir, person_id, "profile", "c", "pdf") == b"%PDF"
    chat.send("delete last")
    assert storage.cached_render(settings.data_dir, person_id, "profile", "c", "pdf") is None
