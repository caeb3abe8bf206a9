"""The data generation: one row whose token changes after every committed write.

Processes keep agency-wide figures (the dashboard's) only while this token is unchanged; see
tracker/infra/cache.py.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 04:20:00

"""

import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        "data_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_generation")),
    )
    op.bulk_insert(table, [{"id": 1, "token": secrets.token_hex(16)}])


def downgrade():
    op.drop_table("data_generation")
