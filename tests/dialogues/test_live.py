"""Planning Live through the engine, on every database backend: what each person would
notice (their messages, now and through the outbox) and what is kept (each participant's
own plan only; practice answers in nobody's; a full group keeps nothing of the eleventh)."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

import storage
from dialogues import Engine, Incoming, Reply
from tests.auxil.replies import shown
from tests.conftest import Clock

CHANNEL = "test"
LEAD = "07700 900400"
_ids = itertools.count()


class Group:
    """A facilitator and their group, talking to one engine."""

    def __init__(self, engine: Engine, db: storage.Database) -> None:
        self.engine, self.db = engine, db
        self.code = ""

    def say(self, address: str, text: str, message_id: str | None = None) -> str:
        replies = self.engine.handle(
            Incoming(
                channel=CHANNEL,
                address=address,
                message_id=message_id or f"m{next(_ids)}",
                text=text,
            )
        )
        return shown(replies)

    def start(self, name: str = "Redcar") -> None:
        self.say(LEAD, "LIVE")
        found = re.search(r"JOIN (\d{6})", self.say(LEAD, name))
        assert found is not None
        self.code = found.group(1)

    def join(self, address: str, name: str) -> str:
        self.say(address, f"JOIN {self.code}")
        self.say(address, "my own plan")
        self.say(address, "yes")
        self.say(address, "me")
        return self.say(address, name)

    def outbox(self, until: datetime | None = None) -> list[tuple[str, Reply]]:
        """Everything due (by ``until``), as each person would get it, marked sent."""
        with self.db.transaction() as session:
            due = until or datetime(2100, 1, 1, tzinfo=UTC)
            items = storage.claim_due(session, now=due, channels=[CHANNEL], limit=1000)
            for item in items:
                storage.mark_sent(session, item, now=due)
        return [(i.address, Reply.from_dict(i.reply)) for i in items]


@pytest.fixture
def group(engine: Engine, db: storage.Database) -> Group:
    made = Group(engine, db)
    made.start()
    return made


def texts_for(sent: list[tuple[str, Reply]], address: str) -> str:
    return "\n".join(r.text for a, r in sent if a == address)


def plan_of(db: storage.Database, name: str) -> list[str]:
    with db.transaction() as session:
        (person,) = storage.find_people(session, name)
        return [a.text for a in storage.answers_for(session, person)]


def test_each_participant_says_things_into_their_own_plan_only(
    group: Group, db: storage.Database
) -> None:
    group.join("a", "Dev")
    group.join("b", "Amy")
    group.say(LEAD, "practice")
    group.outbox()
    group.say("a", "Helen likes music")
    group.say(LEAD, "next")
    group.outbox()
    group.say("a", "Dev is kind")
    group.say("b", "Amy rides horses")
    group.say(LEAD, "next")
    sent = group.outbox()
    assert "Topic 2 of 6" in texts_for(sent, "a") and "Topic 2 of 6" in texts_for(sent, "b")
    assert plan_of(db, "Dev") == ["Dev is kind"]
    assert plan_of(db, "Amy") == ["Amy rides horses"]
    everything = "\n".join(r.text for _a, r in sent)
    board = group.say(LEAD, "board")
    for words in ("Dev is kind", "Amy rides horses", "Helen likes music"):
        assert words not in everything and words not in board
    with db.transaction() as session:
        exported = "".join(
            storage.export_json(session, p) for p in session.exec(select(storage.Person))
        )
    assert "Helen likes music" not in exported  # practice is in nobody's plan


def test_practice_answers_are_gone_when_the_session_ends(
    group: Group, db: storage.Database
) -> None:
    group.join("a", "Dev")
    group.say(LEAD, "practice")
    group.say("a", "she likes her flat; her cat")
    with db.transaction() as session:
        assert len(session.exec(select(storage.LivePractice)).all()) == 2
    group.say(LEAD, "end")
    with db.transaction() as session:
        assert session.exec(select(storage.LivePractice)).all() == []
    assert plan_of(db, "Dev") == []


def test_the_eleventh_participant_is_told_kindly_and_nothing_is_kept(
    group: Group, db: storage.Database
) -> None:
    for n in range(storage.live.MAX_PARTICIPANTS):
        assert "You are in the Redcar group" in group.join(f"p{n}", f"Person{n}")
    group.say("late", f"JOIN {group.code}")
    answer = group.say("late", "my own plan")
    assert "The Redcar group is full" in answer
    with db.transaction() as session:
        assert storage.find_address(session, CHANNEL, "late") is None
    # An ally can still come with someone in the full group.
    group.say("ally", f"JOIN {group.code}")
    assert "Who did you come with?" in group.say("ally", "to help someone")


def test_an_ally_joins_with_the_code_and_waits_for_the_persons_yes(
    group: Group, db: storage.Database
) -> None:
    group.join("a", "Dev")
    group.say("sam", f"JOIN {group.code}")
    came_with = group.say("sam", "to help someone")
    assert "Who did you come with?" in came_with and "Dev" in came_with
    assert "Can I keep your name and number, so you can help Dev?" in group.say("sam", "Dev")
    group.say("sam", "yes")
    group.say("sam", "Sam")
    assert "I have asked Dev" in group.say("sam", "family")
    asked = texts_for(group.outbox(), "a")
    assert "Sam says they are in your family" in asked and "Is that OK?" in asked
    assert "Sam can see your plan now" in group.say("a", "yes")
    assert "- Dev, with Sam" in group.say(LEAD, "who")
    # Sam follows the group's agenda, asked about Dev; what Sam adds waits for Dev's OK.
    told = texts_for(group.outbox(), "sam")
    assert "Dev said yes" in told
    assert "Please wait for the first topic" in group.say("sam", "hello")
    assert "Topic 1 of 6 sent to 1 person" in group.say(LEAD, "next")
    assert "What do you like about Dev?" in texts_for(group.outbox(), "sam")
    group.say("sam", "always on time")
    with db.transaction() as session:
        (dev,) = storage.find_people(session, "Dev")
        kept = storage.answers_for(session, dev)
    assert [(a.text, a.consent) for a in kept] == [("always on time", storage.WAITING_OK)]
    assert "Sam said about you: always on time" in texts_for(group.outbox(), "a")
    group.say(LEAD, "end")
    ended = group.outbox()
    assert "Thank you for helping Dev" in texts_for(ended, "sam")
    assert [r.profile_of for a, r in ended if a == "sam"] == [None]  # Dev's profile is Dev's


def test_someone_planbot_knows_joins_at_once_and_gets_back_to_their_profile(
    engine: Engine, db: storage.Database
) -> None:
    group = Group(engine, db)
    for text in ("hello", "yes", "me", "Dev", "kind", "done"):
        group.say("a", text)  # Dev's profile, under way at its second topic
    group.start()
    group.say("a", f"JOIN {group.code}")
    welcome = group.say("a", "my own plan")
    assert "You are in the Redcar group" in welcome and "Can I keep" not in welcome
    group.say(LEAD, "next")
    assert "What do people like about you?" in texts_for(group.outbox(), "a")
    group.say("a", "funny")
    group.say(LEAD, "end")
    assert "important" in group.say("a", "hello").casefold()  # where the profile was
    assert plan_of(db, "Dev") == ["kind", "funny"]


def test_a_code_says_whether_it_is_an_invite_or_a_group(group: Group, db: storage.Database) -> None:
    group.join("a", "Dev")
    invite = re.search(r"JOIN (\d{6})", group.say("a", "invite"))
    assert invite is not None and invite.group(1) != group.code
    assert "Dev gave you a code" in group.say("sam", f"JOIN {invite.group(1)}")
    group.say(LEAD, "end")
    ended = group.say("late", f"JOIN {group.code}")
    assert "That code does not work" in ended


def test_a_repeat_delivery_of_next_moves_and_queues_nothing_twice(
    group: Group, db: storage.Database
) -> None:
    group.join("a", "Dev")
    first = group.say(LEAD, "next", message_id="next-1")
    again = group.say(LEAD, "next", message_id="next-1")
    assert first == again and "Topic 1 of 6" in first
    assert len([a for a, _r in group.outbox() if a == "a"]) == 1
    assert "Topic 2 of 6" in group.say(LEAD, "next")


def test_the_follow_up_reminder_is_due_the_day_before_and_follow_up_moves_it(
    group: Group, db: storage.Database, clock: Clock
) -> None:
    group.join("a", "Dev")
    group.say(LEAD, "next")
    ended = group.say(LEAD, "end")
    follow_up = clock() + timedelta(days=14)
    assert f"{follow_up:%A} {follow_up.day} {follow_up:%B}" in ended
    assert "Here is your profile" in texts_for(group.outbox(until=clock()), "a")
    assert texts_for(group.outbox(until=follow_up - timedelta(days=1, minutes=1)), "a") == ""
    moved = group.say(LEAD, "follow up 21")
    later = clock() + timedelta(days=21)
    assert f"{later.day} {later:%B}" in moved
    # The 14-day reminder went with the change: only the new one comes, the day before.
    assert texts_for(group.outbox(until=later - timedelta(days=1, minutes=1)), "a") == ""
    reminder = texts_for(group.outbox(until=later), "a")
    assert reminder.count("meets again") == 1 and f"{later.day} {later:%B}" in reminder


@pytest.mark.parametrize("words", ["follow up", "follow up 0", "follow up 400", "follow up ²"])
def test_follow_up_needs_a_number_of_days(group: Group, words: str) -> None:
    assert "a number of days, from 1 to 90" in group.say(LEAD, words)


def test_the_end_gives_each_participant_their_profile_and_action_list(
    group: Group, db: storage.Database
) -> None:
    group.join("a", "Dev")
    group.join("b", "Amy")
    for _ in range(6):
        group.say(LEAD, "next")
    group.outbox()
    group.say("a", "find a cooking class, Mum will help, by March")
    summary = group.say(LEAD, "end")
    assert "2 people took part. They said 1 thing." in summary
    sent = group.outbox()
    dev = [r for a, r in sent if a == "a" and r.profile_of is not None]
    assert len(dev) == 1 and "find a cooking class" in dev[0].text
    amy = [r for a, r in sent if a == "b" and r.profile_of is not None]
    assert len(amy) == 1 and "cooking" not in amy[0].text
    with db.transaction() as session:
        (person,) = storage.find_people(session, "Dev")
    assert dev[0].profile_of == person.id


def test_an_sms_facilitator_is_told_finish_not_end(engine: Engine) -> None:
    said = []
    for n, text in enumerate(("LIVE", "Redcar")):
        incoming = Incoming(channel="sms", address="+447700900999", message_id=f"s{n}", text=text)
        said.append(shown(engine.handle(incoming)))
    assert "Say FINISH to end the session" in said[1] and "Say END" not in said[1]
    assert "text JOIN" in said[1]


def test_a_facilitator_with_a_plan_goes_back_to_it_after_the_session(group: Group) -> None:
    for text in ("hello", "yes", "me", "Pat"):
        group.say(LEAD + "x", text)
    group.say(LEAD + "x", "LIVE")
    group.say(LEAD + "x", "Ashby")
    assert "Nobody has joined yet" in group.say(LEAD + "x", "board")
    group.say(LEAD + "x", "end")
    assert "back to your own plan" in group.say(LEAD + "x", "hello")
    assert "people like about you" in group.say(LEAD + "x", "hello")


def test_old_groups_are_forgotten_and_a_running_facilitator_is_kept(
    group: Group, db: storage.Database, clock: Clock
) -> None:
    group.join("a", "Dev")
    with db.transaction() as session:
        assert storage.forget_unconsented(session, clock() + timedelta(days=3)) == 0
        assert storage.find_address(session, CHANNEL, LEAD) is not None
    group.say(LEAD, "end")
    with db.transaction() as session:
        assert storage.live.forget_old_groups(session, clock() + timedelta(days=20)) == 0
        assert storage.live.forget_old_groups(session, clock() + timedelta(days=22)) == 1
        assert session.exec(select(storage.LiveMember)).all() == []
        assert storage.find_people(session, "Dev")  # the plan is the person's, and stays


def test_someone_who_texted_stop_is_not_counted_as_sent_to(
    group: Group, db: storage.Database
) -> None:
    group.join("a", "Dev")
    group.join("b", "Amy")
    with db.transaction() as session:
        storage.set_opted_out(session, CHANNEL, "b", True)
    assert "Topic 1 of 6 sent to 1 person" in group.say(LEAD, "next")
    assert [a for a, _r in group.outbox()] == ["a"]
    assert "A kind reminder went to 1 person." in group.say(LEAD, "nudge")


def test_nudge_after_back_and_next_counts_what_was_said_the_first_time(group: Group) -> None:
    group.join("a", "Dev")
    group.join("b", "Amy")
    group.say(LEAD, "next")
    group.say(LEAD, "next")
    group.say("a", "swimming")
    group.say(LEAD, "back")
    group.say(LEAD, "next")
    group.outbox()
    assert "A kind reminder went to 1 person." in group.say(LEAD, "nudge")
    assert [a for a, _r in group.outbox()] == ["b"]
