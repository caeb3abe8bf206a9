"""People who sign in: agency staff, the users of client companies and engineers."""

import secrets
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from tracker.models.base import Model, Timestamped, one_of
from tracker.models.enums import STAFF_ROLES, Role

if TYPE_CHECKING:
    from tracker.models.client import Client
    from tracker.models.engineer import Engineer


def new_session_token() -> str:
    """A fresh random token; changing it signs the user out of every browser."""
    return secrets.token_urlsafe(24)


class User(UserMixin, Timestamped, Model):
    __tablename__ = "user_account"  # "user" is reserved in PostgreSQL
    __table_args__ = (
        sa.CheckConstraint(one_of("role", Role.values()), name="role"),
        sa.CheckConstraint("email = lower(email)", name="email_lowercase"),
        sa.CheckConstraint(
            "(role = 'client' AND client_id IS NOT NULL) OR "
            "(role <> 'client' AND client_id IS NULL)",
            name="client_id_iff_client_role",
        ),
        sa.CheckConstraint(
            "(role = 'engineer' AND engineer_id IS NOT NULL) OR "
            "(role <> 'engineer' AND engineer_id IS NULL)",
            name="engineer_id_iff_engineer_role",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(20), index=True)
    client_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("client.id", ondelete="RESTRICT"), index=True
    )
    # An engineer's account is the one roster engineer they are (one account each).
    engineer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("engineer.id", ondelete="RESTRICT"), unique=True
    )
    is_active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None]
    # Part of the session cookie's identity: rotated on logout, password change and deactivation.
    session_token: Mapped[str] = mapped_column(sa.String(64), default=new_session_token)

    client: Mapped["Client | None"] = relationship(back_populates="users", foreign_keys=[client_id])
    engineer: Mapped["Engineer | None"] = relationship(
        back_populates="user", foreign_keys=[engineer_id]
    )

    @validates("email")
    def _normalise_email(self, _key, value: str) -> str:
        return value.strip().lower()

    def get_id(self) -> str:
        """Flask-Login's identity: the id plus the current session token."""
        return f"{self.id}:{self.session_token}"

    def rotate_session_token(self) -> None:
        """Make every existing session cookie of this user useless."""
        self.session_token = new_session_token()

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_client(self) -> bool:
        return self.role == Role.CLIENT

    @property
    def is_engineer(self) -> bool:
        return self.role == Role.ENGINEER

    @property
    def role_label(self) -> str:
        return Role(self.role).label

    def __repr__(self) -> str:
        return f"<User {self.email} ({self.role})>"
