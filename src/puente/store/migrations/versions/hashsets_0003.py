"""Hash-set library: a PDQ match threshold per hash set (NULL: the scan's default).

A curator who knows a set's images (e.g. heavily edited re-uploads, or a set that must
only ever match near-identical copies) sets its own Hamming distance; sets without one use
Settings.pdq_threshold (31).

Revision ID: hashsets_0003
Revises: hashsets_0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "hashsets_0003"
down_revision = "hashsets_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("hash_sets") as batch:
        batch.add_column(sa.Column("pdq_threshold", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("hash_sets") as batch:
        batch.drop_column("pdq_threshold")
