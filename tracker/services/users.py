"""Accounts: creating users and checking who is signing in."""

import sqlalchemy as sa

from tracker.infra.audit import pending_changes, record_event, record_security_event
from tracker.infra.passwords import hash_password, password_problems, verify_password
from tracker.models import Client, Engineer, User, db, utcnow
from tracker.models.enums import Role
from tracker.services import DomainError, notifications


def find_by_email(email: str) -> User | None:
    """The user with this email, whatever its case."""
    return db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))


def company_problem(role: str | None, has_company: bool) -> str | None:
    """Why this role and company do not go together, or None: a client user belongs to exactly
    one company, agency staff to none. The admin form, create-user and the services share it."""
    if role == Role.CLIENT and not has_company:
        return "Choose the client company this user belongs to."
    if role in Role.values() and role != Role.CLIENT and has_company:
        return (
            "Only client users belong to a client company; agency staff belong to none. "
            "Choose the role Client, or no company."
        )
    return None


ENGINEER_ACCOUNTS_ONLY_FROM_PROFILE = (
    "Engineer accounts belong to an engineer of the roster: give one from the engineer's page "
    "(Invite to their area), or with `flask create-user --role engineer --engineer EMAIL`."
)


def engineer_problem(role: str | None, engineer: Engineer | None) -> str | None:
    """Why this role and roster engineer do not go together, or None: an engineer's account is
    exactly one roster engineer's (still on the roster, without another account); no one
    else's account names an engineer."""
    if role != Role.ENGINEER:
        return None if engineer is None else "Only an engineer's account names an engineer."
    if engineer is None:
        return ENGINEER_ACCOUNTS_ONLY_FROM_PROFILE
    if not engineer.is_active:
        return f"{engineer.full_name} is archived; restore them to the roster first."
    if engineer.user is not None:
        return f"{engineer.full_name} already has an account ({engineer.user.email})."
    return None


def _check_role(role: str, client: Client | None) -> None:
    if role not in Role.values():
        raise DomainError(f"Role must be one of {', '.join(Role.values())}.")
    if problem := company_problem(role, client is not None):
        raise DomainError(problem)


def create_user(
    *,
    email: str,
    name: str,
    role: str,
    password: str,
    client: Client | None = None,
    engineer: Engineer | None = None,
    is_active: bool = True,
    actor: User | None = None,
) -> User:
    """A new user with a checked password; a client user belongs to exactly one client, an
    engineer's account to one roster engineer. `is_active=False` creates the account switched
    off (the admin form's choice)."""
    email = email.strip().lower()
    name = name.strip()
    _check_role(role, client)
    if problem := engineer_problem(role, engineer):
        raise DomainError(problem)
    if not name:
        raise DomainError("A name is required.")
    if "@" not in email:
        raise DomainError("That is not an email address.")
    if find_by_email(email) is not None:
        raise DomainError(f"A user with the email {email} already exists.")
    if problems := password_problems(password, email=email):
        raise DomainError(" ".join(problems))
    user = User(
        email=email,
        name=name,
        role=role,
        client=client,
        engineer=engineer,
        password_hash=hash_password(password),
    )
    db.session.add(user)
    record_event(actor, "user.created", user, pending_changes(user))
    user.is_active = is_active  # after the event, as before: its changes leave access out
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user these credentials belong to, or None (same work either way)."""
    user = find_by_email(email)
    if user is None:
        verify_password(None, password)
        return None
    if not verify_password(user.password_hash, password) or not user.is_active:
        return None
    return user


def record_sign_in(user: User, ip_address: str | None) -> None:
    """Note a successful sign-in on the user and in the audit trail."""
    user.last_login_at = utcnow()
    record_event(user, "auth.sign_in", user, ip_address=ip_address)


def record_failed_sign_in(email: str) -> None:
    """Note a failed sign-in — the email tried, never the password — against the account if any."""
    user = find_by_email(email)
    record_security_event(None, "auth.sign_in_failed", user, {"email": [None, email.strip()[:254]]})


def sign_out(user: User) -> None:
    """End every session of this user: a copied cookie no longer signs anyone in."""
    user.rotate_session_token()
    record_security_event(user, "auth.sign_out", user)


def change_own_password(user: User, current: str, new: str) -> None:
    """A user replaces their own password, proving they know the current one."""
    if not verify_password(user.password_hash, current):
        raise DomainError("Your current password is not right.")
    if current == new:
        raise DomainError("Choose a password different from the current one.")
    set_password(user, new, actor=user)


def update_user(
    user: User,
    *,
    name: str,
    role: str,
    client: Client | None,
    is_active: bool,
    actor: User,
) -> dict:
    """Change a user's name, role, company or access; returns the changes recorded. An
    engineer's account stays one (its engineer is fixed); no other account becomes one."""
    if (user.role == Role.ENGINEER) != (role == Role.ENGINEER):
        raise DomainError(
            "An engineer's account stays an engineer's: switch its access off instead."
            if user.role == Role.ENGINEER
            else ENGINEER_ACCOUNTS_ONLY_FROM_PROFILE
        )
    _check_role(role, client)
    if user.id == actor.id and (role != user.role or not is_active):
        raise DomainError("You cannot change your own role or deactivate yourself.")
    user.name = name.strip()
    user.role = role
    user.client = client
    user.is_active = is_active
    changes = pending_changes(user)
    if "role" in changes or "client" in changes or "is_active" in changes:
        user.rotate_session_token()  # new rights, or none: sign the user in again
    if "role" in changes or "client" in changes:
        notifications.forget(user)  # about records of the old rights: not theirs to read now
    if changes:
        action = "user.role_changed" if "role" in changes else "user.updated"
        record_event(actor, action, user, changes)
    return changes


def set_password(user: User, password: str, *, actor: User) -> None:
    """Replace a user's password and end their other sessions."""
    if problems := password_problems(password, email=user.email):
        raise DomainError(" ".join(problems))
    user.password_hash = hash_password(password)
    user.rotate_session_token()
    record_event(actor, "user.password_changed", user)
