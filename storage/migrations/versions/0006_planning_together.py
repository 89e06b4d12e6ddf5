"""Planning together: who can see a plan (access), invite codes, wrong-code counts, consent
records; each answer's consent and privacy; a conversation's visit to another flow.

Why: a person's plan is theirs. Supporters see it only after the person's yes, what others
say goes on the profile only after the person's OK, and every yes or no is kept as a record.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-09 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("address_id", sa.Integer(), nullable=True),
        sa.Column("name_sealed", sa.Text(), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("told", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["address_id"], ["address.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("access", schema=None) as batch_op:
        batch_op.create_index("ix_access_person", ["person_id"], unique=False)
        batch_op.create_index("ix_access_address", ["address_id"], unique=False)
    op.create_table(
        "invite_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "message_id", name="uq_invite_code_message"),
    )
    with op.batch_alter_table("invite_code", schema=None) as batch_op:
        batch_op.create_index("ix_invite_code_hash", ["code_hash"], unique=False)
    op.create_table(
        "code_attempt",
        sa.Column("sender_hash", sa.String(length=64), nullable=False),
        sa.Column("wrong", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sender_hash"),
    )
    op.create_table(
        "consent_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("by_sealed", sa.Text(), nullable=True),
        sa.Column("by_role", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("wording", sa.String(length=100), nullable=False),
        sa.Column("reason_sealed", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("consent_record", schema=None) as batch_op:
        batch_op.create_index("ix_consent_record_person", ["person_id"], unique=False)
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("consent", sa.String(length=20), nullable=False, server_default="person")
        )
        batch_op.add_column(
            sa.Column("private", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("conversation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resume_flow", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("resume_state", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("picked_answer_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conversation", schema=None) as batch_op:
        batch_op.drop_column("picked_answer_id")
        batch_op.drop_column("resume_state")
        batch_op.drop_column("resume_flow")
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.drop_column("private")
        batch_op.drop_column("consent")
    with op.batch_alter_table("consent_record", schema=None) as batch_op:
        batch_op.drop_index("ix_consent_record_person")
    op.drop_table("consent_record")
    op.drop_table("code_attempt")
    with op.batch_alter_table("invite_code", schema=None) as batch_op:
        batch_op.drop_index("ix_invite_code_hash")
    op.drop_table("invite_code")
    with op.batch_alter_table("access", schema=None) as batch_op:
        batch_op.drop_index("ix_access_address")
        batch_op.drop_index("ix_access_person")
    op.drop_table("access")
