"""A topic's things are counted from the index alone: the answers' index by person and
section also holds each answer's status and whether it was deleted.

Why: every text's first read counts the things in the topic the person is at (its limit is
checked at each answer). With only (person, section) in the index, SQLite read every
answer's row of that topic to check its status and deleted flag: the costliest statement of
a text (bench/list_answer.py). With them in the index the count reads no row. The index
serves every read by person and section it served before, as their first columns.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 03:30:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

OLD, NEW = "ix_answer_person_section", "ix_answer_person_section_status"


def upgrade() -> None:
    with op.batch_alter_table("answer") as batch_op:
        batch_op.create_index(NEW, ["person_id", "section", "status", "deleted"], unique=False)
        batch_op.drop_index(OLD)


def downgrade() -> None:
    with op.batch_alter_table("answer") as batch_op:
        batch_op.create_index(OLD, ["person_id", "section"], unique=False)
        batch_op.drop_index(NEW)
