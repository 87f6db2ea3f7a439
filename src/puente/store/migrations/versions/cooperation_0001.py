"""Cooperation: requests (drafts and their tracking) and their status history.

Revision ID: cooperation_0001
Revises: 0001
Depends on: triage_0001 (requests belong to cases)
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "cooperation_0001"
down_revision = "0001"
branch_labels = ("cooperation",)
depends_on = ("triage_0001",)

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "requests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False, index=True),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("requesting_country", sa.String(2), nullable=False),
        sa.Column("requested_country", sa.String(2), nullable=False),
        sa.Column("lang", sa.String(2), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("sent_at", TZ),
        sa.Column("expires_at", TZ),
        sa.Column("followup_due", TZ),
        sa.Column("preservation_days", sa.Integer),
        sa.Column("related", sa.String(200), nullable=False),
        sa.Column("facts", sa.Text, nullable=False),
        sa.Column("draft_text", sa.Text, nullable=False),
        sa.Column("draft_sha256", sa.String(64), nullable=False),
        sa.Column("documents", sa.Text, nullable=False),
        sa.Column("warnings", sa.Text, nullable=False),
    )
    op.create_table(
        "request_status_history",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "request_id", sa.Integer, sa.ForeignKey("requests.id"), nullable=False, index=True
        ),
        sa.Column("at", TZ, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("operator", sa.String(200), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("request_status_history")
    op.drop_table("requests")
