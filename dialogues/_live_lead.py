"""Planning Live, for the facilitator: LIVE starts a group, then NEXT, BACK, BOARD, NUDGE,
WHO, PRACTICE, END and FOLLOW UP run it (``scripts/lead/``).

Why a conversation about nobody: a peer supporter may have a plan of their own, or none.
While they run a group their address talks in the "lead" flow, about nobody (as a supporter
waiting for a yes does), so the group's words never touch a plan; when the session has
ended, their next message goes back to their own plan. Everything the group hears comes
through the outbox, written in the facilitator's transaction: a crash sends all or nothing.

The facilitator sees counts only: never a participant's words.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

import storage
from dialogues import _live as live
from dialogues._live_agenda import LIVE_FLOW, PRACTICE_FLOW, agenda, topic
from dialogues._live_board import Board, board_of, first_name
from dialogues._messages import Reply
from dialogues._script import Step, read_data, scripts_folder
from dialogues._together import code_key, talk_about_nobody
from dialogues._turn_base import MAX_NAME_CHARS, TurnBase
from dialogues._understand import bullet_lines, normalise
from planbot.errors import ScriptError
from storage import LiveGroup

LEAD_FLOW = "lead"
MAX_FOLLOW_UP_DAYS = 90


@cache
def _words() -> tuple[dict[str, frozenset[str]], dict[str, tuple[str, ...]]]:
    """The facilitator's words, and the ones followed by a number of days."""
    where = "lead/words.toml"
    raw = read_data(scripts_folder().joinpath(where), where)
    try:
        whole = {k: frozenset(normalise(w) for w in v) for k, v in raw["facilitator"].items()}
        args = {k: tuple(normalise(w) for w in v) for k, v in raw["facilitator_args"].items()}
    except (KeyError, TypeError) as exc:
        raise ScriptError(f"{where}: {exc}") from exc
    return whole, args


def facilitator_word(text: str) -> tuple[str, str] | None:
    """The facilitator's word this whole message is ("next"), with what follows one that
    takes a number ("follow up 21" is ("follow_up", "21"))."""
    said = normalise(text)
    whole, args = _words()
    for name, words in whole.items():
        if said in words:
            return name, ""
    for name, starts in args.items():
        for start in sorted(starts, key=len, reverse=True):
            if said.startswith(f"{start} "):
                return name, said.removeprefix(f"{start} ").strip()
            if said == start:
                return name, ""
    return None


# --- LIVE ----------------------------------------------------------------------------------


def start(turn: TurnBase) -> None:
    """LIVE: a new group, named next. One group at a time from one address."""
    ctx = turn.ctx
    session, address = ctx.session, ctx.address
    led = storage.live.group_led_by(session, address)
    if led is not None and led.status == storage.live.OPEN:
        turn.say(turn.msg(_by_channel(turn, "live_busy")))
        return
    storage.live.start_group(session, address, ctx.now)
    talk_about_nobody(turn, LEAD_FLOW)
    turn.say(turn.msg("live_start"))
    turn.ask(first_time=True)


def lead_turn(turn: TurnBase) -> None:
    """A message from a facilitator's conversation: the group's name, a word, or after the
    session, FOLLOW UP (anything else goes back to their own plan)."""
    ctx = turn.ctx
    group = storage.live.group_led_by(ctx.session, ctx.address)
    step = turn.current_step()
    role = step.role if step is not None else ""
    if role == "group_name" and group is not None:
        _name(turn, group)
    elif role == "lead_running" and group is not None and group.status == storage.live.OPEN:
        _run(turn, group)
    else:
        _after(turn)


def _name(turn: TurnBase, group: LiveGroup) -> None:
    ctx = turn.ctx
    text = ctx.text.strip()
    command = turn.said_command
    if command is not None and command[0] in ("help", "repeat"):
        turn.ask()
        return
    if not text or len(text) > MAX_NAME_CHARS or turn.words.is_confused(text):
        turn.ask(reword=True)
        return
    code = storage.live.name_group(
        ctx.session, group, _without_group(text), key=code_key(turn), now=ctx.now
    )
    turn.say(_ready(turn, code))
    turn.say(turn.msg("live_code_rules", most=storage.live.MAX_PARTICIPANTS))
    turn.say(turn.msg(_by_channel(turn, "live_lead_help")))
    turn.state = "running"


def _without_group(name: str) -> str:
    """ "Redcar group" is kept as "Redcar": the messages say "the Redcar group"."""
    words = name.split()
    if len(words) > 1 and normalise(words[-1]) == "group":
        return " ".join(words[:-1])
    return name


