"""Planning together, in a turn: joining with a code, the holder's "Is that OK?", and telling
a removed supporter.

Why here and not in a step: these happen whatever question a conversation is at. A code works
as the whole message at any time ("JOIN 482913", even as someone's very first message); a
supporter who was removed is told at their next message, whatever they send; and the holder's
conversation answers a waiting request before anything else.

How the holder is asked (a pending question): the supporter's turn writes the question to the
holder's outbox. At the holder's next message, a clear yes or no answers it if that message
was sent to them; anything else (or when it was not sent yet) is handled where they were, and
the question comes again after the reply, with the conversation visiting the "approve" flow
(``storage.visit_flow`` keeps where it was). In "approve", a yes or no answers; anything else
goes back to where they were and the question comes again. So a person is never stuck, and
never loses what they said, and the question is asked at every message until it is answered.

Until the holder's yes, the supporter's conversation is about nobody (person_id empty, in the
"join" flow): it can read and add nothing. After the yes their address is linked to the person
and their next message starts the plan at its first topic, with their view ("Sam says").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

import storage
from dialogues._flows import Flows
from dialogues._live import place_ally
from dialogues._machine import FINISHED
from dialogues._messages import Recipient, Reply
from dialogues._script import Step
from dialogues._turn_base import MAX_NAME_CHARS, TurnBase, as_choices
from dialogues._understand import choose_by_number

JOIN_FLOW, APPROVE_FLOW = "join", "approve"
# How a supporter's relation shows in their answers' view (perspective): friends help too.
TYPIST_OF_ROLE = {"family": "family", "friend": "supporter", "supporter": "supporter"}
TYPIST_OF_ROLE |= {"staff": "staff", "other": "other"}


def code_key(turn: TurnBase) -> str:
    """The key of the codes' hash: ``PLANBOT_SECRET_KEY`` (set it in a deployment: without
    it the key is a fixed word, and the hash of a 6-digit code is easy to undo)."""
    return turn.engine.settings.secret_key or "planbot-invite-codes"


def not_the_holder(turn: TurnBase, key: str) -> bool:
    """True (after saying ``key``, "Only Dev can ...", and the question again) when this
    message does not come from the plan's holder: commands about the whole plan are theirs."""
    ctx = turn.ctx
    person = ctx.person
    if person is not None and storage.is_holder(ctx.session, person, ctx.address):
        return False
    turn.say(turn.msg(key, name=holder_of(turn, person).decider))
    turn.ask()
    return True


@dataclass(frozen=True)
class Holder:
    """Whose plan it is and who decides for it: the person, or (for a person who does not
    use a phone) whoever started the plan for them, as Mum holds Amy's plan. Messages about
    the holder's decisions name the decider; messages about the plan name the person."""

    name: str  # the person's
    typist: str | None = None  # who holds the plan for them; None when they hold it

    @property
    def decider(self) -> str:
        return self.typist or self.name

    def key(self, key: str) -> str:
        """The message's form for a plan held by someone else ("..._other")."""
        return f"{key}_other" if self.typist else key

    def words(self) -> dict[str, str]:
        return {"name": self.name, "holder": self.decider}


def holder_of(turn: TurnBase, person: storage.Person | None) -> Holder:
    name = (storage.person_name(person) if person is not None else None) or turn.msg(
        "unnamed_person"
    )
    if person is None:
        return Holder(name)
    return Holder(name, storage.holder_stand_in(turn.ctx.session, person))


# --- before and after a turn ----------------------------------------------------------------


def before_turn(turn: TurnBase) -> bool:
    """Handle the message here when it is about planning together; True when it was."""
    command = turn.said_command
    if command is not None and command[0] == "join":
        join_with_code(turn, command[1])
        return True
    if tell_removed(turn):
        return True
    if turn.ctx.not_theirs is not None:
        not_their_plan(turn, turn.ctx.not_theirs)
        return True
    if turn.conv.flow == JOIN_FLOW:
        answer_join(turn)
        return True
    return holder_answers(turn, command)


