"""Hints read with every message: a supporter may be waiting for a person's yes, and an
address may have been removed from a plan without being told yet.

Why: without them every message asked the database twice more (about 40% more work per
message, bench/engine.py); with them only the messages where something waits do.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 00:05:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "person",
        sa.Column("may_have_requests", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "address",
        sa.Column("may_have_news", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    # What already waits is hinted at, so nothing waiting is missed after the upgrade.
    op.execute(
        "UPDATE person SET may_have_requests = TRUE"
        " WHERE id IN (SELECT person_id FROM access WHERE status = 'waiting')"
    )
    op.execute(
        "UPDATE address SET may_have_news = TRUE WHERE id IN"
        " (SELECT address_id FROM access WHERE status = 'removed' AND told = FALSE)"
    )


def downgrade() -> None:
    op.drop_column("address", "may_have_news")
    op.drop_column("person", "may_have_requests")
