"""Password rules and hashing: long, not common, scrypt-hashed."""

import gzip
from functools import cache
from importlib import resources

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

# Hashed when an unknown email signs in, so a wrong email costs as long as a wrong password.
_DUMMY_HASH_INPUT = "not-a-real-password-for-timing"


@cache
def common_passwords() -> frozenset[str]:
    """The 20,000 most common passwords (Django's list, shipped in tracker/data)."""
    data = resources.files("tracker").joinpath("data/common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode().split())


def password_problems(password: str, *, email: str | None = None) -> list[str]:
    """What is wrong with a new password, in words; empty when it is acceptable."""
    cfg = current_app.config
    problems = []
    if len(password) < cfg["PASSWORD_MIN_LENGTH"]:
        problems.append(f"Use at least {cfg['PASSWORD_MIN_LENGTH']} characters.")
    if len(password) > cfg["PASSWORD_MAX_LENGTH"]:
        problems.append(f"Use at most {cfg['PASSWORD_MAX_LENGTH']} characters.")
    lowered = password.lower()
    if lowered in common_passwords():
        problems.append("This password is too common; choose another.")
    elif email and lowered in (email.lower(), email.split("@")[0].lower()):
        problems.append("Do not use your email address as the password.")
    return problems


def hash_password(password: str) -> str:
    """The password's hash with the configured method (scrypt)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether the password matches; spends the same work when there is no hash."""
    if not password_hash:
        check_password_hash(dummy_hash(), password)
        return False
    return check_password_hash(password_hash, password)


def dummy_hash() -> str:
    """A hash made with the configured method, cached per method."""
    return _dummy_hash_for(current_app.config["PASSWORD_HASH_METHOD"])


@cache
def _dummy_hash_for(method: str) -> str:
    return generate_password_hash(_DUMMY_HASH_INPUT, method=method)
