"""Private profile links (token hashes only) and the person's photo.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 15:34:20.434841
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "person_photo",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("photo_sealed", sa.Text(), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("person_id"),
    )
    op.create_table(
        "profile_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("message_id", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "message_id", name="uq_profile_link_message"),
        sa.UniqueConstraint("token_hash", name="uq_profile_link_token"),
    )
    with op.batch_alter_table("profile_link", schema=None) as batch_op:
        batch_op.create_index("ix_profile_link_person", ["person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("profile_link", schema=None) as batch_op:
        batch_op.drop_index("ix_profile_link_person")

    op.drop_table("profile_link")
    op.drop_table("person_photo")
