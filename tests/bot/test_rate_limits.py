"""Rate limits through the real app: a flood from one phone or chat, and links opened over and
over. What a person would notice: the flooder's texts past the limit are not read and not
kept, one kind warning comes (once a day), everyone else is answered as usual, and after the
minute the flooder is answered again. The counts are in the database: two workers share them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import func, select

import storage
from bot._tidy import forget_old_replies
from bot.web.app import create_app
from dialogues import load_script
from planbot.settings import Settings
from tests.auxil.twilio import PUBLIC_URL, Texter, make_settings, new_sid
from tests.auxil.wire import watching
from tests.bot.test_sms_conversation import consent, counts, link_in
from tests.bot.test_sms_workers import agree, two_workers
from tests.conftest import Clock

FLOODER = "+447700900666"
OTHER = "+447700900123"
TOO_FAST = load_script().message("too_fast")
TOO_MANY_TODAY = load_script().message("too_many_today")
LINK_BUSY = load_script().message("link_busy")


def limited(folder: Path, **extra: str) -> Settings:
    """The web app's settings with the rate limits a deployment has (its defaults)."""
    defaults = {"PLANBOT_MESSAGES_PER_MINUTE": "", "PLANBOT_MESSAGES_PER_DAY": ""}
    return make_settings(folder, **{**defaults, **extra})


@pytest.fixture
def sms_settings(tmp_path: Path) -> Settings:
    return limited(tmp_path)


def rows(db: storage.Database) -> int:
    with db.transaction() as session:
        return int(session.exec(select(func.count()).select_from(storage.RateCount)).one())


def test_the_defaults_are_what_the_readme_says(sms_settings: Settings) -> None:
    assert sms_settings.messages_per_minute == 20
    assert sms_settings.messages_per_day == 500
    assert sms_settings.link_views_per_minute == 30


async def test_a_flood_from_one_number_is_not_read_and_gets_one_warning(
    client: httpx.AsyncClient, db: storage.Database, clock: Clock
) -> None:
    other = Texter(client, OTHER)
    await consent(other)
    flooder = Texter(client, FLOODER)
    await consent(flooder, "Flo")  # 4 texts
    answered = [await flooder.send(f"thing {n}") for n in range(16)]  # 20 in this minute
    assert all(a and a[0].startswith("Thank you. I have saved:") for a in answered)
    before = counts(db)

    assert await flooder.send("thing 16") == [TOO_FAST]  # the one warning
    for n in range(17, 60):
        assert await flooder.send(f"thing {n}") == []  # not read, not kept, no answer
        if n % 10 == 0:  # everyone else is answered as usual meanwhile
            saved = await other.send(f"swimming {n}")
            assert saved[0].startswith(f"Thank you. I have saved:\n- swimming {n}\n")
    after = counts(db)
    assert after["messages"] - before["messages"] == 4  # the other texter's 4, none of the flood
    assert after["answers"] - before["answers"] == 4
    with db.transaction() as session:
        kept = [a.text for a in storage.answers_for(session, storage.get_person(session, "Flo"))]
    assert "thing 15" in kept and not any(t in kept for t in ("thing 16", "thing 30"))

    clock.advance(minutes=1)  # the next minute: read again
    assert (await flooder.send("thing 60"))[0].startswith("Thank you. I have saved:\n- thing 60\n")
    for n in range(61, 80):
        await flooder.send(f"thing {n}")
    assert await flooder.send("thing 80") == []  # past it again the same day: no second warning


async def test_the_days_limit_has_its_own_warning_and_ends_with_the_day(
    tmp_path: Path, db: storage.Database, clock: Clock
) -> None:
    settings = limited(tmp_path, PLANBOT_MESSAGES_PER_DAY="30")
    app = create_app(settings, db, clock=clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL
    ) as client:
        texter = Texter(client, FLOODER)
        await consent(texter)
        for n in range(26):  # 30 in all, spread over minutes
            clock.advance(seconds=10)
            assert (await texter.send(f"thing {n}"))[0].startswith("Thank you. I have saved:")
        clock.advance(seconds=10)
        assert await texter.send("one too many") == [TOO_MANY_TODAY]
        clock.advance(minutes=5)
        assert await texter.send("later that day") == []
        clock.advance(days=1)
        assert (await texter.send("tomorrow"))[0].startswith(
            "Thank you. I have saved:\n- tomorrow\n"
        )


