"""Log of deleted premises (the engine's snapshot drops them incrementally); projects
that host a public service (the engine's public-service criterion).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hosts_public_service", sa.Boolean(), nullable=True))
    op.create_table(
        "catalogue_removals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("premise_id", sa.Integer(), nullable=False),
        sa.Column("catalogue_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_removals")),
    )
    with op.batch_alter_table("catalogue_removals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_catalogue_removals_catalogue_seq"), ["catalogue_seq"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("catalogue_removals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalogue_removals_catalogue_seq"))
    op.drop_table("catalogue_removals")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("hosts_public_service")
