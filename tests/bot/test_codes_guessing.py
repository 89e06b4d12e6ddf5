"""Invite codes cannot be guessed: 1,000 wrong codes, from one phone or from many, through the
real SMS app (signed webhooks), get nowhere, keep no address and slow nobody.

What the README promises (Planning together, 6): 5 wrong codes a day from one sender, then no
code from it is looked at until the day is over; a keyed hash of the address is kept, never
the number; no limit for everyone, so guesses from many phones cannot lock out a real
supporter. How long each takes is not measured here: ``bench/codes.py`` prints figures.

The floods are 1,000 messages on SQLite; on PostgreSQL (the same rules, already checked row by
row in tests/storage/test_together.py) 100, to keep the suite quick.
"""

from __future__ import annotations

import re

import httpx
from sqlmodel import func, select

import storage
from storage._codes import MAX_WRONG
from tests.auxil.twilio import Texter
from tests.conftest import Clock

FLOOD = 1_000
DEV = "+447700900123"
BAD = "Sorry. That code does not work. Please check the 6 numbers and try again."
TOO_MANY = "Sorry. Too many codes did not work. Please try again tomorrow."
JOINING = "Dev gave you a code to help with their plan."


def wrong_code(n: int, right: str) -> str:
    """The n-th guess: six digits, never the right code."""
    guess = f"{(n * 7919) % 1_000_000:06d}"
    return guess if guess != right else f"{(int(guess) + 1) % 1_000_000:06d}"


def flood(db: storage.Database) -> int:
    return FLOOD if db.is_sqlite else 100


def counts(db: storage.Database) -> dict[str, int]:
    tables = {
        "addresses": storage.Address,
        "conversations": storage.Conversation,
        "access": storage.Access,
        "attempts": storage.CodeAttempt,
        "messages": storage.ProcessedMessage,
        "people": storage.Person,
    }
    with db.transaction() as session:
        return {
            name: int(session.exec(select(func.count()).select_from(table)).one())
            for name, table in tables.items()
        }


async def dev_with_a_code(client: httpx.AsyncClient) -> tuple[Texter, str]:
    """Dev starts a plan on SMS and texts INVITE: Dev's phone and the code."""
    dev = Texter(client, DEV)
    for body in ("hello", "yes", "1", "Dev"):
        await dev.send(body)
    invite = "\n".join(await dev.send("INVITE"))
    found = re.search(r"JOIN (\d{6})", invite)
    assert found, invite
    return dev, found.group(1)


async def test_a_thousand_wrong_codes_from_one_phone_get_nowhere(
    client: httpx.AsyncClient, db: storage.Database, clock: Clock
) -> None:
    dev, code = await dev_with_a_code(client)
    guesser = Texter(client, "+447700900666")
    guesses = flood(db)
    answers = [await guesser.send(f"JOIN {wrong_code(n, code)}") for n in range(guesses)]
    assert answers[:MAX_WRONG] == [[BAD]] * MAX_WRONG
    assert answers[MAX_WRONG:] == [[TOO_MANY]] * (guesses - MAX_WRONG)  # kind, and nothing else
    with db.transaction() as session:
        assert storage.find_address(session, "sms", guesser.number) is None  # nothing kept of it
        [attempt] = session.exec(select(storage.CodeAttempt)).all()
        assert attempt.wrong == MAX_WRONG  # not counted once it is locked out
        assert "7700900666" not in attempt.sender_hash  # a keyed hash, never the number

    # The right code, later that day, from the same phone: not even looked at...
    clock.advance(hours=23, minutes=59)
    assert await guesser.send(f"JOIN {code}") == [TOO_MANY]
    with db.transaction() as session:
        assert storage.find_address(session, "sms", guesser.number) is None
        dev_row = storage.get_person(session, "Dev")
        assert storage.access_list(session, dev_row)[-1].role == storage.HOLDER  # nobody joined
    # ...so it is not used up: once the day is over, it works from that phone too.
    clock.advance(minutes=1)
    joining = "\n".join(await guesser.send(f"JOIN {code}"))
    assert JOINING in joining and "Can I keep your name and number" in joining
    assert "- kind" in "\n".join(await dev.send("kind"))  # Dev was answered all along


async def test_a_thousand_wrong_codes_from_many_phones_keep_nothing_and_slow_nobody(
    client: httpx.AsyncClient, db: storage.Database
) -> None:
    dev, code = await dev_with_a_code(client)
    before = counts(db)
    guesses = flood(db)
    for n in range(guesses):
        stranger = Texter(client, f"+4477009{n + 10_000:05d}")
        assert await stranger.send(f"JOIN {wrong_code(n, code)}") == [BAD]
        if n % 100 == 99:  # Dev texts on through the flood, and is answered as ever
            said = f"thing {n // 100}"
            bodies = "\n".join(await dev.send(said))
            assert f"- {said}" in bodies and "Is there anything else?" in bodies
    after = counts(db)
    # No address, conversation or access row for any stranger; one keyed hash each (the
    # wrong-code count for a day) and each message's kept reply, for a repeat delivery.
    assert after["addresses"] == before["addresses"]
    assert after["conversations"] == before["conversations"]
    assert after["access"] == before["access"] and after["people"] == before["people"]
    assert after["attempts"] == before["attempts"] + guesses
    assert after["messages"] == before["messages"] + guesses + guesses // 100
    with db.transaction() as session:
        kept = session.exec(
            select(storage.ProcessedMessage).where(
                storage.ProcessedMessage.address_id == None  # noqa: E711
            )
        ).all()
        assert len(kept) == guesses and all(m.person_id is None for m in kept)
        dev_row = storage.get_person(session, "Dev")
        things = [a.text for a in storage.answers_for(session, dev_row)]
    assert things == [f"thing {n}" for n in range(guesses // 100)]

    # Nobody was locked out by the flood: a real supporter joins with the code at once.
    sam = Texter(client, "+447700900456")
    assert JOINING in "\n".join(await sam.send(f"join {code}"))
