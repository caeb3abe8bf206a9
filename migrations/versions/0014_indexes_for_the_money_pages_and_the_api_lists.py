"""Indexes for the money pages and the API lists, at agency scale (issue 18).

- timesheet (week_start, id), invoice and pay_statement (period_start, id): the staff lists and
  the API's, newest first, read in index order on PostgreSQL too (its plain index gave the
  week, not the order by id within it: every row was sorted). Each replaces the index on its
  first column.
- timesheet (decided_at, id): a client's weeks answered lately (the portal's hours page).
- proposal (request_id, id): the proposals of a client's requests from the index alone (the
  portal's interviews); replaces the index on request_id. proposal (created_at, id): the API's
  list, newest first.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 19:19:29.371208

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# table -> (indexes dropped, indexes created as (name, columns))
CHANGES = {
    "invoice": (
        ["ix_invoice_period_start"],
        [("ix_invoice_period_start_id", ["period_start", "id"])],
    ),
    "pay_statement": (
        ["ix_pay_statement_period_start"],
        [("ix_pay_statement_period_start_id", ["period_start", "id"])],
    ),
    "proposal": (
        ["ix_proposal_request_id"],
        [
            ("ix_proposal_created_at_id", ["created_at", "id"]),
            ("ix_proposal_request_id_id", ["request_id", "id"]),
        ],
    ),
    "timesheet": (
        ["ix_timesheet_week_start"],
        [
            ("ix_timesheet_decided_at_id", ["decided_at", "id"]),
            ("ix_timesheet_week_start_id", ["week_start", "id"]),
        ],
    ),
}
# What each dropped index was on (for the downgrade).
DROPPED = {
    "ix_invoice_period_start": ["period_start"],
    "ix_pay_statement_period_start": ["period_start"],
    "ix_proposal_request_id": ["request_id"],
    "ix_timesheet_week_start": ["week_start"],
}


def upgrade():
    for table, (dropped, created) in CHANGES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in dropped:
                batch_op.drop_index(name)
            for name, columns in created:
                batch_op.create_index(name, columns, unique=False)


def downgrade():
    for table, (dropped, created) in reversed(CHANGES.items()):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, _columns in reversed(created):
                batch_op.drop_index(name)
            for name in dropped:
                batch_op.create_index(name, DROPPED[name], unique=False)
