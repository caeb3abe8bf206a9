"""Business rules as plain functions: no request, no template, the caller commits."""

from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from tracker.models.interview import NO_DOUBLE_INTERVIEW, OPEN_PER_PROPOSAL
from tracker.models.placement import NO_DOUBLE_BOOKING

# PostgreSQL gives up one of two transactions that wait on each other (a deadlock, or a
# serialization failure); either way the other one went through and this one can be retried.
LOST_RACE_SQLSTATES = {"40P01", "40001"}


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
    """Refuse to save over a newer version than the one the form was opened with.

    A version that is no number ('abc', a damaged or forged hidden field) matches no version
    we wrote: it is refused the same way, never taken for the current one.
    """
    if submitted_version in (None, ""):
        return
    try:
        current = int(submitted_version) == entity.version_id
    except (TypeError, ValueError):
        current = False
    if not current:
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
    except (IntegrityError, OperationalError) as error:
        db.session.rollback()
        if isinstance(error, OperationalError) and not lost_race(error):
            raise
        if OPEN_PER_PROPOSAL in str(error.orig) or "interview.proposal_id" in str(error.orig):
            raise DomainError(
                "Someone asked for an interview on this proposal at the same moment; nothing "
                "was saved. Open it to confirm a time or propose others."
            ) from None
        if interview_clash(error):
            raise DomainError(
                "That time was just taken by another interview of the engineer; nothing was "
                "saved. Pick another time."
            ) from None
        if double_booking(error):
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


def discard() -> None:
    """Drop whatever the current transaction did, unwritten, and start afresh: a view that
    refuses halfway, or a read that failed. Views write only through transaction() and end
    one only through this, never through the session themselves."""
    from tracker.extensions import db

    db.session.rollback()


def lost_race(error: OperationalError) -> bool:
    return getattr(error.orig, "sqlstate", None) in LOST_RACE_SQLSTATES


def double_booking(error: IntegrityError | OperationalError) -> bool:
    """The no-double-booking guard refused the row, or two inserts deadlocked checking it.

    Two transactions inserting overlapping placements at the same instant each wait for the
    other's row while checking the exclusion constraint; PostgreSQL breaks the deadlock by
    aborting one of them, whose error names the relation rather than the constraint.
    """
    text = str(error.orig)
    if NO_DOUBLE_BOOKING in text:
        return True
    return "exclusion constraint" in text and 'relation "placement"' in text


def interview_clash(error: IntegrityError | OperationalError) -> bool:
    """The guard against two scheduled interviews of one engineer at once refused the row (or
    two transactions deadlocked checking it, on PostgreSQL)."""
    text = str(error.orig)
    if NO_DOUBLE_INTERVIEW in text:
        return True
    return "exclusion constraint" in text and 'relation "interview"' in text
