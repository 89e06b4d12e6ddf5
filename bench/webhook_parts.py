"""What the SMS webhook's own parts cost, old way and new, in microseconds: the Twilio
signature check, reading the form, and the TwiML reply.

Run: ``.venv/bin/python bench/webhook_parts.py`` (``--number 20000`` for steadier figures).
Both ways run in this one process, on the form Twilio posts for a text (about 10 fields) and
a typical two-text reply, timed with ``timeit`` (the best of 5 repeats):

- *signature*: twilio's ``RequestValidator.validate`` (two HMACs, the URL parsed twice) and
  ``bot.sms.signature.is_signed`` (one HMAC, for the URL as configured), on a request that
  passes; and ``is_signed`` on a request signed with the port (the fallback: two HMACs).
- *form*: ``urllib.parse.parse_qsl`` (as the app read forms before) and
  ``bot.web.body.form_pairs``, on the URL-encoded body of that form.
- *TwiML*: twilio's ``MessagingResponse`` and ``bot.web.app.twiml`` (escaped strings).

The tests (tests/bot/test_webhook_parts.py) check that both ways give the same answers.
"""

from __future__ import annotations

import argparse
import sys
import timeit
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from starlette.datastructures import ImmutableMultiDict  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402
from twilio.twiml.messaging_response import MessagingResponse  # noqa: E402

from bot.sms.signature import is_signed  # noqa: E402
from bot.web.app import MAX_FORM_FIELDS, twiml  # noqa: E402
from bot.web.body import form_pairs  # noqa: E402
from tests.auxil.twilio import AUTH_TOKEN, PUBLIC_URL, sign, sms_form  # noqa: E402

URL = PUBLIC_URL + "/sms"
BODIES = [
    "Thank you. I wrote that down: going swimming on Saturdays & the <big> pool.",
    "What do you like doing at home?\nReply with a few words, or DONE to go on.",
]


def old_twiml(bodies: list[str]) -> str:
    response = MessagingResponse()
    for body in bodies:
        response.message(body)
    return str(response.to_xml())


def micro(work: Callable[[], object], number: int) -> float:
    """Microseconds per call: the best of 5 repeats."""
    return min(timeit.repeat(work, number=number, repeat=5)) / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--number", type=int, default=5000, help="calls per repeat")
    args = parser.parse_args()
    form = ImmutableMultiDict(sms_form("+447700900123", "going swimming on Saturdays"))
    good = sign(URL, dict(form))
    with_port = sign(PUBLIC_URL + ":443/sms", dict(form))
    assert RequestValidator(AUTH_TOKEN).validate(URL, form, good)
    assert is_signed(AUTH_TOKEN, URL, form.multi_items(), good)
    assert is_signed(AUTH_TOKEN, URL, form.multi_items(), with_port)
    assert twiml(BODIES) == old_twiml(BODIES)
    body = urlencode(list(form.multi_items()))
    assert form_pairs(body, MAX_FORM_FIELDS) == parse_qsl(body, keep_blank_values=True)

    rows = [
        (
            "signature check",
            micro(lambda: RequestValidator(AUTH_TOKEN).validate(URL, form, good), args.number),
            micro(lambda: is_signed(AUTH_TOKEN, URL, form.multi_items(), good), args.number),
        ),
        (
            "  signed with :443",
            micro(lambda: RequestValidator(AUTH_TOKEN).validate(URL, form, with_port), args.number),
            micro(lambda: is_signed(AUTH_TOKEN, URL, form.multi_items(), with_port), args.number),
        ),
        (
            "form, read",
            micro(lambda: parse_qsl(body, keep_blank_values=True, errors="replace"), args.number),
            micro(lambda: form_pairs(body, MAX_FORM_FIELDS), args.number),
        ),
        (
            "TwiML, 2 texts",
            micro(lambda: old_twiml(BODIES), args.number),
            micro(lambda: twiml(BODIES), args.number),
        ),
    ]
    print(f"{'µs per call':20} {'before':>8} {'planbot':>8} {'ratio':>6}")
    for name, old, new in rows:
        print(f"{name:20} {old:8.2f} {new:8.2f} {old / new:5.1f}x")


if __name__ == "__main__":
    main()
