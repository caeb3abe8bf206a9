"""Table generations: a token per table, renewed after each committed write to that table.

A value cached by tracker.infra.cache records the tables its statements read and stays good
while their tokens are unchanged, so logging hours no longer recomputes the ranking. The one
row of data_generation stays: it is renewed by every write and guards values whose statements
name no table it can see.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 22:20:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "table_generation",
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_table_generation")),
    )


def downgrade():
    op.drop_table("table_generation")
