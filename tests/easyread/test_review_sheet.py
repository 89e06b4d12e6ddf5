"""The review sheet from stored answers: the person's own words apart from what others say,
under the review's headings; and the one-page profile keeps the review's own sections off."""

from __future__ import annotations

import storage
from easyread import build_profile, build_review
from easyread.speech import profile_speech
from easyread.text import render_text


def _amy(db: storage.Database, *answers: tuple[str, str, str, str]) -> None:
    with db.transaction() as session:
        amy = storage.create_person(session, "Amy")
        for section, text, said_by, perspective in answers:
            storage.add_answer(
                session, amy, None, section, text, said_by=said_by, perspective=perspective
            )


def test_the_persons_words_and_the_familys_view_are_kept_apart(db: storage.Database) -> None:
    _amy(
        db,
        ("like_admire", "I am funny", "Amy", "person"),
        ("good_day", "swimming", "Amy", "person"),
        ("like_admire", "her laugh", "Jo", "family"),
        ("questions", "who helps with money", "Jo", "family"),
        ("good_day", "a lie in", "Jo", "family"),  # not a review topic: not on the sheet
    )
    with db.transaction() as session:
        sheet = build_review(session, storage.get_person(session, "Amy"))
        profile = build_profile(session, storage.get_person(session, "Amy"))
    assert sheet.title == "Getting ready for Amy's review"
    parts = [(s.part, s.heading, [i.text for i in s.items]) for s in sheet.sections]
    assert parts == [
        ("From Amy's own profile", "What people like about me", ["I am funny"]),
        ("From Amy's own profile", "A good day for me", ["swimming"]),
        ("What the family says", "What we like about Amy", ["her laugh"]),
        (
            "What the family says",
            "Questions and things to sort out at the review",
            ["who helps with money"],
        ),
    ]
    assert len({s.anchor for s in sheet.sections}) == len(sheet.sections)
    assert "questions" not in {s.key for s in profile.sections}  # off the one-page profile
    assert profile.title == "All about Amy"
    text = render_text(sheet)
    assert text.index("From Amy's own profile") < text.index("What the family says")
    assert "- Jo says: her laugh" in text
    spoken = profile_speech(sheet)
    assert spoken[0] == "Getting ready for Amy's review." and "What the family says." in spoken


def test_a_supporters_view_is_not_called_the_familys(db: storage.Database) -> None:
    _amy(
        db,
        ("working", "the day centre", "Jo", "family"),
        ("not_working", "the bus is late", "Sam", "supporter"),
    )
    with db.transaction() as session:
        sheet = build_review(session, storage.get_person(session, "Amy"))
    assert {s.part for s in sheet.sections} == {"What family and supporters say"}
