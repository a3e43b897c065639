"""Corrections, the size of the images they hold, and the rate limiter's counters.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "corrections",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("answer", sa.String(64), nullable=False),
        sa.Column("label", sa.String(64), nullable=False),
        sa.Column("model_name", sa.String(100), nullable=False),
        sa.Column("model_version", sa.String(200), nullable=False),
        sa.Column("image", sa.LargeBinary(), nullable=False),
        sa.Column("image_bytes", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_corrections_created_at", "corrections", ["created_at"])
    op.create_index("ix_corrections_status", "corrections", ["status"])
    usage = op.create_table(
        "feedback_usage",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("stored_bytes", sa.BigInteger(), nullable=False),
    )
    op.bulk_insert(usage, [{"id": 1, "stored_bytes": 0}])
    op.create_table(
        "rate_limits",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_rate_limits_expires_at", "rate_limits", ["expires_at"])


def downgrade() -> None:
    op.drop_table("rate_limits")
    op.drop_table("feedback_usage")
    op.drop_index("ix_corrections_status", "corrections")
    op.drop_index("ix_corrections_created_at", "corrections")
    op.drop_table("corrections")
