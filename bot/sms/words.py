"""The words of the SMS channel: carrier keywords, planbot's SMS keywords and what we answer.

Why here and not in ``dialogues/scripts``: these belong to SMS alone (opt-out rules of phone
networks, web links), and the engine never sees them. They are easy read all the same:
``tests/bot/test_sms_format.py`` runs every one through ``easyread.check_message``.
"""

from __future__ import annotations

import re

# Whole-message keywords, any case. Phone networks and Twilio act on the opt-out and opt-in
# words themselves, so planbot must agree with them (and take them before the engine, which
# would read "stop" as "pause" and "end" as "done").
OPT_OUT = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"})
OPT_IN = frozenset({"start", "unstop"})
OPT_IN_WHEN_OUT = frozenset({"yes"})  # only means "opt in" for a number that opted out
HELP = frozenset({"help", "info"})
PROFILE = frozenset({"profile"})
STOP_LINK = frozenset({"stop link", "stoplink"})

_EDGES = " \t\r\n.!,;:'\"()"
_SPACES = re.compile(r"\s+")


def keyword(text: str) -> str | None:
    """The keyword this whole message is ("opt_out", "opt_in", "help", ...), or None.

    Generous on purpose: "Stop!" and " stop " count. Counting too many messages as STOP only
    means planbot goes quiet when Twilio might not have; counting too few would mean writing
    to someone who asked us not to.
    """
    said = _SPACES.sub(" ", text.strip(_EDGES).casefold())
    if len(said) > 20:
        return None
    for name, words in (
        ("opt_out", OPT_OUT),
        ("opt_in", OPT_IN),
        ("help", HELP),
        ("profile", PROFILE),
        ("stop_link", STOP_LINK),
    ):
        if said in words:
            return name
    if said in OPT_IN_WHEN_OUT:
        return "yes"
    return None


TEXTS: dict[str, str] = {
    "opted_out": (
        "OK. I will not send you any more texts. I have kept your answers. Send START to carry on."
    ),
    "help_what": "This is planbot. I help you make a one-page profile about you.",
    "help_stop": "Send STOP if you want no more texts.",
    "help_new": "Send hello to start.",
    "no_profile": "You do not have a profile yet. Send hello to start.",
    "links_off": "OK. I have turned off the links to your profile. Send PROFILE to get a new link.",
    "more": "There is more. Send PROFILE to see all of it on a web page.",
    "link_not_ready": "Your profile is saved. Send PROFILE to get a link to it.",
    "profile_busy": "Sorry. I cannot make your profile just now. Please try again later.",
    "link_sent": "Here is the link to your profile. It works for {days} days.\n{link}",
    # A profile that comes with a message from the outbox (``Reply.profile_of``).
    "profile_link": "Here is your profile. It is private. The link works for {days} days.\n{link}",
    "review_link": (
        "Here is the review sheet, to take to the meeting. It works for {days} days.\n{link}"
    ),
}


def text(key: str, **values: object) -> str:
    """One of the SMS channel's messages, with its placeholders filled in."""
    return TEXTS[key].format(**values)