def _ready(turn: TurnBase, code: str) -> str:
    """Where people send the code: this channel's words, and the other channel's too when
    planbot runs both ("both when both channels are on")."""
    settings = turn.engine.settings
    channel = turn.ctx.address.channel
    sms_on = bool(settings.twilio_from_number)
    telegram_on = bool(settings.telegram_bot_token)
    if channel == "sms":
        key = "live_ready_sms_and_telegram" if telegram_on else "live_ready_sms"
    elif channel == "telegram":
        key = "live_ready_telegram_and_sms" if sms_on else "live_ready_telegram"
    else:
        key = "live_ready"
    return turn.msg(key, code=code, number=settings.twilio_from_number or "")


def _by_channel(turn: TurnBase, key: str) -> str:
    """SMS has its own words where a word would stop texts: Twilio takes END as STOP."""
    return f"{key}_sms" if turn.ctx.address.channel == "sms" else key


def _run(turn: TurnBase, group: LiveGroup) -> None:
    said = facilitator_word(turn.ctx.text)
    name = said[0] if said is not None else ""
    if name == "follow_up":
        _follow_up(turn, group, said[1] if said else "")
        return
    action = {
        "next": _next,
        "back": _back,
        "board": _board,
        "nudge": _nudge,
        "who": _who,
        "practice": _practice,
        "end": _end,
    }.get(name)
    if action is None:
        turn.say(turn.msg(_by_channel(turn, "live_lead_help")))
        return
    action(turn, group)


def _after(turn: TurnBase) -> None:
    """The session has ended: FOLLOW UP moves the next session; anything else closes the
    facilitator's conversation (their next message goes to their own plan, if any)."""
    ctx = turn.ctx
    said = facilitator_word(ctx.text)
    group = storage.live.last_ended_group(ctx.session, ctx.address)
    if said is not None and said[0] == "follow_up" and group is not None:
        _follow_up(turn, group, said[1])
        return
    storage.delete_conversation(ctx.session, turn.conv)
    ctx.conversation = None
    if storage.people_for_address(ctx.session, ctx.address):
        turn.say(turn.msg("live_lead_closed"))
    else:
        ctx.address_removed = storage.delete_address_if_unused(ctx.session, ctx.address)
        turn.say(turn.msg("live_lead_new"))


# --- moving the group ----------------------------------------------------------------------


def _people(turn: TurnBase, count: int) -> str:
    return turn.msg("live_one_person") if count == 1 else turn.msg("live_people", count=count)


def _send_topic(turn: TurnBase, group: LiveGroup, number: int) -> int:
    """Everyone in the group to topic ``number``: their conversation at its first question,
    and the question in the outbox (a question still waiting to go is not sent as well)."""
    now = topic(number)
    assert now is not None
    storage.live.set_topic(group, number, practice=False, now=turn.ctx.now)
    storage.withdraw(turn.ctx.session, _questions(group))
    step = turn.engine.flows[LIVE_FLOW].script.step(now.steps[0])
    intro = live.topic_line(turn, now)
    everyone = live.participants(turn, group, allies=True)
    asked = [who for who in everyone if _ask(turn, who, LIVE_FLOW, step, intro, group)]
    return sum(not who.ally for who in asked)


def _questions(group: LiveGroup) -> str:
    """What the outbox tags the group's questions with, so a newer one withdraws them."""
    return f"live:{group.id}:topic"


def _ask(
    turn: TurnBase, who: live.Participant, flow: str, step: Step, intro: str, group: LiveGroup
) -> bool:
    """One person's conversation to ``step`` of ``flow``, and its question in the outbox
    (nothing for someone who texted STOP); True when it was queued."""
    live.move(turn, who, flow, step.id)
    if not who.reachable:
        return False
    question = live.question_for(turn, step, who.person, intro, other=who.ally)
    turn.ctx.replies.append(live.send_to(who, question, _questions(group)))
    return True


def _topic_sent(turn: TurnBase, number: int, count: int) -> None:
    now = topic(number)
    assert now is not None
    people = _people(turn, count)
    total = len(agenda())
    turn.say(turn.msg("live_sent", number=number, total=total, people=people, title=now.title))
    if number == total:
        turn.say(turn.msg(_by_channel(turn, "live_last_sent")))


def _next(turn: TurnBase, group: LiveGroup) -> None:
    if group.practice or group.topic == 0:
        number = 1
    elif group.topic >= len(agenda()):
        turn.say(turn.msg(_by_channel(turn, "live_no_more")))
        return
    else:
        number = group.topic + 1
    _topic_sent(turn, number, _send_topic(turn, group, number))


def _back(turn: TurnBase, group: LiveGroup) -> None:
    if group.practice or group.topic <= 1:
        turn.say(turn.msg("live_no_back"))
        return
    number = group.topic - 1
    _topic_sent(turn, number, _send_topic(turn, group, number))


