"""Engine replies as SMS bodies: choices as "Reply 1 for Yes", GSM-7 where possible, 2 segments.

Decisions, and why:

- Typographic characters (curly quotes, dashes, "...", bullets) become their GSM-7 forms, in our
  words and in the person's words we echo back: one curly quote would otherwise make the whole
  text UCS-2 (70 characters a segment instead of 160).
- Our own wording has no emoji (a test checks every script message). The person's emoji and
  letters outside GSM-7 are kept when we echo their words back ("I have saved: ..."), so they
  see exactly what was kept; such a text is sent as UCS-2 and split by UCS-2 rules. We do not
  transliterate: "I have saved: -" with their emoji gone would look like nothing was saved.
- Each body is at most 2 segments. A longer reply is split at line ends (then spaces) into
  several bodies, each sent as its own ``<Message>``. A reply longer than 3 bodies (a long
  read-back) is cut after 2, with a pointer to the web page (text PROFILE).
- Consecutive replies are joined into one body (with a line break) whenever the joined text
  still fits in 2 segments. Twilio and the phone networks do not keep several ``<Message>``
  elements in order, and a long text often lands after a short one: joined, a question always
  arrives together with what comes before it ("I have saved: ..." and "Is there anything else?").
- Characters XML cannot carry (NUL and other control characters, U+FFFE) are dropped, so the
  TwiML always parses. ElementTree escapes the rest (``<``, ``&``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence

from bot.sms.words import text as sms_text
from dialogues import Choice, Reply
from easyread.sms_text import gsm_friendly, sms_segments

MAX_SEGMENTS = 2
MAX_BODIES_PER_REPLY = 3
_HARD_CUT = 60  # characters: always fits in 2 segments, even as UCS-2 with surrogate pairs
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SHORT_LABEL = 20


def xml_safe(text: str) -> str:
    """The text without the characters XML 1.0 cannot hold (NUL, other controls, U+FFFF)."""
    return _NOT_XML.sub("", text)


def sms_clean(text: str) -> str:
    """Text ready for SMS: GSM-friendly punctuation, XML-safe, tidy line ends."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = xml_safe(gsm_friendly(text))
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def choice_lines(choices: Sequence[Choice]) -> str:
    """ "Reply 1 for Yes, 2 for No." for a few short choices; a numbered list otherwise."""
    labels = [" ".join(c.label.split()) for c in choices]
    if len(labels) <= 3 and all(
        len(lb) <= _SHORT_LABEL and not set(lb) & set(",.") for lb in labels
    ):
        return "Reply " + ", ".join(f"{n} for {lb}" for n, lb in enumerate(labels, 1)) + "."
    return "Reply with a number:\n" + "\n".join(f"{n}. {lb}" for n, lb in enumerate(labels, 1))


def reply_text(reply: Reply) -> str:
    """One reply as SMS text: its words, then its choices."""
    parts = [reply.text.strip()]
    if reply.choices:
        parts.append(choice_lines(reply.choices))
    return sms_clean("\n".join(p for p in parts if p))


def _fits(text: str, max_segments: int = MAX_SEGMENTS) -> bool:
    return sms_segments(text) <= max_segments


def _pieces(text: str, fits: Callable[[str], bool]) -> Iterator[tuple[str, str]]:
    """(separator, piece) pairs: whole lines where they fit, else words, else hard cuts."""
    for line in text.split("\n"):
        if fits(line):
            yield "\n", line
            continue
        for j, word in enumerate(line.split(" ")):
            sep = "\n" if j == 0 else " "
            if fits(word):
                yield sep, word
                continue
            for k in range(0, len(word), _HARD_CUT):
                yield (sep if k == 0 else ""), word[k : k + _HARD_CUT]


def split_sms(text: str, max_segments: int = MAX_SEGMENTS) -> list[str]:
    """The text as bodies of at most ``max_segments`` segments each, split where it reads best."""
    if not text:
        return []
    if _fits(text, max_segments):
        return [text]

    def fits(t: str) -> bool:
        return _fits(t, max_segments)

    bodies: list[str] = []
    current = ""
    for sep, piece in _pieces(text, fits):
        candidate = f"{current}{sep}{piece}" if current else piece
        if fits(candidate):
            current = candidate
            continue
        if current.strip():
            bodies.append(current.strip())
        current = piece
    if current.strip():
        bodies.append(current.strip())
    return bodies


def sms_bodies(replies: Sequence[Reply]) -> list[str]:
    """Every reply as SMS bodies, in order: what goes in the ``<Message>`` elements."""
    bodies: list[str] = []
    for reply in replies:
        parts = split_sms(reply_text(reply))
        if reply.kind != "profile" and len(parts) > MAX_BODIES_PER_REPLY:
            parts = [*parts[: MAX_BODIES_PER_REPLY - 1], sms_text("more")]
        bodies += parts
    return join_bodies(bodies)


def join_bodies(bodies: Sequence[str], max_segments: int = MAX_SEGMENTS) -> list[str]:
    """Consecutive bodies joined by a line break wherever the result still fits the segments.

    Several ``<Message>`` elements can arrive in any order, so fewer of them keeps the
    conversation readable: each body carries as much of what comes before it as fits.
    """
    joined: list[str] = []
    for body in bodies:
        if joined and _fits(f"{joined[-1]}\n{body}", max_segments):
            joined[-1] = f"{joined[-1]}\n{body}"
        else:
            joined.append(body)
    return joined
