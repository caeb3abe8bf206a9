"""A client meeting a proposed engineer: the slots asked for, the one confirmed, the outcome."""

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import uuid4

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.base import Model, Timestamped, one_of, rating_check
from tracker.models.enums import InterviewStatus

if TYPE_CHECKING:
    from tracker.models.engineer import Engineer
    from tracker.models.proposal import Proposal
    from tracker.models.user import User

# One engineer is never in two scheduled interviews at once. Like the placements' guard, not
# a portable constraint: migration 0013 adds an exclusion constraint on PostgreSQL (btree_gist,
# tsrange overlap) and BEFORE INSERT/UPDATE triggers on SQLite, all of this name.
NO_DOUBLE_INTERVIEW = "interview_no_double_booking"
OPEN_PER_PROPOSAL = "uq_interview_open_proposal"

# Which side offered the current choices; the other side confirms one of them.
CLIENT_SIDE = "client"  # the client, or an account manager asking for the client
AGENCY_SIDE = "agency"  # an account manager or the engineer, proposing other times
NO_SHOW_PARTIES = ("engineer", "client")


class Interview(Timestamped, Model):
    __table_args__ = (
        sa.CheckConstraint(one_of("status", InterviewStatus.values()), name="status"),
        sa.CheckConstraint(one_of("choices_side", (CLIENT_SIDE, AGENCY_SIDE)), name="side"),
        sa.CheckConstraint(
            "status = 'requested' OR status = 'cancelled' OR "
            "(starts_at IS NOT NULL AND ends_at IS NOT NULL)",
            name="held_has_times",
        ),
        sa.CheckConstraint(
            "starts_at IS NULL OR (ends_at IS NOT NULL AND ends_at > starts_at)",
            name="times_ordered",
        ),
        sa.CheckConstraint(
            "(status = 'completed') = (overall_rating IS NOT NULL AND would_continue IS NOT NULL)",
            name="completed_iff_outcome",
        ),
        sa.CheckConstraint(
            "(status = 'no_show') = (no_show_party IS NOT NULL)", name="no_show_iff_party"
        ),
        sa.CheckConstraint(
            f"no_show_party IS NULL OR {one_of('no_show_party', NO_SHOW_PARTIES)}",
            name="no_show_party",
        ),
        sa.CheckConstraint(
            "(status = 'cancelled') = (cancelled_at IS NOT NULL)", name="cancelled_iff_when"
        ),
        sa.CheckConstraint("sequence >= 0", name="sequence_non_negative"),
        rating_check("overall_rating", nullable=True),
        # The interview's engineer is its proposal's engineer, enforced by the database.
        sa.ForeignKeyConstraint(
            ["proposal_id", "engineer_id"],
            ["proposal.id", "proposal.engineer_id"],
            name="fk_interview_proposal_engineer",
            ondelete="CASCADE",
        ),
        # One open (requested or scheduled) interview per proposal, whoever asks at once.
        sa.Index(
            OPEN_PER_PROPOSAL,
            "proposal_id",
            unique=True,
            sqlite_where=sa.text("status IN ('requested', 'scheduled')"),
            postgresql_where=sa.text("status IN ('requested', 'scheduled')"),
        ),
        # An engineer's interviews by time: the busy times free_slots leaves out, /me's list.
        sa.Index("ix_interview_engineer_status_starts", "engineer_id", "status", "starts_at"),
        sa.Index("ix_interview_status_starts", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("proposal.id", ondelete="CASCADE"), index=True
    )
    engineer_id: Mapped[int] = mapped_column(sa.ForeignKey("engineer.id", ondelete="RESTRICT"))
    # The iCalendar UID of its invites: made once, never reused by another installation.
    uid: Mapped[str] = mapped_column(sa.String(36), unique=True, default=lambda: str(uuid4()))
    status: Mapped[str] = mapped_column(sa.String(12), default=InterviewStatus.REQUESTED)
    # The confirmed time (UTC); empty while the interview is only requested.
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    # The slots one side picked ([[start ISO, end ISO], …], UTC, at most three) and that side.
    choices: Mapped[list[Any]] = mapped_column(sa.JSON, default=list)
    choices_side: Mapped[str] = mapped_column(sa.String(8), default=CLIENT_SIDE)
    meeting_url: Mapped[str | None] = mapped_column(sa.String(500))
    # The iCalendar SEQUENCE: raised on every change of a confirmed interview.
    sequence: Mapped[int] = mapped_column(default=0)
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    confirmed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    confirmed_at: Mapped[datetime | None]
    cancelled_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(sa.Text)
    no_show_party: Mapped[str | None] = mapped_column(sa.String(8))
    # The outcome, recorded after the interview: {skill name: 1–5} for the request's
    # must-haves, an overall rating, whether to continue, a note.
    skill_ratings: Mapped[dict[str, int] | None] = mapped_column(sa.JSON)
    overall_rating: Mapped[int | None] = mapped_column(sa.SmallInteger)
    would_continue: Mapped[bool | None]
    outcome_note: Mapped[str | None] = mapped_column(sa.Text)
    outcome_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    outcome_at: Mapped[datetime | None]
    version_id: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version_id}

    proposal: Mapped["Proposal"] = relationship(foreign_keys=[proposal_id])
    engineer: Mapped["Engineer"] = relationship(foreign_keys=[engineer_id])
    requested_by: Mapped["User | None"] = relationship(foreign_keys=[requested_by_id])
    confirmed_by: Mapped["User | None"] = relationship(foreign_keys=[confirmed_by_id])
    cancelled_by: Mapped["User | None"] = relationship(foreign_keys=[cancelled_by_id])
    outcome_by: Mapped["User | None"] = relationship(foreign_keys=[outcome_by_id])

    def __repr__(self) -> str:
        return f"<Interview {self.id} proposal={self.proposal_id} {self.status}>"
