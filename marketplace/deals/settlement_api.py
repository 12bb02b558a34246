"""Settlement API: the buyer pays a signed deal's price into escrow, the parties file the
recordal and record the authority's answer (which settles the deal), payouts are listed, and a
running-royalty licensee reports each period and pays its royalty.

Whoever sees the deal (its seller, buyer and broker, and the operator) reads its payments,
recordals, payouts and royalty reports; anyone else gets a 404. The services decide who acts:
only the buyer pays, only the parties (or the operator) file and answer recordals, only the
licensee reports and pays royalties — anyone else gets a 403. Each handler commits once.

Opening a payment is idempotent: the first call creates it (201), a repeat resumes the same
payment and Stripe PaymentIntent (200). The browser confirms the card with Stripe.js using
``client_secret`` and ``publishable_key``; the payment succeeds when Stripe's webhook arrives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint

from marketplace.core import policy
from marketplace.core.api import api_user
from marketplace.core.errors import NotFound
from marketplace.deals import policy as deals_policy  # noqa: F401  (visibility rules)
from marketplace.deals import recordals, settlement
from marketplace.deals import settlement_schemas as schemas
from marketplace.deals.models import Deal, Recordal, RoyaltyReport
from marketplace.extensions import db
from marketplace.payments import services as payments
from marketplace.payments.models import Payment, Payout

settlement_bp = Blueprint(
    "api_deal_settlement",
    __name__,
    url_prefix="/deals",
    description="Settlement of a deal: payment into escrow, recordal, payouts, royalties.",
)
blueprints = [settlement_bp]


def _deal(deal_id: int) -> Deal:
    deal: Deal = policy.get_visible_or_404(api_user(), Deal, deal_id)
    return deal


def _recordal(deal: Deal, recordal_id: int) -> Recordal:
    recordal = db.session.get(Recordal, recordal_id)
    if recordal is None or recordal.deal_id != deal.id:
        raise NotFound(_("Not found."))
    return recordal


def _report(deal: Deal, report_id: int) -> RoyaltyReport:
    report = db.session.get(RoyaltyReport, report_id)
    if report is None or report.deal_id != deal.id:
        raise NotFound(_("Not found."))
    return report


def _started(key: str, start: Callable[[], tuple[Payment, str]]) -> tuple[dict[str, Any], int]:
    """Open or resume a payment and commit: 201 when it was opened now, 200 when resumed."""
    opened = db.session.scalar(sa.select(Payment.id).where(Payment.idempotency_key == key))
    payment, secret = start()
    db.session.commit()
    result = {
        "payment": payment,
        "client_secret": secret,
        "publishable_key": current_app.config["STRIPE_PUBLISHABLE_KEY"],
    }
    return result, 200 if opened is not None else 201


@settlement_bp.route("/<int:deal_id>/payment")
class DealPayment(MethodView):
    @settlement_bp.response(201, schemas.DealPaymentStartSchema)
    @settlement_bp.alt_response(200, schema=schemas.DealPaymentStartSchema, description="Resumed")
    def post(self, deal_id: int) -> Any:
        """The buyer opens the payment of a signed deal's price into escrow (201), or resumes
        the one already open (200). No request body."""
        user = api_user()
        deal = _deal(deal_id)
        return _started(
            payments.payment_key(step="price", deal=deal),
            lambda: settlement.start_deal_payment(deal, actor=user),
        )


@settlement_bp.route("/<int:deal_id>/funding")
class DealFunding(MethodView):
    @settlement_bp.response(200, schemas.RecordalSchema(many=True))
    def post(self, deal_id: int) -> Any:
        """A signed deal with no fixed price (royalty only) proceeds to its recordal without a
        payment; returns the prepared filings. 409 when the deal has a price to pay."""
        user = api_user()
        deal = _deal(deal_id)
        settlement.fund_without_payment(deal, actor=user)
        db.session.commit()
        return recordals.recordals_of(deal)


@settlement_bp.route("/<int:deal_id>/payments")
class DealPayments(MethodView):
    @settlement_bp.response(200, schemas.DealPaymentSchema(many=True))
    def get(self, deal_id: int) -> Any:
        """The deal's payments: its price and its royalties, with their status and refunds."""
        return settlement.deal_payments(_deal(deal_id))


@settlement_bp.route("/<int:deal_id>/recordals")
class DealRecordals(MethodView):
    @settlement_bp.response(200, schemas.RecordalSchema(many=True))
    def get(self, deal_id: int) -> Any:
        """The deal's filings with the registry authorities, refused ones included."""
        return recordals.recordals_of(_deal(deal_id))


