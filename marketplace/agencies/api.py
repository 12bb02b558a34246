"""Agencies API: the directory of services, one service, an agency's profile, and an agency
publishing, changing and withdrawing its own services."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint

from marketplace.accounts.models import Organisation
from marketplace.agencies import schemas, services
from marketplace.agencies.models import AgencyService
from marketplace.agencies.policy import own_service_or_404
from marketplace.core import policy
from marketplace.core.api import api_user
from marketplace.core.errors import NotFound
from marketplace.extensions import db

agencies_bp = Blueprint(
    "api_agencies",
    __name__,
    url_prefix="/agencies",
    description="The directory of agency services; agencies manage their own.",
)
blueprints = [agencies_bp]

#: The fields a PATCH may change, read from the service when the body leaves them out.
EDITABLE = tuple(schemas.AgencyServiceInSchema().fields)


@agencies_bp.route("/services")
class Services(MethodView):
    @agencies_bp.arguments(schemas.AgencyServiceQuerySchema, location="query")
    @agencies_bp.response(200, schemas.AgencyServiceSchema(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        """Directory services, filtered and sorted (by rating unless asked otherwise); with
        ``mine=true`` the caller's agency's own services, deactivated ones included."""
        user = api_user()
        if args["mine"]:
            policy.authorize(user, "agencies.manage")
            own = services.services_of(user.organisation, active_only=False)
            entries = [services.entry_for(s) for s in own]
        else:
            policy.authorize(user, "agencies.directory")
            entries = services.directory(
                services.DirectoryFilters(
                    kind=args["kind"],
                    industry=args["industry"],
                    region=args["region"],
                    max_price=args["max_price"],
                    sort=args["sort"],
                )
            )
        start = (args["page"] - 1) * args["per_page"]
        return entries[start : start + args["per_page"]]

    @agencies_bp.arguments(schemas.AgencyServiceInSchema)
    @agencies_bp.response(201, schemas.AgencyServiceSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Publish a service of the caller's agency."""
        user = api_user()
        policy.authorize(user, "agencies.manage")
        service = services.publish_service(
            user.organisation, services.ServiceData(**data), actor=user
        )
        db.session.commit()
        return service


@agencies_bp.route("/services/<int:service_id>")
class ServiceItem(MethodView):
    @agencies_bp.response(200, schemas.AgencyServiceSchema)
    def get(self, service_id: int) -> Any:
        """One service: any listed one, or the caller's agency's own."""
        return policy.get_visible_or_404(api_user(), AgencyService, service_id)

    @agencies_bp.arguments(schemas.AgencyServicePatchSchema(partial=True))
    @agencies_bp.response(200, schemas.AgencyServiceSchema)
    def patch(self, data: dict[str, Any], service_id: int) -> Any:
        """Change some fields of the caller's agency's service (another's is 404)."""
        user = api_user()
        service = own_service_or_404(user, service_id)
        current = {name: getattr(service, name) for name in EDITABLE}
        services.update_service(service, services.ServiceData(**{**current, **data}), actor=user)
        db.session.commit()
        return service

    @agencies_bp.response(204)
    def delete(self, service_id: int) -> None:
        """Take the caller's agency's service out of the directory (orders placed go on)."""
        user = api_user()
        service = own_service_or_404(user, service_id)
        services.deactivate_service(service, actor=user)
        db.session.commit()


@agencies_bp.route("/<int:org_id>")
class Agency(MethodView):
    @agencies_bp.response(200, schemas.AgencyProfileSchema)
    def get(self, org_id: int) -> Any:
        """An agency's profile: rating, completed orders and active services."""
        user = api_user()
        policy.authorize(user, "agencies.directory")
        org = db.session.get(Organisation, org_id)
        if org is None or not services.is_agency(org):
            raise NotFound(_("Not found."))
        return services.agency_profile(org)