def after_turn(turn: TurnBase) -> None:
    """Ask the holder's waiting question after the reply (and keep it as their question); a
    supporter's new thing is asked about through the holder's outbox.

    Not after a reply whose own question is answered with a number (choices, or a thing to
    pick after "change"): "2" would answer both, and a "no" erases what the supporter said.
    It comes after the next reply instead (the holder's message finds it still waiting)."""
    ctx = turn.ctx
    if ctx.new_waiting:
        ask_about_new_item(turn)
        return
    if not ctx.ask_pending or ctx.conversation is None or ctx.person is None:
        return
    if ctx.picking or _asks_with_choices(ctx.replies):
        return
    if turn.conv.flow == APPROVE_FLOW:
        return
    if not storage.is_holder(ctx.session, ctx.person, ctx.address):
        return
    request = first_request(turn)
    if request is None:
        return
    storage.set_state(turn.conv, turn.state)
    approve = turn.engine.flows[APPROVE_FLOW]
    step = approve.script.steps[0]
    storage.visit_flow(turn.conv, APPROVE_FLOW, approve.version, step.id)
    turn.use_conversation(turn.conv)
    turn.ctx.replies.append(question_reply(turn, request, ctx.person))


def _asks_with_choices(replies: Sequence[Reply]) -> bool:
    """The reply to the sender ends with a question of its own that has choices."""
    own = [r for r in replies if r.to is None and r.due is None]
    return bool(own) and own[-1].kind == "ask" and bool(own[-1].choices)


# --- the holder's requests ------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """Something waiting for the holder's yes or no: a supporter who asked to help, or a
    thing a supporter said about the person (one of the two)."""

    access: storage.AccessView | None = None
    item: storage.AnswerView | None = None

    @property
    def about(self) -> str:
        """What the question is about, as the outbox tags it ("item:12", "access:3")."""
        if self.item is not None:
            return f"item:{self.item.id}"
        assert self.access is not None
        return f"access:{self.access.id}"

    @property
    def created_at(self) -> datetime:
        made = self.access or self.item
        assert made is not None
        return made.created_at


_ROLE_WORDS = {
    "family": "approve_family",
    "friend": "approve_friend",
    "supporter": "approve_supporter",
    "staff": "approve_staff",
}
_KNOWS = "approve_knows"  # any other relation


def first_request(turn: TurnBase) -> Request | None:
    """The oldest waiting supporter first, then the oldest waiting thing: one at a time."""
    person = turn.ctx.person
    if person is None:
        return None
    supporters, items = storage.requests_waiting(turn.ctx.session, person)
    if supporters:
        return Request(access=supporters[0])
    return Request(item=items[0]) if items else None


def approve_step(turn: TurnBase) -> Step:
    return turn.engine.flows[APPROVE_FLOW].script.steps[0]


def question_keys(request: Request, holder: Holder) -> tuple[str, ...]:
    """The messages that make the holder's question, in their form for this holder."""
    if request.item is not None:  # "Sam said about you: always on time."
        return holder.key("item_said"), holder.key("item_ask")
    assert request.access is not None
    role_words = _ROLE_WORDS.get(request.access.role, _KNOWS)
    return holder.key(role_words), holder.key("approve_what"), "approve_ask"


def question_text(turn: TurnBase, request: Request, holder: Holder) -> str:
    approve = turn.engine.flows[APPROVE_FLOW].script
    if request.item is not None:
        values = {"supporter": request.item.said_by, "item": request.item.text}
    else:
        assert request.access is not None
        values = {"supporter": request.access.name or turn.msg("unnamed_person")}
    keys = question_keys(request, holder)
    return "\n".join(approve.message(k, name=holder.name, **values) for k in keys)


def question_reply(
    turn: TurnBase, request: Request, person: storage.Person, to: Recipient | None = None
) -> Reply:
    """The holder's question about ``person``'s plan, with its yes and no (a button carries
    "approve" back)."""
    step = approve_step(turn)
    return Reply(
        text=question_text(turn, request, holder_of(turn, person)),
        choices=as_choices(step.choices),
        kind="ask",
        question=step.id,
        to=to,
        about=request.about,
    )


def _reads_yes_no(turn: TurnBase) -> str | None:
    step = approve_step(turn)
    picked = choose_by_number(turn.ctx.text, step.choices)
    if picked is not None:
        return picked.value
    said = turn.engine.flows[APPROVE_FLOW].vocabulary.yes_no(turn.ctx.text, step)
    return said if said in ("yes", "no") else None


