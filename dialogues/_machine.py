"""The one ``transitions`` state machine that every conversation shares.

Why one machine: a machine per conversation costs memory (transitions issue #146). A conversation's
state lives in the database; for each move the engine borrows a light model, sets it to the
stored state, fires a trigger and reads the new state. Borrowed models go back to a small pool
still attached, because ``add_model`` wires up every trigger afresh and costs more than the
rest of a move (bench/engine.py).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from transitions import Machine

from dialogues._script import Script

FINISHED = "finished"
PICK_TOPIC = "pick_topic"
CONFIRM_RESTART = "confirm_restart"
PICK_PERSON = "pick_person"
CONFIRM_ERASE, CONFIRM_ERASE_AGAIN = "confirm_erase", "confirm_erase_again"
MODAL_STATES = (PICK_TOPIC, CONFIRM_RESTART, PICK_PERSON, CONFIRM_ERASE, CONFIRM_ERASE_AGAIN)


class Turn:
    """The model attached to the shared machine for one message: it only carries ``state``.

    transitions adds ``trigger`` and ``may_trigger`` to it while it is attached (it never
    overwrites a method the class already has, so the class must not define them).
    """

    state: str

    def fire(self, name: str) -> None:
        """Fire ``name`` when the current state allows it; otherwise stay where we are."""
        if getattr(self, "may_trigger")(name):  # noqa: B009 - added by transitions at run time
            getattr(self, "trigger")(name)  # noqa: B009


class FlowMachine:
    """States in script order, then ``finished`` and the side states (menus, "are you sure")."""

    def __init__(self, script: Script) -> None:
        self.order: tuple[str, ...] = tuple(s.id for s in script.steps)
        states = [*self.order, FINISHED, *MODAL_STATES]
        self._machine = Machine(
            model=None, states=states, initial=self.order[0], auto_transitions=True
        )
        self._machine.add_ordered_transitions(
            states=[*self.order, FINISHED], trigger="advance", loop=False
        )
        for earlier, later in zip(self.order, [*self.order[1:], FINISHED], strict=True):
            self._machine.add_transition("go_back", later, earlier)
        self._lock = threading.Lock()
        self._idle: list[Turn] = []

    @contextmanager
    def attach(self, state: str) -> Iterator[Turn]:
        """A model in ``state``, for one move; nobody else uses it meanwhile."""
        with self._lock:
            model = self._idle.pop() if self._idle else None
            if model is None:
                model = Turn()
                self._machine.add_model(model, initial=state)
        self._machine.set_state(state, model=model)
        try:
            yield model
        finally:
            with self._lock:
                self._idle.append(model)

    @property
    def states(self) -> tuple[str, ...]:
        return tuple(self._machine.states)
