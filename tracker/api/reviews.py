"""Iteration reviews: /api/v1/placements/<id>/reviews and /api/v1/reviews/<id>.

Staff read and write every placement's reviews; a client user its company's, as the portal
shows them and lets them write (the same form, the same rules); engineers never see reviews
(403), as /me/ never shows them. Writing goes through tracker.services.reviews.save_review,
as both review pages do: the first review of an iteration, or its author's correction within
seven days.
"""

import hashlib
from datetime import date

import sqlalchemy as sa
from flask import url_for
from flask.views import MethodView
from marshmallow import Schema, fields, validate
from sqlalchemy.orm import selectinload

from tracker.api import fields as f
from tracker.api.core import (
    abort,
    api_blueprint,
    api_user,
    idempotent,
    refusals,
    require_roles,
    sorted_page,
    visibility,
)
from tracker.api.placements import visible_placement
from tracker.api.schemas import ListArgs, page_schema
from tracker.extensions import db
from tracker.models import IterationReview, Placement
from tracker.models.enums import Role
from tracker.services import reviews as service

blp = api_blueprint(
    "api_reviews",
    "/api/v1",
    "Iteration reviews: how each iteration of a placement went, scored 1 to 5.",
)

MAX_ID = 2**31 - 1
MAX_ITERATION = 10_000
SORTS = {"iteration": IterationReview.iteration}
RATING = "1 (very poor) to 5 (excellent)"


def _name(review: IterationReview) -> str | None:
    return review.submitted_by.name if review.submitted_by else None


class ReviewSchema(Schema):
    id = fields.Integer(required=True)
    placement_id = fields.Integer(required=True)
    client_id = fields.Function(
        lambda r: r.placement.client_id, required=True, metadata={"type": "integer"}
    )
    engineer_id = fields.Function(
        lambda r: r.placement.engineer_id, required=True, metadata={"type": "integer"}
    )
    iteration = fields.Integer(required=True)
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    delivery = fields.Integer(required=True, metadata={"description": RATING})
    code_quality = fields.Integer(required=True, metadata={"description": RATING})
    communication = fields.Integer(required=True, metadata={"description": RATING})
    collaboration = fields.Integer(required=True, metadata={"description": RATING})
    overall = fields.Function(
        lambda r: float(service.overall(r)),
        required=True,
        metadata={"type": "number", "description": "The mean of the four ratings."},
    )
    would_continue = fields.Boolean(required=True)
    comments = fields.String(required=True, allow_none=True)
    action_items = fields.String(required=True, allow_none=True)
    submitted_by_id = fields.Integer(required=True, allow_none=True)
    submitted_by_name = fields.Function(
        _name, required=True, allow_none=True, metadata={"type": "string"}
    )
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


ReviewPage = page_schema(ReviewSchema, "ReviewPage")


class ReviewListArgs(ListArgs):
    pass


def _rating(label: str):
    # Required, no default: a preselected value would be saved as a rating nobody gave.
    return f.Integer(
        required=True,
        validate=validate.Range(1, 5, error=f"Rate the {label} from 1 to 5."),
        metadata={"description": RATING},
    )


class ReviewInputSchema(Schema):
    iteration = f.Integer(
        required=True,
        validate=validate.Range(1, MAX_ITERATION),
        metadata={"description": "The iteration reviewed (1: the first); it must have ended."},
    )
    delivery = _rating("delivery")
    code_quality = _rating("code quality")
    communication = _rating("communication")
    collaboration = _rating("collaboration")
    would_continue = f.Boolean(
        required=True, metadata={"description": "Would you continue with this engineer?"}
    )
    comments = f.Text(load_default=None, allow_none=True, validate=validate.Length(max=5000))
    action_items = f.Text(load_default=None, allow_none=True, validate=validate.Length(max=5000))


def etag_of(review: IterationReview) -> str:
    """Reviews have no version column: their last change stands in for it."""
    stamp = f"{review.id}:{review.updated_at.isoformat()}"
    return '"r' + hashlib.sha256(stamp.encode()).hexdigest()[:16] + '"'


def reviewed_placement(placement_id: int) -> Placement:
    """The placement whose reviews this token's user may read and write: staff any, a client
    user its company's (another's is a 404); engineers never (403)."""
    require_roles(Role.ADMIN, Role.ACCOUNT_MANAGER, Role.CLIENT)
    return visible_placement(placement_id)


@visibility("review_id")
def visible_review(review_id: int) -> IterationReview:
    user = api_user()
    require_roles(Role.ADMIN, Role.ACCOUNT_MANAGER, Role.CLIENT)
    stmt = (
        sa.select(IterationReview)
        .join(IterationReview.placement)
        .where(IterationReview.id == review_id)
        .options(
            selectinload(IterationReview.placement), selectinload(IterationReview.submitted_by)
        )
    )
    if user.role == Role.CLIENT:
        stmt = stmt.where(Placement.client_id == user.client_id)
    found = db.session.scalar(stmt)
    if found is None:
        abort(404, message="No such review.")
    return found


@blp.route("/placements/<int:placement_id>/reviews")
class PlacementReviews(MethodView):
    @blp.arguments(ReviewListArgs, location="query")
    @blp.response(200, ReviewPage)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args, placement_id):
        """A placement's iteration reviews, first iteration first."""
        placement = reviewed_placement(placement_id)
        stmt = (
            sa.select(IterationReview)
            .where(IterationReview.placement_id == placement.id)
            .options(selectinload(IterationReview.submitted_by))
        )
        rows, next_link = sorted_page(
            stmt,
            args,
            SORTS,
            IterationReview.id,
            "api_reviews.PlacementReviews",
            placement_id=placement.id,
        )
        return {"data": rows, "next": next_link}

    @idempotent
    @blp.arguments(ReviewInputSchema)
    @blp.response(201, ReviewSchema, description="The review, written.")
    @blp.alt_response(
        200, schema=ReviewSchema, description="The author's correction of their review."
    )
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, values, placement_id):
        """Review an iteration that has ended (staff; a client user for its company's
        placements, as in the portal), or correct one's own review within seven days (200).
        409 when the iteration has not ended, does not exist, or someone else reviewed it."""
        placement = reviewed_placement(placement_id)
        number = values.pop("iteration")
        data = service.ReviewInput(**values)
        with refusals():
            outcome = service.save_review(placement, number, data, api_user(), today=date.today())
        review = db.session.scalar(
            sa.select(IterationReview)
            .where(
                IterationReview.placement_id == placement.id, IterationReview.iteration == number
            )
            .options(selectinload(IterationReview.submitted_by))
        )
        if review is None:  # pragma: no cover - save_review wrote it
            abort(500)
        headers = {"ETag": etag_of(review)}
        if outcome == "saved":
            headers["Location"] = url_for("api_reviews.ReviewItem", review_id=review.id)
            return review, 201, headers
        return review, 200, headers


@blp.route("/reviews/<int:review_id>")
class ReviewItem(MethodView):
    @blp.response(200, ReviewSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, review_id):
        """One iteration review."""
        review = visible_review(review_id)
        return review, 200, {"ETag": etag_of(review)}
