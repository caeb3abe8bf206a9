"""Iteration reviews: one per iteration once it has ended; its author may correct it for a week."""

import itertools
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from tracker.infra.audit import pending_changes, record_event, snapshot
from tracker.models import REVIEW_DIMENSIONS, IterationReview, Placement, User, db
from tracker.models.enums import PlacementStatus
from tracker.services import DomainError, events, webhooks
from tracker.services.schedule import (
    Iteration,
    first_gaps,
    iteration,
    iterations,
    iterations_until,
)
from tracker.text import day

CORRECTION_WINDOW = timedelta(days=7)
SCHEDULE_AHEAD = timedelta(days=365)  # how far ahead a placement page lists iterations
TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class ReviewInput:
    delivery: int
    code_quality: int
    communication: int
    collaboration: int
    would_continue: bool
    comments: str | None = None
    action_items: str | None = None


def overall(scores) -> Decimal:
    """The mean of the four ratings, to two places."""
    values = [Decimal(getattr(scores, d)) for d in REVIEW_DIMENSIONS]
    return (sum(values, Decimal(0)) / len(values)).quantize(TWO_PLACES, ROUND_HALF_UP)


def _validate(data: ReviewInput) -> None:
    for dimension in REVIEW_DIMENSIONS:
        value = getattr(data, dimension)
        if not isinstance(value, int) or not 1 <= value <= 5:
            label = dimension.replace("_", " ")
            raise DomainError(f"Rate {label} from 1 to 5.")


def _assign(review: IterationReview, data: ReviewInput) -> None:
    for field, value in asdict(data).items():
        if field in ("comments", "action_items"):
            value = (value or "").strip() or None
        setattr(review, field, value)


def placement_iteration(placement: Placement, number: int) -> Iteration | None:
    return iteration(
        placement.start_date, placement.review_cadence_days, placement.end_date, number
    )


def submit_review(
    placement: Placement, number: int, data: ReviewInput, author: User, *, today: date
) -> IterationReview:
    """Record the review of an iteration that has ended; one per iteration."""
    if placement.status == PlacementStatus.PENDING:
        raise DomainError("This placement has not started yet; there is nothing to review.")
    it = placement_iteration(placement, number)
    if it is None:
        raise DomainError(f"This placement has no iteration {number}.")
    if today < it.due_on:
        raise DomainError(
            f"Iteration {number} runs until {day(it.end)}; "
            f"it can be reviewed from {day(it.due_on)}."
        )
    taken = db.session.scalar(
        sa.select(IterationReview).where(
            IterationReview.placement_id == placement.id, IterationReview.iteration == number
        )
    )
    if taken is not None:
        raise DomainError(f"Iteration {number} has already been reviewed.")
    _validate(data)
    review = IterationReview(
        placement=placement,
        iteration=number,
        period_start=it.start,
        period_end=it.end,
        submitted_by=author,
    )
    _assign(review, data)
    db.session.add(review)
    db.session.flush()
    refresh_summary(placement)
    record_event(author, "review.submitted", review, snapshot(review))
    webhooks.emit("review.submitted", webhooks.review_data(review))
    record_event(
        author,
        "placement.reviewed",
        placement,
        {f"iteration {number}": [None, f"overall {overall(data)}"]},
    )
    if author.is_client:
        events.client_reviewed(review, author)
    return review


def correct_review(
    review: IterationReview, data: ReviewInput, author: User, *, today: date
) -> dict:
    """Change a review: only its author, within seven days of writing it."""
    if review.submitted_by_id != author.id:
        raise DomainError("Only the person who wrote a review can correct it.")
    written = review.created_at.date()
    if today > written + CORRECTION_WINDOW:
        raise DomainError(
            f"Reviews can be corrected for 7 days; this one was written on {day(written)}."
        )
    _validate(data)
    _assign(review, data)
    changes = pending_changes(review)  # before anything flushes the change history away
    if changes:
        db.session.flush()
        refresh_summary(review.placement)
        record_event(author, "review.corrected", review, changes)
    return changes


def existing_review(placement: Placement, number: int) -> IterationReview | None:
    """The review of iteration `number`, if written (from the loaded reviews)."""
    return next((r for r in placement.reviews if r.iteration == number), None)


def save_review(
    placement: Placement, number: int, data: ReviewInput, author: User, *, today: date
) -> str:
    """Write an iteration's review, or its author's correction: "saved", "corrected", or
    "unchanged" when a correction changes nothing (so nobody is told it was corrected)."""
    existing = existing_review(placement, number)
    if existing is None:
        submit_review(placement, number, data, author, today=today)
        return "saved"
    return "corrected" if correct_review(existing, data, author, today=today) else "unchanged"


def can_correct(review: IterationReview, user: User, today: date) -> bool:
    return (
        review.submitted_by_id == user.id and today <= review.created_at.date() + CORRECTION_WINDOW
    )


def refresh_summary(placement: Placement) -> None:
    """Recompute the review summary health reads: last scores, recent average, the first gaps."""
    rows = db.session.execute(
        sa.select(
            IterationReview.iteration,
            *(getattr(IterationReview, d) for d in REVIEW_DIMENSIONS),
            IterationReview.would_continue,
        )
        .where(IterationReview.placement_id == placement.id)
        .order_by(IterationReview.iteration)
    ).all()
    apply_summary(placement, [(row.iteration, overall(row), row.would_continue) for row in rows])


def apply_summary(placement: Placement, reviewed: list[tuple[int, Decimal, bool]]) -> None:
    """Set the summary from (iteration, overall, would continue) of every review, in order."""
    overalls = [score for _, score, _ in reviewed]
    placement.reviews_count = len(reviewed)
    placement.last_overall = overalls[-1] if overalls else None
    placement.previous_overall = overalls[-2] if len(overalls) > 1 else None
    recent = overalls[-3:]
    placement.recent_average = (
        (sum(recent, Decimal(0)) / len(recent)).quantize(TWO_PLACES, ROUND_HALF_UP)
        if recent
        else None
    )
    placement.last_would_continue = reviewed[-1][2] if reviewed else None
    gaps = first_gaps(
        placement.start_date,
        placement.review_cadence_days,
        placement.end_date,
        {number for number, _, _ in reviewed},
    )
    placement.first_gap_due_on = gaps[0].due_on if gaps else None
    placement.second_gap_due_on = gaps[1].due_on if len(gaps) > 1 else None


def schedule_of(
    placement: Placement, today: date
) -> list[tuple[Iteration, IterationReview | None, str]]:
    """Every iteration of the engagement, past, current and to come, with its review or its
    state; an open-ended placement's up to the one after today's (there is no last one)."""
    by_number = {r.iteration: r for r in placement.reviews}
    if placement.end_date is not None:
        # To the end date, but a year ahead at most: the page says the rest continues.
        horizon = max(today, placement.start_date) + SCHEDULE_AHEAD
        started = list(
            itertools.takewhile(
                lambda it: it.start <= horizon,
                iterations(placement.start_date, placement.review_cadence_days, placement.end_date),
            )
        )
    else:
        horizon = today if placement.status != PlacementStatus.PENDING else placement.start_date
        started = iterations_until(
            placement.start_date, placement.review_cadence_days, None, horizon
        )
        if placement.status != PlacementStatus.ENDED:  # show what comes next too
            following = placement_iteration(placement, len(started) + 1)
            if following is not None:
                started.append(following)
    return [
        (it, by_number.get(it.number), it.state(today, it.number in by_number)) for it in started
    ]
