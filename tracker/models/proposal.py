"""An engineer put forward for a staffing request, and the client's answer."""

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.base import Model, Timestamped, money, one_of
from tracker.models.enums import ProposalStatus

if TYPE_CHECKING:
    from tracker.models.engineer import Engineer
    from tracker.models.staffing_request import StaffingRequest
    from tracker.models.user import User


class Proposal(Timestamped, Model):
    __table_args__ = (
        sa.UniqueConstraint("request_id", "engineer_id"),
        # What an interview's (proposal, engineer) key refers to: a unique index, which both
        # databases accept as a foreign key's target, added without rebuilding the table.
        sa.Index("uq_proposal_id_engineer_id", "id", "engineer_id", unique=True),
        sa.CheckConstraint(one_of("status", ProposalStatus.values()), name="status"),
        sa.CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="score_range"),
        sa.CheckConstraint("bill_rate IS NULL OR bill_rate >= 0", name="bill_rate_non_negative"),
        sa.CheckConstraint(
            "status <> 'declined' OR decline_reason IS NOT NULL", name="declined_has_reason"
        ),
        sa.Index("ix_proposal_status", "status"),
        # A request's proposals, and the proposals of a client's requests read from the index
        # alone (the portal's interviews: a client's requests, their proposals, interviews).
        sa.Index("ix_proposal_request_id_id", "request_id", "id"),
        # The API's list, newest first.
        sa.Index("ix_proposal_created_at_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("staffing_request.id", ondelete="CASCADE")
    )
    engineer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("engineer.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[str] = mapped_column(sa.String(16), default=ProposalStatus.SHORTLISTED)
    score: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))
    # USD/h the client would be billed, set when the engineer is proposed; shown to the client.
    bill_rate: Mapped[Decimal | None] = mapped_column(money())
    decline_reason: Mapped[str | None] = mapped_column(sa.String(40))
    decline_note: Mapped[str | None] = mapped_column(sa.Text)
    proposed_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    version_id: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version_id}

    request: Mapped["StaffingRequest"] = relationship(back_populates="proposals")
    engineer: Mapped["Engineer"] = relationship(back_populates="proposals")
    created_by: Mapped["User | None"] = relationship()

    def __repr__(self) -> str:
        return f"<Proposal {self.id} request={self.request_id} engineer={self.engineer_id}>"