async def test_a_repeat_of_an_answered_text_is_answered_the_same_past_the_limit(
    texter: Texter, db: storage.Database
) -> None:
    await consent(texter)
    sid = new_sid()
    first = await texter.send("swimming", sid=sid)
    for n in range(20):
        await texter.send(f"thing {n}")
    before = counts(db)
    assert await texter.send("swimming", sid=sid) == first  # Twilio retrying a lost answer
    assert counts(db) == before


async def test_stop_works_past_the_limit_and_an_opted_out_number_gets_no_warning(
    texter: Texter, db: storage.Database
) -> None:
    await consent(texter)
    for n in range(16):
        await texter.send(f"thing {n}")
    assert await texter.send("STOP") == [
        "OK. I will not send you any more texts. I have kept your answers. Send START to carry on."
    ]
    assert await texter.send("thing 16") == []  # over the limit, opted out: not even a warning
    with db.transaction() as session:
        assert storage.is_opted_out(session, "sms", texter.number)


async def test_two_workers_share_the_count_and_send_one_warning(
    db: storage.Database, sms_settings: Settings, clock: Clock
) -> None:
    """The flood goes to two workers at once: between them they read 20, and warn once."""
    async with two_workers(db, sms_settings, clock) as (a, b):
        one, two = a.texter(FLOODER), b.texter(FLOODER)
        await agree(one, two, "Flo")  # 4 texts
        sends = [(one if n % 2 else two).send(f"flood {n}") for n in range(56)]
        answers = await asyncio.gather(*sends)
    read = [x for x in answers if x and x != [TOO_FAST]]
    assert len(read) == 16  # 20 read in the minute
    assert all(x[0].startswith("Thank you. I have saved:") for x in read)
    assert answers.count([TOO_FAST]) == 1
    assert answers.count([]) == 39
    with db.transaction() as session:
        kept = storage.answers_for(session, storage.get_person(session, "Flo"))
    assert len(kept) == 16


async def test_the_hourly_tidy_drops_the_counts_of_days_that_are_over(
    texter: Texter, client: httpx.AsyncClient, db: storage.Database, clock: Clock
) -> None:
    await texter.send("hello")
    await texter.send("yes")
    await Texter(client, FLOODER).send("hello")
    assert rows(db) == 2  # one a number, however many texts
    forget_old_replies(db, make_settings(Path("unused")), clock.now)
    assert rows(db) == 2  # today's stay
    clock.advance(days=1)
    await texter.send("1")
    forget_old_replies(db, make_settings(Path("unused")), clock.now)
    assert rows(db) == 1  # yesterday's went; today's is kept
    with db.transaction() as session:
        keys = session.exec(select(storage.RateCount.key)).all()
    assert not any(texter.number in k or FLOODER in k for k in keys)  # only keyed hashes


# --- links opened over and over --------------------------------------------------------------


async def links_for_dev(texter: Texter, how_many: int) -> list[str]:
    await consent(texter)
    await texter.send("swimming")
    return [link_in(await texter.send("PROFILE")) for _ in range(how_many)]


def client_from(app: FastAPI, host: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(host, 50000))
    return httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL)


