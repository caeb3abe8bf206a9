"""/api/v1/proposals: engineers shortlisted for a request, put to the client, and the answer.

Staff see and move every proposal, through the match page's services; a client user sees the
proposals put to its company, exactly as the portal does, and accepts or declines those that
wait for it. Engineers never see proposals (403).
"""

from typing import NoReturn

import sqlalchemy as sa
from flask import url_for
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy.orm import selectinload

from tracker.api import fields as f
from tracker.api.core import (
    IF_MATCH_OPTIONAL,
    abort,
    api_blueprint,
    api_user,
    cross_field_rule,
    etagged,
    idempotent,
    optional_if_match,
    refusals,
    require_roles,
    require_staff,
    sort_values,
    sorted_page,
    visibility,
)
from tracker.api.schemas import ListArgs, page_schema
from tracker.extensions import db
from tracker.models import Engineer, Proposal
from tracker.models.enums import ProposalStatus, Role
from tracker.services import matching, portal, staffing_requests
from tracker.services import proposals as service
from tracker.services.status_moves import mover

blp = api_blueprint(
    "api_proposals",
    "/api/v1/proposals",
    "Proposals: an engineer shortlisted for a request, put to the client, and the answer.",
)

MAX_ID = 2**31 - 1
SORTS = {"created": Proposal.created_at, "updated": Proposal.updated_at}


def _staff() -> bool:
    return api_user().is_staff


def _engineer_name(proposal: Proposal) -> str:
    """Staff read the engineer's full name; a client what the portal shows (first name and
    last initial)."""
    engineer = proposal.engineer
    return engineer.full_name if _staff() else engineer.client_safe_name


class ProposalSchema(Schema):
    id = fields.Integer(required=True)
    request_id = fields.Integer(required=True)
    client_id = fields.Function(
        lambda p: p.request.client_id, required=True, metadata={"type": "integer"}
    )
    engineer_id = fields.Integer(required=True)
    engineer_name = fields.Function(
        _engineer_name,
        required=True,
        metadata={
            "type": "string",
            "description": "Staff: the full name; a client: first name and last initial.",
        },
    )
    request_title = fields.Function(
        lambda p: p.request.title, required=True, metadata={"type": "string"}
    )
    status = fields.String(required=True, validate=validate.OneOf(ProposalStatus.values()))
    score = fields.Function(
        lambda p: None if p.score is None or not _staff() else float(p.score),
        required=True,
        allow_none=True,
        metadata={
            "type": "number",
            "description": "The match score when shortlisted (staff only; null for others).",
        },
    )
    bill_rate = f.Money(
        required=True,
        allow_none=True,
        metadata={"description": "USD/h the client would be billed; set when proposed."},
    )
    decline_reason = fields.Function(
        lambda p: p.decline_reason if _staff() else None,
        required=True,
        allow_none=True,
        metadata={
            "type": "string",
            "enum": [*service.DECLINE_REASONS, None],
            "description": "Why the client declined (staff only; null for others).",
        },
    )
    decline_note = fields.Function(
        lambda p: p.decline_note if _staff() else None,
        required=True,
        allow_none=True,
        metadata={"type": "string", "description": "Staff only; null for others."},
    )
    proposed_at = fields.DateTime(required=True, allow_none=True)
    decided_at = fields.DateTime(required=True, allow_none=True)
    moves = fields.Function(
        lambda p: list(service.allowed_moves(p, mover(api_user()))),
        required=True,
        metadata={
            "type": "array",
            "items": {"type": "string", "enum": ProposalStatus.values()},
            "description": (
                "The statuses this token's user may move it to now (a client: accepted or "
                "declined while it waits for them)."
            ),
        },
    )
    version = fields.Integer(required=True, attribute="version_id")
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


ProposalPage = page_schema(ProposalSchema, "ProposalPage")


class ProposalListArgs(ListArgs):
    request_id = fields.Integer(validate=validate.Range(1, MAX_ID))
    engineer_id = fields.Integer(validate=validate.Range(1, MAX_ID))
    status = fields.String(validate=validate.OneOf(ProposalStatus.values()))
    sort = fields.String(load_default="-created", validate=validate.OneOf(sort_values(SORTS)))


class ShortlistSchema(Schema):
    request_id = f.Integer(required=True, validate=validate.Range(1, MAX_ID))
    engineer_id = f.Integer(required=True, validate=validate.Range(1, MAX_ID))


