"""Market API: listings, demand posts, matches and search."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from marketplace.core import policy
from marketplace.core.api import api_user
from marketplace.core.errors import NotFound
from marketplace.extensions import db
from marketplace.listings import matching, schemas, services
from marketplace.listings.models import VISIBLE_STATUSES, Demand, DemandStatus, Listing
from marketplace.listings.policy import demand_visible, listing_visible

listings_bp = Blueprint(
    "api_listings",
    __name__,
    url_prefix="/listings",
    description="Listings of rights for assignment or licence.",
)
demands_bp = Blueprint(
    "api_demands", __name__, url_prefix="/demands", description="Technology demand posts."
)
search_bp = Blueprint(
    "api_search",
    __name__,
    url_prefix="/search",
    description="Full-text search of listings and demand posts.",
)
blueprints = [listings_bp, demands_bp, search_bp]


class _Anonymous:
    is_authenticated = False


def _viewer() -> Any:
    """The token's user when one is sent; listings and public demands need none."""
    return g.get("api_user") or _Anonymous()


def _listing(listing_id: int) -> Listing:
    listing = db.session.get(Listing, listing_id)
    if listing is None or not listing_visible(_viewer(), listing):
        raise NotFound("Not found.")
    return listing


@listings_bp.route("")
class Listings(MethodView):
    @listings_bp.response(200, schemas.ListingOutSchema(many=True))
    def get(self) -> Any:
        """Published listings, newest first (no token needed)."""
        return db.session.scalars(
            sa.select(Listing)
            .where(Listing.status.in_(VISIBLE_STATUSES))
            .order_by(Listing.published_at.desc())
            .limit(100)
        ).all()

    @listings_bp.arguments(schemas.ListingInSchema)
    @listings_bp.response(201, schemas.ListingDetailSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a listing of the caller's rights; ``publish`` publishes it at once."""
        user = api_user()
        policy.authorize(user, "listings.create")
        publish = data.pop("publish")
        listing = services.create_listing(
            user.organisation, services.ListingData(**data), actor=user
        )
        if publish:
            services.publish_listing(listing, actor=user)
        db.session.commit()
        listing.visible_details = listing.details
        return listing


@listings_bp.route("/<int:listing_id>")
class ListingItem(MethodView):
    @listings_bp.response(200, schemas.ListingDetailSchema)
    def get(self, listing_id: int) -> Any:
        """One listing; ``details`` only after the caller's organisation accepted the NDA."""
        listing = _listing(listing_id)
        org = getattr(_viewer(), "organisation", None)
        # Transient, for this response only: the NDA decides whether details are shown.
        listing.visible_details = listing.details if services.has_nda(listing, org) else None
        return listing


@listings_bp.route("/<int:listing_id>/nda")
class ListingNda(MethodView):
    @listings_bp.response(200, schemas.ListingDetailSchema)
    def post(self, listing_id: int) -> Any:
        """Accept the listing's NDA for the caller's organisation and get the details."""
        user = api_user()
        listing = _listing(listing_id)
        policy.authorize(user, "accept_nda", listing)
        services.accept_nda(listing, actor=user, ip_address=request.remote_addr)
        db.session.commit()
        listing.visible_details = listing.details
        return listing


@listings_bp.route("/<int:listing_id>/matches")
class ListingMatches(MethodView):
    @listings_bp.response(200, schemas.MatchSchema(many=True))
    def get(self, listing_id: int) -> Any:
        """Ranked demand posts for the seller's listing, each with its reasons."""
        user = api_user()
        listing = _listing(listing_id)
        policy.authorize(user, "edit", listing)
        return matching.matches_for_listing(listing, viewer=user)


@demands_bp.route("")
class Demands(MethodView):
    @demands_bp.response(200, schemas.DemandOutSchema(many=True))
    def get(self) -> Any:
        """Open demand posts the caller may see."""
        viewer = _viewer()
        rows = db.session.scalars(
            sa.select(Demand)
            .where(Demand.status == DemandStatus.OPEN)
            .order_by(Demand.created_at.desc())
            .limit(200)
        )
        return [d for d in rows if demand_visible(viewer, d)]

    @demands_bp.arguments(schemas.DemandInSchema)
    @demands_bp.response(201, schemas.DemandOutSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Post a technology demand."""
        user = api_user()
        policy.authorize(user, "demands.create")
        data["ipc_codes"] = tuple(data["ipc_codes"])
        demand = services.post_demand(user.organisation, services.DemandData(**data), actor=user)
        db.session.commit()
        return demand


@demands_bp.route("/<int:demand_id>/matches")
class DemandMatches(MethodView):
    @demands_bp.response(200, schemas.MatchSchema(many=True))
    def get(self, demand_id: int) -> Any:
        """Ranked listings for a demand post, each with its reasons."""
        viewer = _viewer()
        demand = db.session.get(Demand, demand_id)
        if demand is None or not demand_visible(viewer, demand):
            raise NotFound("Not found.")
        return matching.matches_for_demand(demand, viewer=viewer)


@search_bp.route("")
class Search(MethodView):
    @search_bp.arguments(schemas.SearchArgsSchema, location="query")
    @search_bp.response(200, schemas.SearchResultSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Search with filters, facets, sorting and highlighted snippets."""
        from marketplace.search.engine import SearchQuery, get_engine

        viewer = _viewer()
        org = getattr(viewer, "organisation", None)
        agency = org is not None and org.is_verified and org.category.value == "agency"
        filters = {
            k: args[k]
            for k in ("kind", "deal_type", "status", "region", "industry", "ipc")
            if args.get(k)
        }
        from marketplace.listings.views import QUOTES

        query = SearchQuery(
            text=args["q"].translate(QUOTES),
            doc_type=args["type"],
            filters=filters,
            price_min=args["price_min"],
            price_max=args["price_max"],
            sort=args["sort"],
            page=args["page"],
            per_page=args["per_page"],
            visibility=("public", "agencies") if agency else ("public",),
        )
        result = get_engine(current_app).search(query)
        return {
            "hits": [
                {
                    "doc_type": h.doc_type,
                    "doc_id": h.doc_id,
                    "score": h.score,
                    "title_html": str(h.title_html),
                    "snippet_html": str(h.snippet_html),
                }
                for h in result.hits
            ],
            "total": result.total,
            "page": result.page,
            "pages": result.pages,
            "facets": result.facets,
        }
