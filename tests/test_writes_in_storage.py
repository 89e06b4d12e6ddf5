"""Only ``storage/`` writes to the database: a walk over the engine's and channels' code.

Why: the engine asks storage to add, change and delete, so every write is in one place, where
it can be made fast, locked, sealed or moved to another table without hunting through the
turn code. This test reads the source of every package but ``storage`` and fails on a
session's write call, or on an assignment to a table column of anything but bare ``self``
(``self.state = ...`` in a turn is the turn's own attribute; ``self.conv.state = ...`` is a
row write).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import SQLModel

import storage

ROOT = Path(__file__).resolve().parent.parent
CHECKED_PACKAGES = ("bot", "dialogues", "easyread", "planbot")
SESSION_WRITES = frozenset({"add", "add_all", "delete", "flush", "merge", "execute", "exec"})
# Plain objects whose fields share a column's name but are no rows: the outbox sender's tally
# of what one run did (sent, failed, opted_out...), and a turn (the functions of a step kind or
# a command take it as ``turn``) with its context (``ctx.flow`` is the flow it runs in).
NOT_ROWS = frozenset({"counts", "turn", "ctx"})


def table_columns() -> frozenset[str]:
    """Every column's attribute name in planbot's tables, from the tables' own metadata."""
    assert storage.Conversation.__tablename__ in SQLModel.metadata.tables
    return frozenset(c.key for t in SQLModel.metadata.tables.values() for c in t.columns)


@dataclass(frozen=True)
class Write:
    """A database write found outside storage: where, and what it does."""

    path: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


def _dotted(node: ast.expr) -> str:
    return ast.unparse(node)


def _session_names(tree: ast.AST) -> set[str]:
    """Names bound to a session otherwise than by being called ``session``:
    ``with db.transaction() as s`` and ``s = Session(...)``."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.withitem) and isinstance(node.optional_vars, ast.Name):
            call = node.context_expr
            if isinstance(call, ast.Call) and _called_name(call) in ("transaction", "Session"):
                names.add(node.optional_vars.id)
        elif (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and _called_name(node.value) == "Session"
        ):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def _called_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _is_session(node: ast.expr, session_names: set[str]) -> bool:
    """``session``, ``db_session``, ``self.ctx.session``, or a name bound to a session."""
    if isinstance(node, ast.Name):
        return node.id.endswith("session") or node.id in session_names
    return isinstance(node, ast.Attribute) and node.attr.endswith("session")


def _targets(node: ast.AST) -> list[ast.expr]:
    """What an assignment writes to, tuples unpacked (``a.x, b = ...``)."""
    if isinstance(node, ast.Assign):
        found = list(node.targets)
    elif isinstance(node, ast.AugAssign | ast.AnnAssign):
        found = [node.target]
    else:
        return []
    flat: list[ast.expr] = []
    while found:
        target = found.pop()
        if isinstance(target, ast.Tuple | ast.List):
            found.extend(target.elts)
        elif isinstance(target, ast.Starred):
            found.append(target.value)
        else:
            flat.append(target)
    return flat


def _may_be_a_row(node: ast.expr) -> bool:
    """Anything but bare ``self`` (the object's own field) and the known plain objects."""
    if isinstance(node, ast.Attribute) and _dotted(node) in ("self.ctx", "turn.ctx"):
        return False
    return not (isinstance(node, ast.Name) and (node.id == "self" or node.id in NOT_ROWS))


def writes_in(source: str, path: str, columns: frozenset[str]) -> list[Write]:
    """The database writes in one module's source, in line order."""
    tree = ast.parse(source, filename=path)
    session_names = _session_names(tree)
    found: list[Write] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr in SESSION_WRITES
                and _is_session(func.value, session_names)
            ):
                found.append(Write(path, node.lineno, f"{_dotted(func)}(...)"))
            elif (
                isinstance(func, ast.Name)
                and func.id == "setattr"
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
                and node.args[1].value in columns
                and _may_be_a_row(node.args[0])
            ):
                found.append(Write(path, node.lineno, f"setattr(..., {node.args[1].value!r})"))
        for target in _targets(node):
            if (
                isinstance(target, ast.Attribute)
                and target.attr in columns
                and _may_be_a_row(target.value)
            ):
                found.append(Write(path, target.lineno, f"{_dotted(target)} = ..."))
    return sorted(found, key=lambda w: w.line)


def test_no_package_but_storage_writes_to_the_database() -> None:
    columns = table_columns()
    found = [
        write
        for package in CHECKED_PACKAGES
        for module in sorted((ROOT / package).rglob("*.py"))
        for write in writes_in(
            module.read_text(encoding="utf-8"), str(module.relative_to(ROOT)), columns
        )
    ]
    assert not found, "database writes outside storage/ (ask storage to make them):\n" + "\n".join(
        map(str, found)
    )


def test_the_walk_checks_the_packages_it_names() -> None:
    """A moved package would make the walk above pass over nothing."""
    for package in CHECKED_PACKAGES:
        assert list((ROOT / package).rglob("*.py")), package


def test_the_columns_come_from_the_tables() -> None:
    columns = table_columns()
    assert {"retries", "paused", "state", "opted_out", "active_person_id"} <= columns


PLANTED = """
def turn(self, session, conv, address, db):
    session.add(address)
    self.ctx.session.delete(conv)
    self.conv.retries = 0
    address.opted_out = False
    ctx.conversation.state, other = "done", 1
    conv.retries += 1
    setattr(conv, "paused", True)
    with db.transaction() as tx:
        tx.flush()
    self.state = "fine: the turn's own"
    self.conv = conv
    turn.state = "fine: a turn's own"
    ctx.flow = "fine: the flow a turn runs in"
    turn.conv.typist = "family"
    counts.opted_out += 1
    names.add("fine: not a session")
    conv.not_a_column = 1
"""


def test_the_walk_reports_each_planted_write_and_nothing_else() -> None:
    found = writes_in(PLANTED, "planted.py", table_columns())
    assert [(w.line, w.what) for w in found] == [
        (3, "session.add(...)"),
        (4, "self.ctx.session.delete(...)"),
        (5, "self.conv.retries = ..."),
        (6, "address.opted_out = ..."),
        (7, "ctx.conversation.state = ..."),
        (8, "conv.retries = ..."),
        (9, "setattr(..., 'paused')"),
        (11, "tx.flush(...)"),
        (16, "turn.conv.typist = ..."),
    ]