@settlement_bp.route("/<int:deal_id>/recordals/<int:recordal_id>/filing")
class RecordalFiling(MethodView):
    @settlement_bp.arguments(schemas.RecordalFilingInSchema)
    @settlement_bp.response(200, schemas.RecordalSchema)
    def post(self, data: dict[str, Any], deal_id: int, recordal_id: int) -> Any:
        """Mark a prepared recordal as filed with the authority; a foreign assignee or
        licensee gives its technology-export certificate."""
        user = api_user()
        deal = _deal(deal_id)
        recordal = recordals.file_recordal(
            _recordal(deal, recordal_id),
            actor=user,
            export_certificate=data["export_certificate"],
        )
        db.session.commit()
        return recordal


@settlement_bp.route("/<int:deal_id>/recordals/<int:recordal_id>/acceptance")
class RecordalAcceptance(MethodView):
    @settlement_bp.arguments(schemas.RecordalAcceptanceInSchema)
    @settlement_bp.response(200, schemas.RecordalSchema)
    def post(self, data: dict[str, Any], deal_id: int, recordal_id: int) -> Any:
        """Record the authority's acceptance (its number and date). When every filing of the
        deal is accepted the deal settles: escrow is paid out and the deal is completed."""
        user = api_user()
        deal = _deal(deal_id)
        recordal = recordals.confirm_recordal(
            _recordal(deal, recordal_id), number=data["number"], on=data["on"], actor=user
        )
        db.session.commit()
        return recordal


@settlement_bp.route("/<int:deal_id>/recordals/<int:recordal_id>/refusal")
class RecordalRefusal(MethodView):
    @settlement_bp.arguments(schemas.RecordalRefusalInSchema)
    @settlement_bp.response(200, schemas.RecordalSchema(many=True))
    def post(self, data: dict[str, Any], deal_id: int, recordal_id: int) -> Any:
        """Record the authority's refusal: the deal goes back to funded and a fresh filing is
        prepared for the correction. Returns all of the deal's filings."""
        user = api_user()
        deal = _deal(deal_id)
        recordals.refuse_recordal(_recordal(deal, recordal_id), reason=data["reason"], actor=user)
        db.session.commit()
        return recordals.recordals_of(deal)


@settlement_bp.route("/<int:deal_id>/payouts")
class DealPayouts(MethodView):
    @settlement_bp.response(200, schemas.DealPayoutSchema(many=True))
    def get(self, deal_id: int) -> Any:
        """What was paid out of escrow for the deal (price and royalties): payee, role, amount
        and whether it is paid or awaits the bank transfer."""
        deal = _deal(deal_id)
        return list(
            db.session.scalars(
                sa.select(Payout).where(Payout.deal_id == deal.id).order_by(Payout.id)
            )
        )


@settlement_bp.route("/<int:deal_id>/royalty-reports")
class RoyaltyReports(MethodView):
    @settlement_bp.response(200, schemas.RoyaltyReportSchema(many=True))
    def get(self, deal_id: int) -> Any:
        """The reporting periods of a running-royalty licence, oldest first."""
        deal = _deal(deal_id)
        return list(
            db.session.scalars(
                sa.select(RoyaltyReport)
                .where(RoyaltyReport.deal_id == deal.id)
                .order_by(RoyaltyReport.period_start)
            )
        )


@settlement_bp.route("/<int:deal_id>/royalty-reports/<int:report_id>")
class RoyaltyReportItem(MethodView):
    @settlement_bp.arguments(schemas.RoyaltyReportInSchema)
    @settlement_bp.response(200, schemas.RoyaltyReportSchema)
    def post(self, data: dict[str, Any], deal_id: int, report_id: int) -> Any:
        """The licensee reports a finished period's units and net sales (fen); the answer
        carries the royalty computed from the agreed rate."""
        user = api_user()
        deal = _deal(deal_id)
        report = recordals.report_royalty(
            _report(deal, report_id), units=data["units"], net_sales=data["net_sales"], actor=user
        )
        db.session.commit()
        return report


@settlement_bp.route("/<int:deal_id>/royalty-reports/<int:report_id>/payment")
class RoyaltyPayment(MethodView):
    @settlement_bp.response(201, schemas.DealPaymentStartSchema)
    @settlement_bp.alt_response(200, schema=schemas.DealPaymentStartSchema, description="Resumed")
    def post(self, deal_id: int, report_id: int) -> Any:
        """The licensee opens (201) or resumes (200) the payment of a reported royalty. No
        request body."""
        user = api_user()
        report = _report(_deal(deal_id), report_id)
        return _started(
            payments.payment_key(step="royalty", royalty_report=report),
            lambda: settlement.start_royalty_payment(report, actor=user),
        )
