"""The engine as a whole: repeat deliveries, writing before replying, who a message is about,
bad input, and a property test that no message at any point breaks a conversation.

Why here and not in transcripts: these need two engines, several addresses, row counts or
generated input, which a case file cannot say.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import select

import storage
from dialogues import Engine, Incoming, Media, Reply, clean_text
from planbot.settings import Settings
from tests.auxil.replies import shown
from tests.conftest import Clock

CHANNEL = "test"


class Chat:
    """One address talking to an engine: sends messages with fresh ids, keeps what came back."""

    def __init__(self, engine: Engine, address: str = "07700 900002", person: str | None = None):
        self.engine = engine
        self.address = address
        self.person = person
        self.sent = 0

    def send(self, text: str, *, opening: bool = False, media: tuple[Media, ...] = ()) -> str:
        return shown(self.send_raw(text, opening=opening, media=media))

    def send_raw(
        self, text: str, *, opening: bool = False, media: tuple[Media, ...] = ()
    ) -> list[Reply]:
        self.sent += 1
        return self.engine.handle(self.incoming(text, opening=opening, media=media))

    def incoming(
        self, text: str, *, opening: bool = False, media: tuple[Media, ...] = ()
    ) -> Incoming:
        return Incoming(
            channel=CHANNEL,
            address=self.address,
            message_id=f"{self.address}-{uuid.uuid4().hex}",
            text=text,
            media=media,
            person=self.person,
            opening=opening,
        )

    def start(self, name: str | None = "Dev") -> None:
        """Open, agree, say "it is me" and give a name: now at the first topic."""
        self.send("", opening=True)
        self.send("yes")
        reply = self.send("1")
        if name is not None and "What should I call you?" in reply:
            self.send(name)


def count(db: storage.Database, model: type) -> int:
    with db.transaction() as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def answers_of(db: storage.Database, name: str) -> list[storage.AnswerView]:
    with db.transaction() as session:
        (person,) = storage.find_people(session, name)
        return storage.answers_for(session, person)


def texts_of(db: storage.Database, name: str) -> list[str]:
    return [a.text for a in answers_of(db, name) if a.status == storage.ANSWER]


# --- repeat deliveries and writing before replying ------------------------------------------


def test_a_message_delivered_twice_is_answered_twice_and_stored_once(
    engine: Engine, db: storage.Database
) -> None:
    chat = Chat(engine)
    chat.start("Dev")
    message = chat.incoming("kind, funny")
    first = engine.handle(message)
    answers_after_first = count(db, storage.Answer)
    messages_after_first = count(db, storage.ProcessedMessage)

    second = engine.handle(message)

    assert second == first
    assert "- kind\n- funny" in shown(second)
    assert count(db, storage.Answer) == answers_after_first == 2
    assert count(db, storage.ProcessedMessage) == messages_after_first
    assert texts_of(db, "Dev") == ["kind", "funny"]
    # The conversation did not move on twice: "done" still closes the first topic.
    assert "Topic 2 of 9" in chat.send("done")


def test_a_repeated_done_does_not_skip_a_topic(engine: Engine, db: storage.Database) -> None:
    chat = Chat(engine)
    chat.start("Dev")
    chat.send("kind")
    done = chat.incoming("done")
    engine.handle(done)
    again = shown(engine.handle(done))
    assert "Topic 2 of 9" in again
    assert "Topic 3 of 9" not in chat.send("my bike")


def test_answers_are_stored_before_the_reply_and_survive_a_restart(
    engine: Engine, db: storage.Database, settings: Settings, clock: Clock
) -> None:
    chat = Chat(engine)
    chat.start("Dev")
    chat.send("kind, funny")

    # The process restarts: connections closed, a new engine with nothing in memory.
    db.dispose()
    restarted = Engine(db, settings, clock=clock)
    assert texts_of(db, "Dev") == ["kind", "funny"]
    later = Chat(restarted, chat.address)
    assert "Welcome back, Dev" in later.send("", opening=True)
    reply = later.send("done")
    assert "Topic 2 of 9" in reply
    assert "What is important to you?" in reply
    later.send("my bike")
    assert texts_of(db, "Dev") == ["kind", "funny", "my bike"]


def test_a_message_delivered_twice_at_the_same_time_is_stored_once(
    engine: Engine, db: storage.Database
) -> None:
    """A channel retrying while the first delivery is still being handled (two workers)."""
    chat = Chat(engine)
    chat.start("Dev")
    message = chat.incoming("kind, funny")
    with ThreadPoolExecutor(max_workers=4) as pool:
        replies = list(pool.map(lambda _: engine.handle(message), range(4)))
    assert all(r == replies[0] for r in replies)
    assert texts_of(db, "Dev") == ["kind", "funny"]


def test_first_messages_from_a_new_address_at_the_same_time(
    engine: Engine, db: storage.Database
) -> None:
    """Two texts from a new number race to create it: both are answered, one address kept."""
    chat = Chat(engine, "07700 900999")
    messages = [chat.incoming("hello"), chat.incoming("hi there")]
    with ThreadPoolExecutor(max_workers=2) as pool:
        replies = list(pool.map(engine.handle, messages))
    # One is the first message (the welcome); the other then answers the consent question.
    assert all(r and all(x.text.strip() for x in r) for r in replies)
    assert any("Can I keep your answers safe" in shown(r) for r in replies)
    assert count(db, storage.Address) == 1
    assert count(db, storage.Conversation) == 1
    assert "Who is typing?" in chat.send("yes")


# --- who a message is about ------------------------------------------------------------------


def test_one_address_can_talk_for_two_people(
    engine: Engine, db: storage.Database, clock: Clock
) -> None:
    dev = Chat(engine, "terminal", person="Dev")
    dev.start()
    dev.send("kind")
    sam = Chat(engine, "terminal", person="Sam")
    sam.start()
    sam.send("funny")
    assert "Welcome back, Dev" in dev.send("", opening=True)
    dev.send("loud")

    assert texts_of(db, "Dev") == ["kind", "loud"]
    assert texts_of(db, "Sam") == ["funny"]
    with db.transaction() as session:
        address = storage.find_address(session, CHANNEL, "terminal")
        assert address is not None
        names = [storage.person_name(p) for p in storage.people_for_address(session, address)]
    assert names == ["Dev", "Sam"]


def test_an_address_for_two_people_asks_who_after_a_pause(
    engine: Engine, db: storage.Database, clock: Clock
) -> None:
    Chat(engine, "07700 900003", person="Dev").start()
    sam = Chat(engine, "07700 900003", person="Sam")
    sam.start()
    sam.send("funny")
    phone = Chat(engine, "07700 900003")  # an SMS: the channel does not know whom it is about

    # Straight away, the talk carries on about the last person.
    assert "- tall" in phone.send("tall")
    assert texts_of(db, "Sam") == ["funny", "tall"]

    clock.advance(hours=3)
    asked = phone.send("hi")
    assert "Who do you want to talk about today?" in asked
    assert "  1. Dev\n  2. Sam\n  3. Someone new" in asked
    assert "Welcome back, Dev" in phone.send("1")
    phone.send("brave")
    assert texts_of(db, "Dev") == ["brave"]

    assert "Who do you want to talk about today?" in phone.send("switch")
    assert "Welcome back, Sam" in phone.send("Sam")
    phone.send("kind")
    assert texts_of(db, "Sam") == ["funny", "tall", "kind"]
    assert texts_of(db, "Dev") == ["brave"]


def test_someone_new_on_a_shared_address_starts_with_consent(
    engine: Engine, db: storage.Database
) -> None:
    Chat(engine, "07700 900004", person="Dev").start()
    Chat(engine, "07700 900004", person="Sam").start()
    phone = Chat(engine, "07700 900004")
    phone.send("switch")
    assert "Can I keep your answers safe" in phone.send("3")
    assert "Who is typing?" in phone.send("yes")
    assert "What should I call you?" in phone.send("1")
    phone.send("Kim")
    phone.send("cheerful")
    assert texts_of(db, "Kim") == ["cheerful"]
    assert count(db, storage.Person) == 3


def test_naming_a_plan_from_another_address_links_nothing(
    engine: Engine, db: storage.Database
) -> None:
    """Only the holder's yes to a JOIN lets another address into a plan: a channel that
    names the person (``planbot chat --person Dev --address mo``) gets how to ask instead."""
    dev = Chat(engine, "dev-phone", person="Dev")
    dev.start()
    dev.send("kind")

    supporter = Chat(engine, "mo-laptop", person="Dev")
    for said in (supporter.send("", opening=True), supporter.send("my answers")):
        assert "There is a plan for Dev already." in said
        assert "To help, ask Dev to say invite. Then send me JOIN and the code." in said
        assert "kind" not in said and "Who is typing?" not in said
    with db.transaction() as session:
        assert storage.find_address(session, CHANNEL, "mo-laptop") is None  # nothing kept

    # An address with a plan of its own is told too (the plan's name as kept), then gets
    # its own question again.
    Chat(engine, "kim-phone", person="Kim").start()
    said = Chat(engine, "kim-phone", person="dev").send("", opening=True)
    assert "There is a plan for Dev already." in said
    assert "What do people like about you?" in said
    with db.transaction() as session:
        address = storage.find_address(session, CHANNEL, "kim-phone")
        assert address is not None
        names = [storage.person_name(p) for p in storage.people_for_address(session, address)]
    assert names == ["Kim"]
    assert texts_of(db, "Dev") == ["kind"]


# --- bad input ---------------------------------------------------------------------------------

BAD_INPUT = [
    pytest.param("", "I did not get any words", id="empty"),
    pytest.param("   \n\t ", "I did not get any words", id="blank"),
    pytest.param("x" * 10_000, "That message is very long", id="10000-chars"),
    pytest.param("\x00\x01\x02", "I did not get any words", id="only-control-chars"),
    pytest.param("\u202e\u2066", "I did not get any words", id="only-bidi-overrides"),
]


@pytest.mark.parametrize(("text", "reply"), BAD_INPUT)
def test_bad_input_gets_a_kind_reply_and_loses_nothing(
    engine: Engine, db: storage.Database, text: str, reply: str
) -> None:
    chat = Chat(engine)
    chat.start("Dev")
    chat.send("kind")
    before = count(db, storage.Answer)

    got = chat.send(text)

    assert reply in got
    assert "Is there anything else?" in got  # the question again: never a dead end
    assert count(db, storage.Answer) == before
    assert texts_of(db, "Dev") == ["kind"]
    assert "- funny" in chat.send("funny")


def test_a_photo_where_words_were_expected(engine: Engine, db: storage.Database) -> None:
    chat = Chat(engine)
    chat.start("Dev")
    got = chat.send("", media=(Media("https://example.org/photo.jpg", "image/jpeg"),))
    assert "Thank you for the picture. For this question, I need words." in got
    assert "What do people like about you?" in got
    assert count(db, storage.Answer) == 0


def test_the_engine_wants_a_photo_only_at_the_photo_question(
    engine: Engine, db: storage.Database
) -> None:
    def incoming(text: str, *, opening: bool = False) -> Incoming:
        return Incoming(
            CHANNEL, "07700 900050", uuid.uuid4().hex, text, opening=opening, takes_photos=True
        )

    assert not engine.wants_photo(CHANNEL, "07700 900050")  # nobody yet
    for text in ("", "yes", "1"):
        engine.handle(incoming(text, opening=not text))
        assert not engine.wants_photo(CHANNEL, "07700 900050")
    assert "Would you like a photo" in shown(engine.handle(incoming("Dev")))
    assert engine.wants_photo(CHANNEL, "07700 900050")
    engine.handle(incoming("no"))
    assert not engine.wants_photo(CHANNEL, "07700 900050")


def test_an_opted_out_address_gets_nothing_and_stores_nothing(
    engine: Engine, db: storage.Database
) -> None:
    chat = Chat(engine)
    chat.start("Dev")
    with db.transaction() as session:
        storage.set_opted_out(session, CHANNEL, chat.address, True)
    messages = count(db, storage.ProcessedMessage)
    assert chat.send_raw("kind") == []
    assert count(db, storage.ProcessedMessage) == messages
    assert texts_of(db, "Dev") == []
    back = engine.handle(
        Incoming(CHANNEL, chat.address, uuid.uuid4().hex, opening=True, opts_in=True)
    )
    assert "What do people like about you?" in shown(back)
    with db.transaction() as session:
        assert not storage.is_opted_out(session, CHANNEL, chat.address)


def test_a_repeat_of_the_message_that_finished_the_plan_gets_the_profile_again(
    db: storage.Database, settings: Settings, clock: Clock
) -> None:
    finished: list[tuple[int, str]] = []

    def profile(person_id: int, flow: str) -> list[Reply]:
        finished.append((person_id, flow))
        return [Reply("PROFILE", kind="profile")]

    engine = Engine(db, settings, clock=clock, profile_hook=profile)
    chat = Chat(engine)
    chat.start("Dev")
    while "Do you want to change anything?" not in chat.send("done"):
        pass
    last = chat.incoming("no")
    first = engine.handle(last)
    again = engine.handle(last)
    assert [r.kind for r in first][-2:] == ["finished", "profile"]
    assert again == first
    assert len(finished) == 2 and finished[0] == finished[1]
    assert finished[0][1] == "profile"


def test_control_and_bidi_characters_are_not_stored(engine: Engine, db: storage.Database) -> None:
    chat = Chat(engine)
    chat.start("Dev")
    chat.send("ki\x00nd\x07")
    chat.send("\u202eevil\u202c text")
    assert texts_of(db, "Dev") == ["kind", "evil text"]


def test_html_and_sql_looking_text_is_stored_verbatim(engine: Engine, db: storage.Database) -> None:
    chat = Chat(engine)
    chat.send("", opening=True)
    chat.send("yes")
    chat.send("1")
    bobby = "Robert'); DROP TABLE answer;--"
    assert f"Thank you, {bobby}." in chat.send(bobby)
    assert "- <script>alert(1)</script>" in chat.send("<script>alert(1)</script>")
    assert texts_of(db, bobby) == ["<script>alert(1)</script>"]
    assert count(db, storage.Answer) == 1  # the table is still there


def test_a_name_too_long_to_be_a_name_gets_the_retry_ladder(
    engine: Engine, db: storage.Database
) -> None:
    chat = Chat(engine)
    chat.send("", opening=True)
    chat.send("yes")
    chat.send("1")
    got = chat.send("my name is something that goes on and on and on and on and on and on")
    assert "Please tell me your first name." in got
    assert "Thank you, Dev." in chat.send("Dev")


# --- property: no message at any point breaks the conversation --------------------------------

STEERING = [
    "",
    "yes",
    "no",
    "1",
    "2",
    "3",
    "6",
    "Dev",
    "done",
    "back",
    "skip",
    "repeat",
    "restart",
    "change",
    "change good day",
    "my answers",
    "delete last",
    "pause",
    "switch",
    "help",
    "dunno",
    "what",
    "👍",
    "kind, funny\ndone",
    "hi its me again",
]
GAPS = [0.0, 0.0, 0.0, 2.0, 48.0, 24.0 * 40]


@pytest.fixture(scope="module")
def fast_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, Clock]]:
    """One SQLite engine for every generated example (each example uses a new address)."""
    folder: Path = tmp_path_factory.mktemp("property")
    db = storage.open_database(f"sqlite:///{folder / 'planbot.sqlite3'}")
    clock = Clock()
    settings = Settings.from_env({"PLANBOT_DATA_DIR": str(folder)})
    try:
        yield Engine(db, settings, clock=clock), clock
    finally:
        db.dispose()


@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=st.lists(
        st.tuples(st.one_of(st.sampled_from(STEERING), st.text()), st.sampled_from(GAPS)),
        min_size=1,
        max_size=14,
    ),
    named=st.sampled_from([False, False, True]),
)
def test_any_text_at_any_point_gets_a_reply(
    fast_engine: tuple[Engine, Clock], steps: list[tuple[str, float]], named: bool
) -> None:
    engine, clock = fast_engine
    key = uuid.uuid4().hex
    # Half like SMS (nobody named), some like ``planbot chat --person`` (a name new each time).
    chat = Chat(engine, f"prop-{key}", person=f"Dev {key}" if named else None)
    chat.send_raw("", opening=True)
    for text, gap in steps:
        clock.advance(hours=gap)
        replies = chat.send_raw(text)
        assert replies, text
        assert all(r.text.strip() for r in replies), (text, replies)

    # Whatever was kept is the person's own words: part of something they sent.
    sent = [clean_text(text) for text, _ in steps]
    with engine.db.transaction() as session:
        address = storage.find_address(session, CHANNEL, chat.address)
        people = storage.people_for_address(session, address) if address else []
        kept = [a.text for p in people for a in storage.answers_for(session, p) if a.text]
    for text in kept:
        assert any(text in message for message in sent), (text, sent)
