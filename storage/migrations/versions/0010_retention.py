"""When a person who has not used planbot for ``PLANBOT_RETENTION_DAYS`` was asked whether to
keep their plan (erased 30 days later unless they answer).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 18:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "person", sa.Column("retention_asked_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("person", "retention_asked_at")
