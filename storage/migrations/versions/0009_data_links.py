"""A link's kind: "profile" (the profile and review pages) or "data" (everything kept about
the person, asked for with "send me my data"). A data link opens nothing else, and a
profile link never opens the data.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 18:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "profile_link",
        sa.Column("kind", sa.String(20), server_default="profile", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("profile_link", "kind")
