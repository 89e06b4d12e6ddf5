"""The Planning Live board page behind ``/live/<token>``: how a group is doing, on a phone.

The facilitator says BOARD in chat and gets a private link (``storage.live.new_board_token``).
The page shows what the chat board shows (``dialogues.board_of``): where the group is ("Topic 2
of 6: A good day and a bad day", "Practice time", "Not started yet"), a card for each
participant with their first name, how many things they said in each topic so far, and a clear
"Asked for help" mark, and how many people are still joining.

Why it is built like this:

- Counts only. The board never reads anyone's words (``board_of`` counts answers in the
  database), so a facilitator can show it to the room without showing anybody's plan.
- It updates itself with ``<meta http-equiv="refresh">`` and no script at all: the page
  policy (``bot/web/hardening.py``) forbids every script, and a refresh is not a script.
  Once the link stops working (12 hours, a newer BOARD, or the session's end) the next
  refresh gets the 404 page, which does not refresh: the page stops itself.
- The same door as the profile pages (``bot/web/pages.py``): the client is counted before the
  look-up, the link only once it opens, a wrong, old or replaced token gets the very same 404
  page, and every answer asks not to be cached, indexed or passed on as a referrer. At one
  refresh every 15 seconds a board on 2 phones uses 8 of a link's 30 views a minute.
- A phone first, easy-read layout: one card per person (no table to pinch and scroll), text
  of 20 CSS pixels, dark on white, a picture on the left of each idea, bold for what matters.
- Everything people typed (the group's name, first names) goes through Jinja's autoescape,
  like the profile page, each name in its own ``<bdi>`` so right-to-left names cannot
  reorder the words beside them.
- Made in line, not in a render's child process: it is a few kilobytes of text and 3 cached
  pictures, and the database work around it costs more.
- Nothing is logged: a log line with the token would be a key to the board.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Protocol, TypeVar

import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import Response

import storage
from bot._limits import RateLimits
from bot.web import pages
from dialogues import Board, board_of
from easyread.icons import (
    OPENMOJI_CREDIT,
    OPENMOJI_LICENCE_NAME,
    OPENMOJI_LICENCE_URL,
    OPENMOJI_URL,
    icon_data_uri,
)

T = TypeVar("T")
REFRESH_SECONDS = 15
PATH = "/live/{token}"
# OpenMoji pictures: the group's place in the agenda, a person, a raised hand.
ICONS = {"where": "1F4CB", "person": "1F464", "help": "1F64B", "joining": "23F3"}


class Runner(Protocol):
    """Runs database work the way the app does (``bot.web.app._Runner``)."""

    async def db(self, work: Callable[..., T], *args: Any) -> T: ...


@dataclass(frozen=True)
class TopicCount:
    """One topic on a person's card: "Topic 1: All about me", "2 things"."""

    number: int
    title: str
    things: str
    now: bool  # the topic the group is on (drawn stronger)


@dataclass(frozen=True)
class Card:
    """One participant's card: first name, a topic line each so far, and a call for help."""

    name: str
    help: bool
    topics: tuple[TopicCount, ...]


def things(count: int) -> str:
    """ "1 thing", "3 things": digits, as easy read asks."""
    return f"{count} thing" if count == 1 else f"{count} things"


def people(count: int) -> str:
    return f"{count} person" if count == 1 else f"{count} people"


def where_now(board: Board) -> str:
    """Where the group is: "Topic 2 of 6: A good day and a bad day", "Practice time" or
    "Not started yet" (the same three the chat board says)."""
    if board.practice:
        return "Practice time"
    if 1 <= board.topic <= len(board.titles):
        return f"Topic {board.topic} of {board.total}: {board.titles[board.topic - 1]}"
    return "Not started yet"


def cards(board: Board) -> tuple[Card, ...]:
    """A card for each participant, with topics 1 to the one the group is on (later topics
    are all 0 and would only push the one that matters down the screen)."""
    shown = 0 if board.practice else max(0, min(board.topic, len(board.titles)))
    return tuple(
        Card(
            name=row.name,
            help=row.help,
            topics=tuple(
                TopicCount(n, board.titles[n - 1], things(row.counts[n - 1]), n == shown)
                for n in range(1, shown + 1)
                if n - 1 < len(row.counts)
            ),
        )
        for row in board.rows
    )


