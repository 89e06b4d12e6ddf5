"""Keywords by SMS: STOP and friends, START/UNSTOP/YES, HELP, PROFILE and STOP LINK."""

from __future__ import annotations

import httpx
import pytest

import storage
from bot.sms.words import OPT_OUT, keyword
from tests.auxil.twilio import Texter, new_sid
from tests.bot.test_sms_conversation import consent, counts, link_in
from tests.conftest import Clock


@pytest.mark.parametrize("word", sorted(OPT_OUT))
def test_every_carrier_opt_out_word_is_taken_in_any_case(word: str) -> None:
    assert keyword(word) == "opt_out"
    assert keyword(f" {word.upper()}! ") == "opt_out"
    assert keyword(f"please {word}") is None  # a keyword only as the whole message


def test_other_keywords() -> None:
    assert keyword("Start") == keyword("UNSTOP") == "opt_in"
    assert keyword("help") == keyword("INFO") == "help"
    assert keyword("Profile") == "profile"
    assert keyword("stop  link") == keyword("STOP LINK.") == "stop_link"
    assert keyword("yes") == "yes"
    assert keyword("I like to stop and look at trees") is None


def opted_out(db: storage.Database, number: str) -> bool:
    with db.transaction() as session:
        return storage.is_opted_out(session, "sms", number)


async def test_stop_opts_out_and_nothing_more_is_stored_or_sent(
    texter: Texter, db: storage.Database
) -> None:
    await consent(texter)
    await texter.send("music")
    stop = await texter.send("Stop")
    assert len(stop) == 1 and "START" in stop[0]
    assert opted_out(db, texter.number)
    before = counts(db)
    for text in ("hello", "cats", "help", "PROFILE", "stop link", "stop"):
        assert await texter.send(text) == []  # empty TwiML: nothing goes out
    assert counts(db) == before


async def test_a_retried_stop_gets_the_same_answer(texter: Texter, db: storage.Database) -> None:
    sid = new_sid()
    first = await texter.send("STOP", sid=sid)
    before = counts(db)
    assert await texter.send("STOP", sid=sid) == first
    assert counts(db) == before


async def test_stop_from_a_new_number_keeps_only_the_number(
    texter: Texter, db: storage.Database
) -> None:
    await texter.send("unsubscribe")
    assert opted_out(db, texter.number)
    with db.transaction() as session:
        address = storage.find_address(session, "sms", texter.number)
        assert address is not None
        assert storage.people_for_address(session, address) == []


async def test_start_opts_back_in_and_carries_on_where_we_were(
    texter: Texter, db: storage.Database
) -> None:
    await consent(texter)
    await texter.send("music")
    await texter.send("STOP")
    back = await texter.send("start")
    assert not opted_out(db, texter.number)
    assert any("Welcome back, Dev" in b for b in back)
    assert any("Is there anything else?" in b or "What do people like" in b for b in back)
    saved = await texter.send("films")
    assert "- films" in saved[0]
    with db.transaction() as session:
        dev = storage.get_person(session, "Dev")
        assert [a.text for a in storage.answers_for(session, dev)] == ["music", "films"]


async def test_yes_opts_in_only_a_number_that_opted_out(
    texter: Texter, db: storage.Database
) -> None:
    await texter.send("QUIT")
    back = await texter.send("YES")
    assert not opted_out(db, texter.number)
    assert any("Can I keep your answers safe" in b for b in back)
    agreed = await texter.send("yes")  # now it answers the question
    assert any("Who is typing?" in b for b in agreed)


async def test_a_retried_start_is_answered_the_same(texter: Texter, db: storage.Database) -> None:
    await consent(texter)
    await texter.send("stop")
    sid = new_sid()
    first = await texter.send("START", sid=sid)
    before = counts(db)
    assert await texter.send("START", sid=sid) == first
    assert counts(db) == before


async def test_help_says_what_planbot_is_and_who_to_ask(
    texter: Texter, db: storage.Database
) -> None:
    before = counts(db)
    bodies = await texter.send("HELP")
    assert len(bodies) == 1
    assert "This is planbot." in bodies[0] and "Call Sam on 0123" in bodies[0]
    assert "Send STOP" in bodies[0] and "Send hello to start." in bodies[0]
    assert counts(db) == before  # a new number's HELP stores nothing, not even the number
    await consent(texter)
    await texter.send("music")
    bodies = await texter.send("info")
    assert bodies[0].startswith("This is planbot.")
    assert any("Call Sam on 0123" in b for b in bodies)
    assert any("You can say back, skip" in b for b in bodies)  # what to say here
    assert "Is there anything else?" in bodies[-1]  # where we were, asked again
    assert "- films" in (await texter.send("films"))[0]  # HELP was not taken as an answer
    with db.transaction() as session:
        dev = storage.get_person(session, "Dev")
        assert [a.text for a in storage.answers_for(session, dev)] == ["music", "films"]


async def test_profile_sends_the_profile_so_far_with_a_link(
    texter: Texter, client: httpx.AsyncClient, db: storage.Database
) -> None:
    assert "You do not have a profile yet." in (await texter.send("PROFILE"))[0]
    await consent(texter)
    await texter.send("I am kind")
    bodies = await texter.send("profile")
    assert any("All about Dev" in b for b in bodies)
    page = await client.get(link_in(bodies))
    assert page.status_code == 200 and "I am kind" in page.text
    # The conversation did not move: the next message is still an answer to topic 1.
    assert "- I make people laugh" in (await texter.send("I make people laugh"))[0]


async def test_a_retried_profile_makes_one_link(texter: Texter, db: storage.Database) -> None:
    await consent(texter)
    sid = new_sid()
    await texter.send("PROFILE", sid=sid)
    await texter.send("PROFILE", sid=sid)
    assert counts(db)["links"] == 1


async def test_stop_link_turns_off_every_link(
    texter: Texter, client: httpx.AsyncClient, db: storage.Database
) -> None:
    await consent(texter)
    links = [link_in(await texter.send("PROFILE")) for _ in range(2)]
    bodies = await texter.send("STOP LINK")
    assert "turned off the links" in bodies[0]
    assert not opted_out(db, texter.number)  # STOP LINK is not STOP
    for link in links:
        assert (await client.get(link)).status_code == 404
    assert (await client.get(link_in(await texter.send("PROFILE")))).status_code == 200


async def test_links_expire(
    texter: Texter, client: httpx.AsyncClient, clock: Clock, db: storage.Database
) -> None:
    await consent(texter)
    link = link_in(await texter.send("PROFILE"))
    clock.advance(days=29, hours=23)
    assert (await client.get(link)).status_code == 200
    clock.advance(hours=2)
    gone = await client.get(link)
    assert gone.status_code == 404
    assert gone.text == (await client.get("/p/" + "x" * 43)).text  # the same page as a wrong one
