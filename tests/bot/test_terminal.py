"""The terminal channel: the real ``planbot chat`` process with piped input, and TerminalChat.

Why a real process: ``planbot chat`` is a contract (one line = one message, scriptable), and the
only honest check of a console script, its data files and its exit codes is to run it.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import storage
from bot.terminal import TerminalChat, format_reply
from dialogues import Choice, Reply
from planbot.settings import Settings


def planbot_command() -> str:
    """The installed ``planbot`` console script of the interpreter running the tests."""
    found = shutil.which("planbot", path=str(Path(sys.executable).parent)) or shutil.which(
        "planbot"
    )
    assert found, "the planbot console script is not installed (pip install -e .)"
    return found


def run_planbot(
    data_dir: Path, *args: str, stdin: str = "", check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run ``planbot ARGS`` with its data in ``data_dir``, input piped (so no terminal)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANBOT_")}
    env |= {"PLANBOT_DATA_DIR": str(data_dir), "PLANBOT_TTS": "off", "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run(
        [planbot_command(), *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=data_dir.parent,
        timeout=120,
    )
    if check:
        assert done.returncode == 0, f"planbot {' '.join(args)} failed:\n{done.stderr}"
    return done


FIRST_CHAT = "yes\n1\nkind, funny 🙂\ndone\nmy lurcher Tango - he is my sunshine!\n"
SECOND_CHAT = "done\nlisten to me\ninvite\n"
JOIN_CHAT = "JOIN {code}\nyes\nMo\nsupporter\nmy answers\n"


@pytest.fixture(scope="module")
def chats(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Dev chats and comes back in a second process, where Dev invites Mo. Mo, at her own
    terminal, first names Dev's plan (refused), then joins with the code in another session
    (named after herself, as people do); Dev says yes in Dev's next session, Mo adds a thing
    in hers, and Dev says yes to it."""
    data = tmp_path_factory.mktemp("chat") / "data"
    first = run_planbot(data, "chat", "--person", "Dev", stdin=FIRST_CHAT)
    second = run_planbot(data, "chat", "--person", "Dev", stdin=SECOND_CHAT)
    code = re.findall(r"JOIN (\d{6})", second.stdout)[-1]
    named = run_planbot(data, "chat", "--person", "Dev", "--address", "mo", stdin="hello\n")
    access_after_named = run_planbot(data, "access", "list", "Dev").stdout
    join = run_planbot(
        data, "chat", "--person", "Mo", "--address", "mo", stdin=JOIN_CHAT.format(code=code)
    )
    waiting = run_planbot(data, "outbox", "--list").stdout
    holder_yes = run_planbot(data, "chat", "--person", "Dev", stdin="yes\n")
    supporter = run_planbot(data, "chat", "--address", "mo", stdin="never gives up\n")
    holder_ok = run_planbot(data, "chat", "--person", "Dev", stdin="yes\n")
    exported = run_planbot(data, "export", "Dev")
    return {
        "first": first.stdout,
        "second": second.stdout,
        "named": named.stdout,
        "access_after_named": access_after_named,
        "join": join.stdout,
        "waiting": waiting,
        "holder_yes": holder_yes.stdout,
        "supporter": supporter.stdout,
        "holder_ok": holder_ok.stdout,
        "export": json.loads(exported.stdout),
    }


def test_chat_walks_through_the_questions(chats: dict[str, Any]) -> None:
    out = chats["first"]
    for words in (
        "Hello. I am planbot.",
        "Can I keep your answers safe",
        "  1. Yes\n  2. No",
        "Who is typing?",
        "Topic 1 of 9: What people like about me.",
        "Thank you. I have saved:\n- kind\n- funny 🙂",
        "Topic 2 of 9: What is important to me.",
        "- my lurcher Tango - he is my sunshine!",
    ):
        assert words in out
    assert "What should I call you?" not in out  # --person gave the name


def test_chat_stores_the_words_verbatim_under_section_keys(chats: dict[str, Any]) -> None:
    data = chats["export"]
    assert data["person"]["name"] == "Dev"
    got = [(a["section"], a["text"], a["said_by"], a["perspective"]) for a in data["answers"]]
    assert got == [
        ("like_admire", "kind", "Dev", "person"),
        ("like_admire", "funny 🙂", "Dev", "person"),
        ("important_to", "my lurcher Tango - he is my sunshine!", "Dev", "person"),
        ("best_support", "listen to me", "Dev", "person"),
        ("like_admire", "never gives up", "Mo", "supporter"),
    ]


