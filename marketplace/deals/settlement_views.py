"""Paying, recording and settling a deal: the buyer's card page (Stripe.js card element; card
data goes from the browser to Stripe only), the recordal filings and the authority's answers,
royalty reports and their payment. The deal room shows these through ``deal_settlement``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from marketplace.core import policy
from marketplace.core.clock import today
from marketplace.core.errors import DomainError
from marketplace.core.forms import FiniteDecimalField, commit_step, show_error
from marketplace.core.security import allow_stripe_js
from marketplace.deals import recordals, settlement
from marketplace.deals.models import Deal, DealStatus, Recordal, RoyaltyReport
from marketplace.extensions import db
from marketplace.payments import gateway
from marketplace.payments.models import Payment, Payout

bp = Blueprint("settlement", __name__)


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    from marketplace.deals import labels

    return {
        "recordal_kind_labels": labels.RECORDAL_KIND_LABELS,
        "recordal_status_labels": labels.RECORDAL_STATUS_LABELS,
        "royalty_status_labels": labels.ROYALTY_STATUS_LABELS,
        "payout_role_labels": labels.PAYOUT_ROLE_LABELS,
        "payment_status_labels": labels.PAYMENT_STATUS_LABELS,
        "payout_status_labels": labels.PAYOUT_STATUS_LABELS,
        "today": today(),
    }


class RecordalFilingForm(FlaskForm):
    export_certificate = StringField(
        _l("Technology-export licence or registration certificate (foreign party)"),
        validators=[Optional(), Length(max=100)],
    )
    submit = SubmitField(_l("Mark as filed"))


class RecordalAnswerForm(FlaskForm):
    number = StringField(_l("Registration or recordal number"), validators=[Length(max=60)])
    accepted_on = DateField(_l("Date"), validators=[InputRequired()])
    submit = SubmitField(_l("Record the acceptance"))


class RecordalRefusalForm(FlaskForm):
    reason = StringField(_l("The authority's reason"), validators=[Length(max=1000)])
    submit = SubmitField(_l("Record the refusal"))


class RoyaltyForm(FlaskForm):
    units = IntegerField(_l("Units sold"), validators=[InputRequired(), NumberRange(min=0)])
    net_sales = FiniteDecimalField(
        _l("Net sales (yuan)"),
        places=2,
        validators=[InputRequired(), NumberRange(min=0, max=10**11)],
    )
    submit = SubmitField(_l("Report the period"))


def _deal(deal_id: int) -> Deal:
    deal: Deal = policy.get_visible_or_404(current_user, Deal, deal_id)
    return deal


def _back(deal: Deal) -> Any:
    return redirect(f"/deals/{deal.id}#settlement")


@bp.app_template_global()
def deal_settlement(deal: Deal) -> dict[str, Any]:
    """What the deal room shows of payments, escrow, recordals, payouts and royalties."""
    me = getattr(current_user, "organisation_id", None)
    filings = recordals.recordals_of(deal)
    parties = [deal.seller_org, deal.buyer_org, deal.broker_org]
    return {
        "payee_names": {org.id: org.name_zh for org in parties if org is not None},
        "payments": settlement.deal_payments(deal),
        "payouts": list(
            db.session.scalars(
                sa.select(Payout).where(Payout.deal_id == deal.id).order_by(Payout.id)
            )
        ),
        "recordals": filings,
        "royalties": list(
            db.session.scalars(
                sa.select(RoyaltyReport)
                .where(RoyaltyReport.deal_id == deal.id)
                .order_by(RoyaltyReport.period_start)
            )
        ),
        "is_buyer": me == deal.buyer_org_id,
        "is_party": me in (deal.seller_org_id, deal.buyer_org_id),
        "filing_form": RecordalFilingForm(prefix="filing"),
        "answer_form": RecordalAnswerForm(prefix="answer"),
        "refusal_form": RecordalRefusalForm(prefix="refusal"),
        "royalty_form": RoyaltyForm(prefix="royalty"),
    }


def _card_page(deal: Deal, payment: Payment, secret: str, title: str) -> str:
    config = current_app.config
    return render_template(
        "deals/pay.html",
        deal=deal,
        payment=payment,
        title=title,
        client_secret=secret,
        stripe_js=allow_stripe_js(),
        publishable_key=config["STRIPE_PUBLISHABLE_KEY"],
        confirm_url=f"/payments/{payment.id}/card",
        done_url=f"/deals/{deal.id}#settlement",
    )


def _open_card_page(
    deal: Deal, start: Callable[[], tuple[Payment, str]], title: Callable[[], str]
) -> Any:
    """Open (or resume) a payment and show the card page; a refusal is flashed on the deal."""
    try:
        payment, secret = start()
    except DomainError as exc:
        db.session.rollback()
        show_error(None, exc)
        return _back(deal)
    db.session.commit()
    return _card_page(deal, payment, secret, title())


@bp.get("/deals/<int:deal_id>/pay")
@login_required
def pay(deal_id: int) -> Any:
    deal = _deal(deal_id)
    return _open_card_page(
        deal,
        lambda: settlement.start_deal_payment(deal, actor=current_user),
        lambda: _("Pay the price of deal %(number)s", number=deal.number),
    )


@bp.get("/deals/<int:deal_id>/royalties/<int:report_id>/pay")
@login_required
def pay_royalty(deal_id: int, report_id: int) -> Any:
    deal = _deal(deal_id)
    report = db.session.get(RoyaltyReport, report_id)
    if report is None or report.deal_id != deal.id:
        abort(404)
    return _open_card_page(
        deal,
        lambda: settlement.start_royalty_payment(report, actor=current_user),
        lambda: _("Pay the royalty from %(start)s", start=report.period_start.isoformat()),
    )


@bp.post("/payments/<int:payment_id>/card")
@login_required
def confirm_card(payment_id: int) -> Any:
    """Stripe.js tokenised the card in the browser; confirm the intent with it. The answer
    tells the page whether 3-D Secure must still be completed in the browser."""
    payment: Payment = policy.get_visible_or_404(current_user, Payment, payment_id)
    policy.authorize(current_user, "pay", payment)
    body = request.get_json(silent=True) or {}
    token, card = str(body.get("token") or ""), str(body.get("card") or "")
    if not token.startswith("tok_") or not card.startswith("card_") or not payment.provider_ref:
        return jsonify(
            error={"code": "bad_card", "message": _("The card could not be read."), "fields": {}}
        ), 422
    try:
        intent = gateway.confirm_with_card(payment.provider_ref, token=token, card=card)
    except DomainError as exc:
        return jsonify(error={"code": exc.code, "message": exc.message, "fields": {}}), exc.status
    return jsonify(status=intent.status)


@bp.post("/deals/<int:deal_id>/fund")
@login_required
def fund(deal_id: int) -> Any:
    deal = _deal(deal_id)
    commit_step(
        lambda: settlement.fund_without_payment(deal, actor=current_user),
        _("The deal is funded; prepare the recordal."),
    )
    return _back(deal)


def _recordal(deal: Deal, recordal_id: int) -> Recordal:
    recordal = db.session.get(Recordal, recordal_id)
    if recordal is None or recordal.deal_id != deal.id:
        abort(404)
    return recordal


@bp.post("/deals/<int:deal_id>/recordals/<int:recordal_id>/file")
@login_required
def file_recordal(deal_id: int, recordal_id: int) -> Any:
    deal = _deal(deal_id)
    recordal = _recordal(deal, recordal_id)
    form = RecordalFilingForm(prefix="filing")
    if form.validate_on_submit():
        commit_step(
            lambda: recordals.file_recordal(
                recordal, actor=current_user, export_certificate=form.export_certificate.data
            ),
            _("The recordal is marked as filed."),
            form,
        )
    return _back(deal)


@bp.post("/deals/<int:deal_id>/recordals/<int:recordal_id>/accept")
@login_required
def accept_recordal(deal_id: int, recordal_id: int) -> Any:
    deal = _deal(deal_id)
    recordal = _recordal(deal, recordal_id)
    form = RecordalAnswerForm(prefix="answer")
    accepted_on: date | None = form.accepted_on.data if form.validate_on_submit() else None
    if accepted_on is not None:
        commit_step(
            lambda: recordals.confirm_recordal(
                recordal, number=form.number.data or "", on=accepted_on, actor=current_user
            ),
            _("The authority's acceptance is recorded."),
            form,
        )
    else:
        from flask import flash

        flash(_("Enter the number and the date the authority gave."), "error")
    return _back(deal)


@bp.post("/deals/<int:deal_id>/recordals/<int:recordal_id>/refuse")
@login_required
def refuse_recordal(deal_id: int, recordal_id: int) -> Any:
    deal = _deal(deal_id)
    recordal = _recordal(deal, recordal_id)
    form = RecordalRefusalForm(prefix="refusal")
    if form.validate_on_submit():
        commit_step(
            lambda: recordals.refuse_recordal(
                recordal, reason=form.reason.data or "", actor=current_user
            ),
            _("The refusal is recorded; correct the filing and file it again."),
            form,
        )
    return _back(deal)


@bp.post("/deals/<int:deal_id>/royalties/<int:report_id>")
@login_required
def report_royalty(deal_id: int, report_id: int) -> Any:
    deal = _deal(deal_id)
    report = db.session.get(RoyaltyReport, report_id)
    if report is None or report.deal_id != deal.id:
        abort(404)
    form = RoyaltyForm(prefix="royalty")
    if form.validate_on_submit():
        net: Decimal = form.net_sales.data or Decimal(0)
        commit_step(
            lambda: recordals.report_royalty(
                report, units=form.units.data or 0, net_sales=int(net * 100), actor=current_user
            ),
            _("The royalty report is sent."),
            form,
        )
    else:
        from flask import flash

        flash(_("Enter the units and the net sales."), "error")
    return _back(deal)


def is_settled(deal: Deal) -> bool:
    return deal.status is DealStatus.COMPLETED
