"""Consent, recorded: every yes to keeping answers, and how the person agreed to a plan someone
else types for them (DOMAIN.md section 8), through the real engine, on every backend; what
the export says of them; and "Made by Mum with Amy" / "for Amy" on the page, the PDF, the text,
the spoken profile and the review sheet."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from sqlmodel import select

import storage
from dialogues import Engine, Incoming
from easyread import build_profile, build_review
from easyread.html import page_html, visible_sections
from easyread.pdf import render_pdf
from easyread.speech import profile_speech
from easyread.text import render_text
from planbot.settings import Settings
from tests.bot.test_cli import data_dir, run_planbot  # noqa: F401 (a fixture)
from tests.easyread.test_render_pdf import page_texts

ADDRESS = "07700 900777"


def talk(engine: Engine, *lines: str, channel: str = "sms", address: str = ADDRESS) -> None:
    for n, line in enumerate(["", *lines]):
        engine.handle(
            Incoming(channel, address, uuid.uuid4().hex, line, opening=n == 0 and not line)
        )


MUM_SAYS_YES = ("yes", "mum", "Pat", "Amy", "she said yes", "her laugh")
MUM_FOR_AMY = ("yes", "mum", "Pat", "Amy", "2", "Amy does not use words", "her laugh")


def amy(db: storage.Database) -> tuple[storage.Person, list[storage.ConsentView]]:
    with db.transaction() as session:
        (person,) = storage.find_people(session, "Amy")
        return person, storage.consents_of(session, person)


def test_a_yes_is_recorded_with_channel_time_and_wording(
    engine: Engine, db: storage.Database
) -> None:
    talk(engine, *MUM_SAYS_YES)
    _person, records = amy(db)
    keep, made = records
    # The yes came before "Who is typing?": the record says who once the answers do.
    assert (keep.subject, keep.decision, keep.by, keep.by_role) == (
        storage.KEEP_ANSWERS,
        "yes",
        "Pat",
        "family",
    )
    assert keep.channel == made.channel == "sms"
    assert keep.wording.startswith("profile v2 consent ")
    assert len(keep.wording.split()[-1]) == 12  # a hash of the words shown
    assert (made.subject, made.decision, made.by, made.by_role, made.reason) == (
        storage.MADE_FOR,
        storage.SAID_YES,
        "Pat",
        "family",
        None,
    )
    assert made.wording.startswith("profile v2 agreed ")
    assert keep.created_at <= made.created_at


def test_the_same_words_give_the_same_wording_and_other_words_another(
    engine: Engine, db: storage.Database
) -> None:
    talk(engine, *MUM_SAYS_YES)
    talk(engine, "yes", "1", "Dev", address="07700 900888")
    with db.transaction() as session:
        (dev,) = storage.find_people(session, "Dev")
        (dev_keep,) = storage.consents_of(session, dev)
    _person, (amy_keep, made) = amy(db)
    assert dev_keep.wording == amy_keep.wording
    assert made.wording != amy_keep.wording


def test_the_person_typing_is_named_as_giving_the_yes(engine: Engine, db: storage.Database) -> None:
    talk(engine, "yes", "1", "Dev", address="07700 900888")
    with db.transaction() as session:
        (dev,) = storage.find_people(session, "Dev")
        (keep,) = storage.consents_of(session, dev)
    assert (keep.by, keep.by_role) == ("Dev", "person")


def test_a_yes_before_who_is_typing_says_typist_until_then(
    engine: Engine, db: storage.Database
) -> None:
    talk(engine, "yes")
    with db.transaction() as session:
        (person,) = session.exec(select(storage.Person)).all()
        (keep,) = storage.consents_of(session, person)
    assert (keep.by, keep.by_role) == (None, storage.TYPIST)


def test_a_no_to_keeping_answers_keeps_no_record(engine: Engine, db: storage.Database) -> None:
    talk(engine, "no")
    with db.transaction() as session:
        assert session.exec(select(storage.ConsentRecord)).all() == []
        assert session.exec(select(storage.Person)).all() == []


def test_the_plain_fields_of_a_record_name_nobody(engine: Engine, db: storage.Database) -> None:
    """The reason and who gave it go through the personal-data seam; the plain fields (the
    wording, the role, the channel) name nobody."""
    talk(engine, *MUM_FOR_AMY)
    _person, records = amy(db)
    assert [(r.subject, r.decision, r.reason) for r in records] == [
        (storage.KEEP_ANSWERS, "yes", None),
        (storage.MADE_FOR, storage.BEST_INTERESTS, "Amy does not use words"),
    ]
    with db.transaction() as session:
        rows = session.exec(select(storage.ConsentRecord)).all()
        plain = " ".join(
            f"{r.subject} {r.decision} {r.by_role} {r.channel} {r.wording}" for r in rows
        )
    assert "Amy" not in plain and "Pat" not in plain and "words" not in plain


def test_the_export_lists_the_consents(engine: Engine, db: storage.Database) -> None:
    talk(engine, *MUM_FOR_AMY)
    person, _records = amy(db)
    with db.transaction() as session:
        exported = storage.export_person(session, person)
    consents = exported["consents"]
    assert isinstance(consents, list)
    assert [
        (c["subject"], c["decision"], c["by"], c["by_role"], c["reason"]) for c in consents
    ] == [
        ("keep_answers", "yes", "Pat", "family", None),
        ("made_for", "best_interests", "Pat", "family", "Amy does not use words"),
    ]
    assert all(c["channel"] == "sms" and c["at"] and c["wording"] for c in consents)


@pytest.mark.parametrize(
    ("lines", "made_by"),
    [(MUM_SAYS_YES, "Made by Pat with Amy."), (MUM_FOR_AMY, "Made by Pat for Amy.")],
    ids=["said_yes", "best_interests"],
)
def test_the_profile_says_who_made_it_and_how_in_every_format(
    engine: Engine, db: storage.Database, tmp_path: Path, lines: tuple[str, ...], made_by: str
) -> None:
    talk(engine, *lines)
    person, _records = amy(db)
    with db.transaction() as session:
        profile = build_profile(session, person)
        review = build_review(session, person)
    assert profile.made_by == review.made_by == made_by
    shown = visible_sections(profile)
    assert f'<p class="made-by">{made_by}</p>' in page_html(profile, shown)
    pdf = render_pdf(profile, tmp_path / "amy.pdf")
    assert made_by in page_texts(pdf)[0]
    assert render_text(profile).splitlines()[:2] == ["All about Amy", made_by]
    assert made_by in render_text(profile, sms=True)
    assert made_by in profile_speech(profile)
    assert made_by in render_text(review)


def test_nothing_extra_when_the_person_made_it(engine: Engine, db: storage.Database) -> None:
    talk(engine, "yes", "me and my PA", "Amy", "my laugh")
    person, records = amy(db)
    assert [r.subject for r in records] == [storage.KEEP_ANSWERS]
    with db.transaction() as session:
        profile = build_profile(session, person)
    assert profile.made_by == ""
    assert "Made by" not in render_text(profile)
    assert "Made by" not in page_html(profile, visible_sections(profile))


def test_planbot_export_shows_the_consents(data_dir: Path) -> None:  # noqa: F811
    settings = Settings.from_env({"PLANBOT_DATA_DIR": str(data_dir)})
    db = storage.open_database(settings.database_url)
    try:
        talk(Engine(db, settings), *MUM_FOR_AMY, channel="terminal", address="terminal")
    finally:
        db.dispose()
    data = json.loads(run_planbot(data_dir, "export", "Amy").stdout)
    assert [(c["subject"], c["decision"], c["reason"]) for c in data["consents"]] == [
        ("keep_answers", "yes", None),
        ("made_for", "best_interests", "Amy does not use words"),
    ]
    assert {c["channel"] for c in data["consents"]} == {"terminal"}
