"""Storage for planning together, on every backend: access, invite codes, wrong-code counts,
consent records, and what the export shows of them."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import select

import storage
from bot._tidy import forget_old_replies
from planbot.settings import Settings
from tests.conftest import Clock

KEY = "test-secret"


def _holder_and_supporter(session, clock: Clock):  # type: ignore[no-untyped-def]
    person = storage.create_person(session, "Dev")
    home = storage.get_or_create_address(session, "sms", "+447700900001")
    storage.link_person(session, person, home)
    storage.add_holder(session, person, home, clock.now)
    sam = storage.get_or_create_address(session, "telegram", "555")
    return person, home, sam


def test_a_supporter_is_linked_only_after_yes_and_unlinked_by_remove(
    db: storage.Database, clock: Clock
) -> None:
    with db.transaction() as session:
        person, home, sam = _holder_and_supporter(session, clock)
        access_id = storage.start_joining(session, person, sam, clock.now)
        storage.finish_joining(session, access_id, "Sam", "friend")
        assert storage.people_for_address(session, sam) == []
        assert [a.name for a in storage.waiting_for(session, person)] == ["Sam"]
        assert storage.is_holder(session, person, home)
        assert not storage.is_holder(session, person, sam)
        assert not storage.is_supporter(session, person, sam)

        storage.approve_access(session, access_id, clock.now)
        assert storage.people_for_address(session, sam) == [person]
        assert storage.is_supporter(session, person, sam)
        link_conv = storage.new_conversation(session, sam, person, "like_admire")
        storage.record_processed(session, "telegram", "m1", sam, person, [])
        token = storage.new_link(session, person, days=30, channel="telegram", message_id="m1")
        own = storage.new_link(session, person, days=30, channel="sms", message_id="m2")
        assert link_conv.id is not None

        storage.remove_access(session, access_id, clock.now)
        assert storage.people_for_address(session, sam) == []
        assert storage.conversation_for(session, sam, person) is None
        assert storage.person_for_token(session, token, clock.now) is None
        assert storage.person_for_token(session, own, clock.now) == person
        told = storage.removals_to_tell(session, sam)
        assert [a.name for a in told] == ["Sam"]
        storage.mark_told(session, told[0].id)
        assert storage.removals_to_tell(session, sam) == []
        listed = [(a.name, a.role, a.status) for a in storage.access_list(session, person)]
        assert listed == [(None, "holder", "active"), ("Sam", "friend", "removed")]


def test_a_no_keeps_nothing_of_the_supporter(db: storage.Database, clock: Clock) -> None:
    with db.transaction() as session:
        person, _home, sam = _holder_and_supporter(session, clock)
        access_id = storage.start_joining(session, person, sam, clock.now)
        storage.finish_joining(session, access_id, "Sam", "family")
        storage.cancel_joining(session, access_id)
        assert storage.access_list(session, person)[-1].role == "holder"
        assert len(storage.access_list(session, person)) == 1
        assert storage.joining_for(session, sam) is None


def test_codes_are_kept_only_as_a_keyed_hash_work_once_and_for_7_days(
    db: storage.Database, clock: Clock
) -> None:
    with db.transaction() as session:
        person, _home, _sam = _holder_and_supporter(session, clock)
        code = storage.new_invite_code(
            session, person, key=KEY, channel="sms", message_id="inv1", now=clock.now
        )
        assert len(code) == 6 and code.isdigit()
        stored = session.exec(select(storage.InviteCode)).all()
        assert len(stored) == 1 and code not in stored[0].code_hash
        assert storage.use_invite_code(session, code, key="another key", now=clock.now) is None
        assert storage.use_invite_code(session, code, key=KEY, now=clock.now) == person.id
        assert storage.use_invite_code(session, code, key=KEY, now=clock.now) is None

        late = storage.new_invite_code(
            session, person, key=KEY, channel="sms", message_id="inv2", now=clock.now
        )
        later = clock.now + timedelta(days=storage.CODE_DAYS, seconds=1)
        assert storage.use_invite_code(session, late, key=KEY, now=later) is None


def test_wrong_codes_are_counted_per_sender_for_a_day(db: storage.Database, clock: Clock) -> None:
    with db.transaction() as session:
        one = storage.sender_hash("sms:+447700900009", KEY)
        other = storage.sender_hash("sms:+447700900010", KEY)
        assert "+4477" not in one
        for _ in range(storage.MAX_WRONG):
            assert not storage.too_many_wrong(session, one, clock.now)
            storage.note_wrong_code(session, one, clock.now)
        assert storage.too_many_wrong(session, one, clock.now)
        assert not storage.too_many_wrong(session, other, clock.now)
        tomorrow = clock.now + storage.WRONG_WINDOW
        assert not storage.too_many_wrong(session, one, tomorrow)


def test_export_shows_consent_privacy_access_and_records(
    db: storage.Database, clock: Clock
) -> None:
    with db.transaction() as session:
        person, home, sam = _holder_and_supporter(session, clock)
        conv = storage.new_conversation(session, home, person, "like_admire")
        storage.add_answer(
            session, person, conv, "like_admire", "kind", said_by="Dev", perspective="person"
        )
        storage.add_answer(
            session,
            person,
            None,
            "like_admire",
            "always on time",
            said_by="Sam",
            perspective="other",
            consent=storage.WAITING_OK,
        )
        for words in ("loves jigsaws", "bad with money"):
            storage.add_answer(
                session,
                person,
                None,
                "like_admire",
                words,
                said_by="Sam",
                perspective="other",
                consent=storage.WAITING_OK,
            )
        first, second, _waiting, fourth = storage.answers_for(session, person)
        storage.set_answer_private(session, first.id, True)
        storage.set_answer_consent(session, second.id, storage.AGREED)
        storage.set_answer_consent(session, fourth.id, storage.DECLINED)
        access_id = storage.start_joining(session, person, sam, clock.now)
        storage.finish_joining(session, access_id, "Sam", "friend")
        storage.approve_access(session, access_id, clock.now)
        storage.record_consent(
            session,
            person,
            storage.SUPPORTER,
            "yes",
            by="Dev",
            by_role="holder",
            channel="sms",
            wording="approve v1: approve_supporter",
            now=clock.now,
            subject_id=access_id,
        )
        exported = storage.export_person(session, person)
        answers = exported["answers"]
        assert isinstance(answers, list)
        assert [(a["text"], a["consent"], a["private"]) for a in answers] == [
            ("kind", "person", True),
            ("always on time", "agreed", False),
            ("loves jigsaws", "waiting", False),
            ("", "declined", False),  # its words are erased; the row says it was declined
        ]
        assert "bad with money" not in json.dumps(exported)
        since = clock.now.isoformat()
        holder, supporter = exported["access"]  # type: ignore[misc]
        assert holder == {
            "id": holder["id"],
            "name": "Dev",
            "role": "holder",
            "status": "active",
            "since": since,
            "ended": None,
        }
        assert supporter == {
            "id": access_id,  # what the consent record's subject_id names
            "name": "Sam",
            "role": "friend",
            "status": "active",
            "since": since,
            "ended": None,
        }
        (record,) = exported["consents"]  # type: ignore[misc]
        assert record["by"] == "Dev" and record["channel"] == "sms" and record["decision"] == "yes"
        assert record["subject_id"] == supporter["id"]
        assert record["wording"] == "approve v1: approve_supporter"

        removed = storage.erase_person(session, person)
        assert removed["supporters"] == 2 and removed["consent records"] == 1
        assert session.exec(select(storage.Access)).all() == []


def test_the_holder_was_asked_once_the_outbox_sent_them_a_message(
    db: storage.Database, clock: Clock
) -> None:
    """A sent row's address is blanked with its words: it is still known to be the holder's."""
    with db.transaction() as session:
        person, home, sam = _holder_and_supporter(session, clock)
        access_id = storage.start_joining(session, person, sam, clock.now)
        storage.finish_joining(session, access_id, "Sam", "friend")
        since = clock.now
        assert not storage.asked_by_outbox(session, home, since)
        storage.queue_message(
            session,
            channel="sms",
            address="+447700900001",
            reply={"text": "Sam is your friend. Is that OK?"},
            due=clock.now,
            key="ask",
        )
        assert not storage.asked_by_outbox(session, home, since)  # queued, not sent yet
    with db.transaction() as session:
        [item] = storage.claim_due(session, now=clock.now, channels=["sms"])
        storage.mark_sent(session, item, now=clock.now)
    with db.transaction() as session:
        home = storage.get_or_create_address(session, "sms", "+447700900001")
        assert storage.asked_by_outbox(session, home, since)
        assert not storage.asked_by_outbox(session, sam, since)  # sent to the holder only
        assert not storage.asked_by_outbox(session, home, since + timedelta(minutes=1))


def test_the_tidy_drops_old_wrong_code_counts_and_used_or_old_codes(
    db: storage.Database, settings: Settings, clock: Clock
) -> None:
    """What guessing and inviting leave behind goes once it can matter no more; a count within
    its day, and a working code, stay."""
    with db.transaction() as session:
        person, _home, _sam = _holder_and_supporter(session, clock)
        stranger = storage.sender_hash("sms:+447700900009", KEY)
        storage.note_wrong_code(session, stranger, clock.now)
        used = storage.new_invite_code(
            session, person, key=KEY, channel="sms", message_id="inv1", now=clock.now
        )
        assert storage.use_invite_code(session, used, key=KEY, now=clock.now) == person.id
        storage.new_invite_code(
            session, person, key=KEY, channel="sms", message_id="inv2", now=clock.now
        )
        later = storage.new_invite_code(
            session, person, key=KEY, channel="sms", message_id="inv3", now=clock.now
        )
    forget_old_replies(db, settings, clock.now + timedelta(hours=1))
    with db.transaction() as session:
        # The used code went; the count (within its day) and the working codes stayed.
        assert len(session.exec(select(storage.InviteCode)).all()) == 2
        assert storage.too_many_wrong(session, stranger, clock.now) is False
        assert len(session.exec(select(storage.CodeAttempt)).all()) == 1
    forget_old_replies(db, settings, clock.now + timedelta(days=storage.CODE_DAYS, hours=1))
    with db.transaction() as session:
        assert session.exec(select(storage.CodeAttempt)).all() == []
        assert session.exec(select(storage.InviteCode)).all() == []
        assert storage.use_invite_code(session, later, key=KEY, now=clock.now) is None


def _keep_my_number(session, person, access_id: int, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    storage.record_consent(
        session,
        person,
        storage.SUPPORTER_KEEP,
        "yes",
        by=None,
        by_role="supporter",
        channel="telegram",
        wording="join v1 keep_ok 0123456789ab",
        now=clock.now,
        subject_id=access_id,
    )


def test_a_second_join_leaves_no_yes_on_the_first_plan(db: storage.Database, clock: Clock) -> None:
    """Sam says yes to joining Dev's plan, then sends another plan's code before the end:
    nothing of Sam stays on Dev's plan, and Sam's name goes only on the plan he joins."""
    with db.transaction() as session:
        dev, _home, sam = _holder_and_supporter(session, clock)
        amy = storage.create_person(session, "Amy")
        amys = storage.get_or_create_address(session, "sms", "+447700900002")
        storage.link_person(session, amy, amys)
        storage.add_holder(session, amy, amys, clock.now)
        first = storage.start_joining(session, dev, sam, clock.now)
        _keep_my_number(session, dev, first, clock)
        second = storage.start_joining(session, amy, sam, clock.now)
        _keep_my_number(session, amy, second, clock)
        storage.finish_joining(session, second, "Sam", "friend")
        assert storage.consents_of(session, dev) == []
        [kept] = storage.consents_of(session, amy)
        assert (kept.subject, kept.by, kept.subject_id) == ("supporter_keep", "Sam", second)
        storage.cancel_joining(session, second)  # Amy's holder says no: nothing of Sam
        assert storage.consents_of(session, amy) == []


def test_an_erased_plan_leaves_nothing_waiting_in_the_outbox(
    db: storage.Database, clock: Clock
) -> None:
    """Mum holds Amy's and Bob's plans on one phone: erasing Amy withdraws what waits about
    her (her profile, a question about a thing, her retention question), not Bob's."""
    with db.transaction() as session:
        amy = storage.create_person(session, "Amy")
        bob = storage.create_person(session, "Bob")
        mum = storage.get_or_create_address(session, "sms", "+447700900009")
        for person in (amy, bob):
            storage.link_person(session, person, mum)
            storage.add_holder(session, person, mum, clock.now)
        conv = storage.new_conversation(session, mum, amy, "like_admire")
        thing = storage.add_answer(
            session,
            amy,
            conv,
            "like_admire",
            "swims",
            said_by="Sam",
            perspective="other",
            giving_id=True,
        )
        assert amy.id is not None and bob.id is not None
        for n, (about, words) in enumerate(
            (
                (storage.about_plan(amy.id), "All about Amy: swims"),
                (f"item:{thing}", "Sam said about Amy: swims"),
                (storage.retention_about(amy), "Do you want me to keep it?"),
                (storage.about_plan(bob.id), "All about Bob: darts"),
            )
        ):
            storage.queue_message(
                session,
                channel="sms",
                address="+447700900009",
                reply={"text": words},
                due=clock.now,
                key=f"k{n}",
                about=about,
            )
        storage.erase_person(session, amy)
    with db.transaction() as session:
        waiting = storage.claim_due(session, now=clock.now, channels=["sms"])
        assert [item.reply["text"] for item in waiting] == ["All about Bob: darts"]