TEMPLATE = """\
<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="{{ refresh }}">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<title>{{ title }}</title>
<style>
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
*{box-sizing:border-box}
body{font-family:Arial,Helvetica,sans-serif;font-size:20px;line-height:1.5;color:#111;
background:#fff;margin:0 auto;padding:16px;max-width:40em;overflow-wrap:break-word}
h1{font-size:30px;line-height:1.25;margin:0 0 12px;color:#0b2e59}
h2{font-size:24px;line-height:1.3;margin:24px 0 12px;color:#0b2e59}
h3{font-size:24px;line-height:1.3;margin:0}
p{margin:0 0 12px}
ul{list-style:none;margin:0;padding:0}
img{flex:none}
.row{display:flex;align-items:center;gap:12px}
.row>*{min-width:0}
.where{font-size:24px;background:#fff3b0;border:3px solid #111;border-radius:8px;padding:12px;
margin:0 0 12px}
.card{border:3px solid #0b2e59;border-radius:8px;padding:12px;margin:0 0 16px}
.card li{border-top:2px solid #ccc;padding:8px 0}
.card li.now{border-top:4px solid #0b2e59}
.count{display:block;font-size:24px}
.help{background:#fff3b0;border:3px solid #111;border-radius:8px;padding:8px;margin:12px 0;
font-weight:bold}
.help-box{background:#fff3b0;border:3px solid #111;border-radius:8px;padding:12px;margin:0 0 16px}
.help-box h2{margin:0}
.help-box li{font-weight:bold}
footer{margin-top:32px;font-size:18px;color:#333}
a{color:#0b2e59}
</style>
</head>
<body>
<header>
<h1><bdi>{{ group }}</bdi>: the board</h1>
<div class="row where"><img src="{{ icons.where }}" alt="" width="48" height="48">
<p><strong>{{ where }}</strong></p></div>
<p>This page updates every {{ refresh }} seconds.</p>
</header>
<main>
{% if asked %}
<section class="row help-box" aria-labelledby="asked">
<img src="{{ icons.help }}" alt="" width="56" height="56">
<div>
<h2 id="asked">Asked for help</h2>
<ul>
{% for name in asked %}
<li><bdi>{{ name }}</bdi></li>
{% endfor %}
</ul>
</div>
</section>
{% endif %}
<h2 id="people">How many things each person said</h2>
{% if not started %}
<p>You will see numbers when topic 1 starts.</p>
{% endif %}
{% for card in cards %}
<section class="card" aria-labelledby="person-{{ loop.index }}">
<div class="row"><img src="{{ icons.person }}" alt="" width="48" height="48">
<h3 id="person-{{ loop.index }}"><bdi>{{ card.name }}</bdi></h3></div>
{% if card.help %}
<p class="row help"><img src="{{ icons.help }}" alt="" width="40" height="40">
<span>Asked for help</span></p>
{% endif %}
{% if card.topics %}
<ul>
{% for topic in card.topics %}
<li{% if topic.now %} class="now"{% endif %}>Topic {{ topic.number }}: {{ topic.title }}
<strong class="count">{{ topic.things }}</strong></li>
{% endfor %}
</ul>
{% endif %}
</section>
{% else %}
<p>Nobody has joined yet.</p>
{% endfor %}
{% if joining %}
<p class="row"><img src="{{ icons.joining }}" alt="" width="48" height="48">
<strong>Still joining: {{ joining }}</strong></p>
{% endif %}
</main>
<footer>
<p><a href="{{ openmoji_url }}">{{ credit }}</a></p>
<p>The licence: <a href="{{ licence_url }}">{{ licence }}</a></p>
</footer>
</body>
</html>
"""


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.from_string(TEMPLATE)


@cache
def _icons() -> dict[str, str]:
    return {key: icon_data_uri(code) for key, code in ICONS.items()}


def render_board(board: Board, refresh: int = REFRESH_SECONDS) -> str:
    """The board as one self-contained HTML page (styles and pictures inside it)."""
    group = board.group or "Your group"
    context = {
        "title": f"{group}: the board",
        "group": group,
        "where": where_now(board),
        "started": not board.practice and board.topic > 0,
        "cards": cards(board),
        "asked": [row.name for row in board.rows if row.help],
        "joining": people(board.joining) if board.joining else "",
        "refresh": refresh,
        "icons": _icons(),
        "openmoji_url": OPENMOJI_URL,
        "credit": OPENMOJI_CREDIT,
        "licence": OPENMOJI_LICENCE_NAME,
        "licence_url": OPENMOJI_LICENCE_URL,
    }
    return _template().render(context)


def load_board(db: storage.Database, token: str, now: datetime, unnamed: str) -> Board | None:
    """The board a token opens now, or None (a wrong, expired or replaced token, or a session
    that ended). ``unnamed``: the word for a participant with no name yet."""
    if not pages.TOKEN_PATTERN.match(token):
        return None
    with db.transaction() as session:
        group = storage.live.group_for_board(session, token, now)
        if group is None:
            return None
        return board_of(session, group, unnamed)


def add_route(
    app: FastAPI,
    *,
    db: storage.Database,
    run: Runner,
    limits: RateLimits,
    clock: Callable[[], datetime],
    unnamed: str,
    too_many: Callable[[int], Response],
) -> None:
    """``GET /live/<token>`` on ``app``, behind the same limits as the profile pages."""

    @app.get(PATH)
    async def live_board(token: str, request: Request) -> Response:
        wait = await run.db(limits.client, request.client.host if request.client else None)
        if wait:
            return too_many(wait)
        board = await run.db(load_board, db, token, clock(), unnamed)
        if board is None:
            return pages.not_found()
        wait = await run.db(limits.link, token)
        if wait:
            return too_many(wait)
        return Response(
            render_board(board), media_type=pages.FORMATS["html"], headers=pages.PRIVATE_HEADERS
        )
