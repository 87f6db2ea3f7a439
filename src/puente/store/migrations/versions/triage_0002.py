"""Triage: perceptual hashes on scan items (PDQ, vPDQ) and perceptual matches.

scan_items gains the PDQ hash, its quality, decode mode and 8 dihedral hashes, and the
vPDQ features (Meta's file format, one frame per line). scan_matches gains the distance,
the scanned image's quality, the dihedral variant that matched and a detail (vPDQ
percentages); its unique key takes the matched value, as one image may be within the
threshold of several entries of one set.

Revision ID: triage_0002
Revises: triage_0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "triage_0002"
down_revision = "triage_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scan_items") as batch:
        batch.add_column(sa.Column("pdq", sa.String(64)))
        batch.add_column(sa.Column("pdq_quality", sa.Integer))
        batch.add_column(sa.Column("pdq_decode_mode", sa.String(40)))
        batch.add_column(sa.Column("pdq_dihedral", sa.Text))
        batch.add_column(sa.Column("vpdq", sa.Text))
    with op.batch_alter_table("scan_matches") as batch:
        batch.add_column(sa.Column("distance", sa.Integer))
        batch.add_column(sa.Column("quality", sa.Integer))
        batch.add_column(sa.Column("variant", sa.String(40)))
        batch.add_column(sa.Column("detail", sa.String(300)))
        batch.drop_constraint("uq_scan_matches_item_set", type_="unique")
        batch.create_unique_constraint(
            "uq_scan_matches_item_value_set",
            ["item_id", "algorithm", "value", "set_name", "set_version"],
        )


def downgrade() -> None:
    with op.batch_alter_table("scan_matches") as batch:
        batch.drop_constraint("uq_scan_matches_item_value_set", type_="unique")
        batch.create_unique_constraint(
            "uq_scan_matches_item_set", ["item_id", "algorithm", "set_name", "set_version"]
        )
        for column in ("detail", "variant", "quality", "distance"):
            batch.drop_column(column)
    with op.batch_alter_table("scan_items") as batch:
        for column in ("vpdq", "pdq_dihedral", "pdq_decode_mode", "pdq_quality", "pdq"):
            batch.drop_column(column)
