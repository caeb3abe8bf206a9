"""Business rules as plain functions: no request, no template, the caller commits."""

from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from tracker.models.placement import NO_DOUBLE_BOOKING


class DomainError(Exception):
    """A business rule refused the operation; the message is meant for the user."""


class StaleEdit(DomainError):
    """The record changed after the user opened the form (optimistic locking)."""

    def __init__(self, what: str = "This record"):
        super().__init__(
            f"{what} was changed by someone else since you opened it. "
            "Your changes were not saved: review the current values and try again."
        )


def ensure_version(entity, submitted_version: int | str | None, what: str = "This record"):
    """Refuse to save over a newer version than the one the form was opened with."""
    if submitted_version in (None, ""):
        return
    if int(submitted_version) != entity.version_id:
        raise StaleEdit(what)


@contextmanager
def transaction():
    """Commit what the block did, or roll all of it back.

    A lost race (a concurrent edit caught by version_id_col, or a unique key taken in the
    meantime) becomes a DomainError the user can read; nothing is half-written.
    """
    from tracker.extensions import db

    try:
        yield
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise StaleEdit() from None
    except IntegrityError as error:
        db.session.rollback()
        if NO_DOUBLE_BOOKING in str(error.orig):
            raise DomainError(
                "The engineer was just booked for overlapping dates by someone else; "
                "nothing was saved."
            ) from None
        raise DomainError(
            "Someone else saved a conflicting change at the same moment; nothing was saved. "
            "Reload the page and try again."
        ) from None
    except BaseException:
        db.session.rollback()
        raise
