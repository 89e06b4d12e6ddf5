"""Words that change something, delivered twice (a Twilio retry, or a signed request replayed
by someone who caught it): the second is answered the same and changes nothing. PROFILE and
STOP LINK are the SMS channel's own; INVITE and JOIN go through the engine."""

from __future__ import annotations

import re

import httpx
from sqlmodel import func, select

import storage
from tests.auxil.twilio import Texter, new_sid
from tests.bot.test_codes_guessing import JOINING
from tests.bot.test_sms_conversation import consent, counts, link_in

SAM = "+447700900456"


def rows(db: storage.Database, table: type) -> int:
    with db.transaction() as session:
        return int(session.exec(select(func.count()).select_from(table)).one())


async def test_a_replayed_profile_gets_the_same_link_and_turns_nothing_off(
    texter: Texter, client: httpx.AsyncClient, db: storage.Database
) -> None:
    await consent(texter)
    await texter.send("swimming")
    sid = new_sid()
    first = await texter.send("PROFILE", sid=sid)
    before = counts(db)
    again = await texter.send("PROFILE", sid=sid)
    assert again == first
    assert counts(db) == before  # no new link, no new message
    page = await client.get(link_in(first))
    assert page.status_code == 200 and "swimming" in page.text
    # A new PROFILE text makes a second link; the first still works.
    second = link_in(await texter.send("PROFILE"))
    assert second != link_in(first)
    assert (await client.get(link_in(first))).status_code == 200


async def test_a_replayed_stop_link_turns_off_no_link_made_since(
    texter: Texter, client: httpx.AsyncClient, db: storage.Database
) -> None:
    await consent(texter)
    old = link_in(await texter.send("PROFILE"))
    sid = new_sid()
    off = await texter.send("STOP LINK", sid=sid)
    assert off == [
        "OK. I have turned off the links to your profile. Send PROFILE to get a new link."
    ]
    assert (await client.get(old)).status_code == 404
    new = link_in(await texter.send("PROFILE"))
    before = counts(db)
    assert await texter.send("STOP LINK", sid=sid) == off
    assert counts(db) == before
    assert (await client.get(new)).status_code == 200  # the new link still works


async def test_a_replayed_profile_from_a_stranger_stores_nothing(
    texter: Texter, db: storage.Database
) -> None:
    sid = new_sid()
    first = await texter.send("PROFILE", sid=sid)
    assert first == ["You do not have a profile yet. Send hello to start."]
    assert await texter.send("PROFILE", sid=sid) == first
    assert counts(db) == {"answers": 0, "messages": 0, "links": 0, "addresses": 0}


async def test_a_replayed_invite_gets_the_same_code_which_still_works(
    texter: Texter, client: httpx.AsyncClient, db: storage.Database
) -> None:
    await consent(texter)
    sid = new_sid()
    first = await texter.send("INVITE", sid=sid)
    code = re.search(r"JOIN (\d{6})", "\n".join(first))
    assert code is not None
    before = rows(db, storage.InviteCode)
    assert await texter.send("INVITE", sid=sid) == first  # the same code, not a new one
    assert rows(db, storage.InviteCode) == before
    sam = Texter(client, SAM)
    join_sid = new_sid()
    joining = await sam.send(f"JOIN {code.group(1)}", sid=join_sid)
    assert JOINING in "\n".join(joining)  # the code the replay gave back works
    # JOIN delivered again: the same answer, and nothing more (the code is not used twice).
    before_join = counts(db), rows(db, storage.Access), rows(db, storage.Conversation)
    assert await sam.send(f"JOIN {code.group(1)}", sid=join_sid) == joining
    assert (counts(db), rows(db, storage.Access), rows(db, storage.Conversation)) == before_join
