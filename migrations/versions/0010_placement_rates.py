"""Placement rates over time: what a placement bills and pays per hour, from a date on.

- placement_rate (one per placement and effective_from, rates zero or more): the rate of a day
  is the row with the latest effective_from on or before it.
- every existing placement gets its current rates as its first rate, effective from its start
  date, written when the placement was created (one INSERT … SELECT). placement.bill_rate and
  pay_rate stay: they are the rates in effect today, kept by the rate service.

The placement table itself is not altered (on SQLite a batch that recreated it would drop its
double-booking triggers).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 10:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "placement_rate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("placement_id", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("bill_rate", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("pay_rate", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "bill_rate >= 0 AND pay_rate >= 0", name=op.f("ck_placement_rate_rates_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_placement_rate_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["placement_id"],
            ["placement.id"],
            name=op.f("fk_placement_rate_placement_id_placement"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_placement_rate")),
        sa.UniqueConstraint(
            "placement_id",
            "effective_from",
            name=op.f("uq_placement_rate_placement_id_effective_from"),
        ),
    )
    # The rates every placement has today become its first rate, from its start date.
    op.execute(
        "INSERT INTO placement_rate "
        "(placement_id, effective_from, bill_rate, pay_rate, created_at) "
        "SELECT id, start_date, bill_rate, pay_rate, created_at FROM placement"
    )


def downgrade():
    # placement.bill_rate and pay_rate already hold the rates in effect today.
    op.drop_table("placement_rate")
