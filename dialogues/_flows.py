"""The flows the engine can run, each with its state machine and the words it understands.

Why a registry: a person can be in the profile one day and, another day, in a review
preparation or a Planning Live group; each conversation records which flow it is in, and the
engine looks the flow up here. Each flow is loaded once and shared by every conversation in it.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialogues._machine import FINISHED, MODAL_STATES, FlowMachine
from dialogues._script import DEFAULT_FLOW, Script, flow_names, load_flow
from dialogues._understand import Vocabulary
from planbot.errors import ScriptError


@dataclass(frozen=True)
class Flow:
    """One flow, ready to run: its script, its shared state machine and its vocabulary."""

    script: Script
    machine: FlowMachine
    vocabulary: Vocabulary

    @classmethod
    def of(cls, script: Script) -> Flow:
        return cls(script, FlowMachine(script), Vocabulary(script))

    @property
    def name(self) -> str:
        return self.script.name

    @property
    def version(self) -> int:
        return self.script.version

    def knows(self, state: str) -> bool:
        """A state this version of the flow has (a step, the end, or a side question)."""
        return state in self.script.by_id or state == FINISHED or state in MODAL_STATES

    def carry_on_at(self, state: str) -> str | None:
        """Where a conversation saved at ``state`` by an earlier version carries on: the step
        it was renamed to, or None when the step is gone (the engine then finds a place)."""
        if self.knows(state):
            return state
        renamed = self.script.renamed.get(state)
        return renamed if renamed is not None and self.knows(renamed) else None


class Flows:
    """Every flow that ships (or the ones given, in tests), by name."""

    def __init__(self, scripts: dict[str, Script] | None = None) -> None:
        if scripts is None:
            scripts = {name: load_flow(name) for name in flow_names()}
        if DEFAULT_FLOW not in scripts:
            raise ScriptError(f"there is no {DEFAULT_FLOW!r} flow: every person starts with it")
        self._flows = {name: Flow.of(script) for name, script in scripts.items()}

    def __getitem__(self, name: str) -> Flow:
        try:
            return self._flows[name]
        except KeyError:
            raise ScriptError(
                f"no flow {name!r}: a conversation names a flow that is gone"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._flows

    @property
    def default(self) -> Flow:
        return self._flows[DEFAULT_FLOW]

    def names(self) -> tuple[str, ...]:
        return tuple(self._flows)
