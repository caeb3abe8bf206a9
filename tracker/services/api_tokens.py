"""API tokens: created by their user (or the create-token command), shown once, kept hashed.

A token reads `et_<prefix>_<secret>`; the prefix (visible in lists) finds nothing by itself,
the SHA-256 of the whole token is what is stored and compared.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from tracker.infra.audit import record_event
from tracker.models import ApiToken, User, db, utcnow
from tracker.models.api import TokenScope
from tracker.services import DomainError
from tracker.services.field_rules import RuleError, between, max_length

TOKEN_PREFIX = "et_"  # noqa: S105 (a visible marker, not a secret)
MAX_TOKEN_DAYS = 3650
MAX_TOKENS_PER_USER = 50
# last_used_at is written at most this often: a busy integration must not write on every GET.
LAST_USED_RESOLUTION = timedelta(minutes=1)

token_name = max_length(80)
token_days = between(1, MAX_TOKEN_DAYS, f"A token lasts from 1 to {MAX_TOKEN_DAYS} days.")


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # the whole token, shown to its user once and never again


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    user: User, name: str, scope: str = TokenScope.READ, days: int | None = None
) -> NewToken:
    """A new token for the user; the caller commits and shows `secret` once."""
    name = (name or "").strip()
    if not name:
        raise DomainError("Give the token a name, e.g. the system that will use it.")
    try:
        token_name(name)
        if days is not None:
            token_days(days)
    except RuleError as e:
        raise DomainError(str(e)) from None
    if scope not in TokenScope.values():
        raise DomainError("A token's scope is read or write.")
    if not user.is_active:
        raise DomainError("A deactivated account cannot have API tokens.")
    live = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    )
    if (live or 0) >= MAX_TOKENS_PER_USER:
        raise DomainError(f"An account has at most {MAX_TOKENS_PER_USER} tokens; revoke one.")
    prefix = secrets.token_hex(4)
    secret = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    now = utcnow()
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=prefix,
        token_hash=hash_token(secret),
        scope=scope,
        expires_at=now + timedelta(days=days) if days else None,
        created_at=now,
    )
    db.session.add(token)
    db.session.flush()
    record_event(user, "api_token.created", token, {"name": [None, name], "scope": [None, scope]})
    return NewToken(token, secret)


def revoke_token(token: ApiToken, actor: User) -> None:
    if token.revoked_at is not None:
        raise DomainError(f"The token {token.name} is already revoked.")
    token.revoked_at = utcnow()
    record_event(actor, "api_token.revoked", token)


def user_tokens(user: User) -> list[ApiToken]:
    """The user's tokens, live ones first, newest first (bounded by MAX_TOKENS_PER_USER live)."""
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id)
            .limit(200)
        )
    )


def authenticate(secret: str, now: datetime | None = None) -> ApiToken | None:
    """The live token this secret is, with an active user; None for anything else."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    now = now or utcnow()
    if token is None or not token.is_usable(now) or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        db.session.execute(
            sa.update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now)
        )
        db.session.commit()
    return token