class ProposalMoveSchema(Schema):
    to = fields.String(required=True, validate=validate.OneOf(ProposalStatus.values()))
    reason = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(list(service.DECLINE_REASONS)),
        metadata={"description": "Why the client declined: needed when `to` is declined."},
    )
    note = f.Text(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=2000),
        metadata={"description": "Details of a decline."},
    )

    @validates_schema
    @cross_field_rule
    def _declined_has_reason(self, data, **kwargs):
        if data.get("to") == ProposalStatus.DECLINED and not data.get("reason"):
            raise ValidationError("Choose the reason the client declined.", "reason")


def _loaded(stmt: sa.Select) -> sa.Select:
    return stmt.options(selectinload(Proposal.engineer), selectinload(Proposal.request))


@visibility("proposal_id")
def visible_proposal(proposal_id: int) -> Proposal:
    """The proposal, if this token's user may see it: staff any, a client user one put to its
    company (any other is a 404, as in the portal); engineers never (403)."""
    user = api_user()
    require_roles(Role.ADMIN, Role.ACCOUNT_MANAGER, Role.CLIENT)
    if user.role == Role.CLIENT:
        found = portal.client_proposal(user.client_id, proposal_id) if user.client_id else None
    else:
        found = db.session.scalar(_loaded(sa.select(Proposal).where(Proposal.id == proposal_id)))
    if found is None:
        abort(404, message="No such proposal.")
    return found


def _missing(name: str, message: str) -> NoReturn:
    """A record the body names does not exist (or is not this user's): the stored data refuses
    it — 409, with the field named (its form was right)."""
    abort(409, message=message, messages={"json": {name: [message]}})


def _location(proposal: Proposal) -> str:
    return url_for("api_proposals.ProposalItem", proposal_id=proposal.id)


@blp.route("")
class Proposals(MethodView):
    @blp.arguments(ProposalListArgs, location="query")
    @blp.response(200, ProposalPage)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args):
        """Proposals: staff see every one, a client user those put to its company."""
        user = api_user()
        require_roles(Role.ADMIN, Role.ACCOUNT_MANAGER, Role.CLIENT)
        if user.role == Role.CLIENT:
            stmt = portal.shown_proposals(user.client_id or 0)
        else:
            stmt = sa.select(Proposal)
        for name in ("request_id", "engineer_id", "status"):
            if args.get(name) is not None:
                stmt = stmt.where(getattr(Proposal, name) == args[name])
        rows, next_link = sorted_page(
            _loaded(stmt), args, SORTS, Proposal.id, "api_proposals.Proposals"
        )
        return {"data": rows, "next": next_link}

    @idempotent
    @blp.arguments(ShortlistSchema)
    @blp.response(201, ProposalSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, values):
        """Shortlist an engineer for a request (staff), as the match page does; 409 when the
        request takes no candidates, the engineer is not vetted or already on it."""
        require_staff()
        staffing_request = staffing_requests.load_request(values["request_id"])
        if staffing_request is None:
            _missing("request_id", "No such staffing request.")
        engineer = db.session.get(Engineer, values["engineer_id"])
        if engineer is None:
            _missing("engineer_id", "No such engineer.")
        match = matching.score_engineer(staffing_request, engineer)
        with refusals():
            proposal = service.shortlist(
                staffing_request, engineer, api_user(), score=match.score if match else None
            )
        return etagged(proposal, 201, _location(proposal))


@blp.route("/<int:proposal_id>")
class ProposalItem(MethodView):
    @blp.response(200, ProposalSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, proposal_id):
        """One proposal."""
        return etagged(visible_proposal(proposal_id))


@blp.route("/<int:proposal_id>/moves")
class ProposalMoves(MethodView):
    @idempotent
    @blp.arguments(ProposalMoveSchema)
    @blp.response(200, ProposalSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    @blp.alt_response(412, response="PRECONDITION_FAILED")
    @blp.doc(parameters=[IF_MATCH_OPTIONAL])
    def post(self, values, proposal_id):
        """Move a proposal to another status: staff along any move the match page offers; a
        client user accepts or declines one put to it, as in the portal. 409 when the move is
        not allowed from where it is, or not by this user."""
        proposal = visible_proposal(proposal_id)
        version = optional_if_match(proposal)
        user, to = api_user(), values["to"]
        with refusals(409):
            if user.role == Role.CLIENT and to in (
                ProposalStatus.ACCEPTED,
                ProposalStatus.DECLINED,
            ):
                portal.decide(
                    proposal,
                    to == ProposalStatus.ACCEPTED,
                    user,
                    reason=values["reason"],
                    note=values["note"],
                )
            else:
                service.move_proposal(
                    proposal,
                    to,
                    user,
                    reason=values["reason"],
                    note=values["note"],
                    version=version,
                )
        return etagged(proposal)
