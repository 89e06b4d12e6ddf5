"""Words that change something, delivered twice (a Twilio retry, or a signed request replayed
by someone who caught it): the second is answered the same and changes nothing. PROFILE and
STOP LINK are the SMS channel's own; INVITE and JOIN go through the engine; "send me my data"
goes through both (the engine, then the channel's private link)."""

from __future__ import annotations

import re

import httpx
from sqlmodel import func, select

import storage
from tests.auxil.twilio import PUBLIC_URL, Texter, new_sid
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


def data_link_in(bodies: list[str]) -> str:
    words = [w for b in bodies for w in b.split() if w.startswith(f"{PUBLIC_URL}/d/")]
    assert len(words) == 1, bodies
    return words[0].removeprefix(PUBLIC_URL)


async def test_a_replayed_send_me_my_data_gets_the_same_link_which_still_works(
    texter: Texter, client: httpx.AsyncClient, db: storage.Database
) -> None:
    await consent(texter)
    await texter.send("swimming")
    sid = new_sid()
    first = await texter.send("send me my data", sid=sid)
    link = data_link_in(first)
    before = counts(db), rows(db, storage.AuditEvent)
    for _ in range(2):  # a Twilio retry, then the signed request sent again by someone else
        assert await texter.send("send me my data", sid=sid) == first  # no new link in it
    assert (counts(db), rows(db, storage.AuditEvent)) == before  # nothing new stored
    page = await client.get(link)  # the person's own link still works
    assert page.status_code == 200 and "swimming" in page.text
    # A new "send me my data" text makes a second link; the first still works.
    second = data_link_in(await texter.send("send me my data"))
    assert second != link
    assert (await client.get(link)).status_code == 200


async def test_a_replayed_send_me_my_data_after_stop_link_gives_no_link(
    texter: Texter, client: httpx.AsyncClient, db: storage.Database
) -> None:
    await consent(texter)
    sid = new_sid()
    link = data_link_in(await texter.send("send me my data", sid=sid))
    await texter.send("STOP LINK")  # the link is off, and no answer keeps a copy of it
    assert (await client.get(link)).status_code == 404
    before = counts(db)
    again = await texter.send("send me my data", sid=sid)
    assert f"{PUBLIC_URL}/d/" not in "\n".join(again)  # no working link, old or new
    assert counts(db) == before
    assert (await client.get(link)).status_code == 404
