"""Triage: cases, evidence, custody log, scans, scan items and their matches.

Revision ID: triage_0001
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "triage_0001"
down_revision = "0001"
branch_labels = ("triage",)
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("agency", sa.String(500), nullable=False),
        sa.Column("reference", sa.String(200)),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("custody_head_seq", sa.Integer, nullable=False),
        sa.Column("custody_head_hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False, index=True),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("acquired_by", sa.String(200)),
        sa.Column("acquired_at", TZ),
        sa.Column("source_hash", sa.String(80)),
        sa.Column("registered_at", TZ, nullable=False),
    )
    op.create_table(
        "custody_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False, index=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("operator", sa.String(200), nullable=False),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("case_id", "seq", name="uq_custody_log_case_seq"),
    )
    op.create_table(
        "scans",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id"), nullable=False, index=True),
        sa.Column(
            "evidence_id", sa.Integer, sa.ForeignKey("evidence.id"), nullable=False, index=True
        ),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("settings_digest", sa.String(64), nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("finished_at", TZ),
        sa.Column("hashsets", sa.Text, nullable=False),
        sa.Column("puente_version", sa.String(40), nullable=False),
    )
    op.create_table(
        "scan_items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("scan_id", sa.Integer, sa.ForeignKey("scans.id"), nullable=False, index=True),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("path_key", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger),
        sa.Column("mtime", sa.Float),
        sa.Column("atime", sa.Float),
        sa.Column("ctime", sa.Float),
        sa.Column("kind", sa.String(200), nullable=False),
        sa.Column("md5", sa.String(32), index=True),
        sa.Column("sha1", sa.String(40)),
        sa.Column("sha256", sa.String(64)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("detail", sa.Text),
        sa.Column("depth", sa.Integer, nullable=False),
        sa.Column("container", sa.Text),
        sa.UniqueConstraint("scan_id", "path_key", name="uq_scan_items_scan_path_key"),
    )
    op.create_table(
        "scan_matches",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "item_id", sa.Integer, sa.ForeignKey("scan_items.id"), nullable=False, index=True
        ),
        sa.Column("algorithm", sa.String(20), nullable=False),
        sa.Column("value", sa.String(300), nullable=False),
        sa.Column("set_name", sa.String(200), nullable=False),
        sa.Column("set_version", sa.String(100), nullable=False),
        sa.Column("category", sa.String(100), nullable=False),
        sa.Column("source_category", sa.String(200), nullable=False),
        sa.UniqueConstraint(
            "item_id", "algorithm", "set_name", "set_version", name="uq_scan_matches_item_set"
        ),
    )


def downgrade() -> None:
    for table in ("scan_matches", "scan_items", "scans", "custody_log", "evidence", "cases"):
        op.drop_table(table)
