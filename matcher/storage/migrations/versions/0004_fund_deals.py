"""Fund deals: owning fund organisation, checklist, committee, opening; saved scenarios.

``deals.impact`` and ``deals.esg`` become versioned structures
(``schema_version`` 1, checked by ``matcher.fund``): the old free
dictionaries are converted (``jobs`` -> planned ``jobs_created``, ``users``
a year -> planned ``daily_users`` over 365 days; an old ESG dictionary is
kept under ``legacy``).

Revision ID: 0004
Revises: 0001
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _load(value):
    if value is None or isinstance(value, dict):
        return value
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return None


def upgrade() -> None:
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("checklist", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("committee_decision", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("committee_ticket_eur", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("committee_conditions", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("committee_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("opened_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("synthetic", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index(batch_op.f("ix_deals_organisation_id"), ["organisation_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_deals_organisation_id_organisations"),
            "organisations",
            ["organisation_id"],
            ["id"],
        )
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.alter_column("synthetic", server_default=None)
    with op.batch_alter_table("deal_decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("committee_decision", sa.String(length=20), nullable=True))
    op.create_table(
        "fund_scenarios",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_fund_scenarios_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_fund_scenarios_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_scenarios")),
        sa.UniqueConstraint(
            "organisation_id", "name", name=op.f("uq_fund_scenarios_organisation_id")
        ),
    )
    with op.batch_alter_table("fund_scenarios", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fund_scenarios_organisation_id"), ["organisation_id"], unique=False
        )
    _convert_deals()


def _convert_deals() -> None:
    """Give old deals their fund organisation and versioned impact / ESG structures."""
    conn = op.get_bind()
    fund_org = conn.execute(
        sa.text("SELECT id FROM organisations WHERE kind = 'fund' ORDER BY id LIMIT 1")
    ).scalar()
    rows = conn.execute(
        sa.text(
            "SELECT d.id, d.impact, d.esg, u.organisation_id FROM deals d "
            "LEFT JOIN users u ON u.id = d.officer_id"
        )
    ).all()
    for deal_id, impact, esg, officer_org in rows:
        impact, esg = _load(impact), _load(esg)
        planned = {}
        if isinstance(impact, dict) and impact.get("schema_version") is None:
            if isinstance(impact.get("jobs"), int | float):
                planned["jobs_created"] = float(impact["jobs"])
            if isinstance(impact.get("users"), int | float):
                planned["daily_users"] = round(float(impact["users"]) / 365.0, 1)
            impact = {"schema_version": 1, "planned": planned, "actual": {}}
        if isinstance(esg, dict) and esg.get("schema_version") is None:
            esg = {"schema_version": 1, "scores": {}, "exclusions": [], "five_dimensions": {},
                   "legacy": esg}  # fmt: skip
        conn.execute(
            sa.text(
                "UPDATE deals SET organisation_id = :org, impact = :impact, esg = :esg "
                "WHERE id = :id"
            ),
            {
                "org": officer_org or fund_org,
                "impact": None if impact is None else json.dumps(impact),
                "esg": None if esg is None else json.dumps(esg),
                "id": deal_id,
            },
        )


def downgrade() -> None:
    with op.batch_alter_table("fund_scenarios", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fund_scenarios_organisation_id"))
    op.drop_table("fund_scenarios")
    with op.batch_alter_table("deal_decisions", schema=None) as batch_op:
        batch_op.drop_column("committee_decision")
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_deals_organisation_id_organisations"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_deals_organisation_id"))
        for column in (
            "synthetic",
            "opened_on",
            "committee_date",
            "committee_conditions",
            "committee_ticket_eur",
            "committee_decision",
            "checklist",
            "organisation_id",
        ):
            batch_op.drop_column(column)