@pytest.fixture
async def phone(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_from(app, "203.0.113.7") as http:
        yield http


async def test_one_link_opened_too_often_waits_a_minute(
    texter: Texter, phone: httpx.AsyncClient, app: FastAPI, clock: Clock
) -> None:
    first, second = await links_for_dev(texter, 2)
    for n in range(30):
        page = await (phone.get(first) if n % 2 else phone.get(f"{first}.txt"))
        assert page.status_code == 200
    busy = await phone.get(first)
    assert busy.status_code == 429
    assert busy.text.strip() == LINK_BUSY
    assert 0 < int(busy.headers["retry-after"]) <= 60
    assert busy.headers["cache-control"].startswith("no-store")
    assert (await phone.get(second)).status_code == 200  # another link is not held up
    async with client_from(app, "198.51.100.9") as elsewhere:  # nor is anyone else's
        assert (await elsewhere.get(second)).status_code == 200
    clock.advance(minutes=1)
    assert (await phone.get(first)).status_code == 200


async def test_one_client_opening_many_links_waits_and_wrong_tokens_count_too(
    texter: Texter, app: FastAPI, db: storage.Database, clock: Clock
) -> None:
    links = await links_for_dev(texter, 3)
    before = rows(db)
    async with client_from(app, "2001:db8:1:2:3:4:5:6") as phone:
        for n in range(50):
            assert (await phone.get(links[n % 3] + ".txt")).status_code == 200
        for _ in range(10):  # a guesser: the same 404 as ever, and no count of its tokens
            assert (await phone.get("/p/" + "A" * 43)).status_code == 404
        assert rows(db) == before + 4  # the client, and 3 links
        assert (await phone.get(links[0])).status_code == 429
    # The same home (one /64 of IPv6 addresses) is one client.
    async with client_from(app, "2001:db8:1:2:ffff::1") as same_home:
        assert (await same_home.get(links[1])).status_code == 429
    async with client_from(app, "2001:db8:1:3::1") as next_door:
        assert (await next_door.get(links[1])).status_code == 200
    clock.advance(minutes=1)
    async with client_from(app, "2001:db8:1:2:3:4:5:6") as phone:
        assert (await phone.get(links[0])).status_code == 200


async def test_a_voice_note_counts_against_its_link(
    texter: Texter, phone: httpx.AsyncClient, db: storage.Database
) -> None:
    (link,) = await links_for_dev(texter, 1)
    with db.transaction() as session:
        dev = storage.get_person(session, "Dev")
        answer_id = storage.add_voice_note(
            session,
            dev,
            None,
            "good_day",
            b"OggS-voice",
            "audio/ogg",
            2.0,
            said_by="Dev",
            perspective="person",
        )
    note = f"{link}/voice/{answer_id}.ogg"
    for _ in range(30):
        assert (await phone.get(note)).status_code == 200
    assert (await phone.get(note)).status_code == 429
    assert (await phone.get(link)).status_code == 429  # the same link


async def test_a_plain_text_is_counted_and_kept_in_one_transaction(
    client: httpx.AsyncClient, db: storage.Database
) -> None:
    """The count goes with the text's own writes: one commit (on SQLite, one write of the
    log where there were two; on PostgreSQL, in the round trip of the first read), and past
    the limit the count is kept with nothing else."""
    flooder = Texter(client, FLOODER)
    await consent(flooder, "Flo")
    with watching(db) as wire:
        assert (await flooder.send("swimming"))[0].startswith("Thank you. I have saved:")
    if db.is_sqlite:
        assert wire.statements[:3] == [
            "BEGIN IMMEDIATE",
            "INSERT INTO rate_count",
            "SELECT address.id, address.channel,",
        ]
        assert wire.statements.count("COMMIT") == 1
    else:  # BEGIN, the count, the lock and the read; the writes and COMMIT
        assert wire.round_trips == 2
    for n in range(30):
        await flooder.send(f"thing {n}")
    before = counts(db), hits(db)
    with db.transaction() as session:
        (flo,) = storage.find_people(session, "Flo")
        kept = [a.text for a in storage.answers_for(session, flo)]
    assert await flooder.send("one more") == []
    assert (counts(db), hits(db)) == (before[0], before[1] + 1)  # counted, nothing else kept
    with db.transaction() as session:
        assert [a.text for a in storage.answers_for(session, flo)] == kept


def hits(db: storage.Database) -> int:
    """Every hit counted this minute, whoever it was."""
    with db.transaction() as session:
        return int(session.exec(select(func.sum(storage.RateCount.minute_hits))).one())
