"""Transcript tests: whole conversations from ``cases/*.toml``, on every database backend.

Why data: each case reads like the conversation it checks (what the person types, the words the
replies must contain, what is stored at the end), so people who know planning can add cases
without writing Python. The format:

    description = "what this case shows"
    person = "Dev"             # optional: the channel knows the person (planbot chat --person)
    address = "07700 900123"   # optional: who is typing (one address per case by default)
    takes_photos = true        # optional: the channel can carry photos (asks the photo question)

    [[turn]]
    say = ""                   # what the person types ("" and opening = true: planbot speaks first)
    opening = true
    advance_hours = 2          # optional (or advance_days): time passes before this message
    expect = ["Hello", "Can I keep"]   # substrings of the replies, in this order
    not_expect = ["Welcome back"]      # optional: must not appear anywhere in the replies
    queued = ["Is that OK?"]   # optional: substrings of the messages this turn put in the outbox
                               # (for someone else); "{code}" in a say is the last invite code
    photo = "png"              # optional: a picture comes with the message: "png" (fetched and
                               # checked by the channel) or a problem key ("photo_big", ...)

    [end]
    state = "good_day"         # where the conversation is now
    answers = { good_day = ["swimming"] }   # every kept answer, by section, verbatim
    skipped = ["bad_day"]      # optional: sections marked skipped
    dont_know = ["working"]    # optional: sections marked "do not know yet"
    said_by = "Pat"            # optional: who said every kept answer
    perspective = "family"     # optional: the perspective of every kept answer
    name = "Arthur"            # optional: the person's name
    photo = true               # optional: whether the person has a photo kept
    large_print = true         # optional: whether the person asked for bigger writing
    nothing_stored = true      # optional: no person, no address, no answer, no conversation
    person = "Dev"             # optional: which of the address's people the rest is about
    not_kept = ["07700 900005"]  # optional: addresses of which nothing is kept: no address
                               # row, and no access row but holders', no conversation about
                               # nobody (a supporter who said no, or was said no to)
    consents = ["keep_answers yes", "made_for best_interests"]
                               # optional: the person's consent records, oldest first, as
                               # "subject decision" (a reason kept with one: "... because ...")
    consents_by = ["keep_answers yes by Pat", "supporter yes by Pat"]
                               # optional: the same records as "subject decision by who"

Files whose names start with ``_`` are shared data for other tests, not cases.
"""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

import storage
from dialogues import Engine, Incoming, Media, ReceivedPhoto
from tests.auxil.replies import shown
from tests.auxil.twilio import PNG_BYTES
from tests.conftest import Clock

CASES = Path(__file__).parent / "cases"
CHANNEL = "test"
DEFAULT_ADDRESS = "07700 900001"
TURN_KEYS = {
    "say",
    "opening",
    "expect",
    "not_expect",
    "advance_hours",
    "advance_days",
    "person",
    "address",
    "photo",
    "queued",
}
END_KEYS = {
    "state",
    "answers",
    "skipped",
    "dont_know",
    "said_by",
    "perspective",
    "name",
    "photo",
    "nothing_stored",
    "person",
    "consents",
    "consents_by",
    "large_print",
    "not_kept",
}


def load_case(path: Path) -> dict[str, Any]:
    case = tomllib.loads(path.read_text("utf-8"))
    assert case.get("description", "").strip(), f"{path.name}: needs a description"
    assert case.get("turn"), f"{path.name}: needs at least one [[turn]]"
    for number, turn in enumerate(case["turn"], start=1):
        assert set(turn) <= TURN_KEYS, f"{path.name} turn {number}: unknown keys {set(turn)}"
        assert "say" in turn and "expect" in turn, f"{path.name} turn {number}: say and expect"
    assert set(case.get("end", {})) <= END_KEYS, f"{path.name}: unknown [end] keys"
    return case


def case_paths() -> list[Path]:
    return sorted(p for p in CASES.glob("*.toml") if not p.name.startswith("_"))


def assert_in_order(text: str, expected: list[str], where: str) -> None:
    position = 0
    for part in expected:
        found = text.find(part, position)
        assert found >= 0, f"{where}: expected {part!r} (in order) in the replies:\n{text}"
        position = found + len(part)


def picture(turn: dict[str, Any]) -> dict[str, Any]:
    """The Incoming fields for a turn's ``photo``: the picture sent, fetched or not."""
    sent = turn.get("photo")
    if sent is None:
        return {}
    media = (Media("https://media.example.org/1", "image/png"),)
    if sent == "png":
        return {"media": media, "photo": ReceivedPhoto(PNG_BYTES, "image/png")}
    return {"media": media, "photo_problem": sent}


def queued_since(db: storage.Database, number: int) -> str:
    """The words of the outbox messages the case's turn ``number`` queued (claimed and let go
    again through storage, as a sender would see them)."""
    with db.transaction() as session:
        later = datetime(2100, 1, 1, tzinfo=UTC)
        items = storage.claim_due(session, now=later, channels=[CHANNEL], limit=1000)
        for item in items:
            storage.release(session, item)
    return "\n".join(
        str(i.reply["text"]) for i in items if i.key.split(":")[1].endswith(f"-{number}")
    )


