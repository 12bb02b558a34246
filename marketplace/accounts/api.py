"""Accounts API: the caller, organisations, members, invitations and personal API tokens."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from marketplace.accounts import schemas, services
from marketplace.accounts.models import ApiToken, Organisation, OrgKind, OrgStatus, Role
from marketplace.core import policy
from marketplace.core.api import api_user
from marketplace.extensions import db

me_bp = Blueprint("api_me", __name__, url_prefix="/me", description="The calling user.")
orgs_bp = Blueprint(
    "api_organisations", __name__, url_prefix="/organisations", description="Organisations."
)
tokens_bp = Blueprint(
    "api_tokens", __name__, url_prefix="/tokens", description="Personal API tokens."
)
blueprints = [me_bp, orgs_bp, tokens_bp]


@me_bp.route("")
class Me(MethodView):
    @me_bp.response(200, schemas.MeSchema)
    def get(self) -> Any:
        """The token's user and organisation."""
        return api_user()


@orgs_bp.route("")
class Organisations(MethodView):
    @orgs_bp.arguments(schemas.OrganisationSchema)
    @orgs_bp.response(201, schemas.OrganisationSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Register the caller's organisation; it stays pending until an operator verifies it."""
        user = api_user()
        policy.authorize(user, "organisations.create")
        org = services.create_organisation(
            user,
            services.OrganisationData(
                kind=OrgKind(data["kind"]),
                name_zh=data["name_zh"],
                name_en=data.get("name_en"),
                region=data["region"],
                identity_number=data["identity_number"],
            ),
        )
        db.session.commit()
        return org


@orgs_bp.route("/<int:org_id>")
class OrganisationItem(MethodView):
    @orgs_bp.response(200, schemas.OrganisationSchema)
    def get(self, org_id: int) -> Any:
        """One organisation: the caller's own, or any for an operator."""
        return policy.get_visible_or_404(api_user(), Organisation, org_id)


@orgs_bp.route("/<int:org_id>/members")
class OrganisationMembers(MethodView):
    @orgs_bp.response(200, schemas.MemberSchema(many=True))
    def get(self, org_id: int) -> Any:
        """The organisation's members."""
        org = policy.get_visible_or_404(api_user(), Organisation, org_id)
        return [m for m in org.members if m.is_active]


@orgs_bp.route("/<int:org_id>/invitations")
class OrganisationInvitations(MethodView):
    @orgs_bp.arguments(schemas.InvitationCreateSchema)
    @orgs_bp.response(201, schemas.InvitationSchema)
    def post(self, data: dict[str, Any], org_id: int) -> Any:
        """Invite a colleague by email (organisation admins of verified organisations)."""
        user = api_user()
        org = policy.get_visible_or_404(user, Organisation, org_id)
        policy.authorize(user, "invite", org)
        invitation, _secret = services.invite_member(
            org, actor=user, email=data["email"], role=Role(data["role"])
        )
        db.session.commit()
        return invitation


@orgs_bp.route("/<int:org_id>/decision")
class OrganisationDecision(MethodView):
    @orgs_bp.arguments(schemas.OrganisationDecisionSchema)
    @orgs_bp.response(200, schemas.OrganisationSchema)
    def post(self, data: dict[str, Any], org_id: int) -> Any:
        """Verify, reject or suspend an organisation (operators only)."""
        user = api_user()
        org = policy.get_visible_or_404(user, Organisation, org_id)
        policy.authorize(user, "verify", org)
        services.change_organisation_status(
            org, OrgStatus(data["status"]), actor=user, reason=data.get("reason")
        )
        db.session.commit()
        return org


@tokens_bp.route("")
class Tokens(MethodView):
    @tokens_bp.response(200, schemas.TokenSchema(many=True))
    def get(self) -> Any:
        """The caller's tokens (never their secrets)."""
        return services.user_tokens(api_user())

    @tokens_bp.arguments(schemas.TokenCreateSchema)
    @tokens_bp.response(201, schemas.NewTokenSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a token; the secret is in this response only."""
        user = api_user()
        policy.authorize(user, "tokens.create")
        token, secret = services.create_api_token(user, name=data["name"], days=data.get("days"))
        db.session.commit()
        token.secret = secret  # transient: dumped in this response only, never stored
        return token


@tokens_bp.route("/<int:token_id>")
class TokenItem(MethodView):
    @tokens_bp.response(204)
    def delete(self, token_id: int) -> None:
        """Revoke a token at once."""
        user = api_user()
        token = policy.get_visible_or_404(user, ApiToken, token_id)
        policy.authorize(user, "revoke", token)
        services.revoke_api_token(token, actor=user)
        db.session.commit()
