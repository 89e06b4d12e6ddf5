"""Voice notes: an answer's kind, the sound of a voice note, and a chat's choice of voice.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Columns are added with a server default, so rows already there get "text" and false.
    op.add_column(
        "address",
        sa.Column("voice", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "answer",
        sa.Column("kind", sa.String(length=20), server_default="text", nullable=False),
    )
    op.create_table(
        "voice_note",
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("audio_sealed", sa.Text(), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["answer_id"], ["answer.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("answer_id"),
    )
    with op.batch_alter_table("voice_note", schema=None) as batch_op:
        batch_op.create_index("ix_voice_note_person", ["person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("voice_note", schema=None) as batch_op:
        batch_op.drop_index("ix_voice_note_person")
    op.drop_table("voice_note")
    # SQLite 3.35+ drops a column in place (no table copy that foreign keys would cascade from).
    op.drop_column("answer", "kind")
    op.drop_column("address", "voice")
