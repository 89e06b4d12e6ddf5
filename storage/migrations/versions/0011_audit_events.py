"""An audit log: who saw, added, changed, shared or deleted what in a person's plan, and
when, never the words themselves (``storage/_audit.py``).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 19:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "person_id",
            sa.Integer(),
            sa.ForeignKey("person.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("what", sa.String(40), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("actor_sealed", sa.Text(), nullable=True),
        sa.Column("actor_role", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
    )
    op.create_index("ix_audit_event_person", "audit_event", ["person_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_audit_event_person", table_name="audit_event")
    op.drop_table("audit_event")
