"""The roster: engineers, their skills and where they stand in vetting."""

from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from tracker.models.base import Model, Timestamped, money, one_of, rating_check
from tracker.models.enums import EnglishLevel, Seniority, VettingStatus

if TYPE_CHECKING:
    from tracker.models.placement import Placement
    from tracker.models.proposal import Proposal
    from tracker.models.user import User

VETTING_SCORES = ("code_quality", "system_design", "api_integration", "communication")


class Skill(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    category: Mapped[str | None] = mapped_column(sa.String(40))

    def __repr__(self) -> str:
        return f"<Skill {self.name}>"


# Case-insensitive uniqueness: "pytorch" and "PyTorch" are one skill.
sa.Index("uq_skill_name_lower", sa.func.lower(Skill.name), unique=True)


class Engineer(Timestamped, Model):
    __table_args__ = (
        sa.CheckConstraint(one_of("seniority", Seniority.values()), name="seniority"),
        sa.CheckConstraint(one_of("english_level", EnglishLevel.values()), name="english_level"),
        sa.CheckConstraint(one_of("vetting_status", VettingStatus.values()), name="vetting_status"),
        sa.CheckConstraint("email = lower(email)", name="email_lowercase"),
        sa.CheckConstraint("length(country) = 2", name="country_alpha2"),
        sa.CheckConstraint("hourly_rate >= 0", name="hourly_rate_non_negative"),
        sa.CheckConstraint("years_experience >= 0", name="years_non_negative"),
        sa.CheckConstraint("workday_start <> workday_end", name="workday_not_empty"),
        *(rating_check(score, nullable=True) for score in VETTING_SCORES),
        # A vetted engineer has been scored on all four dimensions.
        sa.CheckConstraint(
            "vetting_status <> 'vetted' OR (vetted_at IS NOT NULL AND "
            + " AND ".join(f"{s} IS NOT NULL" for s in VETTING_SCORES)
            + ")",
            name="vetted_has_scores",
        ),
        sa.Index("ix_engineer_match_prefilter", "vetting_status", "is_active", "available_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(sa.String(120), index=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    country: Mapped[str] = mapped_column(sa.String(2), index=True)  # ISO 3166 alpha-2
    city: Mapped[str | None] = mapped_column(sa.String(80))
    timezone: Mapped[str] = mapped_column(sa.String(64), index=True)  # IANA zone name
    workday_start: Mapped[time]
    workday_end: Mapped[time]
    seniority: Mapped[str] = mapped_column(sa.String(10))
    years_experience: Mapped[int] = mapped_column(default=0)
    english_level: Mapped[str] = mapped_column(sa.String(2))
    hourly_rate: Mapped[Decimal] = mapped_column(money())  # paid to the engineer, USD/h
    vetting_status: Mapped[str] = mapped_column(sa.String(24), default=VettingStatus.SOURCED)
    code_quality: Mapped[int | None] = mapped_column(sa.SmallInteger)
    system_design: Mapped[int | None] = mapped_column(sa.SmallInteger)
    api_integration: Mapped[int | None] = mapped_column(sa.SmallInteger)
    communication: Mapped[int | None] = mapped_column(sa.SmallInteger)
    vetting_notes: Mapped[str | None] = mapped_column(sa.Text)
    notes: Mapped[str | None] = mapped_column(sa.Text)  # internal, never shown to clients
    vetted_at: Mapped[datetime | None]
    available_from: Mapped[date | None]
    is_active: Mapped[bool] = mapped_column(default=True)
    version_id: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version_id}

    skills: Mapped[list["EngineerSkill"]] = relationship(
        back_populates="engineer", cascade="all, delete-orphan"
    )
    proposals: Mapped[list["Proposal"]] = relationship(back_populates="engineer")
    placements: Mapped[list["Placement"]] = relationship(back_populates="engineer")
    # Their account for /me/, when staff gave them one.
    user: Mapped["User | None"] = relationship(back_populates="engineer", uselist=False)

    @validates("email")
    def _normalise_email(self, _key, value: str) -> str:
        return value.strip().lower()

    @property
    def client_safe_name(self) -> str:
        """First name and last initial: what a client sees before a placement."""
        first, *rest = self.full_name.split()
        return f"{first} {rest[-1][0]}." if rest else first

    @property
    def vetting_average(self) -> float | None:
        scores = [getattr(self, s) for s in VETTING_SCORES]
        if any(s is None for s in scores):
            return None
        return sum(scores) / len(scores)

    def __repr__(self) -> str:
        return f"<Engineer {self.full_name}>"


class EngineerSkill(Model):
    __table_args__ = (
        rating_check("level"),
        sa.CheckConstraint("years IS NULL OR years >= 0", name="years_non_negative"),
        # Covering: matching intersects "engineers with skill S at level >= L" from it alone.
        sa.Index("ix_engineer_skill_skill_level", "skill_id", "level", "engineer_id"),
    )

    engineer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("engineer.id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[int] = mapped_column(
        sa.ForeignKey("skill.id", ondelete="RESTRICT"), primary_key=True
    )
    level: Mapped[int] = mapped_column(sa.SmallInteger)
    years: Mapped[int | None] = mapped_column(sa.SmallInteger)

    engineer: Mapped[Engineer] = relationship(back_populates="skills")
    skill: Mapped[Skill] = relationship(lazy="joined")


# The roster sorts by name whatever its case: an index on the expression serves the first page
# without sorting the whole roster.
sa.Index("ix_engineer_full_name_lower", sa.func.lower(Engineer.full_name))
