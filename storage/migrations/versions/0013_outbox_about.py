"""What an outbox message asks about ("item:12", "access:3"), so that a question answered
another way (at the holder's next message) is withdrawn before it is sent, words and all.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 19:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox_message", sa.Column("about", sa.String(40), nullable=True))
    op.create_index("ix_outbox_message_about", "outbox_message", ["about"])


def downgrade() -> None:
    op.drop_index("ix_outbox_message_about", table_name="outbox_message")
    op.drop_column("outbox_message", "about")
