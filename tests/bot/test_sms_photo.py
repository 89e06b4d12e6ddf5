"""MMS photos: fetched from (fake) Twilio with the account's credentials, checked, kept."""

from __future__ import annotations

import base64

import httpx

import storage
from bot._media import MAX_PHOTO_BYTES
from tests.auxil.twilio import PNG_BYTES, Texter, fake_twilio, media_url, new_sid
from tests.bot.test_sms_conversation import consent, counts, link_in

JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 64 + b"\xff\xd9"


def stored_photo(db: storage.Database) -> storage.Photo | None:
    with db.transaction() as session:
        return storage.person_photo(session, storage.get_person(session, "Dev"))


async def test_a_photo_is_fetched_checked_kept_and_shown_on_the_page(
    texter: Texter, client: httpx.AsyncClient, db: storage.Database
) -> None:
    await consent(texter)
    with fake_twilio() as twilio:
        twilio.add_media(media_url(1), PNG_BYTES, "image/png")
        bodies = await texter.send("", media=[(media_url(1), "image/png")])
    assert bodies[0].startswith("Thank you. I have saved your photo. It will be on your profile.")
    assert any("What do people like about you?" in b for b in bodies)  # asked again
    assert len(twilio.media_requests) == 1
    assert twilio.media_requests[0].headers["Authorization"].startswith("Basic ")
    photo = stored_photo(db)
    assert photo is not None and photo.data == PNG_BYTES and photo.content_type == "image/png"
    page = await client.get(link_in(await texter.send("PROFILE")))
    assert base64.b64encode(PNG_BYTES).decode() in page.text


async def test_a_retried_photo_is_not_fetched_again(texter: Texter, db: storage.Database) -> None:
    await consent(texter)
    sid = new_sid()
    with fake_twilio() as twilio:
        twilio.add_media(media_url(2), JPEG_BYTES, "image/jpeg")
        first = await texter.send("", sid=sid, media=[(media_url(2), "image/jpeg")])
        before = counts(db)
        again = await texter.send("", sid=sid, media=[(media_url(2), "image/jpeg")])
    assert again == first
    assert counts(db) == before
    assert len(twilio.media_requests) == 1


async def test_words_sent_with_a_photo_are_an_answer(texter: Texter, db: storage.Database) -> None:
    await consent(texter)
    with fake_twilio() as twilio:
        twilio.add_media(media_url(3), JPEG_BYTES, "image/jpeg")
        bodies = await texter.send("my smile", media=[(media_url(3), "image/jpeg")])
    assert bodies[0].startswith("Thank you. I have saved your photo.")
    assert "- my smile" in "\n".join(bodies)
    with db.transaction() as session:
        dev = storage.get_person(session, "Dev")
        assert [a.text for a in storage.answers_for(session, dev)] == ["my smile"]


async def test_other_files_get_a_kind_answer_and_nothing_is_kept(
    texter: Texter, db: storage.Database
) -> None:
    await consent(texter)
    with fake_twilio() as twilio:  # nothing registered: any fetch would fail the test
        bodies = await texter.send("", media=[(media_url(4), "video/mp4")])
    assert bodies == ["Sorry. I can only keep a photo. Please send a photo from your camera."]
    assert stored_photo(db) is None
    assert twilio.media_requests == []


async def test_a_file_that_only_claims_to_be_a_photo_is_not_kept(
    texter: Texter, db: storage.Database
) -> None:
    await consent(texter)
    with fake_twilio() as twilio:
        twilio.add_media(media_url(5), b"<html>not a picture</html>", "image/jpeg")
        bodies = await texter.send("", media=[(media_url(5), "image/jpeg")])
    assert bodies[0].startswith("Sorry. I can only keep a photo.")
    assert stored_photo(db) is None


async def test_a_photo_over_5_megabytes_is_not_kept(texter: Texter, db: storage.Database) -> None:
    await consent(texter)
    big = JPEG_BYTES + b"\x00" * MAX_PHOTO_BYTES
    with fake_twilio() as twilio:
        twilio.add_media(media_url(6), big, "image/jpeg")
        bodies = await texter.send("", media=[(media_url(6), "image/jpeg")])
    assert bodies[0] == "Sorry. That photo is too big for me. Please send a smaller photo."
    assert stored_photo(db) is None


async def test_a_photo_twilio_cannot_give_gets_a_kind_answer(
    texter: Texter, db: storage.Database
) -> None:
    await consent(texter)
    with fake_twilio() as twilio:
        twilio.add_media(media_url(7), b"gone", "text/plain", status=404)
        bodies = await texter.send("", media=[(media_url(7), "image/png")])
    assert bodies[0] == "Sorry. I could not get your photo. Please try again later."
    assert stored_photo(db) is None


async def test_a_media_url_off_twilio_is_never_fetched(
    texter: Texter, db: storage.Database
) -> None:
    await consent(texter)
    with fake_twilio() as twilio:
        bodies = await texter.send("", media=[("https://evil.example.org/x.png", "image/png")])
    assert bodies[0].startswith("Sorry. I could not get your photo.")
    assert twilio.media_requests == []


async def test_a_photo_before_agreeing_is_not_kept(texter: Texter, db: storage.Database) -> None:
    await texter.send("hello")
    with fake_twilio() as twilio:
        bodies = await texter.send("", media=[(media_url(8), "image/png")])
    assert any("I need words" in b for b in bodies)  # the engine's own kind answer
    assert twilio.media_requests == []
    assert counts(db)["answers"] == 0
