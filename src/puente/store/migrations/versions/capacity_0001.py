"""Capacity: assessments (one per institution, country and date) and their answers.

Revision ID: capacity_0001
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "capacity_0001"
down_revision = "0001"
branch_labels = ("capacity",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "capacity_assessments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("institution", sa.String(20), nullable=False),
        sa.Column("assessed_on", sa.Date, nullable=False),
        sa.Column("template_version", sa.String(20), nullable=False),
        sa.Column("lang", sa.String(2), nullable=False),
        sa.Column("institution_name", sa.Text, nullable=False),
        sa.Column("respondent", sa.Text, nullable=False),
        sa.Column("fictitious", sa.Boolean, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(200), nullable=False),
        sa.UniqueConstraint(
            "country", "institution", "assessed_on", name="uq_capacity_assessments_key"
        ),
    )
    op.create_index("ix_capacity_assessments_country", "capacity_assessments", ["country"])
    op.create_table(
        "capacity_answers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "assessment_id",
            sa.Integer,
            sa.ForeignKey("capacity_assessments.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("item_id", sa.String(80), nullable=False),
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.Column("needs", sa.String(200), nullable=False),
        sa.Column("priority", sa.String(10)),
        sa.UniqueConstraint("assessment_id", "item_id", name="uq_capacity_answers_item"),
    )
    op.create_index("ix_capacity_answers_assessment_id", "capacity_answers", ["assessment_id"])


def downgrade() -> None:
    op.drop_index("ix_capacity_answers_assessment_id", "capacity_answers")
    op.drop_table("capacity_answers")
    op.drop_index("ix_capacity_assessments_country", "capacity_assessments")
    op.drop_table("capacity_assessments")
