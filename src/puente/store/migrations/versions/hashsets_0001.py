"""Hash-set library: hash_sets, hash_entries (unique per set, algorithm, value), hash_set_imports.

Revision ID: hashsets_0001
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "hashsets_0001"
down_revision = "0001"
branch_labels = ("hashsets",)
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "hash_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("version", sa.String(100), nullable=False),
        sa.Column("owner_country", sa.String(8), nullable=True),
        sa.Column("owner_agency", sa.String(200), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("caveats", sa.Text(), nullable=False),
        sa.Column("source_format", sa.String(16), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("entry_count", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hash_sets")),
        sa.UniqueConstraint("name", name=op.f("uq_hash_sets_name")),
    )
    op.create_table(
        "hash_entries",
        sa.Column("id", BigId, nullable=False),
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("algorithm", sa.String(16), nullable=False),
        sa.Column("value", sa.String(1024), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("source_scheme", sa.String(32), nullable=False),
        sa.Column("source_category", sa.String(64), nullable=True),
        sa.Column("source_id", sa.String(200), nullable=True),
        sa.Column("confirmations", sa.Integer(), nullable=True),
        sa.Column("first_seen", sa.String(64), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["set_id"],
            ["hash_sets.id"],
            name=op.f("fk_hash_entries_set_id_hash_sets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hash_entries")),
        sa.UniqueConstraint("set_id", "algorithm", "value", name=op.f("uq_hash_entries_set_id")),
    )
    op.create_table(
        "hash_set_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("source_file", sa.Text(), nullable=False),
        sa.Column("source_sha256", sa.String(64), nullable=False),
        sa.Column("source_size", sa.BigInteger(), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("operator", sa.String(200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rows_read", sa.BigInteger(), nullable=False),
        sa.Column("entries_added", sa.BigInteger(), nullable=False),
        sa.Column("duplicates", sa.BigInteger(), nullable=False),
        sa.Column("rejected", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["set_id"],
            ["hash_sets.id"],
            name=op.f("fk_hash_set_imports_set_id_hash_sets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hash_set_imports")),
    )
    op.create_index(
        op.f("ix_hash_set_imports_set_id"), "hash_set_imports", ["set_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_hash_set_imports_set_id"), table_name="hash_set_imports")
    op.drop_table("hash_set_imports")
    op.drop_table("hash_entries")
    op.drop_table("hash_sets")
