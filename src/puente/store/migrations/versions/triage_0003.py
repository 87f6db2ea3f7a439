"""Triage: drop ix_scan_items_scan_id, which the unique (scan_id, path_key) index makes redundant.

Every query by scan_id (and the foreign key's checks) can use the unique index, whose first
column is scan_id; the extra index only cost one more B-tree insert per stored file.

Revision ID: triage_0003
Revises: triage_0002
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "triage_0003"
down_revision = "triage_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scan_items") as batch:
        batch.drop_index("ix_scan_items_scan_id")


def downgrade() -> None:
    with op.batch_alter_table("scan_items") as batch:
        batch.create_index("ix_scan_items_scan_id", ["scan_id"])
