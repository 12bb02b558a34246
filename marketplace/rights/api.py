"""Rights API: the caller's portfolio, one right, ownership claims and their review."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from marketplace.core import policy
from marketplace.core.api import accepts_multipart, api_user
from marketplace.extensions import db
from marketplace.rights import evidence, schemas, services
from marketplace.rights.kinds import RightKind
from marketplace.rights.models import OwnershipClaim, Right

rights_bp = Blueprint(
    "api_rights", __name__, url_prefix="/rights", description="IP rights in the caller's portfolio."
)
claims_bp = Blueprint(
    "api_claims",
    __name__,
    url_prefix="/claims",
    description="Ownership claims (rights confirmation) and their review.",
)
blueprints = [rights_bp, claims_bp]


def _right_data(data: dict[str, Any]) -> services.RightData:
    values = {k: v for k, v in data.items() if k != "kind"}
    for name in ("ipc_codes", "nice_classes", "inventors", "family_members"):
        values[name] = tuple(values.get(name) or ())
    return services.RightData(kind=RightKind(data["kind"]), **values)


@rights_bp.route("")
class Rights(MethodView):
    @rights_bp.arguments(schemas.RightQuerySchema, location="query")
    @rights_bp.response(200, schemas.RightSchema(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        """The caller's organisation's portfolio, filtered and paged (newest filing first)."""
        user = api_user()
        policy.authorize(user, "rights.portfolio")
        query = services.portfolio_query(user.organisation)
        if args.get("kind"):
            query = query.where(Right.kind == args["kind"])
        if args.get("status"):
            query = query.where(Right.status == args["status"])
        if args.get("q"):
            like = f"%{args['q']}%"
            query = query.where(sa.or_(Right.title_zh.ilike(like), Right.number.ilike(like)))
        query = query.order_by(Right.filing_date.desc(), Right.id)
        return db.paginate(
            query, page=args["page"], per_page=args["per_page"], error_out=False
        ).items

    @rights_bp.arguments(schemas.RightSchema)
    @rights_bp.response(201, schemas.RightSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Register a right in the caller's portfolio (or update it when already there)."""
        user = api_user()
        policy.authorize(user, "rights.portfolio")
        right, _created = services.register_right(user.organisation, _right_data(data), actor=user)
        db.session.commit()
        return right


@rights_bp.route("/<int:right_id>")
class RightItem(MethodView):
    @rights_bp.response(200, schemas.RightSchema)
    def get(self, right_id: int) -> Any:
        """One right visible to the caller."""
        return policy.get_visible_or_404(api_user(), Right, right_id)


@claims_bp.route("")
class Claims(MethodView):
    @accepts_multipart
    @claims_bp.arguments(schemas.ClaimFormSchema, location="form")
    @claims_bp.response(201, schemas.ClaimSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """File an ownership claim: multipart form with one or more ``evidence`` files."""
        user = api_user()
        policy.authorize(user, "rights.claim")
        files = [f for f in request.files.getlist("evidence") if f and f.filename]
        uploads = [
            evidence.Upload(f.filename or "", f.stream, data["evidence_kind"]) for f in files
        ]
        claim = services.file_claim(
            user.organisation,
            services.ClaimData(
                kind=data["kind"],
                number=data["number"],
                title_zh=data["title_zh"],
                reviewer_org_id=data["reviewer_org_id"],
                share=data["share"],
                note=data["note"],
            ),
            actor=user,
            evidence=uploads,
        )
        db.session.commit()
        return claim


@claims_bp.route("/<int:claim_id>")
class ClaimItem(MethodView):
    @claims_bp.response(200, schemas.ClaimSchema)
    def get(self, claim_id: int) -> Any:
        """One claim: the claimant's, the reviewer's, or any for the operator."""
        return policy.get_visible_or_404(api_user(), OwnershipClaim, claim_id)


@claims_bp.route("/<int:claim_id>/decision")
class ClaimDecision(MethodView):
    @claims_bp.arguments(schemas.DecisionSchema)
    @claims_bp.response(200, schemas.ClaimSchema)
    def post(self, data: dict[str, Any], claim_id: int) -> Any:
        """Verify or reject a claim (its reviewer agency, or the operator)."""
        user = api_user()
        claim = policy.get_visible_or_404(user, OwnershipClaim, claim_id)
        policy.authorize(user, "decide", claim)
        services.decide_claim(claim, actor=user, verify=data["verify"], reason=data.get("reason"))
        db.session.commit()
        return claim
