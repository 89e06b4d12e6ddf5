"""Retention: when the question "Do you want me to keep it?" was sent, beside when it was
asked. The 30 days to answer count from the sending: a question that was never sent (the
holder opted out, every try failed, no holder's phone or chat is left) erases nothing.
A question asked before this is not known to have been sent: the hourly tidy finds it sent
if the outbox still holds its row, and otherwise asks again 30 days after the asking.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "person", sa.Column("retention_sent_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("person", "retention_sent_at")
