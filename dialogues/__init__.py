"""Dialogues: the conversation engine and its question scripts (data in ``scripts/``)."""

from dialogues._engine import MY_DATA, Admit, Engine, ProfileHook, after_asking
from dialogues._live_board import Board, BoardRow, board_of
from dialogues._machine import FlowMachine
from dialogues._messages import (
    Attachment,
    Choice,
    Incoming,
    Media,
    ReceivedPhoto,
    ReceivedVoice,
    Recipient,
    Reply,
)
from dialogues._script import Script, ScriptChoice, Step, load_script
from dialogues._understand import Vocabulary, clean_text, normalise, split_items

__all__ = [
    "MY_DATA",
    "Admit",
    "Attachment",
    "Board",
    "BoardRow",
    "Choice",
    "Engine",
    "FlowMachine",
    "Incoming",
    "Media",
    "ProfileHook",
    "ReceivedPhoto",
    "ReceivedVoice",
    "Recipient",
    "Reply",
    "Script",
    "ScriptChoice",
    "Step",
    "Vocabulary",
    "after_asking",
    "board_of",
    "clean_text",
    "load_script",
    "normalise",
    "split_items",
]