def _practice(turn: TurnBase, group: LiveGroup) -> None:
    """Everyone practises on Helen first: before the first topic only."""
    if group.topic > 0:
        turn.say(turn.msg("live_practice_late"))
        return
    storage.live.set_topic(group, 0, practice=True, now=turn.ctx.now)
    step = turn.engine.flows[PRACTICE_FLOW].script.steps[0]
    storage.withdraw(turn.ctx.session, _questions(group))
    intro = turn.msg("live_practice_intro")
    everyone = live.participants(turn, group)
    sent = sum(_ask(turn, who, PRACTICE_FLOW, step, intro, group) for who in everyone)
    turn.say(turn.msg("live_practice_sent", people=_people(turn, sent)))


def _nudge(turn: TurnBase, group: LiveGroup) -> None:
    """A kind reminder to each participant who has said nothing in this topic yet."""
    now = topic(group.topic)
    if now is None and not group.practice:
        turn.say(turn.msg("live_not_started"))
        return
    session = turn.ctx.session
    # Said in this session (not only since the last NEXT: after BACK and NEXT, what they
    # said the first time round counts).
    since = group.created_at
    practised = storage.live.practice_counts(session, group) if group.practice else {}
    flow = PRACTICE_FLOW if group.practice else LIVE_FLOW
    script = turn.engine.flows[flow].script
    steps = tuple(s.id for s in script.steps if s.role == "practice") if group.practice else ()
    steps = steps or (now.steps if now is not None else ())
    sent = 0
    for who in live.participants(turn, group):
        if not who.reachable:
            continue
        if group.practice:
            quiet = not practised.get(who.member.id or 0)
        else:
            assert who.person.id is not None
            quiet = not storage.live.answers_since(session, who.person.id, steps, since)
        if not quiet:
            continue
        sent += _ask(turn, who, flow, script.step(steps[0]), turn.msg("live_nudge"), group)
    if sent:
        turn.say(turn.msg("live_nudged", people=_people(turn, sent)))
    else:
        turn.say(turn.msg("live_nudge_nobody"))


# --- seeing the group ----------------------------------------------------------------------


def _board(turn: TurnBase, group: LiveGroup) -> None:
    ctx = turn.ctx
    board = board_of(ctx.session, group, turn.msg("live_no_name"))
    turn.say(board_text(turn, board))
    public = (turn.engine.settings.public_url or "").rstrip("/")
    if public:
        token = storage.live.new_board_token(ctx.session, group, ctx.now)
        link = f"{public}/live/{token}"
        turn.say(turn.msg("live_board_link", hours=storage.live.BOARD_HOURS, link=link))


def board_text(turn: TurnBase, board: Board) -> str:
    """The board as a message: where the group is, then one line for each person."""
    if board.practice:
        lines = [turn.msg("live_board_practice", group=board.group)]
    elif board.topic == 0:
        lines = [turn.msg("live_board_not_started", group=board.group)]
    else:
        title = board.titles[board.topic - 1]
        lines = [
            turn.msg(
                "live_board_topic",
                group=board.group,
                number=board.topic,
                total=board.total,
                title=title,
            )
        ]
    if not board.rows:
        lines.append(turn.msg("live_board_empty"))
    else:
        lines.append(turn.msg("live_board_counts"))
        shown = max(board.topic, 1)
        for row in board.rows:
            counts = ", ".join(str(c) for c in row.counts[:shown])
            help_mark = f" ({turn.msg('live_board_help')})" if row.help else ""
            lines.append(f"- {row.name}: {counts}{help_mark}")
    if board.joining:
        lines.append(turn.msg("live_board_joining", people=_people(turn, board.joining)))
    return "\n".join(lines)


def _who(turn: TurnBase, group: LiveGroup) -> None:
    """Who is in the group and with whom (first names; allies by the name they gave)."""
    session = turn.ctx.session
    found = storage.live.members(session, group)
    people = storage.live.people_by_id(session, storage.live.person_ids_of(found))
    allies: dict[int, list[str]] = {}
    for member in found:
        if member.role != storage.live.ALLY or member.person_id is None:
            continue
        person = people.get(member.person_id)
        address = session.get(storage.Address, member.address_id)
        access = storage.access_of(session, person, address) if person and address else None
        if access is not None and access.name:
            allies.setdefault(member.person_id, []).append(access.name)
    lines = []
    for member in found:
        if member.role != storage.live.PARTICIPANT:
            continue
        person = people.get(member.person_id or 0)
        if person is None:
            lines.append(turn.msg("live_who_joining"))
            continue
        name = first_name(storage.person_name(person)) or turn.msg("live_no_name")
        helpers = allies.get(member.person_id or 0)
        if helpers:
            name = turn.msg("live_who_with", name=name, allies=" and ".join(helpers))
        lines.append(name)
    if not lines:
        turn.say(turn.msg("live_board_empty"))
        return
    heading = turn.msg("live_who", group=storage.live.group_name(group))
    turn.say(f"{heading}\n{bullet_lines(lines)}")


