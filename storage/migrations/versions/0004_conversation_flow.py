"""A conversation's flow and the version of its script: which talk it is in, and where.

Why: a person can be in the profile one day and, another day, in a review preparation; and a
reworded script must never strand a conversation halfway (the engine moves it on when its
state is gone from the new version).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 23:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every conversation so far is in the profile flow, at its first version.
    op.add_column(
        "conversation",
        sa.Column("flow", sa.String(length=40), server_default="profile", nullable=False),
    )
    op.add_column(
        "conversation",
        sa.Column("flow_version", sa.Integer(), server_default="1", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("conversation", "flow_version")
    op.drop_column("conversation", "flow")
