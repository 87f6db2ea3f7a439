"""Hash-set library: values of any length (a vPDQ runs to ~85 characters per second of video).

PostgreSQL enforced VARCHAR(1024), and a btree entry may not exceed ~2.7 kB, so a vPDQ of a
video longer than ~12 s could not be stored. On PostgreSQL the value becomes TEXT and the
unique key (set, algorithm, value) is kept by two partial unique indexes: the value itself
up to 2000 bytes (as before, usable for lookups), and md5(value) above. Inserts use
ON CONFLICT DO NOTHING without a target, which honours both. SQLite neither enforces
VARCHAR lengths nor limits index entries: nothing changes there.

Revision ID: hashsets_0002
Revises: hashsets_0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "hashsets_0002"
down_revision = "hashsets_0001"
branch_labels = None
depends_on = None

SHORT = "octet_length(value) <= 2000"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.alter_column("hash_entries", "value", type_=sa.Text(), existing_nullable=False)
    op.create_index(
        "ux_hash_entries_value_short",
        "hash_entries",
        ["set_id", "algorithm", "value"],
        unique=True,
        postgresql_where=sa.text(SHORT),
    )
    op.create_index(
        "ux_hash_entries_value_long",
        "hash_entries",
        ["set_id", "algorithm", sa.text("md5(value)")],
        unique=True,
        postgresql_where=sa.text(f"NOT ({SHORT})"),
    )
    op.drop_constraint("uq_hash_entries_set_id", "hash_entries", type_="unique")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # Fails (and changes nothing) if a value longer than 1024 characters was stored since.
    op.alter_column("hash_entries", "value", type_=sa.String(1024), existing_nullable=False)
    op.create_unique_constraint(
        "uq_hash_entries_set_id", "hash_entries", ["set_id", "algorithm", "value"]
    )
    op.drop_index("ux_hash_entries_value_long", "hash_entries")
    op.drop_index("ux_hash_entries_value_short", "hash_entries")
