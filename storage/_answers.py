"""Answers: what the person (or someone for them) said for each topic, kept verbatim.

An answer's words and who said them are personal: sealed on the way in, unsealed in
``AnswerView``. Deleting an answer deletes the row and blanks the kept replies that echoed it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, false, func, insert, or_
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from storage._db import mark_erased, read_ahead, read_before, run, run_later
from storage._personal import seal, unseal
from storage._processed import forget_replies
from storage._tables import Answer, Conversation, Person, as_utc, utcnow

ANSWER = "answer"
SKIPPED = "skipped"
DONT_KNOW = "dont_know"
# An answer's consent: the holder's own, or a supporter's waiting for the holder's OK.
PERSON, WAITING_OK, AGREED, DECLINED = "person", "waiting", "agreed", "declined"
_SHARED = (PERSON, AGREED)

# A plain INSERT, built once with bound parameters (see ``add_answer`` and bench/engine.py).
_ANSWERS = Answer.__table__  # type: ignore[attr-defined]
_INSERT_ANSWER = insert(_ANSWERS).inline()  # no RETURNING of the new id
_INSERT_ANSWER_GIVING_ID = _INSERT_ANSWER.returning(_ANSWERS.c.id)
_COUNT_IN_SECTION = (
    core_select(func.count())
    .select_from(_ANSWERS)
    .where(
        _ANSWERS.c.person_id == bindparam("person_id"),
        _ANSWERS.c.section == bindparam("section"),
        _ANSWERS.c.status == ANSWER,
        _ANSWERS.c.deleted == false(),
    )
)


@dataclass(frozen=True)
class AnswerView:
    """One stored answer with its personal fields in plain form."""

    id: int
    section: str
    text: str
    said_by: str
    perspective: str
    status: str
    created_at: datetime
    updated_at: datetime
    conversation_id: int | None = None
    kind: str = "text"  # "voice": a voice note (no words; its sound is kept apart)
    consent: str = "person"  # "person", or for a supporter's: "waiting", "agreed", "declined"
    private: bool = False  # "just for me": hidden from supporters and the shared profile

    @property
    def shared(self) -> bool:
        """On the shared profile: the holder's own or agreed, and not just for them."""
        return self.consent in (PERSON, AGREED) and not self.private


def _answer_view(row: Answer) -> AnswerView:
    assert row.id is not None
    return AnswerView(
        id=row.id,
        section=row.section,
        text=unseal(row.text_sealed),
        said_by=unseal(row.said_by_sealed),
        perspective=row.perspective,
        status=row.status,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
        conversation_id=row.conversation_id,
        kind=row.kind,
        consent=row.consent,
        private=row.private,
    )


def add_answer(
    session: Session,
    person: Person,
    conv: Conversation | None,
    section: str,
    text: str,
    *,
    said_by: str,
    perspective: str,
    status: str = ANSWER,
    consent: str = "person",
    now: datetime | None = None,
    giving_id: bool = False,
) -> int | None:
    """Store one answer verbatim (``consent`` "waiting" for what a supporter adds); its id
    when ``giving_id`` (to name it in a question about it), else None.

    ``now``: the time of the message that said it (the turn's clock, so an answer and the
    outbox question about it agree on when it was said).

    A plain INSERT on the table, not an ORM object: a message can store several answers and
    the ORM's unit of work costs more than the rest of the message (see bench/engine.py).
    Without ``giving_id``, on PostgreSQL it goes with the message's other writes in one
    round trip (``run_later``).
    """
    assert person.id is not None
    now = now or utcnow()
    values = {
        "person_id": person.id,
        "conversation_id": conv.id if conv else None,
        "section": section,
        "text_sealed": seal(text),
        "said_by_sealed": seal(said_by),
        "perspective": perspective,
        "status": status,
        "kind": "text",
        "consent": consent,
        "private": False,
        "deleted": False,
        "created_at": now,
        "updated_at": now,
    }
    if consent == WAITING_OK and not person.may_have_requests:
        # The holder's hint (read with each of their messages): something may wait for them.
        person.may_have_requests = True
        session.add(person)
    if giving_id:
        return int(run(session, _INSERT_ANSWER_GIVING_ID, values).scalar_one())
    run_later(session, _INSERT_ANSWER, values)
    return None


def answers_for(
    session: Session,
    person: Person,
    section: str | None = None,
    *,
    supporter_conversation: int | None = None,
) -> list[AnswerView]:
    """The person's answers that are not deleted, oldest first.

    For a supporter (``supporter_conversation``: their conversation's id) only what they may
    see: what is on the shared profile, and what they said themselves that waits for the
    holder's OK; never what the holder keeps "just for me" or said no to.
    """
    query = select(Answer).where(Answer.person_id == person.id, col(Answer.deleted).is_(False))
    if section is not None:
        query = query.where(Answer.section == section)
    if supporter_conversation is not None:
        query = query.where(
            col(Answer.private).is_(False),
            or_(
                col(Answer.consent).in_(_SHARED),
                (col(Answer.consent) == WAITING_OK)
                & (col(Answer.conversation_id) == supporter_conversation),
            ),
        )
    return [_answer_view(a) for a in session.exec(query.order_by(col(Answer.id)))]