def _count(session: Session, model: type) -> int:
    return int(session.exec(select(func.count()).select_from(model)).one())


def check_not_kept(session: Session, addresses: list[str], where: str) -> None:
    """Nothing of these addresses is kept: not the address, not an access row (the holders'
    are the only ones left), not a conversation about nobody."""
    for gone in addresses:
        assert storage.find_address(session, CHANNEL, gone) is None, f"{where}: {gone} kept"
    access = session.exec(select(storage.Access).where(storage.Access.role != storage.HOLDER))
    assert not access.all(), f"{where}: a supporter's access row was kept"
    about_nobody = select(storage.Conversation).where(
        col(storage.Conversation.person_id).is_(None)
    )
    assert not session.exec(about_nobody).all(), f"{where}: a conversation about nobody kept"


def check_end(db: storage.Database, case: dict[str, Any], where: str) -> None:
    end = case.get("end", {})
    with db.transaction() as session:
        if end.get("nothing_stored"):
            for model in (storage.Person, storage.Address, storage.Answer, storage.Conversation):
                assert _count(session, model) == 0, f"{where}: {model.__name__} rows were kept"
            return
        address = storage.find_address(session, CHANNEL, case.get("address", DEFAULT_ADDRESS))
        assert address is not None, f"{where}: the address was not stored"
        if "not_kept" in end:
            check_not_kept(session, end["not_kept"], where)
        if case.get("person") or end.get("person"):
            people = storage.find_people(session, end.get("person") or case["person"])
        else:
            people = storage.people_for_address(session, address)
        assert len(people) == 1, f"{where}: expected one person, found {len(people)}"
        person = people[0]
        conv = storage.conversation_for(session, address, person)
        assert conv is not None, f"{where}: no conversation about the person"
        if "state" in end:
            assert conv.state == end["state"], f"{where}: state"
        if "name" in end:
            assert storage.person_name(person) == end["name"], f"{where}: name"
        if "photo" in end:
            has_photo = storage.person_photo(session, person) is not None
            assert has_photo == end["photo"], f"{where}: photo kept"
        if "large_print" in end:
            assert person.large_print == end["large_print"], f"{where}: large print"
        answers = storage.answers_for(session, person)
        if "consents" in end:
            got_consents = [
                f"{c.subject} {c.decision}" + (f" because {c.reason}" if c.reason else "")
                for c in storage.consents_of(session, person)
            ]
            assert got_consents == end["consents"], f"{where}: consent records"
        if "consents_by" in end:
            got_by = [
                f"{c.subject} {c.decision} by {c.by}"
                for c in storage.consents_of(session, person)
            ]
            assert got_by == end["consents_by"], f"{where}: who gave each yes or no"

    kept: dict[str, list[str]] = {}
    for a in answers:
        if a.status == storage.ANSWER:
            kept.setdefault(a.section, []).append(a.text)
    if "answers" in end:
        assert kept == end["answers"], f"{where}: stored answers"
    for key, status in (("skipped", storage.SKIPPED), ("dont_know", storage.DONT_KNOW)):
        if key in end:
            got = sorted({a.section for a in answers if a.status == status})
            assert got == sorted(end[key]), f"{where}: sections marked {status}"
    for key in ("said_by", "perspective"):
        if key in end:
            got_values = {getattr(a, key) for a in answers if a.status == storage.ANSWER}
            assert got_values == {end[key]}, f"{where}: {key} of the answers"


@pytest.mark.parametrize("path", case_paths(), ids=lambda p: p.stem)
def test_transcript(path: Path, engine: Engine, db: storage.Database, clock: Clock) -> None:
    case = load_case(path)
    code = ""
    for number, turn in enumerate(case["turn"], start=1):
        where = f"{path.name} turn {number} ({turn['say']!r})"
        if "advance_hours" in turn:
            clock.advance(hours=turn["advance_hours"])
        if "advance_days" in turn:
            clock.advance(days=turn["advance_days"])
        replies = engine.handle(
            Incoming(
                channel=CHANNEL,
                address=turn.get("address", case.get("address", DEFAULT_ADDRESS)),
                message_id=f"{path.stem}-{number}",
                text=turn["say"].replace("{code}", code),
                person=turn.get("person", case.get("person")),
                opening=turn.get("opening", False),
                takes_photos=case.get("takes_photos", False),
                **picture(turn),
            )
        )
        text = shown(replies)
        found = re.search(r"JOIN (\d{6})", text)
        code = found.group(1) if found else code
        if "queued" in turn:
            assert_in_order(queued_since(db, number), turn["queued"], f"{where} (outbox)")
        assert replies and all(r.text.strip() for r in replies), f"{where}: an empty reply"
        assert_in_order(text, turn["expect"], where)
        for part in turn.get("not_expect", []):
            assert part not in text, f"{where}: did not expect {part!r} in:\n{text}"
    check_end(db, case, path.name)


def test_there_are_cases() -> None:
    assert len(case_paths()) >= 20
