"""Timesheets and engineer accounts: weekly hours per placement, and engineers who sign in.

- timesheet (one per placement and week) and timesheet_entry (one per day, more than 0 and at
  most 24 hours, in quarter hours): the database refuses a second timesheet for a week and an
  entry outside those bounds, whatever code writes them.
- user_account.engineer_id: an engineer's account is one roster engineer (unique), required
  exactly for the new role 'engineer'.
- placement.hours_per_week (default 40) and the hours summary health reads (timesheets_from,
  low_hours_weeks, missing_weeks, rejected_since); live placements expect timesheets from the
  week of the upgrade on.
- notification kinds for the timesheet notices.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 22:23:45

"""

from datetime import date, timedelta

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

OLD_ROLES = "role IN ('admin', 'account_manager', 'client')"
NEW_ROLES = "role IN ('admin', 'account_manager', 'client', 'engineer')"
ENGINEER_ID_IFF_ROLE = (
    "(role = 'engineer' AND engineer_id IS NOT NULL) OR "
    "(role <> 'engineer' AND engineer_id IS NULL)"
)
OLD_KINDS = "kind IN ('proposal_waiting', 'client_decision', 'draft_request', 'client_review', 'review_due')"  # noqa: E501
NEW_KINDS = (
    "kind IN ('proposal_waiting', 'client_decision', 'draft_request', 'client_review', "
    "'review_due', 'timesheet_missing', 'timesheet_submitted', 'timesheet_rejected', "
    "'timesheet_auto_approved')"
)
HOURS_PER_WEEK = "hours_per_week > 0 AND hours_per_week <= 80"


def _is_sqlite():
    return op.get_bind().dialect.name == "sqlite"


def upgrade():
    op.create_table(
        "timesheet",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("placement_id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("total_hours", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_automatically", sa.Boolean(), nullable=False),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "status <> 'rejected' OR decision_note IS NOT NULL",
            name=op.f("ck_timesheet_rejected_with_a_reason"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'approved', 'rejected')",
            name=op.f("ck_timesheet_status"),
        ),
        sa.CheckConstraint("total_hours >= 0", name=op.f("ck_timesheet_total_hours_not_negative")),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_timesheet_decided_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["placement_id"],
            ["placement.id"],
            name=op.f("fk_timesheet_placement_id_placement"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"],
            ["user_account.id"],
            name=op.f("fk_timesheet_submitted_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timesheet")),
        sa.UniqueConstraint(
            "placement_id", "week_start", name=op.f("uq_timesheet_placement_id_week_start")
        ),
    )
    op.create_index(
        "ix_timesheet_status_submitted_at", "timesheet", ["status", "submitted_at"], unique=False
    )
    op.create_index("ix_timesheet_week_start", "timesheet", ["week_start"], unique=False)

    op.create_table(
        "timesheet_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("timesheet_id", sa.Integer(), nullable=False),
        sa.Column("work_date", sa.Date(), nullable=False),
        sa.Column("hours", sa.Numeric(precision=4, scale=2), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "hours * 4 = ROUND(hours * 4)", name=op.f("ck_timesheet_entry_quarter_hours")
        ),
        sa.CheckConstraint(
            "hours > 0 AND hours <= 24", name=op.f("ck_timesheet_entry_hours_in_a_day")
        ),
        sa.ForeignKeyConstraint(
            ["timesheet_id"],
            ["timesheet.id"],
            name=op.f("fk_timesheet_entry_timesheet_id_timesheet"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timesheet_entry")),
        sa.UniqueConstraint(
            "timesheet_id", "work_date", name=op.f("uq_timesheet_entry_timesheet_id_work_date")
        ),
    )

    # Plain ADD COLUMNs: on SQLite a batch that recreated placement would drop its
    # double-booking triggers. The range of hours_per_week is a CHECK on PostgreSQL; on
    # SQLite the service refuses it (a CHECK there needs the table rebuilt).
    op.add_column(
        "placement",
        sa.Column(
            "hours_per_week",
            sa.Numeric(precision=4, scale=1),
            server_default="40",
            nullable=False,
        ),
    )
    op.add_column("placement", sa.Column("timesheets_from", sa.Date(), nullable=True))
    op.add_column(
        "placement",
        sa.Column("low_hours_weeks", sa.SmallInteger(), server_default="0", nullable=False),
    )
    op.add_column(
        "placement",
        sa.Column("missing_weeks", sa.SmallInteger(), server_default="0", nullable=False),
    )
    op.add_column("placement", sa.Column("rejected_since", sa.Date(), nullable=True))
    if not _is_sqlite():
        op.create_check_constraint("hours_per_week_in_range", "placement", HOURS_PER_WEEK)
    # Live placements expect a timesheet from this week on: the weeks before the tracker kept
    # hours are not missing. Ended ones expect none.
    this_monday = date.today() - timedelta(days=date.today().weekday())
    op.execute(
        sa.text(
            "UPDATE placement SET timesheets_from = :monday WHERE status IN ('pending', 'active')"
        ).bindparams(monday=this_monday)
    )

    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("engineer_id", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_user_account_engineer_id"), ["engineer_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_user_account_engineer_id_engineer"),
            "engineer",
            ["engineer_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.drop_constraint(batch_op.f("ck_user_account_role"), type_="check")
        batch_op.create_check_constraint("role", NEW_ROLES)
        batch_op.create_check_constraint("engineer_id_iff_engineer_role", ENGINEER_ID_IFF_ROLE)

    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_notification_kind"), type_="check")
        batch_op.create_check_constraint("kind", NEW_KINDS)


def downgrade():
    op.execute(
        "DELETE FROM notification WHERE kind IN ('timesheet_missing', 'timesheet_submitted', "
        "'timesheet_rejected', 'timesheet_auto_approved')"
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_notification_kind"), type_="check")
        batch_op.create_check_constraint("kind", OLD_KINDS)

    op.execute("DELETE FROM user_account WHERE role = 'engineer'")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("ck_user_account_engineer_id_iff_engineer_role"), type_="check"
        )
        batch_op.drop_constraint(batch_op.f("ck_user_account_role"), type_="check")
        batch_op.create_check_constraint("role", OLD_ROLES)
        batch_op.drop_constraint(
            batch_op.f("fk_user_account_engineer_id_engineer"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("uq_user_account_engineer_id"), type_="unique")
        batch_op.drop_column("engineer_id")

    if not _is_sqlite():
        op.drop_constraint(op.f("ck_placement_hours_per_week_in_range"), "placement", type_="check")
    for column in (
        "rejected_since",
        "missing_weeks",
        "low_hours_weeks",
        "timesheets_from",
        "hours_per_week",
    ):
        op.drop_column("placement", column)

    op.drop_table("timesheet_entry")
    op.drop_index("ix_timesheet_week_start", table_name="timesheet")
    op.drop_index("ix_timesheet_status_submitted_at", table_name="timesheet")
    op.drop_table("timesheet")
