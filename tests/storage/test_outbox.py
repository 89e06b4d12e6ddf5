"""The outbox on every backend: queued with a change, claimed when due, retried, never twice."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import select

import storage
from tests.auxil.databases import opened
from tests.conftest import Clock

REPLY: dict[str, object] = {"text": "Sam wants to help with your plan.", "kind": "say"}


def queue(
    db: storage.Database,
    key: str,
    clock: Clock,
    *,
    address: str = "+447700900123",
    channel: str = "sms",
    later: timedelta = timedelta(),
) -> bool:
    with db.transaction() as session:
        return storage.queue_message(
            session,
            channel=channel,
            address=address,
            reply=REPLY,
            due=clock() + later,
            key=key,
        )


def claim(db: storage.Database, clock: Clock, channels: tuple[str, ...] = ("sms",)) -> list:
    with db.transaction() as session:
        return storage.claim_due(session, now=clock(), channels=list(channels))


def rows(db: storage.Database) -> list[storage.OutboxMessage]:
    with db.transaction() as session:
        return list(session.exec(select(storage.OutboxMessage)))


def words_kept(db: storage.Database) -> bool:
    """Whether any cell of the outbox still holds the words or the phone number (sealed or
    not: a sealed cell is opened to look)."""
    with db.engine.connect() as conn:
        raw = [v for row in conn.execute(text("SELECT * FROM outbox_message")) for v in row]
    assert not any("Sam wants" in str(v) or "900123" in str(v) for v in raw)  # never plain
    cells = [opened(v) for v in raw]
    return any("Sam wants" in c or "900123" in c for c in cells)


def test_a_key_queues_once(db: storage.Database, clock: Clock) -> None:
    assert queue(db, "sms:SM1:0", clock)
    assert not queue(db, "sms:SM1:0", clock)
    assert len(rows(db)) == 1
    [item] = claim(db, clock)
    assert (item.channel, item.address, item.reply) == ("sms", "+447700900123", REPLY)
    assert words_kept(db)  # until it is sent


def test_a_message_queued_in_a_change_that_fails_is_not_queued(
    db: storage.Database, clock: Clock
) -> None:
    with pytest.raises(RuntimeError), db.transaction() as session:
        storage.queue_message(
            session, channel="sms", address="+1", reply=REPLY, due=clock(), key="k"
        )
        raise RuntimeError("the change failed")
    assert rows(db) == []


def test_a_message_due_later_waits_for_the_clock(db: storage.Database, clock: Clock) -> None:
    queue(db, "reminder", clock, later=timedelta(days=14))
    assert claim(db, clock) == []
    clock.advance(days=13, hours=23)
    assert claim(db, clock) == []
    clock.advance(hours=1)
    assert [i.key for i in claim(db, clock)] == ["reminder"]


def test_a_claim_keeps_other_senders_away_until_it_runs_out(
    db: storage.Database, clock: Clock
) -> None:
    queue(db, "k", clock)
    assert len(claim(db, clock)) == 1
    assert claim(db, clock) == []  # taken: a second sender gets nothing
    clock.advance(seconds=storage.LEASE.total_seconds() - 1)
    assert claim(db, clock) == []
    clock.advance(seconds=1)  # the first sender died: its claim ran out
    [again] = claim(db, clock)
    assert again.key == "k"


def test_sent_rows_keep_their_key_and_lose_their_words(db: storage.Database, clock: Clock) -> None:
    queue(db, "k", clock)
    [item] = claim(db, clock)
    with db.transaction() as session:
        storage.mark_sent(session, item, now=clock())
    assert [r.status for r in rows(db)] == ["sent"]
    assert not words_kept(db)
    assert not queue(db, "k", clock)  # a repeat still queues nothing
    clock.advance(days=1)
    assert claim(db, clock) == []


def test_failures_back_off_then_give_up_and_are_counted(db: storage.Database, clock: Clock) -> None:
    queue(db, "k", clock)
    waits = []
    for attempt in range(1, storage.MAX_ATTEMPTS + 1):
        [item] = claim(db, clock)
        assert item.attempts == attempt - 1
        with db.transaction() as session:
            status = storage.mark_failed(session, item, now=clock(), error="ChannelError 30003")
        if attempt == storage.MAX_ATTEMPTS:
            assert status == "failed"
            break
        assert status == "waiting"
        wait = storage.backoff(attempt)
        waits.append(wait)
        clock.advance(seconds=wait.total_seconds() - 1)
        assert claim(db, clock) == []  # not before its pause is over
        clock.advance(seconds=1)
    assert waits[:3] == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert max(waits) == storage.MAX_BACKOFF
    [row] = rows(db)
    assert row.last_error == "ChannelError 30003" and not words_kept(db)
    clock.advance(days=1)
    assert claim(db, clock) == []
    with db.transaction() as session:
        assert storage.outbox_summary(session).failed == 1


def test_a_failure_that_will_not_mend_gives_up_at_once(db: storage.Database, clock: Clock) -> None:
    queue(db, "k", clock)
    [item] = claim(db, clock)
    with db.transaction() as session:
        assert storage.mark_failed(session, item, now=clock(), error="x", retry=False) == "failed"


def test_nothing_goes_to_an_address_that_opted_out(db: storage.Database, clock: Clock) -> None:
    queue(db, "before", clock, address="+447700900001")
    with db.transaction() as session:
        storage.set_opted_out(session, "sms", "+447700900001")
    queue(db, "after", clock, address="+447700900001")
    queue(db, "other", clock, address="+447700900002")
    assert [i.key for i in claim(db, clock)] == ["other"]
    statuses = {r.key: r.status for r in rows(db)}
    assert statuses == {"before": "opted_out", "after": "opted_out", "other": "waiting"}


def test_a_sender_takes_only_its_own_channels(db: storage.Database, clock: Clock) -> None:
    queue(db, "a", clock, channel="telegram", address="42")
    queue(db, "b", clock)
    assert [i.key for i in claim(db, clock, ("telegram",))] == ["a"]
    assert [i.key for i in claim(db, clock, ("sms", "telegram"))] == ["b"]


def test_a_claim_for_one_address_leaves_the_others(db: storage.Database, clock: Clock) -> None:
    """A terminal chat is one address: it takes its own messages, as a phone gets its own."""
    queue(db, "sam", clock, channel="terminal", address="sam")
    queue(db, "dev", clock, channel="terminal", address="dev")
    with db.transaction() as session:
        items = storage.claim_due(session, now=clock(), channels=["terminal"], address="dev")
    assert [i.key for i in items] == ["dev"]
    assert [i.key for i in claim(db, clock, ("terminal",))] == ["sam"]


def test_a_late_answer_from_a_sender_whose_claim_ran_out_changes_nothing(
    db: storage.Database, clock: Clock
) -> None:
    queue(db, "k", clock)
    [slow] = claim(db, clock)
    clock.advance(seconds=storage.LEASE.total_seconds())
    [fresh] = claim(db, clock)
    with db.transaction() as session:
        assert storage.mark_failed(session, slow, now=clock(), error="late") == "released"
        storage.mark_sent(session, fresh, now=clock())
    assert rows(db)[0].status == "sent"


def test_the_summary_counts_people_and_holds_no_words(db: storage.Database, clock: Clock) -> None:
    queue(db, "a", clock, address="+447700900001")
    queue(db, "b", clock, address="+447700900001")
    queue(db, "c", clock, address="+447700900002", later=timedelta(days=7))
    with db.transaction() as session:
        summary = storage.outbox_summary(session)
        assert storage.next_due(session, ["sms"]) == clock()
    assert summary.people == 2
    assert [(g.channel, g.messages, g.people) for g in summary.waiting] == [
        ("sms", 2, 1),
        ("sms", 1, 1),
    ]
    assert summary.waiting[1].due == clock() + timedelta(days=7)
    assert "Sam" not in repr(summary) and "7700" not in repr(summary)


def test_done_rows_are_forgotten_after_a_while(db: storage.Database, clock: Clock) -> None:
    queue(db, "k", clock)
    queue(db, "later", clock, later=timedelta(days=30))
    [item] = claim(db, clock)
    with db.transaction() as session:
        storage.mark_sent(session, item, now=clock())
    clock.advance(days=2)
    with db.transaction() as session:
        assert storage.forget_done_messages(session, before=clock() - timedelta(days=1)) == 1
    assert [r.key for r in rows(db)] == ["later"]


def test_two_senders_at_once_never_claim_one_message_twice(
    db: storage.Database, clock: Clock
) -> None:
    for n in range(60):
        queue(db, f"k{n}", clock, address=f"+4477009{n:05}")
    taken: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def sender() -> None:
        start.wait()
        while True:
            with db.transaction() as session:
                items = storage.claim_due(session, now=clock(), channels=["sms"], limit=3)
            if not items:
                return
            with lock:
                taken.extend(i.key for i in items)

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken) == sorted(f"k{n}" for n in range(60))
