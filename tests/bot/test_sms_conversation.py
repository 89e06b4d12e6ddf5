"""Whole SMS conversations through the real app (ASGI), signed like Twilio signs them."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlmodel import func, select

import storage
from bot.sms.bodies import MAX_SEGMENTS
from easyread.sms_text import sms_segments
from tests.auxil.twilio import PUBLIC_URL, Texter, fake_twilio, new_sid

TOPICS = 9


async def consent(texter: Texter, name: str = "Dev") -> list[str]:
    """Say hello, agree, say who is typing and give a name: the first topic's question."""
    first = await texter.send("hello")
    assert any("Can I keep your answers safe" in b for b in first)
    # the welcome and the consent question fit in one text: they cannot arrive out of order
    assert len(first) == 1 and first[0].startswith("Hello. I am planbot.")
    assert any("Reply 1 for Yes, 2 for No." in b for b in first)
    who = await texter.send("1")  # "Reply 1 for Yes": numbers work
    assert any("Who is typing?" in b for b in who)
    assert any("1. Me. This is my profile." in b for b in who)
    await texter.send("1")
    return await texter.send(name)


async def finish(texter: Texter) -> list[str]:
    """Answer "done" to every topic that is left, then "no" to "change anything?"."""
    bodies: list[str] = []
    for _ in range(TOPICS):
        bodies = await texter.send("done")
        if any("Do you want to change anything?" in b for b in bodies):
            break
    return await texter.send("no")


async def texts_by_number(app: FastAPI) -> dict[str, list[str]]:
    """Run the app's outbox sender once (Twilio answered at the HTTP layer): what it texted."""
    by_number: dict[str, list[str]] = {}
    with fake_twilio() as twilio:
        await app.state.outbox.send_due()
    for message in twilio.sent:
        by_number.setdefault(message["To"], []).append(message["Body"])
    return by_number


async def texts_sent(app: FastAPI) -> list[str]:
    """What the outbox sender texted to the test phone."""
    return (await texts_by_number(app)).get("+447700900123", [])


def link_in(bodies: list[str]) -> str:
    words = [w for b in bodies for w in b.split() if w.startswith(f"{PUBLIC_URL}/p/")]
    assert len(words) == 1, bodies
    return words[0].removeprefix(PUBLIC_URL)


def counts(db: storage.Database) -> dict[str, int]:
    tables = {
        "answers": storage.Answer,
        "messages": storage.ProcessedMessage,
        "links": storage.ProfileLink,
        "addresses": storage.Address,
    }
    with db.transaction() as session:
        return {
            name: int(session.exec(select(func.count()).select_from(table)).one())
            for name, table in tables.items()
        }


async def test_a_whole_conversation_ends_with_a_working_private_link(
    texter: Texter, client: httpx.AsyncClient, db: storage.Database, app: FastAPI
) -> None:
    topic = await consent(texter)
    assert any("Topic 1 of 9" in b for b in topic)
    saved = await texter.send("swimming, my dog “Tango” 🐶")
    assert saved[0].startswith("Thank you. I have saved:")
    assert '- my dog "Tango" 🐶' in saved[0]  # their emoji echoed; curly quotes made GSM
    # one text, so the question cannot arrive before what was saved
    assert len(saved) == 1 and "Is there anything else?" in saved[0]
    ready = await finish(texter)
    assert any("Your profile is ready" in b for b in ready)
    end = await texts_sent(app)  # the profile and its link come after, through the outbox
    assert any("All about Dev" in b for b in end)
    assert all(sms_segments(b) <= MAX_SEGMENTS for b in [*ready, *end])

    page = await client.get(link_in(end))
    assert page.status_code == 200
    assert "swimming" in page.text and "Tango" in page.text
    assert page.headers["x-robots-tag"].startswith("noindex")
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "no-store" in page.headers["cache-control"]
    assert '<meta name="robots" content="noindex' in page.text

    with db.transaction() as session:
        dev = storage.get_person(session, "Dev")
        texts = [a.text for a in storage.answers_for(session, dev)]
    assert texts == ["swimming", "my dog “Tango” 🐶"]  # stored exactly as typed


async def test_every_answer_fits_two_segments(texter: Texter) -> None:
    bodies = await consent(texter)
    bodies += await texter.send("\n".join(f"thing number {n} that I like a lot" for n in range(30)))
    bodies += await texter.send("my answers")
    assert bodies and all(sms_segments(b) <= MAX_SEGMENTS for b in bodies)


async def test_a_retried_last_message_stores_nothing_twice_and_sends_one_link(
    texter: Texter, client: httpx.AsyncClient, db: storage.Database, app: FastAPI
) -> None:
    await consent(texter)
    await texter.send("kind")
    for _ in range(TOPICS):
        bodies = await texter.send("done")
        if any("Do you want to change anything?" in b for b in bodies):
            break
    sid = new_sid()
    first = await texter.send("no", sid=sid)
    before = counts(db)
    again = await texter.send("no", sid=sid)  # Twilio retries the same MessageSid
    assert counts(db) == before
    assert again == first
    # The profile was queued once, with its link: the retry queues nothing and makes no
    # new link, so the one sent is the one that works.
    profile = await texts_sent(app)
    assert (await client.get(link_in(profile))).status_code == 200
    assert await texts_sent(app) == []


async def test_a_retried_answer_is_stored_once_and_answered_the_same(
    texter: Texter, db: storage.Database
) -> None:
    await consent(texter)
    sid = new_sid()
    first = await texter.send("music", sid=sid)
    before = counts(db)
    assert await texter.send("music", sid=sid) == first
    assert counts(db) == before


async def test_two_phones_keep_their_own_conversations(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    ann, bob = Texter(client, "+447700900001"), Texter(client, "+447700900002")
    await consent(ann, "Ann")
    await consent(bob, "Bob")
    assert "- cats" in (await ann.send("cats"))[0]
    assert "- dogs" in (await bob.send("dogs"))[0]
    await finish(ann)
    await finish(bob)
    sent = await texts_by_number(app)
    ann_end, bob_end = sent[ann.number], sent[bob.number]
    assert any("All about Ann" in b and "cats" in b for b in ann_end)
    assert any("All about Bob" in b and "dogs" in b for b in bob_end)
    assert link_in(ann_end) != link_in(bob_end)
