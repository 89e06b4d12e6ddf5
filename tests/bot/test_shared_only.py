"""Only what the person shares leaves planbot: a supporter's thing waiting for the holder's
OK, one the holder said no to, and one kept "just for me" are on no profile (the page behind a
link, its words-only page, text, PDF, picture, sound) and no review sheet. One place decides
(``storage.shared_answers``), so every renderer leaves them out; on every database backend."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

import storage
from easyread import build_profile, build_review
from easyread.files import write_profile
from easyread.speech import profile_speech
from easyread.text import render_text
from planbot.settings import Settings
from tests.bot.test_review import pdf_text
from tests.conftest import Clock

SHOWN = ("I am kind", "always on time", "her laugh")
HIDDEN = ("waiting thing", "declined thing", "my secret thing", "secret review thing")


def _dev(db: storage.Database, clock: Clock) -> str:
    """Dev's answers, one of each kind; the token of a link to Dev's profile."""
    with db.transaction() as session:
        dev = storage.create_person(session, "Dev")

        def add(section: str, text: str, who: str, view: str, consent: str) -> int:
            return storage.add_answer(
                session,
                dev,
                None,
                section,
                text,
                said_by=who,
                perspective=view,
                consent=consent,
                giving_id=True,
            )

        add("like_admire", "I am kind", "Dev", "person", storage.PERSON)
        agreed = add("like_admire", "always on time", "Sam", "supporter", storage.WAITING_OK)
        add("like_admire", "waiting thing", "Sam", "supporter", storage.WAITING_OK)
        declined = add("like_admire", "declined thing", "Sam", "supporter", storage.WAITING_OK)
        secret = add("good_day", "my secret thing", "Dev", "person", storage.PERSON)
        add("like_admire", "her laugh", "Jo", "family", storage.PERSON)
        review_secret = add("questions", "secret review thing", "Jo", "family", storage.PERSON)
        storage.set_answer_consent(session, agreed, storage.AGREED)
        storage.set_answer_consent(session, declined, storage.DECLINED)
        storage.set_answer_private(session, secret, True)
        storage.set_answer_private(session, review_secret, True)
        return storage.new_link(session, dev, days=30, now=clock())


def _assert_shared_only(text: str, where: str) -> None:
    for words in SHOWN:
        assert words in text, f"{where}: {words!r} is shared, so it is shown"
    for words in HIDDEN:
        assert words not in text, f"{where}: {words!r} must not be shown"


async def test_the_page_and_its_files_leave_out_what_is_not_shared(
    db: storage.Database, client: httpx.AsyncClient, clock: Clock
) -> None:
    token = _dev(db, clock)
    page = await client.get(f"/p/{token}")
    assert page.status_code == 200
    _assert_shared_only(page.text, "the page")
    _assert_shared_only((await client.get(f"/p/{token}.words")).text, "the words-only page")
    _assert_shared_only((await client.get(f"/p/{token}.txt")).text, "the text")


@pytest.mark.slow
async def test_the_real_pdf_leaves_out_what_is_not_shared(
    db: storage.Database, client: httpx.AsyncClient, clock: Clock
) -> None:
    token = _dev(db, clock)
    pdf = await client.get(f"/p/{token}.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    _assert_shared_only(pdf_text(pdf.content), "the PDF")


def test_the_review_sheet_and_the_profile_model_leave_it_out(
    db: storage.Database, clock: Clock
) -> None:
    _dev(db, clock)
    with db.transaction() as session:
        dev = storage.get_person(session, "Dev")
        sheet = render_text(build_review(session, dev))
        profile = build_profile(session, dev)
        everything = [a.text for a in storage.answers_for(session, dev)]
    assert "her laugh" in sheet and "I am kind" in sheet
    for words in HIDDEN:
        assert words not in sheet
        # Kept for Dev (hidden, not lost), except what Dev said no to: erased.
        assert (words in everything) == (words != "declined thing")
    items = [i.text for s in profile.sections for i in s.items]
    assert items == ["I am kind", "always on time", "her laugh"]


def test_a_supporter_sees_what_is_shared_and_their_own_waiting_things(
    db: storage.Database, clock: Clock
) -> None:
    _dev(db, clock)
    with db.transaction() as session:
        dev = storage.get_person(session, "Dev")
        # The waiting things were added without a conversation: no supporter's own.
        seen = [a.text for a in storage.answers_for(session, dev, supporter_conversation=0)]
    assert seen == ["I am kind", "always on time", "her laugh"]


def test_what_waits_for_the_holder_is_read_only_while_the_hint_says_so(
    db: storage.Database,
) -> None:
    with db.transaction() as session:
        dev = storage.create_person(session, "Dev")
        assert storage.requests_waiting(session, dev) == ([], [])
        assert not dev.may_have_requests
        first = storage.add_answer(
            session,
            dev,
            None,
            "like_admire",
            "tidy",
            said_by="Sam",
            perspective="supporter",
            consent=storage.WAITING_OK,
            giving_id=True,
        )
        assert dev.may_have_requests  # set by a thing that waits
    with db.transaction() as session:
        dev = storage.get_person(session, "Dev")
        supporters, items = storage.requests_waiting(session, dev)
        assert supporters == [] and [i.id for i in items] == [first]
        storage.set_answer_consent(session, first, storage.AGREED)
        assert storage.requests_waiting(session, dev) == ([], [])
    with db.transaction() as session:
        assert not storage.get_person(session, "Dev").may_have_requests  # cleared: no queries


def _people_to_compare(db: storage.Database, clock: Clock) -> dict[str, storage.Person]:
    """Dev as stored (with things not shared); "Dev" with only what is shared; and "Dev"
    with everything shared (so a test of the files can fail)."""
    _dev(db, clock)
    with db.transaction() as session:
        dev = storage.get_person(session, "Dev")
        shared_only = storage.create_person(session, "Dev")
        everything = storage.create_person(session, "Dev")
        for answer in storage.answers_for(session, dev):
            for person, keep in ((shared_only, answer.shared), (everything, bool(answer.text))):
                if keep:
                    storage.add_answer(
                        session,
                        person,
                        None,
                        answer.section,
                        answer.text,
                        said_by=answer.said_by,
                        perspective=answer.perspective,
                    )
        return {"dev": dev, "shared_only": shared_only, "everything": everything}


@pytest.mark.slow
def test_the_picture_and_the_sound_leave_out_what_is_not_shared(
    db: storage.Database, clock: Clock, tmp_path: Path
) -> None:
    """The PNG and the spoken profile of Dev are exactly those of a Dev who only ever said
    what is shared, and not those of one who shared everything."""
    settings = Settings.from_env(
        {"PLANBOT_DATA_DIR": str(tmp_path / "data"), "PLANBOT_TTS": "espeak"}
    )
    people = _people_to_compare(db, clock)
    made: dict[str, dict[str, bytes]] = {}
    with db.transaction() as session:
        for who, person in people.items():
            profile = build_profile(session, person)
            made[who] = {}
            for fmt in ("png", "ogg"):
                out = write_profile(
                    profile, fmt, tmp_path / who / f"profile.{fmt}", settings=settings
                )
                made[who][fmt] = out.read_bytes()
            spoken = " ".join(profile_speech(profile))
            if who != "everything":
                assert not any(words in spoken for words in HIDDEN)
    for fmt in ("png", "ogg"):
        assert made["dev"][fmt] == made["shared_only"][fmt], f"the {fmt} shows only what is shared"
        assert made["dev"][fmt] != made["everything"][fmt], f"the {fmt} would show the rest"