def holder_answers(turn: TurnBase, command: tuple[str, str] | None) -> bool:
    """The holder's message, while something waits for their yes or no."""
    ctx = turn.ctx
    visiting = turn.conv.flow == APPROVE_FLOW
    if ctx.person is None or ctx.fresh or ctx.opening:
        return False
    if not visiting and not ctx.person.may_have_requests:  # the hint: nothing waits
        return False
    request = first_request(turn)
    if not visiting and request is None:
        return False
    if not storage.is_holder(ctx.session, ctx.person, ctx.address):
        return False
    said = _reads_yes_no(turn) if command is None or command[0] != "help" else None
    if request is not None and said is not None:
        asked = visiting or storage.asked_by_outbox(ctx.session, ctx.address, request.created_at)
        if asked or ctx.for_question == approve_step(turn).id:
            decide(turn, request, said == "yes")
            return True
    # Not an answer to it: the message goes where the holder was, and the question after it.
    if visiting:
        back_to_where_they_were(turn)
    ctx.ask_pending = request is not None
    if ctx.for_question == approve_step(turn).id:
        ctx.for_question = ""
    return False


def back_to_where_they_were(turn: TurnBase) -> None:
    resume = turn.conv.resume_flow or turn.engine.flows.default.name
    storage.end_visit(turn.conv, turn.engine.flows[resume].version)
    turn.use_conversation(turn.conv)


def decide(turn: TurnBase, request: Request, yes: bool) -> None:
    """The holder's yes or no to a supporter (recorded, the supporter told) or to a thing
    (recorded), and back; the next waiting question, if any."""
    ctx = turn.ctx
    assert ctx.person is not None
    if request.item is not None:
        decide_item(turn, request.item, yes)
    else:
        decide_supporter(turn, request, yes)
    # The question may still wait in the outbox (answered here first): it is not sent now.
    storage.withdraw(ctx.session, request.about)
    if turn.conv.flow == APPROVE_FLOW:
        back_to_where_they_were(turn)
    following = first_request(turn)
    if following is not None:
        ctx.ask_pending = True
        turn.ask()
        return
    approve = turn.engine.flows[APPROVE_FLOW]
    holder = holder_of(turn, ctx.person)
    turn.say(approve.script.message(holder.key("approve_back"), name=holder.name))
    turn.ask()


def decide_item(turn: TurnBase, item: storage.AnswerView, yes: bool) -> None:
    """ "Can this go on your profile?": agreed or declined, and the yes or no recorded."""
    ctx = turn.ctx
    assert ctx.person is not None
    approve = turn.engine.flows[APPROVE_FLOW]
    holder = holder_of(turn, ctx.person)
    storage.set_answer_consent(ctx.session, item.id, storage.AGREED if yes else storage.DECLINED)
    turn.note("agreed" if yes else "declined", item.section)
    record_holder_decision(
        turn,
        storage.ITEM,
        "yes" if yes else "no",
        turn.message_wording(approve, "item", question_keys(Request(item=item), holder)),
        subject_id=item.id,
    )
    said = approve.script.message(holder.key("item_yes" if yes else "item_no"), name=holder.name)
    turn.say(said)
    _tell_item_sayer(turn, item, yes, holder)


def record_holder_decision(
    turn: TurnBase, kind: str, decision: str, wording: str, subject_id: int | None
) -> None:
    """The holder's yes or no (to a supporter, a thing, "just for me"), by whoever is typing
    for the plan: the person, or Mum holding it for them."""
    ctx = turn.ctx
    assert ctx.person is not None
    storage.record_consent(
        ctx.session,
        ctx.person,
        kind,
        decision,
        by=turn.said_by()[0],
        by_role=storage.HOLDER,
        channel=ctx.address.channel,
        wording=wording,
        now=ctx.now,
        subject_id=subject_id,
    )


def _tell_item_sayer(turn: TurnBase, item: storage.AnswerView, yes: bool, holder: Holder) -> None:
    """The supporter who said the thing hears the holder's answer on their own channel. A no
    does not repeat the words: they are deleted."""
    ctx = turn.ctx
    address = storage.conversation_address(ctx.session, item.conversation_id)
    if address is None or address.id == ctx.address.id:
        return
    if yes:
        text = turn.msg(holder.key("item_told_yes"), item=item.text, **holder.words())
    else:
        text = turn.msg("item_told_no", name=holder.decider)
    assert ctx.person is not None and ctx.person.id is not None
    to = Recipient(address.channel, storage.address_text(address))
    ctx.replies.append(Reply(text=text, to=to, about=storage.about_plan(ctx.person.id)))


