"""MMS photos: asked for at the photo question, fetched from (fake) Twilio with the account's
credentials, checked, kept; a picture anywhere else gets a kind answer and is never fetched."""

from __future__ import annotations

import base64

import httpx
import pytest

import storage
from bot._media import MAX_PHOTO_BYTES
from tests.auxil.photos import CAMERA, gps_of, jpeg
from tests.auxil.twilio import PNG_BYTES, Texter, fake_twilio, media_url, new_sid
from tests.bot.test_sms_conversation import consent, counts, link_in

JPEG_BYTES = jpeg()  # a real photo, with the GPS location and camera in its EXIF
PHOTO_QUESTION = "Would you like a photo of you on your profile?"
FIRST_TOPIC = "What do people like about you?"


@pytest.fixture
def us_texter(client: httpx.AsyncClient) -> Texter:
    """Someone texting a US Twilio number, where MMS works."""
    return Texter(client, number="+12025550123", country="US")


def stored_photo(db: storage.Database) -> storage.Photo | None:
    with db.transaction() as session:
        return storage.person_photo(session, storage.get_person(session, "Dev"))


def joined(bodies: list[str]) -> str:
    return "\n".join(bodies)


async def at_photo_question(texter: Texter) -> None:
    bodies = await consent(texter)
    assert PHOTO_QUESTION in joined(bodies)
    assert "Reply 1 for I will send a photo, 2 for No photo." in joined(bodies)


async def test_a_photo_is_asked_for_fetched_kept_and_shown_on_the_page(
    us_texter: Texter, client: httpx.AsyncClient, db: storage.Database
) -> None:
    await at_photo_question(us_texter)
    with fake_twilio() as twilio:
        twilio.add_media(media_url(1), PNG_BYTES, "image/png")
        bodies = await us_texter.send("", media=[(media_url(1), "image/png")])
    assert bodies[0].startswith("Thank you. I have saved your photo. It will be on your profile.")
    assert FIRST_TOPIC in joined(bodies)  # and on to the next question
    assert len(twilio.media_requests) == 1
    assert twilio.media_requests[0].headers["Authorization"].startswith("Basic ")
    photo = stored_photo(db)
    assert photo is not None and photo.data == PNG_BYTES and photo.content_type == "image/png"
    page = await client.get(link_in(await us_texter.send("PROFILE")))
    assert base64.b64encode(PNG_BYTES).decode() in page.text


async def test_no_photo_question_where_mms_does_not_work(
    texter: Texter, db: storage.Database
) -> None:
    bodies = await consent(texter)  # a UK number: Twilio carries no MMS there
    assert PHOTO_QUESTION not in joined(bodies)
    assert FIRST_TOPIC in joined(bodies)
    with fake_twilio() as twilio:  # nothing registered: any fetch would fail the test
        bodies = await texter.send("", media=[(media_url(2), "image/png")])
    assert bodies[0].startswith("Thank you for the picture. For this question, I need words.")
    assert FIRST_TOPIC in joined(bodies)
    assert twilio.media_requests == []
    assert stored_photo(db) is None


async def test_no_says_no_photo_and_goes_on(us_texter: Texter, db: storage.Database) -> None:
    await at_photo_question(us_texter)
    bodies = await us_texter.send("2")
    assert bodies[0].startswith("That is OK. Your profile will have no photo.")
    assert FIRST_TOPIC in joined(bodies)
    assert stored_photo(db) is None


async def test_yes_waits_for_the_photo(us_texter: Texter, db: storage.Database) -> None:
    await at_photo_question(us_texter)
    assert await us_texter.send("yes") == ["OK. Please send the photo now."]
    with fake_twilio() as twilio:
        twilio.add_media(media_url(3), JPEG_BYTES, "image/jpeg")
        bodies = await us_texter.send("", media=[(media_url(3), "image/jpeg")])
    assert bodies[0].startswith("Thank you. I have saved your photo.")
    photo = stored_photo(db)
    assert photo is not None and photo.content_type == "image/jpeg"


async def test_a_photo_by_mms_is_kept_and_shown_without_where_it_was_taken(
    us_texter: Texter, client: httpx.AsyncClient, db: storage.Database
) -> None:
    assert gps_of(JPEG_BYTES)  # the photo as the phone sent it
    await at_photo_question(us_texter)
    with fake_twilio() as twilio:
        twilio.add_media(media_url(5), JPEG_BYTES, "image/jpeg")
        await us_texter.send("", media=[(media_url(5), "image/jpeg")])
    photo = stored_photo(db)
    assert photo is not None and gps_of(photo.data) == {}
    assert CAMERA.encode() not in photo.data and b"Exif" not in photo.data
    page = await client.get(link_in(await us_texter.send("PROFILE")))
    shown = base64.b64decode(page.text.split("data:image/jpeg;base64,")[1].split('"')[0])
    assert shown == photo.data  # the page shows the photo as kept


async def test_a_retried_photo_is_not_fetched_again(
    us_texter: Texter, db: storage.Database
) -> None:
    await at_photo_question(us_texter)
    sid = new_sid()
    with fake_twilio() as twilio:
        twilio.add_media(media_url(4), JPEG_BYTES, "image/jpeg")
        first = await us_texter.send("", sid=sid, media=[(media_url(4), "image/jpeg")])
        before = counts(db)
        again = await us_texter.send("", sid=sid, media=[(media_url(4), "image/jpeg")])
    assert again == first
    assert counts(db) == before
    assert len(twilio.media_requests) == 1