def test_a_second_chat_process_welcomes_back_and_carries_on(chats: dict[str, Any]) -> None:
    out = chats["second"]
    assert out.startswith("Welcome back, Dev. We were on: What is important to me.")
    assert "- my lurcher Tango - he is my sunshine!" in out
    assert "Topic 3 of 9: How to support me well." in out
    assert "Can I keep your answers safe" not in out


def test_naming_someone_elses_plan_links_nothing_and_says_how_to_join(
    chats: dict[str, Any],
) -> None:
    out = chats["named"]
    assert out.startswith(
        "There is a plan for Dev already. Only Dev can choose who helps with it.\n"
        "To help, ask Dev to say invite. Then send me JOIN and the code."
    )
    assert "kind" not in out and "Who is typing?" not in out
    [holder] = chats["access_after_named"].splitlines()  # nothing of the address was linked
    assert holder.startswith("Dev  holder  active")


def test_a_supporter_at_another_terminal_joins_with_the_holders_code(
    chats: dict[str, Any],
) -> None:
    out = chats["join"]
    for words in (
        "Dev gave you a code to help with their plan.",
        "Can I keep your name and number, so you can help Dev?",
        "What is your name?",
        "How do you know Dev?",
        "Thank you. I have asked Dev. I will tell you when Dev says yes.",
        "Dev has not said yes yet.",  # "my answers" shows nothing of the plan meanwhile
    ):
        assert words in out
    assert "kind" not in out and "[for " not in out  # Dev's question waits for Dev's terminal
    assert "Waiting: 1 message for 1 person." in chats["waiting"]


def test_the_holder_is_asked_at_their_own_terminal_and_says_yes(chats: dict[str, Any]) -> None:
    out = chats["holder_yes"]
    assert "[for terminal]\nMo is your supporter." in out
    assert out.index("Is that OK?") < out.index("Thank you. Mo can see your plan now.")
    assert "[for mo]" not in out  # Mo hears it at Mo's own terminal


def test_the_supporter_then_adds_to_the_plan_and_the_holder_agrees(
    chats: dict[str, Any],
) -> None:
    out = chats["supporter"]
    assert "[for mo]\nDev said yes. You can see the plan of Dev now" in out
    assert "What do you like about Dev?" in out  # Mo starts at the first topic
    assert "- never gives up" in out
    agreed = chats["holder_ok"]
    assert "Mo said about you: never gives up." in agreed
    assert "Thank you. It is on your profile now." in agreed
    consent = [a["consent"] for a in chats["export"]["answers"] if a["said_by"] == "Mo"]
    assert consent == ["agreed"]


# --- TerminalChat in process -------------------------------------------------------------------


def test_choices_are_numbered_lines() -> None:
    reply = Reply("Who is typing?", (Choice("Me", "person"), Choice("Family", "family")))
    assert format_reply(reply) == "Who is typing?\n  1. Me\n  2. Family"
    assert format_reply(Reply("Thank you.")) == "Thank you."


def test_terminal_chat_sends_each_line_as_a_message(
    db: storage.Database, settings: Settings
) -> None:
    out = io.StringIO()
    chat = TerminalChat(db, settings, address="terminal", person="Kim", out=out)
    last = chat.run(["yes\n", "1\r\n", "\n", "bowling\n"])
    printed = out.getvalue()
    assert printed.startswith("Hello. I am planbot.")
    assert "I did not get any words" in printed  # the empty line, kindly
    assert "- bowling" in printed
    assert [r.text for r in last][-1].startswith("Is there anything else?")


def test_terminal_chat_prompts_only_when_asked(db: storage.Database, settings: Settings) -> None:
    out = io.StringIO()
    chat = TerminalChat(db, settings, address="terminal", person="Kim", out=out, prompt="> ")
    chat.run(["yes"])
    assert "> " in out.getvalue()
    quiet = io.StringIO()
    TerminalChat(db, settings, address="other", person="Lou", out=quiet).run(["yes"])
    assert "> " not in quiet.getvalue()
