"""Hostile strings a person (or an attacker with a phone) might type, and a tally of fuzz cases.

Why one table: every place that shows what a person typed (the web pages, the PDF, TwiML,
Telegram) is tested with the very same strings, so a new trick added here is tried everywhere.
Each string is something planbot must keep as words, never run as markup or code.

The tally counts the generated cases the fuzz tests sent and the server errors (5xx) they met;
``pytest`` prints it at the end of a run (tests/conftest.py), for the figures in a report.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

HOSTILE: dict[str, str] = {
    "html": "<b>bold</b> & <i>it</i> <!-- c --> &amp;",
    "script": "<script>alert('x')</script><img src=x onerror=alert(1)>",
    "attribute": "\"><svg onload=alert(1)> ' onmouseover='x",
    "jinja expression": "{{7*7}} {{ config }}",
    "jinja statement": "{% for x in range(3) %}{{x}}{% endfor %} {# note #}",
    "twiml": "</Message><Redirect>http://evil.example.org</Redirect><Message>",
    "xml entity": '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]>&e;',
    "right-to-left override": "\u202egnimmiws\u202c swimming",
    "isolates": "\u2066left\u2069 \u2067right\u2069 \u2068first\u2069",
    "zero-width": "sw\u200bim\u200cmi\u200dng\ufeff\u2060",
    "nul and controls": "sw\x00imm\x07ing\x1b[31m red\x7f",
    "not xml": "swim\ufffeming\uffff \x0b\x0c",
    "markdown": "*bold* _it_ `code` [link](http://evil.example.org) ~~x~~",
    "sql": "'); DROP TABLE answer; --",
    "right-to-left words": "أحمد يحب السباحة",
}

# The characters planbot never keeps (engine.clean_text drops them as it stores a message):
# controls (but new lines and tabs), the bidirectional overrides and isolates, noncharacters.
DROPPED = frozenset(
    [chr(c) for c in range(0x20) if chr(c) not in "\n\t"]
    + [chr(c) for c in range(0x7F, 0xA0)]
    + list("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufffe\uffff")
)


@dataclass
class Tally:
    """Fuzz cases sent and 5xx answers met, by test, for the summary at the end of a run."""

    cases: dict[str, int]
    server_errors: dict[str, int]

    def add(self, test: str, status: int | None = None) -> None:
        self.cases[test] = self.cases.get(test, 0) + 1
        if status is not None and status >= 500:
            self.server_errors[test] = self.server_errors.get(test, 0) + 1

    def lines(self) -> list[str]:
        total = sum(self.cases.values())
        errors = sum(self.server_errors.values())
        out = [f"{n:6d}  {test}" for test, n in sorted(self.cases.items())]
        return [*out, f"fuzz cases run: {total}; server errors (5xx) met: {errors}"]


TALLY = Tally({}, {})


def examples(default: int) -> int:
    """How many examples a fuzz test makes: modest by default, so the suite stays fast; to
    search harder for one run, ``PLANBOT_FUZZ_EXAMPLES=500 .venv/bin/python -m pytest ...``."""
    return int(os.environ.get("PLANBOT_FUZZ_EXAMPLES", default))
