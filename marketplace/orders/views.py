"""Service-order pages: place an order, quote, accept a quote, follow the work, accept or
dispute the delivery, rate the provider."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms import SelectChoice

from marketplace.accounts.forms import ConfirmForm
from marketplace.core import policy
from marketplace.core.errors import DomainError
from marketplace.core.forms import commit_step, show_error
from marketplace.extensions import db
from marketplace.orders import forms, services
from marketplace.orders.models import (
    PROVIDER_KINDS,
    Quote,
    ServiceKind,
    ServiceOrder,
    ValuationPurpose,
)
from marketplace.rights import services as rights_services
from marketplace.rights.models import Right
from marketplace.valuations.labels import (
    ORDER_STATUS_LABELS,
    PURPOSE_LABELS,
    QUOTE_STATUS_LABELS,
    SERVICE_LABELS,
)

bp = Blueprint("orders", __name__)


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    return {
        "order_status_labels": ORDER_STATUS_LABELS,
        "purpose_labels": PURPOSE_LABELS,
        "quote_status_labels": QUOTE_STATUS_LABELS,
        "service_labels": SERVICE_LABELS,
    }


def _order_form() -> forms.OrderForm:
    form = forms.OrderForm()
    org = current_user.organisation
    rights = db.session.scalars(rights_services.portfolio_query(org).order_by(Right.title_zh)).all()
    form.right_ids.choices = [
        SelectChoice(r.id, f"{r.number} {r.title_zh}")
        for r in rights
        if rights_services.is_verified_for(r, org)
    ]
    form.kind.choices = [SelectChoice(k.value, label) for k, label in SERVICE_LABELS.items()]
    form.purpose.choices = [SelectChoice("", "—")] + [
        SelectChoice(p.value, label) for p, label in PURPOSE_LABELS.items()
    ]
    kind = ServiceKind(form.kind.data or ServiceKind.VALUATION.value)
    form.invited_org_id.choices = [SelectChoice("", _("Any verified provider"))] + [
        SelectChoice(str(o.id), o.display_name()) for o in services.providers_for(kind)
    ]
    return form


@bp.route("/orders/new", methods=["GET", "POST"])
@login_required
def new_order() -> Any:
    policy.authorize(current_user, "orders.create")
    form = _order_form()
    if request.method == "GET" and request.args.get("right"):
        form.right_ids.data = [int(request.args["right"])]
    if form.validate_on_submit():
        try:
            order = services.create_order(
                current_user.organisation,
                services.OrderRequest(
                    kind=ServiceKind(form.kind.data),
                    right_ids=form.right_ids.data or [],
                    description=form.description.data or "",
                    purpose=ValuationPurpose(form.purpose.data) if form.purpose.data else None,
                    invited_org_id=int(form.invited_org_id.data)
                    if form.invited_org_id.data
                    else None,
                    wanted_by=form.wanted_by.data,
                ),
                actor=current_user,
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("Your order is placed; providers are invited to quote."), "success")
            return redirect(url_for("orders.order_page", order_id=order.id))
    return render_template("orders/new.html", form=form), 422 if form.errors else 200


@bp.get("/orders")
@login_required
def orders() -> Any:
    policy.authorize(current_user, "orders.list")
    org = current_user.organisation
    mine = db.session.scalars(
        sa.select(ServiceOrder)
        .where(
            sa.or_(ServiceOrder.orderer_org_id == org.id, ServiceOrder.provider_org_id == org.id)
        )
        .order_by(ServiceOrder.id.desc())
    ).all()
    open_orders = []
    if any(org.kind in kinds for kinds in PROVIDER_KINDS.values()):
        candidates = db.session.scalars(
            sa.select(ServiceOrder)
            .where(ServiceOrder.status.in_(services.OPEN_STATUSES))
            .order_by(ServiceOrder.id.desc())
            .limit(200)
        ).all()
        open_orders = [o for o in candidates if services.can_quote(org, o) and o not in mine]
    return render_template("orders/list.html", mine=mine, open_orders=open_orders)


@bp.get("/orders/<int:order_id>")
@login_required
def order_page(order_id: int) -> Any:
    order = policy.get_visible_or_404(current_user, ServiceOrder, order_id)
    org = current_user.organisation
    quotes = [q for q in order.quotes if policy.is_visible(current_user, q)]
    own_quote = next((q for q in order.quotes if q.provider_org_id == org.id), None)
    quote_form = forms.QuoteForm(obj=None)
    if own_quote is not None and request.method == "GET":
        quote_form.fee.data = Decimal(own_quote.fee) / 100
        quote_form.delivery_date.data = own_quote.delivery_date
        quote_form.note.data = own_quote.note
    appraisal = report = None
    if order.kind is ServiceKind.VALUATION:
        from marketplace.valuations.models import Appraisal

        appraisal = db.session.scalar(sa.select(Appraisal).where(Appraisal.order_id == order.id))
        report = appraisal.current_report if appraisal else None
    return render_template(
        "orders/order.html",
        order=order,
        quotes=quotes,
        quote_form=quote_form,
        dispute_form=forms.DisputeForm(),
        rating_form=forms.RatingForm(),
        confirm_form=ConfirmForm(),
        can=lambda action, obj=order: policy.can(current_user, action, obj),
        is_orderer=org is not None and org.id == order.orderer_org_id,
        is_provider=org is not None and org.id == order.provider_org_id,
        appraisal=appraisal,
        report=report,
        provider_rating=services.provider_rating,
    )


def _back(order_id: int) -> Any:
    return redirect(url_for("orders.order_page", order_id=order_id))


@bp.post("/orders/<int:order_id>/quote")
@login_required
def quote(order_id: int) -> Any:
    order = policy.get_visible_or_404(current_user, ServiceOrder, order_id)
    policy.authorize(current_user, "quote", order)
    form = forms.QuoteForm()
    if form.validate_on_submit():
        try:
            services.submit_quote(
                order,
                current_user.organisation,
                actor=current_user,
                fee=int((form.fee.data or Decimal(0)) * 100),
                delivery_date=form.delivery_date.data,
                note=form.note.data or None,
            )
        except DomainError as exc:
            db.session.rollback()
            show_error(None, exc)
        else:
            db.session.commit()
            flash(_("Your quote is sent."), "success")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
    return _back(order_id)


@bp.post("/orders/quotes/<int:quote_id>/accept")
@login_required
def accept_quote(quote_id: int) -> Any:
    quote = policy.get_visible_or_404(current_user, Quote, quote_id)
    policy.authorize(current_user, "accept", quote)
    services.accept_quote(quote, actor=current_user)
    db.session.commit()
    flash(_("Quote accepted: the provider can start."), "success")
    return _back(quote.order_id)


def _orderer_step(order_id: int, action: str, step: Any, message: str) -> Any:
    order = policy.get_visible_or_404(current_user, ServiceOrder, order_id)
    policy.authorize(current_user, action, order)
    commit_step(lambda: step(order), message)
    return _back(order_id)


@bp.post("/orders/<int:order_id>/accept-delivery")
@login_required
def accept_delivery(order_id: int) -> Any:
    return _orderer_step(
        order_id,
        "accept_delivery",
        lambda o: services.accept_delivery(o, actor=current_user),
        _("Delivery accepted. Please rate the provider."),
    )


@bp.post("/orders/<int:order_id>/dispute")
@login_required
def dispute(order_id: int) -> Any:
    form = forms.DisputeForm()
    if not form.validate_on_submit():
        flash(_("Say what is wrong with the delivery."), "error")
        return _back(order_id)
    return _orderer_step(
        order_id,
        "dispute",
        lambda o: services.dispute_delivery(o, actor=current_user, reason=form.reason.data or ""),
        _("The provider is asked to rework the delivery."),
    )


@bp.post("/orders/<int:order_id>/rate")
@login_required
def rate(order_id: int) -> Any:
    form = forms.RatingForm()
    if not form.validate_on_submit():
        abort(400)
    return _orderer_step(
        order_id,
        "rate",
        lambda o: services.rate_order(
            o, actor=current_user, rating=form.rating.data, comment=form.comment.data
        ),
        _("Thank you for your rating."),
    )


@bp.post("/orders/<int:order_id>/cancel")
@login_required
def cancel(order_id: int) -> Any:
    return _orderer_step(
        order_id,
        "cancel",
        lambda o: services.cancel_order(o, actor=current_user),
        _("The order is cancelled."),
    )
