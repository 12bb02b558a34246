"""Deal room pages: make an offer on a listing, my deals, and the room itself with the offers'
timeline, counter/accept/reject, messages, documents, the contract and its signatures."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.accounts.forms import ConfirmForm
from marketplace.core import policy
from marketplace.core.errors import DomainError, NotFound
from marketplace.core.forms import commit_step, show_error
from marketplace.deals import forms, services
from marketplace.deals import policy as deals_policy  # noqa: F401  (visibility rules)
from marketplace.deals.labels import (
    DEAL_STATUS_LABELS,
    OFFER_STATUS_LABELS,
    PAYMENT_STRUCTURE_LABELS,
    REPORTING_PERIOD_LABELS,
)
from marketplace.deals.models import (
    Contract,
    Deal,
    DealDocument,
    DealStatus,
    Offer,
    OfferStatus,
    PaymentStructure,
    ReportingPeriod,
)
from marketplace.extensions import db
from marketplace.listings.models import DealType, Listing
from marketplace.listings.policy import listing_visible
from marketplace.rights import evidence

bp = Blueprint("deals", __name__)


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    return {
        "deal_status_labels": DEAL_STATUS_LABELS,
        "offer_status_labels": OFFER_STATUS_LABELS,
        "payment_structure_labels": PAYMENT_STRUCTURE_LABELS,
        "reporting_period_labels": REPORTING_PERIOD_LABELS,
    }


def _fen(amount: Decimal | None) -> int:
    return 0 if amount is None else int(amount * 100)


def _bp(rate: Decimal | None) -> int | None:
    return None if rate is None else int(rate * 100)


def offer_data(form: forms.OfferForm) -> services.OfferData:
    """The form as offer terms. :raises ValueError: the schedule cannot be read."""
    structure = PaymentStructure(form.payment_structure.data)
    royalty = structure is PaymentStructure.UPFRONT_AND_ROYALTY
    return services.OfferData(
        price=_fen(form.price.data),
        payment_structure=structure,
        schedule=form.instalments(),
        royalty_rate_bp=_bp(form.royalty_rate.data) if royalty else None,
        reporting_period=ReportingPeriod(form.reporting_period.data)
        if royalty and form.reporting_period.data
        else None,
        territory=(form.territory.data or "all").strip(),
        field_of_use=(form.field_of_use.data or "all").strip(),
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        refund_on_cancel_bp=_bp(form.refund_on_cancel.data)
        if form.refund_on_cancel.data is not None
        else 10_000,
        note=form.note.data or "",
    )


def _offer_form(listing: Listing, offer: Offer | None = None) -> forms.OfferForm:
    """An offer form prefilled from ``offer`` (to counter) or from the listing's terms."""
    form = forms.OfferForm()
    if request.method == "GET":
        if offer is not None:
            form.price.data = Decimal(offer.price) / 100
            form.payment_structure.data = offer.payment_structure.value
            form.schedule.data = "\n".join(
                f"{row.get('due_on') or row.get('milestone', '')}; "
                f"{Decimal(row['amount']) / 100:.2f}"
                for row in offer.schedule
            )
            form.royalty_rate.data = (
                None if offer.royalty_rate_bp is None else Decimal(offer.royalty_rate_bp) / 100
            )
            form.reporting_period.data = (
                offer.reporting_period.value if offer.reporting_period else ""
            )
            form.territory.data = offer.territory
            form.field_of_use.data = offer.field_of_use
            form.starts_on.data = offer.starts_on
            form.ends_on.data = offer.ends_on
            form.refund_on_cancel.data = Decimal(offer.refund_on_cancel_bp) / 100
        else:
            if listing.asking_price:
                form.price.data = Decimal(listing.asking_price) / 100
            form.territory.data = listing.territory
            form.field_of_use.data = listing.field_of_use
            form.starts_on.data = listing.licence_starts_on
            form.ends_on.data = listing.licence_ends_on
    return form


def _load_deal(deal_id: int) -> Deal:
    return policy.get_visible_or_404(current_user, Deal, deal_id)


def _back(deal: Deal) -> Any:
    return redirect(url_for("deals.deal_room", deal_id=deal.id))


# --- listing → deal -----------------------------------------------------------------------------