def count_answers(session: Session, person: Person, section: str, *, fresh: bool = False) -> int:
    """How many things one topic holds (not deleted, whoever said them), counted without
    reading or opening any words: the topic's limit is checked at every answer, and reading
    the whole topic each time cost more than the rest of the message. The count read with
    the message's first statement serves, unless ``fresh`` (counted now)."""
    assert person.id is not None
    known = None if fresh else read_before(session, ("count", person.id, section))
    if isinstance(known, int):
        return known
    params = {"person_id": person.id, "section": section}
    return int(run(session, _COUNT_IN_SECTION, params).scalar_one())


def count_read_ahead(session: Session, person: Person, section: str, count: int) -> None:
    """Keep a topic's count read with the message's first statement (``storage.open_address``)
    for ``count_answers``, until anything is written."""
    read_ahead(session, ("count", person.id, section), count)


def section_counts(
    session: Session, person_ids: list[int], sections: tuple[str, ...]
) -> dict[int, dict[str, int]]:
    """How many things each person has in each section (counted; no words are read): the
    topic limits, and the Planning Live board."""
    if not person_ids:
        return {}
    query = (
        select(Answer.person_id, Answer.section, func.count())
        .where(
            col(Answer.person_id).in_(person_ids),
            col(Answer.section).in_(sections),
            Answer.status == ANSWER,
            col(Answer.deleted).is_(False),
        )
        .group_by(col(Answer.person_id), col(Answer.section))
    )
    counts: dict[int, dict[str, int]] = {p: {} for p in person_ids}
    for person_id, section, count in session.exec(query):
        counts[person_id][section] = count
    return counts


def shared_answers(session: Session, person: Person) -> list[AnswerView]:
    """What goes on the shared profile and the review sheet (every format, and the page behind
    a link): real answers, the holder's own or agreed, and not "just for me". The one place
    that decides it, so no renderer has to."""
    query = select(Answer).where(
        Answer.person_id == person.id,
        col(Answer.deleted).is_(False),
        Answer.status == ANSWER,
        col(Answer.consent).in_(_SHARED),
        col(Answer.private).is_(False),
    )
    return [_answer_view(a) for a in session.exec(query.order_by(col(Answer.id)))]


def delete_last_answer(
    session: Session,
    person: Person,
    section: str | None = None,
    *,
    said_in: Conversation | None = None,
) -> AnswerView | None:
    """Delete the newest answer (in one section, if given; said in one conversation, if
    ``said_in``: a supporter deletes only what they said); return what it was.

    The row goes from the database: the bot tells the person "I deleted it", so the words must
    not stay behind (in an export, a backup or a later read).
    """
    query = select(Answer).where(
        Answer.person_id == person.id,
        col(Answer.deleted).is_(False),
        Answer.status == ANSWER,
    )
    if section is not None:
        query = query.where(Answer.section == section)
    if said_in is not None:
        query = query.where(Answer.conversation_id == said_in.id)
    row = session.exec(query.order_by(col(Answer.id).desc())).first()
    if row is None:
        return None
    view = _answer_view(row)
    session.delete(row)
    session.flush()
    forget_replies(session, person=person)  # earlier replies that echoed the words
    mark_erased(session)
    return view


def delete_all_answers(session: Session, person: Person) -> int:
    """Delete every answer of the person (``restart``, after they said yes); how many there were.

    The rows go from the database, as the bot says. Rows an older version only marked deleted
    go too, but are not counted: the person did not see them as answers.
    """
    result = session.exec(
        delete(Answer).where(col(Answer.person_id) == person.id, col(Answer.deleted).is_(False))
    )
    session.exec(delete(Answer).where(col(Answer.person_id) == person.id))
    forget_replies(session, person=person)  # earlier replies that echoed the words
    mark_erased(session)
    return int(result.rowcount or 0)


def answered_sections(session: Session, person: Person) -> set[str]:
    query = select(Answer.section).where(
        Answer.person_id == person.id, col(Answer.deleted).is_(False)
    )
    return set(session.exec(query.distinct()))


def answer_by_id(session: Session, person: Person, answer_id: int) -> AnswerView | None:
    row = session.get(Answer, answer_id)
    if row is None or row.person_id != person.id or row.deleted:
        return None
    return _answer_view(row)


def set_answer_consent(session: Session, answer_id: int, consent: str) -> None:
    """The holder agreed to (or declined) what a supporter said.

    A "no" erases the words (and the kept replies that echoed them): the holder did not want
    them kept about them. The row stays, with no words, so that the export can say a thing
    was declined, and by whom it was said."""
    row = session.get(Answer, answer_id)
    assert row is not None
    row.consent, row.updated_at = consent, utcnow()
    session.add(row)
    if consent == DECLINED:
        row.text_sealed = seal("")
        person = session.get(Person, row.person_id)
        assert person is not None
        forget_replies(session, person=person)
        mark_erased(session)
    session.flush()


def set_answer_private(session: Session, answer_id: int, private: bool) -> None:
    """ "Just for me" (True), or shared again (False)."""
    row = session.get(Answer, answer_id)
    assert row is not None
    row.private, row.updated_at = private, utcnow()
    session.add(row)
    session.flush()


def waiting_items(session: Session, person: Person) -> list[AnswerView]:
    """What supporters said that waits for the holder's OK, oldest first (asked only while
    the person row's hint ``may_have_requests`` is set: see ``storage.requests_waiting``)."""
    if not person.may_have_requests:
        return []
    query = select(Answer).where(
        Answer.person_id == person.id,
        col(Answer.deleted).is_(False),
        Answer.status == ANSWER,
        Answer.consent == WAITING_OK,
    )
    return [_answer_view(a) for a in session.exec(query.order_by(col(Answer.id)))]