def ask_about_new_item(turn: TurnBase) -> None:
    """A supporter said something about the person: when nothing else waits before it, the
    holder is asked at once through their outbox (else after the question before it)."""
    ctx = turn.ctx
    if ctx.person is None:
        return
    request = first_request(turn)
    if request is None or request.item is None or request.item.id != ctx.new_waiting[0]:
        return
    holder = storage.holder_address(ctx.session, ctx.person)
    if holder is None or holder.id == ctx.address.id:
        return
    to = Recipient(holder.channel, storage.address_text(holder))
    ctx.replies.append(question_reply(turn, request, ctx.person, to=to))


def decide_supporter(turn: TurnBase, request: Request, yes: bool) -> None:
    """The holder's yes or no to a supporter: recorded, and the supporter told."""
    ctx = turn.ctx
    assert ctx.person is not None and request.access is not None
    session, access = ctx.session, request.access
    who = access.name or turn.msg("unnamed_person")
    holder = holder_of(turn, ctx.person)
    address = storage.access_address(session, access.id)
    approve = turn.engine.flows[APPROVE_FLOW]
    record_holder_decision(
        turn,
        storage.SUPPORTER,
        "yes" if yes else "no",
        turn.message_wording(approve, "supporter", question_keys(request, holder)),
        subject_id=access.id if yes else None,
    )
    if yes:
        storage.approve_access(session, access.id, ctx.now)
        turn.note("let_in", "plan")
        tell = turn.msg(holder.key("join_agreed"), **holder.words())
        said = approve.script.message(holder.key("approve_yes"), supporter=who, name=holder.name)
    else:
        # Nothing of the supporter is kept: not their row, not their address (if it talks
        # for nobody else), and the record of the "no" does not name them.
        storage.cancel_joining(session, access.id)
        if address is not None:
            for conv in [storage.conversation_for(session, address, None)]:
                if conv is not None:
                    storage.delete_conversation(session, conv)
            storage.delete_address_if_unused(session, address)
        tell = turn.msg("join_declined")
        said = approve.script.message(holder.key("approve_no"), supporter=who, name=holder.name)
    turn.say(said)
    if address is not None:
        recipient = Recipient(address.channel, storage.address_text(address))
        about = storage.about_plan(access.person_id)  # not sent if Sam is removed first
        ctx.replies.append(Reply(text=tell, to=recipient, about=about))


# --- joining with a code --------------------------------------------------------------------


def join_with_code(turn: TurnBase, code: str) -> None:
    """ "JOIN 482913": a working code starts the join questions; a wrong one is counted."""
    ctx = turn.ctx
    session, address = ctx.session, ctx.address
    sender = storage.sender_hash(address.lookup, code_key(turn))
    if storage.too_many_wrong(session, sender, ctx.now):
        _say_and_tidy(turn, turn.msg("join_too_many"))
        return
    code = code.replace(" ", "")
    person_id = storage.use_invite_code(session, code, key=code_key(turn), now=ctx.now)
    group = (
        storage.live.group_for_code(session, code, key=code_key(turn))
        if person_id is None and code.isascii() and code.isdecimal()
        else None
    )
    if group is not None:  # one word serves both: this code is a Planning Live group's
        from dialogues._live_join import join_group

        join_group(turn, group)
        return
    if person_id is None:
        storage.note_wrong_code(session, sender, ctx.now)
        key = "join_bad_code" if code.isdecimal() else "join_no_code"
        _say_and_tidy(turn, turn.msg(key))
        return
    person = storage.person_by_id(session, person_id)
    assert person is not None
    holder = holder_of(turn, person)
    if person in storage.people_for_address(session, address):
        turn.say(turn.msg("join_already", name=holder.name))
        return
    storage.start_joining(session, person, address, ctx.now)
    talk_about_nobody(turn, JOIN_FLOW)
    turn.say(turn.msg(holder.key("join_hello"), **holder.words()))
    ask_join(turn)


def talk_about_nobody(turn: TurnBase, flow_name: str) -> None:
    """This address's messages go to a new conversation about nobody, at the first step of
    ``flow_name``: a supporter waiting for a yes, someone joining a Planning Live group, a
    facilitator running one. A hello or an unanswered consent about nobody goes; the plans
    the address talks for stay, and come back when that conversation is over."""
    ctx = turn.ctx
    session, address = ctx.session, ctx.address
    if ctx.fresh or turn.conv.person_id is None:
        storage.delete_conversation(session, turn.conv)
    pending = storage.conversation_for(session, address, None)
    if pending is not None:
        storage.delete_conversation(session, pending)
    storage.set_active_person(session, address, None)
    flow = turn.engine.flows[flow_name]
    conv = storage.new_conversation(
        session, address, None, flow.script.steps[0].id, flow=flow.name, flow_version=flow.version
    )
    ctx.person = None
    turn.use_conversation(conv)