async def test_a_picture_at_a_topic_is_not_fetched_and_its_words_are_kept(
    us_texter: Texter, db: storage.Database
) -> None:
    await at_photo_question(us_texter)
    await us_texter.send("no")
    with fake_twilio() as twilio:
        bodies = await us_texter.send("my smile", media=[(media_url(5), "image/jpeg")])
    text = joined(bodies)
    assert text.startswith("Thank you for the picture. To put a photo on your profile, say")
    assert "- my smile" in text
    assert twilio.media_requests == []
    assert stored_photo(db) is None
    with db.transaction() as session:
        dev = storage.get_person(session, "Dev")
        assert [a.text for a in storage.answers_for(session, dev)] == ["my smile"]


async def test_back_from_the_first_topic_comes_to_the_photo_question(us_texter: Texter) -> None:
    await at_photo_question(us_texter)
    await us_texter.send("no")
    assert PHOTO_QUESTION in joined(await us_texter.send("back"))


async def test_other_files_get_a_kind_answer_and_the_question_again(
    us_texter: Texter, db: storage.Database
) -> None:
    await at_photo_question(us_texter)
    with fake_twilio() as twilio:  # nothing registered: any fetch would fail the test
        bodies = await us_texter.send("", media=[(media_url(6), "video/mp4")])
    assert bodies[0].startswith(
        "Sorry. I can only keep a photo. Please send a photo from your camera."
    )
    assert PHOTO_QUESTION in joined(bodies)
    assert stored_photo(db) is None
    assert twilio.media_requests == []


async def test_a_file_that_only_claims_to_be_a_photo_is_not_kept(
    us_texter: Texter, db: storage.Database
) -> None:
    await at_photo_question(us_texter)
    with fake_twilio() as twilio:
        twilio.add_media(media_url(7), b"<html>not a picture</html>", "image/jpeg")
        bodies = await us_texter.send("", media=[(media_url(7), "image/jpeg")])
    assert bodies[0].startswith("Sorry. I can only keep a photo.")
    assert stored_photo(db) is None


async def test_a_photo_over_5_megabytes_is_not_kept(
    us_texter: Texter, db: storage.Database
) -> None:
    await at_photo_question(us_texter)
    big = JPEG_BYTES + b"\x00" * MAX_PHOTO_BYTES
    with fake_twilio() as twilio:
        twilio.add_media(media_url(8), big, "image/jpeg")
        bodies = await us_texter.send("", media=[(media_url(8), "image/jpeg")])
    assert bodies[0].startswith("Sorry. That photo is too big for me. Please send a smaller photo.")
    assert stored_photo(db) is None


async def test_a_photo_twilio_cannot_give_gets_a_kind_answer(
    us_texter: Texter, db: storage.Database
) -> None:
    await at_photo_question(us_texter)
    with fake_twilio() as twilio:
        twilio.add_media(media_url(9), b"gone", "text/plain", status=404)
        bodies = await us_texter.send("", media=[(media_url(9), "image/png")])
    assert bodies[0].startswith("Sorry. I could not get your photo. Please try again, or say no.")
    assert PHOTO_QUESTION in joined(bodies)
    assert stored_photo(db) is None


async def test_a_media_url_off_twilio_is_never_fetched(us_texter: Texter) -> None:
    await at_photo_question(us_texter)
    with fake_twilio() as twilio:
        bodies = await us_texter.send("", media=[("https://evil.example.org/x.png", "image/png")])
    assert bodies[0].startswith("Sorry. I could not get your photo.")
    assert twilio.media_requests == []


async def test_a_photo_before_agreeing_is_not_fetched(
    us_texter: Texter, db: storage.Database
) -> None:
    await us_texter.send("hello")
    with fake_twilio() as twilio:
        bodies = await us_texter.send("", media=[(media_url(10), "image/png")])
    assert any("I need words" in b for b in bodies)
    assert twilio.media_requests == []
    assert counts(db)["answers"] == 0


async def test_a_picture_for_someone_new_before_they_agree_is_not_fetched(
    us_texter: Texter, db: storage.Database
) -> None:
    """Dev's plan waits at the photo question, but the phone now starts on someone new."""
    await at_photo_question(us_texter)
    await us_texter.send("switch")
    assert "Can I keep your answers safe" in joined(await us_texter.send("Someone new"))
    with fake_twilio() as twilio:
        bodies = await us_texter.send("", media=[(media_url(11), "image/png")])
    assert any("I need words" in b for b in bodies)
    assert twilio.media_requests == []
    assert stored_photo(db) is None


async def test_change_photo_asks_again_and_a_new_photo_takes_the_old_ones_place(
    us_texter: Texter, db: storage.Database
) -> None:
    await at_photo_question(us_texter)
    await us_texter.send("no")
    assert PHOTO_QUESTION in joined(await us_texter.send("change photo"))
    with fake_twilio() as twilio:
        twilio.add_media(media_url(12), PNG_BYTES, "image/png")
        bodies = await us_texter.send("", media=[(media_url(12), "image/png")])
    assert bodies[0].startswith("Thank you. I have saved your photo.")
    assert FIRST_TOPIC in joined(bodies)  # back where they were
    photo = stored_photo(db)
    assert photo is not None and photo.data == PNG_BYTES
