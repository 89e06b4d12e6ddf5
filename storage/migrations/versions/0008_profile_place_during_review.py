"""Where a profile was when REVIEW began: after the review sheet, the conversation goes back
to an unfinished profile there.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 18:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("conversation", sa.Column("profile_state", sa.String(40), nullable=True))


def downgrade() -> None:
    op.drop_column("conversation", "profile_state")
