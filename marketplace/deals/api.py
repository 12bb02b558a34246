"""Deal API: open a deal with the first offer (or take an open licence), counter, accept or
decline offers, messages, the contract's metadata and signatures.

Every handler loads what the caller may see (404 otherwise), asks the permission rules
(403 when refused), calls one service and commits once.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint

from marketplace.core import policy
from marketplace.core.api import api_user
from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.deals import policy as deals_policy  # noqa: F401  (visibility rules)
from marketplace.deals import schemas, services
from marketplace.deals.models import Deal, Offer
from marketplace.extensions import db
from marketplace.listings.models import DealType, Demand, Listing
from marketplace.listings.policy import listing_visible

deals_bp = Blueprint(
    "api_deals",
    __name__,
    url_prefix="/deals",
    description="Deal rooms: offers and counter-offers, agreement, contract and signatures.",
)
blueprints = [deals_bp]


def _offer_data(data: dict[str, Any]) -> services.OfferData:
    schedule = tuple(services.Instalment(**row) for row in data.pop("schedule", []))
    return services.OfferData(schedule=schedule, **data)


def _deal(deal_id: int) -> Deal:
    return policy.get_visible_or_404(api_user(), Deal, deal_id)


def _offer(deal: Deal, offer_id: int) -> Offer:
    offer = db.session.get(Offer, offer_id)
    if offer is None or offer.deal_id != deal.id:
        raise NotFound(_("Not found."))
    return offer


@deals_bp.route("")
class Deals(MethodView):
    @deals_bp.response(200, schemas.DealOutSchema(many=True))
    def get(self) -> Any:
        """The deals of the caller's organisation (as seller, buyer or broker)."""
        user = api_user()
        policy.authorize(user, "deals.list")
        return services.deals_for(user)

    @deals_bp.arguments(schemas.DealOpenSchema)
    @deals_bp.response(201, schemas.DealDetailSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Open a deal on a published listing with the first offer; for an open licence, take
        it at the published terms (no offer): the deal is agreed at once."""
        user = api_user()
        policy.authorize(user, "deals.open")
        listing = db.session.get(Listing, data["listing_id"])
        if listing is None or not listing_visible(user, listing):
            raise NotFound(_("Not found."))
        if listing.deal_type is DealType.OPEN_LICENCE:
            deal = services.take_open_licence(listing, user.organisation, actor=user)
        else:
            if data["offer"] is None:
                message = _("Send the terms of your first offer.")
                raise ValidationFailed(message, fields={"offer": [message]})
            demand = None
            if data["demand_id"] is not None:
                demand = db.session.get(Demand, data["demand_id"])
                if demand is None:
                    raise NotFound(_("Not found."))
            deal = services.open_deal(
                listing,
                user.organisation,
                actor=user,
                offer=_offer_data(data["offer"]),
                demand=demand,
            )
        db.session.commit()
        return deal


@deals_bp.route("/<int:deal_id>")
class DealItem(MethodView):
    @deals_bp.response(200, schemas.DealDetailSchema)
    def get(self, deal_id: int) -> Any:
        """One deal with its offers, messages, documents and contract."""
        return _deal(deal_id)


@deals_bp.route("/<int:deal_id>/offers")
class DealOffers(MethodView):
    @deals_bp.arguments(schemas.DealOfferInSchema)
    @deals_bp.response(201, schemas.DealOfferOutSchema)
    def post(self, data: dict[str, Any], deal_id: int) -> Any:
        """Counter the other side's open offer (or make a new one when none is open)."""
        user = api_user()
        deal = _deal(deal_id)
        policy.authorize(user, "counter", deal)
        offer = services.counter(deal, _offer_data(data), actor=user)
        db.session.commit()
        return offer


@deals_bp.route("/<int:deal_id>/offers/<int:offer_id>/acceptance")
class OfferAcceptance(MethodView):
    @deals_bp.response(200, schemas.DealDetailSchema)
    def post(self, deal_id: int, offer_id: int) -> Any:
        """Accept the other side's open offer: the terms are agreed and the contract made."""
        user = api_user()
        deal = _deal(deal_id)
        policy.authorize(user, "accept", deal)
        services.accept_offer(_offer(deal, offer_id), actor=user)
        db.session.commit()
        return deal


@deals_bp.route("/<int:deal_id>/offers/<int:offer_id>/rejection")
class OfferRejection(MethodView):
    @deals_bp.arguments(schemas.OfferRejectionInSchema)
    @deals_bp.response(200, schemas.DealOfferOutSchema)
    def post(self, data: dict[str, Any], deal_id: int, offer_id: int) -> Any:
        """Decline the other side's open offer."""
        user = api_user()
        deal = _deal(deal_id)
        policy.authorize(user, "reject", deal)
        offer = services.reject_offer(_offer(deal, offer_id), actor=user, reason=data["reason"])
        db.session.commit()
        return offer


@deals_bp.route("/<int:deal_id>/messages")
class DealMessages(MethodView):
    @deals_bp.arguments(schemas.DealMessageInSchema)
    @deals_bp.response(201, schemas.DealMessageOutSchema)
    def post(self, data: dict[str, Any], deal_id: int) -> Any:
        """Post a message to the deal room."""
        user = api_user()
        deal = _deal(deal_id)
        policy.authorize(user, "message", deal)
        message = services.post_message(deal, actor=user, body=data["body"])
        db.session.commit()
        return message


def _contract(deal: Deal) -> Any:
    if deal.contract is None:
        raise NotFound(_("This deal has no contract yet."))
    return deal.contract


@deals_bp.route("/<int:deal_id>/contract")
class DealContract(MethodView):
    @deals_bp.response(200, schemas.DealContractOutSchema)
    def get(self, deal_id: int) -> Any:
        """The contract's template, version, SHA-256 and signatures."""
        return _contract(_deal(deal_id))


@deals_bp.route("/<int:deal_id>/contract/pdf")
class DealContractPdf(MethodView):
    @deals_bp.response(200)
    def get(self, deal_id: int) -> Any:
        """The contract PDF itself."""
        contract = _contract(_deal(deal_id))
        response = Response(contract.pdf, mimetype="application/pdf")
        response.headers["Content-Disposition"] = (
            f'attachment; filename="{contract.deal.number}.pdf"'
        )
        return response


@deals_bp.route("/<int:deal_id>/contract/signatures")
class DealSignatures(MethodView):
    @deals_bp.arguments(schemas.ContractSignatureInSchema)
    @deals_bp.response(201, schemas.ContractSignatureOutSchema)
    def post(self, data: dict[str, Any], deal_id: int) -> Any:
        """Sign the contract for the caller's organisation; the password is asked again."""
        user = api_user()
        deal = _deal(deal_id)
        policy.authorize(user, "sign", deal)
        signature = services.sign_contract(
            _contract(deal), actor=user, password=data["password"], ip_address=request.remote_addr
        )
        db.session.commit()
        return signature