def not_their_plan(turn: TurnBase, name: str) -> None:
    """The channel named a plan this address cannot see (``planbot chat --person Dev`` from
    a supporter's own terminal): how to ask to help, and nothing is linked. A new address is
    not kept; one that talks for other plans gets its own question again."""
    ctx = turn.ctx
    fresh = ctx.fresh
    found = storage.find_people(ctx.session, name)
    holder = holder_of(turn, found[0]) if found else Holder(name)  # who decides: maybe Mum
    words = (
        turn.msg("named_plan_not_yours", name=name, holder=holder.decider),
        turn.msg("named_plan_how", holder=holder.decider),
    )
    _say_and_tidy(turn, "\n".join(words))
    if not fresh and ctx.conversation is not None:
        turn.ask()


def _say_and_tidy(turn: TurnBase, text: str) -> None:
    """Answer a code that did not work; a new address that talks for nobody is not kept."""
    ctx = turn.ctx
    if ctx.fresh and ctx.person is None and ctx.conversation is not None:
        storage.delete_conversation(ctx.session, ctx.conversation)
        ctx.conversation = None
        ctx.address_removed = storage.delete_address_if_unused(ctx.session, ctx.address)
    turn.say(text)


def _joining(turn: TurnBase) -> tuple[storage.AccessView | None, Holder]:
    found = storage.joining_for(turn.ctx.session, turn.ctx.address)
    person = storage.person_by_id(turn.ctx.session, found.person_id) if found else None
    return found, holder_of(turn, person)


def ask_join(turn: TurnBase, reword: bool = False) -> None:
    name = _joining(turn)[1].name  # the join questions name the person
    step = turn.script.step(turn.state)
    question = (step.reword if reword else step.ask).format(name=name)
    choices = as_choices(step.choices) if step.kind != "text" else ()
    turn.say(f"{question}\n{step.example.format(name=name)}", choices, "ask")


def answer_join(turn: TurnBase) -> None:
    """The join questions: OK to keep name and number, the name, how they know the person."""
    ctx = turn.ctx
    found, holder = _joining(turn)
    if found is None:  # the holder said no meanwhile, or the row went: start afresh
        storage.delete_conversation(ctx.session, turn.conv)
        ctx.conversation = None
        ctx.address_removed = storage.delete_address_if_unused(ctx.session, ctx.address)
        turn.say(turn.msg("join_declined"))
        return
    command = turn.said_command
    if command is not None and command[0] == "help":
        turn.say(turn.msg("help_contact_default"))
    if turn.state == FINISHED or found.status == storage.WAITING:
        turn.state = FINISHED
        turn.say(turn.msg("join_waiting", name=holder.decider))
        return
    # Opened again (a terminal's new ``planbot chat``, Telegram's /start): the question again,
    # not counted as an unclear answer.
    if ctx.opening or (command is not None and command[0] in ("help", "repeat")):
        ask_join(turn)
        return
    step = turn.script.step(turn.state)
    if step.role == "join_consent":
        said = turn.yes_no(step)
        if said == "no":
            # Their no is not recorded: a record would keep something about them.
            storage.cancel_joining(ctx.session, found.id)
            turn.decline(turn.msg("join_no"))
            return
        if said != "yes":
            _unclear(turn, found)
            return
        _record_supporter_ok(turn, found, step)
    elif step.role == "helper_name":
        text = ctx.text
        if not text or len(text) > MAX_NAME_CHARS or turn.words.is_confused(text):
            _unclear(turn, found)
            return
        storage.set_conversation_said_by(turn.conv, text)
    elif step.role == "relation":
        reading = turn.words.read_choice(ctx.text, step)
        if reading.value is None and not reading.dont_know and turn.conv.retries < 2:
            _unclear(turn, found)
            return
        _joined(turn, found, reading.value or "other")
        return
    turn.move("advance")
    ask_join(turn)


