"""Decision events for learning from what users do: result lists shown, the premises in
them with their scores, actions on them, and the key of the actors' pseudonyms.

Revision ID: 0006
Revises: 0005 (chained on main's head; the lead re-chains migrations at merge)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pseudonym_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hex", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pseudonym_keys")),
    )
    op.create_table(
        "decision_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("actor_pseudonym", sa.String(length=32), nullable=False),
        sa.Column("actor_role", sa.String(length=20), nullable=False),
        sa.Column("shown_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("engine_version", sa.String(length=40), nullable=False),
        sa.Column("weights", sa.JSON(), nullable=False),
        sa.Column("expert_weights", sa.JSON(), nullable=False),
        sa.Column("weights_source", sa.String(length=20), nullable=False),
        sa.Column("explored_position", sa.Integer(), nullable=True),
        sa.Column("n_items", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_decision_lists_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_lists")),
    )
    with op.batch_alter_table("decision_lists", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_decision_lists_project_id"), ["project_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_decision_lists_shown_at"), ["shown_at"], unique=False)

    op.create_table(
        "decision_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("premise_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=True),
        sa.Column("actor_pseudonym", sa.String(length=32), nullable=False),
        sa.Column("actor_role", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["decision_lists.id"],
            name=op.f("fk_decision_actions_list_id_decision_lists"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_decision_actions_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_actions")),
    )
    with op.batch_alter_table("decision_actions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decision_actions_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_decision_actions_list_id"), ["list_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_decision_actions_project_id"), ["project_id"], unique=False
        )

    op.create_table(
        "decision_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("premise_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("insee_code", sa.String(length=5), nullable=True),
        sa.Column("score_total", sa.Float(), nullable=True),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["decision_lists.id"],
            name=op.f("fk_decision_items_list_id_decision_lists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_items")),
        sa.UniqueConstraint("list_id", "position", name=op.f("uq_decision_items_list_id")),
    )
    with op.batch_alter_table("decision_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decision_items_list_id"), ["list_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("decision_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decision_items_list_id"))

    op.drop_table("decision_items")
    with op.batch_alter_table("decision_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decision_actions_project_id"))
        batch_op.drop_index(batch_op.f("ix_decision_actions_list_id"))
        batch_op.drop_index(batch_op.f("ix_decision_actions_at"))

    op.drop_table("decision_actions")
    with op.batch_alter_table("decision_lists", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decision_lists_shown_at"))
        batch_op.drop_index(batch_op.f("ix_decision_lists_project_id"))

    op.drop_table("decision_lists")
    op.drop_table("pseudonym_keys")
