"""Build the easy-read documents from what storage holds about a person: the one-page profile
(``build_profile``) and the review sheet (``build_review``)."""

from __future__ import annotations

from sqlmodel import Session

import storage
from easyread._model import Profile, ProfileItem, ProfileSection, voice_note_label
from easyread._sections import document, sections
from storage import Person

# The review sheet's sections, in the order of the review meeting (DOMAIN.md section 4).
REVIEW_KEYS = (
    "like_admire",
    "important_to",
    "important_future",
    "best_support",
    "working",
    "not_working",
    "questions",
    "who_to_invite",
)


def _kept(session: Session, person: Person) -> list[storage.AnswerView]:
    """What may be shared, in every format and on the page behind a link: real answers (not
    skipped, not "don't know"), the person's own or agreed by them, and not "just for me"
    (``storage.shared_answers`` decides, once, for every renderer)."""
    return storage.shared_answers(session, person)


def build_profile(session: Session, person: Person, *, fallback_name: str = "me") -> Profile:
    """The profile: sections in profile order, only real answers; the review sheet's own
    sections (questions, who to invite) are left out."""
    answers = _kept(session, person)
    built = []
    for info in sections():
        items = tuple(_item(a) for a in answers if a.section == info.key)
        if items and info.on_profile:
            built.append(ProfileSection(info.key, info.heading, info.icon, items, info.core))
    name = storage.person_name(person) or fallback_name
    return Profile(
        name=name,
        sections=tuple(built),
        made_by=made_by(session, person, name),
        large=person.large_print,
    )


def build_review(session: Session, person: Person, *, fallback_name: str = "me") -> Profile:
    """The review sheet, "Getting ready for Amy's review", in 2 parts kept apart.

    First what the person said in their own profile (every section, their words, their
    headings: "What is important to me"); then what the family (or a supporter, or staff)
    says for the review, under headings about the person ("What is important to Amy now").
    The second part's heading is "What the family says" when only family spoke, else
    "What family and supporters say".
    """
    name = storage.person_name(person) or fallback_name
    info = document("review")
    answers = _kept(session, person)
    own = [a for a in answers if a.perspective == "person"]
    others = [a for a in answers if a.perspective != "person" and a.section in REVIEW_KEYS]
    part_key = "family" if all(a.perspective == "family" for a in others) else "others"
    mine_part = info.parts["person"].format(name=name)
    theirs_part = info.parts[part_key].format(name=name)
    built: list[ProfileSection] = []
    for s in sections():
        items = tuple(_item(a) for a in own if a.section == s.key)
        if items:
            built.append(ProfileSection(s.key, s.heading, s.icon, items, s.core, mine_part))
    by_key = {s.key: s for s in sections()}
    for key in REVIEW_KEYS:
        items = tuple(_item(a) for a in others if a.section == key)
        if items:
            heading = info.headings.get(key, by_key[key].heading).format(name=name)
            built.append(ProfileSection(key, heading, by_key[key].icon, items, False, theirs_part))
    return Profile(
        name=name,
        sections=tuple(built),
        document="review",
        made_by=made_by(session, person, name),
        large=person.large_print,
    )


# Who typed a plan, by their role, when they gave no name.
_ROLE_WORDS = {"family": "family", "supporter": "a supporter", "staff": "staff"}


def made_by(session: Session, person: Person, name: str) -> str:
    """ "Made by Mum with Amy." when Amy said yes to a plan Mum typed for her; "Made by Mum
    for Amy." when it was made in her best interests; "" when the person made it, alone or
    helped (the made_for step is not asked then)."""
    how = storage.made_for(session, person)
    if how is None:
        return ""
    by = how.by or _ROLE_WORDS.get(how.by_role, "someone")
    word = "with" if how.decision == storage.SAID_YES else "for"
    return f"Made by {by} {word} {name}."


def _item(answer: storage.AnswerView) -> ProfileItem:
    """An answer as a profile item; a voice note says so with its date, and names its sound."""
    if answer.kind == storage.VOICE:
        return ProfileItem(
            text=voice_note_label(answer.created_at),
            said_by=answer.said_by,
            perspective=answer.perspective,
            audio=str(answer.id),
        )
    return ProfileItem(text=answer.text, said_by=answer.said_by, perspective=answer.perspective)


def profile_of(db: storage.Database, person_id: int) -> Profile | None:
    """The profile of the person with this id, read in a transaction of its own (None if they
    were erased meanwhile): what a channel sends when a plan is finished."""
    with db.transaction() as session:
        person = storage.person_by_id(session, person_id)
        return build_profile(session, person) if person is not None else None


def review_of(db: storage.Database, person_id: int) -> Profile | None:
    """The review sheet of the person with this id, as ``profile_of`` (what a channel sends
    when a review preparation is finished)."""
    with db.transaction() as session:
        person = storage.person_by_id(session, person_id)
        return build_review(session, person) if person is not None else None


def document_of(db: storage.Database, person_id: int, flow: str) -> Profile | None:
    """The document a finished flow gives: the review sheet after "review", else the profile."""
    return review_of(db, person_id) if flow == "review" else profile_of(db, person_id)
