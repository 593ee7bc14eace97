"""subjects, assessments, feedback, target policies

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
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
        "subjects",
        sa.Column("org", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org"], ["organisations.id"], name=op.f("fk_subjects_org_organisations")
        ),
        sa.PrimaryKeyConstraint("org", "id", name=op.f("pk_subjects")),
    )
    op.create_table(
        "target_policies",
        sa.Column("org", sa.String(length=64), nullable=False),
        sa.Column("framework", sa.String(length=100), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org"], ["organisations.id"], name=op.f("fk_target_policies_org_organisations")
        ),
        sa.PrimaryKeyConstraint("org", "framework", name=op.f("pk_target_policies")),
    )
    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("framework", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=100), nullable=True),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("levels", sa.JSON(), nullable=False),
        sa.Column("priorities", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org", "subject"],
            ["subjects.org", "subjects.id"],
            name=op.f("fk_assessments_org_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
    )
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.create_index("ix_assessments_assessed_at", ["assessed_at"], unique=False)
        batch_op.create_index(
            "ix_assessments_subject", ["org", "subject", "assessed_at"], unique=False
        )

    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("activity", sa.String(length=100), nullable=False),
        sa.Column("event", sa.String(length=20), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("statement_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["org", "subject"],
            ["subjects.org", "subjects.id"],
            name=op.f("fk_feedback_org_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
    )
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.create_index("ix_feedback_at", ["at"], unique=False)
        batch_op.create_index("ix_feedback_subject", ["org", "subject"], unique=False)
        batch_op.create_index("uq_feedback_statement", ["org", "statement_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index("uq_feedback_statement")
        batch_op.drop_index("ix_feedback_subject")
        batch_op.drop_index("ix_feedback_at")

    op.drop_table("feedback")
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_index("ix_assessments_subject")
        batch_op.drop_index("ix_assessments_assessed_at")

    op.drop_table("assessments")
    op.drop_table("target_policies")
    op.drop_table("subjects")
