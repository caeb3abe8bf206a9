"""Access for a client's people (the portal) and for engineers (their area, /me/), given by
staff, with no password sent.

Staff invite a person by name and email from the client page, or an engineer from their page.
The person receives an e-mail (through the outbox) with a link to choose their own password;
until then their account has a random password nobody knows. The link is signed with
SECRET_KEY, expires after INVITATION_DAYS, and works once: it carries a fingerprint of the
account's password hash, which choosing a password (or sending a new invitation) changes.
"""

import hashlib
import secrets

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import joinedload

from tracker.infra.audit import record_event
from tracker.infra.passwords import hash_password, password_problems
from tracker.models import Client, Engineer, OutboxEmail, Proposal, StaffingRequest, User, db
from tracker.models.enums import Role
from tracker.models.notification import NotificationKind
from tracker.services import DomainError
from tracker.services.field_rules import RuleError, email_address, max_length
from tracker.services.notifications import notify, one_line
from tracker.services.portal import WAITING
from tracker.services.users import find_by_email

SALT = "portal-invitation"
# The accounts staff give by invitation (staff accounts are an admin's, with a password).
INVITED_ROLES = (Role.CLIENT, Role.ENGINEER)


class InvitationError(DomainError):
    """The link cannot be used (expired, used, or not ours); says what to do instead."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _fingerprint(user: User) -> str:
    """Changes when the password is chosen, a new invitation is sent, access is switched off
    (the session token turns over) or the user moves to another company: each ends the link."""
    material = f"{user.password_hash}|{user.session_token}|{user.client_id}"
    if user.engineer_id is not None:  # (links sent before engineers had accounts stay valid)
        material += f"|{user.engineer_id}"
    return hashlib.sha256(material.encode()).hexdigest()[:20]


def _new_unknown_password(user: User) -> None:
    """A random password nobody knows: the account cannot sign in until one is chosen, and
    every earlier invitation link stops working."""
    user.password_hash = hash_password(secrets.token_urlsafe(32))
    user.rotate_session_token()


def invitation_path(user: User) -> str:
    """The path of the link that lets this user choose a password (valid until used)."""
    token = _serializer().dumps({"user": user.id, "fingerprint": _fingerprint(user)})
    return f"/invitation/{token}"


def invite(client: Client, *, name: str, email: str, actor: User) -> User:
    """A new portal user of this client, and the e-mail that lets them in."""
    name, email = " ".join((name or "").split()), (email or "").strip().lower()
    if client.archived_at is not None:
        raise DomainError(f"{client.name} is archived; restore the client first.")
    if not name:
        raise DomainError("Enter the person's name.")
    try:
        max_length(120)(name)
        email_address(email)
    except RuleError as e:
        raise DomainError(str(e)) from None
    if (existing := find_by_email(email)) is not None:
        where = existing.client.name if existing.client else "the agency"
        raise DomainError(f"{email} already has an account (at {where}).")
    user = User(email=email, name=name, role=Role.CLIENT.value, client=client, is_active=True)
    _new_unknown_password(user)
    db.session.add(user)
    db.session.flush()
    invited = {"email": [None, email], "client": [None, client.name]}
    record_event(actor, "user.invited", user, invited)
    _send(user, actor)
    return user


def invite_engineer(engineer: Engineer, *, actor: User) -> User:
    """An account for a roster engineer (their e-mail, their name), and the e-mail that lets
    them into their own area: their placements, timesheets and profile."""
    if not engineer.is_active:
        raise DomainError(f"{engineer.full_name} is archived; restore them to the roster first.")
    if engineer.user is not None:
        raise DomainError(f"{engineer.full_name} already has an account ({engineer.user.email}).")
    if (existing := find_by_email(engineer.email)) is not None:
        raise DomainError(f"{engineer.email} already has an account ({existing.role_label}).")
    user = User(
        email=engineer.email,
        name=engineer.full_name,
        role=Role.ENGINEER.value,
        engineer=engineer,
        is_active=True,
    )
    _new_unknown_password(user)
    db.session.add(user)
    db.session.flush()
    invited = {"email": [None, user.email], "engineer": [None, engineer.full_name]}
    record_event(actor, "user.invited", user, invited)
    _send(user, actor)
    return user


def resend(user: User, actor: User) -> None:
    """A new link for someone who has not signed in yet; the previous one stops working."""
    _check_portal_user(user)
    if user.last_login_at is not None:
        raise DomainError(f"{user.name} has signed in already; they can change their password.")
    if not user.is_active:
        raise DomainError(f"{user.name}'s access is switched off; switch it on first.")
    _new_unknown_password(user)
    record_event(actor, "user.invitation_resent", user)
    _send(user, actor)


def _send(user: User, actor: User) -> None:
    base_url = current_app.config.get("APP_BASE_URL", "").rstrip("/")
    days = current_app.config["INVITATION_DAYS"]
    if user.role == Role.ENGINEER:
        what = (
            "to your own area of Engagement Tracker: your placements, the team's hours in "
            "your zone, and your weekly timesheets."
        )
        subject = "Your access to Engagement Tracker"
    else:
        client = _company(user)
        what = (
            f"to follow {client.name}'s staffing requests, the engineers proposed to you, "
            "placements and iteration reviews in Engagement Tracker."
        )
        subject = f"Your access to {client.name}'s portal in Engagement Tracker"
    body = (
        f"Hello {user.name},\n\n"
        f"{actor.name} invites you {what}\n\n"
        f"Choose your password here (the link works once, for {days} days):\n"
        f"{base_url}{invitation_path(user)}\n\n"
        f"Then sign in with {user.email}. If you did not expect this, ignore this e-mail.\n\n"
        "— Engagement Tracker\n"
    )
    db.session.add(
        OutboxEmail(
            to_address=user.email,
            to_name=one_line(user.name, 120),
            subject=subject,
            body_text=body,
        )
    )


def user_for(token: str) -> User:
    """The user an invitation link is for, or InvitationError saying why it cannot be used."""
    max_age = current_app.config["INVITATION_DAYS"] * 24 * 3600
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        raise InvitationError(
            "This invitation has expired. Ask your account manager to send a new one."
        ) from None
    except BadSignature:
        raise InvitationError("This link is not a valid invitation.") from None
    user_id = data.get("user") if isinstance(data, dict) else None
    # Locked: two tabs sending the same link at once are served one after the other, and the
    # second finds it used.
    user = (
        db.session.scalar(sa.select(User).where(User.id == user_id).with_for_update())
        if isinstance(user_id, int)
        else None
    )
    if user is None or not user.is_active or user.role not in INVITED_ROLES:
        raise InvitationError("This invitation is no longer valid. Ask your account manager.")
    if data.get("fingerprint") != _fingerprint(user):
        raise InvitationError(
            "This invitation link has been used or replaced by a newer one. Sign in with your "
            "password, or ask your account manager to send a new invitation."
        )
    return user


def accept(user: User, password: str) -> int:
    """The invited user chooses their password; they hear once about proposals waiting for
    their company. Returns how many are waiting."""
    if problems := password_problems(password, email=user.email):
        raise DomainError(" ".join(problems))
    user.password_hash = hash_password(password)
    user.rotate_session_token()
    record_event(user, "user.invitation_accepted", user)
    if user.role != Role.CLIENT:
        return 0
    return _tell_about_waiting_proposals(user)


def _tell_about_waiting_proposals(user: User) -> int:
    """One notification listing what waits for the company's decision (sent before they had
    an account, those reached nobody)."""
    waiting = db.session.scalars(
        sa.select(Proposal)
        .join(Proposal.request)
        .where(StaffingRequest.client_id == user.client_id, Proposal.status.in_(WAITING))
        .options(joinedload(Proposal.engineer), joinedload(Proposal.request))
        .order_by(Proposal.proposed_at, Proposal.id)
    ).all()
    if not waiting:
        return 0
    lines = [f"- {p.engineer.client_safe_name} for “{p.request.title}”" for p in waiting]
    count = len(waiting)
    notify(
        [user],
        kind=NotificationKind.PROPOSAL_WAITING,
        title=f"{count} proposal{'s' if count != 1 else ''} waiting for your decision",
        body="Engineers proposed to your company:\n" + "\n".join(lines),
        link="/portal/proposals/",
        key="proposals-waiting:welcome",
        email=False,
    )
    return count


def set_access(user: User, active: bool, actor: User) -> bool:
    """Switch a portal user's access off or on; returns whether it changed. Off ends their
    sessions at once."""
    _check_portal_user(user)
    if user.is_active == active:
        return False
    user.is_active = active
    user.rotate_session_token()
    record_event(actor, "user.updated", user, {"is_active": [not active, active]})
    return True


def _check_portal_user(user: User) -> None:
    if user.role not in INVITED_ROLES:
        raise DomainError(
            "Only portal users and engineers are managed here; staff are managed by an admin."
        )


def _company(user: User) -> Client:
    """A portal user's company: every client user has one (users.company_problem)."""
    if user.client is None:
        raise DomainError(f"{user.name} belongs to no client; give them a company first.")
    return user.client