# --- the end, and the next session -----------------------------------------------------------


def _end(turn: TurnBase, group: LiveGroup) -> None:
    """Each participant gets their profile and action list; the facilitator a summary in
    counts; a follow-up session in 14 days (or as FOLLOW UP said), with reminders."""
    ctx = turn.ctx
    session = ctx.session
    board = board_of(session, group, turn.msg("live_no_name"))
    everyone = live.participants(turn, group, allies=True)
    days = _days_until(group, ctx.now)
    name = storage.live.group_name(group)
    storage.withdraw(session, _questions(group))
    for who in everyone:
        live.back_to_profile(turn, who.conv)
        storage.save_conversation(session, who.conv, ctx.now)
        if who.ally:  # the profile is the person's to share: the ally is thanked
            helped = storage.person_name(who.person) or turn.msg("unnamed_person")
            reply = Reply(turn.msg("live_end_ally", group=name, name=helped))
        else:
            reply = Reply(_end_words(turn, who, name), kind="profile", profile_of=who.person.id)
        ctx.replies.append(live.send_to(who, reply, f"live:{group.id}:end"))
    everyone = [who for who in everyone if not who.ally]
    storage.live.end_group(session, group, ctx.now, days)
    _remind(turn, group, everyone)
    said = sum(sum(r.counts) for r in board.rows)
    things = turn.msg("live_one_thing") if said == 1 else turn.msg("live_things", count=said)
    asked = sum(r.help for r in board.rows)
    turn.say(
        turn.msg(
            "live_ended",
            people=_people(turn, len(everyone)),
            things=things,
            helped=_people(turn, asked) if asked else turn.msg("live_nobody"),
            date=_date(group.follow_up_at),
        )
    )
    turn.say(turn.msg("live_follow_up_how"))
    turn.state = "ended"


def _days_until(group: LiveGroup, now: datetime) -> int:
    """Days to the follow-up: FOLLOW UP's, when said during the session, else 14."""
    if group.follow_up_at is None:
        return storage.live.FOLLOW_UP_DAYS
    return max(1, round((storage.as_utc(group.follow_up_at) - now) / timedelta(days=1)))


def _end_words(turn: TurnBase, who: live.Participant, group: str) -> str:
    """ "The session has ended", and the participant's own action list (their words, to
    them only)."""
    lines = [turn.msg("live_end_participant", group=group)]
    actions = [
        a.text
        for a in storage.answers_for(turn.ctx.session, who.person, "actions")
        if a.status == storage.ANSWER and a.consent != storage.DECLINED and a.kind != "voice"
    ]
    if actions:
        lines += [turn.msg("live_end_actions"), bullet_lines(actions)]
    lines.append(turn.msg("live_end_profile"))
    return "\n".join(lines)


def _remind(turn: TurnBase, group: LiveGroup, everyone: list[live.Participant]) -> None:
    """A reminder to each participant the day before the follow-up (the outbox keeps it;
    it is sent once, even after a restart, and never to someone who opted out)."""
    if group.follow_up_at is None:
        return
    at = storage.as_utc(group.follow_up_at)
    due = max(at - timedelta(days=1), turn.ctx.now)
    about = f"live:{group.id}:reminder"
    name = storage.live.group_name(group)
    text = turn.msg("live_reminder", group=name, date=_date(at))
    for who in everyone:
        turn.ctx.replies.append(live.send_to(who, Reply(text), about, due=due))


def _follow_up(turn: TurnBase, group: LiveGroup, words: str) -> None:
    """FOLLOW UP 21: the next session in 21 days (reminders moved with it)."""
    ctx = turn.ctx
    if not (words.isascii() and words.isdecimal()) or not 1 <= int(words) <= MAX_FOLLOW_UP_DAYS:
        turn.say(turn.msg("live_follow_up_bad", most=MAX_FOLLOW_UP_DAYS))
        return
    storage.live.set_follow_up(ctx.session, group, ctx.now + timedelta(days=int(words)))
    if group.status == storage.live.ENDED:
        storage.withdraw(ctx.session, f"live:{group.id}:reminder")
        _remind(turn, group, _ended_participants(turn, group))
    turn.say(turn.msg("live_follow_up_set", date=_date(group.follow_up_at)))


def _ended_participants(turn: TurnBase, group: LiveGroup) -> list[live.Participant]:
    """The participants of a group that has ended (their plans are back in the profile)."""
    return live.with_plans(turn, storage.live.participants_with_plans(turn.ctx.session, group))


def _date(at: datetime | None) -> str:
    """ "Friday 18 December": a day people can put on a calendar."""
    if at is None:
        return ""
    at = storage.as_utc(at)
    return f"{at:%A} {at.day} {at:%B}"
