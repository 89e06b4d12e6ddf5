"""Planning Live: groups a peer supporter runs, their members, and practice answers kept
apart from every plan (``storage/_live.py``).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 22:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "live_group",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "facilitator_address_id",
            sa.Integer(),
            sa.ForeignKey("address.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name_sealed", sa.Text(), nullable=True),
        sa.Column("code_hash", sa.String(64), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("topic", sa.Integer(), nullable=False),
        sa.Column("practice", sa.Boolean(), nullable=False),
        _when("topic_at"),
        sa.Column("board_token_hash", sa.String(64), nullable=True),
        _when("board_expires_at"),
        _when("follow_up_at"),
        _when("created_at", nullable=False),
        _when("ended_at"),
    )
    op.create_index("ix_live_group_code_hash", "live_group", ["code_hash"])
    op.create_index("ix_live_group_board_token_hash", "live_group", ["board_token_hash"])
    op.create_table(
        "live_member",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "group_id",
            sa.Integer(),
            sa.ForeignKey("live_group.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "address_id",
            sa.Integer(),
            sa.ForeignKey("address.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "person_id",
            sa.Integer(),
            sa.ForeignKey("person.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("help", sa.Boolean(), nullable=False),
        _when("joined_at", nullable=False),
        sa.UniqueConstraint("group_id", "address_id", name="uq_live_member"),
    )
    op.create_table(
        "live_practice",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "member_id",
            sa.Integer(),
            sa.ForeignKey("live_member.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("section", sa.String(40), nullable=False),
        sa.Column("text_sealed", sa.Text(), nullable=False),
        _when("created_at", nullable=False),
    )


def downgrade() -> None:
    op.drop_table("live_practice")
    op.drop_table("live_member")
    op.drop_index("ix_live_group_board_token_hash", table_name="live_group")
    op.drop_index("ix_live_group_code_hash", table_name="live_group")
    op.drop_table("live_group")
