"""Large print: a person can ask for bigger writing ("bigger writing" in chat), and from then
on every form of their profile and review sheet is made with it (24pt body text).

Why on the person, not the address: the writing is for the person who reads the profile,
whoever asks for it (the person or a supporter typing for them), and every channel and link
shows the same profile.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "person",
        sa.Column("large_print", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("person", "large_print")