def _load_listing(listing_id: int) -> Listing:
    listing = db.session.get(Listing, listing_id)
    if listing is None or not listing_visible(current_user, listing):
        raise NotFound(_("Not found."))
    return listing


@bp.route("/listings/<int:listing_id>/offer", methods=["GET", "POST"])
@login_required
def make_offer(listing_id: int) -> Any:
    listing = _load_listing(listing_id)
    policy.authorize(current_user, "deals.open")
    form = _offer_form(listing)
    if form.validate_on_submit():
        try:
            data = offer_data(form)
            deal = services.open_deal(
                listing, current_user.organisation, actor=current_user, offer=data
            )
        except ValueError:
            flash(_("Please correct the highlighted fields."), "error")
        except DomainError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("Your offer is sent to the seller."), "success")
            return _back(deal)
    elif request.method == "POST":
        flash(_("Please correct the highlighted fields."), "error")
    return render_template("deals/offer_form.html", listing=listing, form=form, deal=None)


@bp.post("/listings/<int:listing_id>/open-licence/deal")
@login_required
def take_open_licence(listing_id: int) -> Any:
    listing = _load_listing(listing_id)
    policy.authorize(current_user, "accept_open_licence", listing)
    if not ConfirmForm().validate_on_submit():
        flash(_("The form expired. Please try again."), "error")
        return redirect(url_for("listings.listing_page", listing_id=listing.id))
    try:
        deal = services.take_open_licence(listing, current_user.organisation, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        show_error(None, exc)
        return redirect(url_for("listings.listing_page", listing_id=listing.id))
    db.session.commit()
    flash(_("The open licence is agreed at its published terms: sign the contract."), "success")
    return _back(deal)


# --- my deals and the room ----------------------------------------------------------------------


@bp.get("/deals")
@login_required
def my_deals() -> Any:
    policy.authorize(current_user, "deals.list")
    return render_template("deals/list.html", deals=services.deals_for(current_user))


@bp.get("/deals/<int:deal_id>")
@login_required
def deal_room(deal_id: int) -> Any:
    deal = _load_deal(deal_id)
    open_offer = services.open_offer(deal)
    my_org = current_user.organisation_id
    signed_by = {s.organisation_id for s in deal.contract.signatures} if deal.contract else set()
    return render_template(
        "deals/deal.html",
        deal=deal,
        open_offer=open_offer,
        my_org=my_org,
        is_party=my_org in (deal.seller_org_id, deal.buyer_org_id),
        can=lambda action, obj=deal: policy.can(current_user, action, obj),
        counter_form=_offer_form(deal.listing, deal.offers[-1] if deal.offers else None),
        reason_form=forms.ReasonForm(),
        message_form=forms.MessageForm(),
        document_form=forms.DocumentForm(),
        sign_form=forms.SignForm(),
        confirm_form=ConfirmForm(),
        signed_by=signed_by,
        timeline=services.timeline(deal),
        DealType=DealType,
        DealStatus=DealStatus,
        OfferStatus=OfferStatus,
    )


@bp.post("/deals/<int:deal_id>/offers")
@login_required
def counter(deal_id: int) -> Any:
    deal = _load_deal(deal_id)
    policy.authorize(current_user, "counter", deal)
    form = forms.OfferForm()
    if form.validate_on_submit():
        try:
            data = offer_data(form)
        except ValueError:
            flash(" ".join(form.schedule.errors), "error")
            return _back(deal)
        commit_step(
            lambda: services.counter(deal, data, actor=current_user),
            _("Your terms are sent to the other side."),
        )
    else:
        for name, errors in form.errors.items():
            label = getattr(form, name).label.text if hasattr(form, name) else name
            flash(f"{label}: {' '.join(map(str, errors))}", "error")
    return _back(deal)


def _offer(deal: Deal, offer_id: int) -> Offer:
    offer = db.session.get(Offer, offer_id)
    if offer is None or offer.deal_id != deal.id:
        raise NotFound(_("Not found."))
    return offer


@bp.post("/deals/<int:deal_id>/offers/<int:offer_id>/accept")
@login_required
def accept(deal_id: int, offer_id: int) -> Any:
    deal = _load_deal(deal_id)
    policy.authorize(current_user, "accept", deal)
    offer = _offer(deal, offer_id)
    if ConfirmForm().validate_on_submit():
        commit_step(
            lambda: services.accept_offer(offer, actor=current_user),
            _("The terms are agreed: the contract is ready to sign."),
        )
    return _back(deal)


@bp.post("/deals/<int:deal_id>/offers/<int:offer_id>/reject")
@login_required
def reject(deal_id: int, offer_id: int) -> Any:
    deal = _load_deal(deal_id)
    policy.authorize(current_user, "reject", deal)
    offer = _offer(deal, offer_id)
    form = forms.ReasonForm()
    if form.validate_on_submit():
        commit_step(
            lambda: services.reject_offer(offer, actor=current_user, reason=form.reason.data or ""),
            _("The offer is declined."),
        )
    return _back(deal)


@bp.post("/deals/<int:deal_id>/offers/<int:offer_id>/withdraw")
@login_required
def withdraw(deal_id: int, offer_id: int) -> Any:
    deal = _load_deal(deal_id)
    policy.authorize(current_user, "withdraw", deal)
    offer = _offer(deal, offer_id)
    if ConfirmForm().validate_on_submit():
        commit_step(
            lambda: services.withdraw_offer(offer, actor=current_user),
            _("Your offer is withdrawn."),
        )
    return _back(deal)


@bp.post("/deals/<int:deal_id>/cancel")
@login_required
def cancel(deal_id: int) -> Any:
    deal = _load_deal(deal_id)
    policy.authorize(current_user, "cancel", deal)
    form = forms.ReasonForm()
    if form.validate_on_submit():
        commit_step(
            lambda: services.cancel_deal(deal, actor=current_user, reason=form.reason.data or ""),
            _("The deal is cancelled."),
        )
    return _back(deal)


@bp.post("/deals/<int:deal_id>/messages")
@login_required
def message(deal_id: int) -> Any:
    deal = _load_deal(deal_id)
    policy.authorize(current_user, "message", deal)
    form = forms.MessageForm()
    if form.validate_on_submit():
        commit_step(
            lambda: services.post_message(deal, actor=current_user, body=form.body.data),
            _("Your message is posted."),
        )
    else:
        flash(_("Write a message."), "error")
    return _back(deal)


@bp.post("/deals/<int:deal_id>/documents")
@login_required
def upload(deal_id: int) -> Any:
    deal = _load_deal(deal_id)
    policy.authorize(current_user, "upload", deal)
    form = forms.DocumentForm()
    if form.validate_on_submit():
        file = form.document.data
        commit_step(
            lambda: services.add_document(
                deal,
                evidence.Upload(filename=file.filename or "", stream=file.stream),
                actor=current_user,
            ),
            _("The document is shared in the deal room."),
        )
    else:
        flash(_("Choose a file to upload."), "error")
    return _back(deal)


@bp.get("/deals/<int:deal_id>/documents/<int:document_id>")
@login_required
def document(deal_id: int, document_id: int) -> Any:
    deal = _load_deal(deal_id)
    doc = policy.get_visible_or_404(current_user, DealDocument, document_id)
    if doc.deal_id != deal.id:
        raise NotFound(_("Not found."))
    # Read whole (at most 10 MB): no file handle outlives the request.
    return send_file(
        io.BytesIO(services.document_path(doc).read_bytes()),
        mimetype=doc.content_type,
        as_attachment=True,
        download_name=doc.original_name,
    )


@bp.get("/deals/<int:deal_id>/contract.pdf")
@login_required
def contract_pdf(deal_id: int) -> Any:
    deal = _load_deal(deal_id)
    contract = deal.contract
    if contract is None:
        raise NotFound(_("Not found."))
    return send_file(
        io.BytesIO(contract.pdf),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"{deal.number}-{contract.template}-{contract.version}.pdf",
    )


@bp.post("/deals/<int:deal_id>/contract/sign")
@login_required
def sign(deal_id: int) -> Any:
    deal = _load_deal(deal_id)
    policy.authorize(current_user, "sign", deal)
    contract: Contract | None = deal.contract
    if contract is None:
        raise NotFound(_("Not found."))
    form = forms.SignForm()
    if form.validate_on_submit():
        commit_step(
            lambda: services.sign_contract(
                contract,
                actor=current_user,
                password=form.password.data,
                ip_address=request.remote_addr,
            ),
            _("You signed the contract."),
        )
    else:
        flash(_("Enter your password to sign."), "error")
    return _back(deal)