def _record_supporter_ok(turn: TurnBase, found: storage.AccessView, step: Step) -> None:
    """The supporter's yes to keeping their name and number, recorded on the plan they asked
    to join (erased with them if the holder says no)."""
    ctx = turn.ctx
    person = storage.person_by_id(ctx.session, found.person_id)
    assert person is not None
    storage.record_consent(
        ctx.session,
        person,
        storage.SUPPORTER_KEEP,
        "yes",
        by=None,  # their name is the next question; filled in from the row when it is given
        by_role="supporter",
        channel=ctx.address.channel,
        wording=turn.wording(step),
        now=ctx.now,
        subject_id=found.id,
    )


def _unclear(turn: TurnBase, found: storage.AccessView) -> None:
    """Other words, then the choices again; the third time, for the OK, nothing is kept."""
    storage.set_retries(turn.conv, turn.conv.retries + 1)
    step = turn.script.step(turn.state)
    if turn.conv.retries >= 3 and step.role == "join_consent":
        storage.cancel_joining(turn.ctx.session, found.id)
        turn.decline(turn.msg("join_no"))
        return
    ask_join(turn, reword=True)


def _joined(turn: TurnBase, found: storage.AccessView, role: str) -> None:
    """The supporter has said who they are: the holder is asked, through the outbox."""
    ctx = turn.ctx
    session = ctx.session
    supporter = storage.conversation_said_by(turn.conv) or turn.msg("unnamed_person")
    storage.finish_joining(session, found.id, supporter, role)
    storage.set_typist(turn.conv, TYPIST_OF_ROLE.get(role, "other"))
    person = storage.person_by_id(session, found.person_id)
    assert person is not None
    turn.state = FINISHED
    turn.say(turn.msg("join_asked", name=holder_of(turn, person).decider))
    holder = storage.holder_address(session, person)
    waiting, items = storage.requests_waiting(session, person)
    # One question at a time: a second supporter (or a thing) waits for the first answer.
    if holder is not None and waiting and waiting[0].id == found.id and not items:
        request = Request(access=waiting[0])
        to = Recipient(holder.channel, storage.address_text(holder))
        ctx.replies.append(question_reply(turn, request, person, to=to))


def supporter_conversation(
    turn_flows: Flows, session: Session, address: storage.Address, person: storage.Person
) -> storage.Conversation | None:
    """A supporter the holder said yes to starts the plan at its first topic, with their name
    and view already known (they said them when joining); None for anyone else."""
    access = storage.access_of(session, person, address)
    if access is None or access.role == storage.HOLDER or access.status != storage.ACTIVE:
        return None
    flow = turn_flows.default
    first = flow.script.list_steps[0] if flow.script.list_steps else flow.script.steps[0]
    conv = storage.new_conversation(
        session, address, person, first.id, flow=flow.name, flow_version=flow.version
    )
    storage.set_typist(conv, TYPIST_OF_ROLE.get(access.role, "other"))
    storage.set_conversation_said_by(conv, access.name)
    place_ally(turn_flows, session, address, conv)  # an ally in a Planning Live group
    return conv


# --- a supporter who was removed --------------------------------------------------------------


def tell_removed(turn: TurnBase) -> bool:
    """A removed supporter's next message: told kindly, once; nothing of the plan is shown."""
    ctx = turn.ctx
    removed = storage.removals_to_tell(ctx.session, ctx.address)
    if not removed:
        return False
    for row in removed:
        holder = holder_of(turn, storage.person_by_id(ctx.session, row.person_id))
        turn.say(turn.msg(holder.key("removed_told"), **holder.words()))
        storage.mark_told(ctx.session, row.id)
    if ctx.person is None and ctx.conversation is not None and ctx.fresh:
        storage.delete_conversation(ctx.session, ctx.conversation)
        ctx.conversation = None
        ctx.address_removed = storage.delete_address_if_unused(ctx.session, ctx.address)
    return True


# --- replies as kept for a repeat delivery ----------------------------------------------------


def kept_form(
    reply: dict[str, object], kept_instead: Sequence[tuple[str, str]] = ()
) -> dict[str, object]:
    """A reply as kept for a repeat delivery: each (said, kept) line said in its kept form
    ("I have deleted: my dog" kept as "I have deleted it.": deleted words are kept nowhere)."""
    if not kept_instead:
        return reply
    text = str(reply.get("text", ""))
    for said, kept in kept_instead:
        text = text.replace(said, kept)
    return {**reply, "text": text}
